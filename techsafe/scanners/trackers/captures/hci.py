"""Advertisements from HCI events (what a controller tells the host).

Bluetooth Core Specification v5.4, Vol 4 Part E:
  §7.7.65.2  LE Advertising Report (LE Meta event 0x3E, subevent 0x02):
             num_reports, then per report: event_type, address_type,
             address (6, LSB first), data_length, data, rssi (int8)
             (per-report order as BlueZ's btmon and Android write them)
  §7.7.65.13 LE Extended Advertising Report (subevent 0x0D): num_reports,
             then per report: event_type (2), address_type, address (6),
             primary_phy, secondary_phy, sid, tx_power, rssi, periodic
             interval (2), direct_address_type, direct_address (6),
             data_length, data
H4 framing (Vol 4 Part A §2): one packet-type byte, 0x04 = event.
"""

from __future__ import annotations

from typing import Iterator

from techsafe.scanners.trackers.sighting import Sighting, format_address, sighting_from_ad

H4_EVENT = 0x04
EVT_LE_META = 0x3E
SUB_ADV_REPORT = 0x02
SUB_EXT_ADV_REPORT = 0x0D
RSSI_UNAVAILABLE = 127
ADDRESS_TYPES = {0: "public", 1: "random", 2: "public", 3: "random"}  # 2/3: resolved identity addresses


def _rssi(byte: int) -> int | None:
    value = byte - 256 if byte > 127 else byte
    return None if value == RSSI_UNAVAILABLE else value


def from_event(event: bytes, time_us: int, origin: str) -> Iterator[Sighting]:
    """Sightings in one HCI event packet (starting at the event code)."""
    if len(event) < 4 or event[0] != EVT_LE_META:
        return
    body = event[2 : 2 + event[1]]
    sub = body[0] if body else None
    if sub == SUB_ADV_REPORT:
        yield from _legacy(body[1:], time_us, origin)
    elif sub == SUB_EXT_ADV_REPORT:
        yield from _extended(body[1:], time_us, origin)


def _legacy(p: bytes, time_us: int, origin: str) -> Iterator[Sighting]:
    if not p:
        return
    count, i = p[0], 1
    for _ in range(count):
        if i + 9 > len(p):
            return
        addr_type, addr, n = p[i + 1], p[i + 2 : i + 8], p[i + 8]
        data_end = i + 9 + n
        if data_end + 1 > len(p):
            return
        yield sighting_from_ad(
            time_us, format_address(addr), ADDRESS_TYPES.get(addr_type, ""), _rssi(p[data_end]), p[i + 9 : data_end], origin
        )
        i = data_end + 1


def _extended(p: bytes, time_us: int, origin: str) -> Iterator[Sighting]:
    if not p:
        return
    count, i = p[0], 1
    for _ in range(count):
        if i + 24 > len(p):
            return
        addr_type, addr, rssi, n = p[i + 2], p[i + 3 : i + 9], p[i + 13], p[i + 23]
        data_end = i + 24 + n
        if data_end > len(p):
            return
        yield sighting_from_ad(
            time_us, format_address(addr), ADDRESS_TYPES.get(addr_type, ""), _rssi(rssi), p[i + 24 : data_end], origin
        )
        i = data_end


def from_h4(packet: bytes, time_us: int, origin: str) -> Iterator[Sighting]:
    if packet[:1] == bytes([H4_EVENT]):
        yield from from_event(packet[1:], time_us, origin)
