"""Advertisements from over-the-air link-layer packets (sniffers).

Bluetooth Core Specification v5.4, Vol 6 Part B §2.1 (packet: access
address 4 B LE, PDU, CRC 3 B) and §2.3 (advertising channel PDU: header
byte 0 = PDU type bits 0-3, ChSel bit 5, TxAdd bit 6, RxAdd bit 7; byte 1 =
length; payload AdvA (6, LSB first) + AdvData for ADV_IND 0x0,
ADV_NONCONN_IND 0x2, SCAN_RSP 0x4, ADV_SCAN_IND 0x6).
Pseudo-headers (https://www.tcpdump.org/linktypes/):
  LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR (256): 10 bytes: rf_channel, signal
    (int8 dBm), noise, access_address_offenses, reference access address
    (4), flags (2, LE; bit 1 = signal power valid).
  LINKTYPE_NORDIC_BLE (272): Wireshark packet-nordic_ble.c: board id (1),
    then the nRF Sniffer v2 header: length (2), protocol version (1), packet
    counter (2), packet id (1); then the packet header: header length (1,
    counts itself), flags, channel, RSSI (1, unsigned, dBm = -value), event
    counter (2), timestamp (4); then the link-layer packet.
"""

from __future__ import annotations

from typing import Iterator

from techsafe.scanners.trackers.sighting import Sighting, format_address, sighting_from_ad

ADV_ACCESS_ADDRESS = 0x8E89BED6
ADV_PDUS_WITH_DATA = {0x0, 0x2, 0x4, 0x6}
SIGNAL_VALID = 0x0002


def from_ll(packet: bytes, time_us: int, origin: str, rssi: int | None = None) -> Iterator[Sighting]:
    if len(packet) < 4 + 2 + 6 or int.from_bytes(packet[:4], "little") != ADV_ACCESS_ADDRESS:
        return
    header, length = packet[4], packet[5]
    if header & 0x0F not in ADV_PDUS_WITH_DATA or length < 6:
        return
    payload = packet[6 : 6 + length]
    if len(payload) < length:
        return  # truncated PDU
    address_type = "random" if header & 0x40 else "public"
    yield sighting_from_ad(time_us, format_address(payload[:6]), address_type, rssi, payload[6:], origin)


def from_ll_phdr(packet: bytes, time_us: int, origin: str) -> Iterator[Sighting]:
    if len(packet) < 10:
        return
    flags = int.from_bytes(packet[8:10], "little")
    signal = packet[1] - 256 if packet[1] > 127 else packet[1]
    yield from from_ll(packet[10:], time_us, origin, signal if flags & SIGNAL_VALID else None)


def from_nordic(packet: bytes, time_us: int, origin: str) -> Iterator[Sighting]:
    if len(packet) < 8:
        return
    header_len = packet[7]
    if header_len < 4 or len(packet) < 7 + header_len:
        return
    rssi = -packet[7 + 3]
    yield from from_ll(packet[7 + header_len :], time_us, origin, rssi)
