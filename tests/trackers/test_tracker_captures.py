"""Every capture container gives the exact same sightings.

The frames are built with scapy's Bluetooth layers (HCI events, BTLE link
layer, RF and Nordic pseudo-headers, Linux monitor header) from the
advertising data in tracker_frames.py and written with scapy's pcap/pcapng
writers; the btsnoop container is written here from its documented layout
(see techsafe/scanners/trackers/captures/btsnoop.py for the sources).
"""

from __future__ import annotations

import struct
from decimal import Decimal
import warnings
from pathlib import Path

import pytest

import tracker_frames as F
from techsafe.case import Case
from techsafe.scanners.trackers import sources
from techsafe.scanners.trackers.analyze import analyze
from techsafe.scanners.trackers.captures import read_capture
from techsafe.scanners.trackers.captures.btsnoop import EPOCH_OFFSET_US
from techsafe.scanners.trackers.sighting import sighting_from_ad

T0 = 1_700_000_000_000_000  # 2023-11-14T22:13:20Z in microseconds
ADVERTS = [  # (time offset us, address, rssi, advertising data)
    (0, "C1:11:22:33:44:01", -48, F.FLAGS + F.AIRTAG_SEPARATED),
    (250_123, "D2:11:22:33:44:02", -71, F.FLAGS + F.smarttag(2, 0x00A0B0, bytes.fromhex("0102030405060708"))),
    (500_001, "E3:11:22:33:44:03", -80, F.FLAGS + F.TILE),
    (750_999, "F4:11:22:33:44:04", -66, F.FLAGS + F.fmdn(0x40)),
    (1_000_000, "C5:11:22:33:44:05", -90, F.FLAGS + F.APPLE_NEARBY_INFO),
    (1_250_000, "C6:11:22:33:44:06", -55, F.OPENHAYSTACK),
]


def expected(with_rssi: bool = True):
    return [
        sighting_from_ad(T0 + dt, addr, "random", rssi if with_rssi else None, data, "")
        for dt, addr, rssi, data in ADVERTS
    ]


def _eirs(data: bytes):
    from scapy.layers.bluetooth import EIR_Hdr

    out, i = [], 0
    while i < len(data):
        out.append(EIR_Hdr(data[i : i + 1 + data[i]]))
        i += 1 + data[i]
    return out


def hci_event(addr: str, rssi: int, data: bytes) -> bytes:
    from scapy.layers.bluetooth import (
        HCI_Event_Hdr,
        HCI_Event_LE_Meta,
        HCI_LE_Meta_Advertising_Report,
        HCI_LE_Meta_Advertising_Reports,
    )

    report = HCI_LE_Meta_Advertising_Report(type=3, addr_type=1, addr=addr.lower(), data=_eirs(data), rssi=rssi)
    raw = bytes(HCI_Event_Hdr() / HCI_Event_LE_Meta() / HCI_LE_Meta_Advertising_Reports(reports=[report]))
    assert data in raw  # scapy rebuilt our AD bytes unchanged
    return raw


def ll_packet(addr: str, data: bytes) -> bytes:
    from scapy.layers.bluetooth4LE import BTLE, BTLE_ADV, BTLE_ADV_NONCONN_IND

    raw = bytes(BTLE() / BTLE_ADV(TxAdd=1) / BTLE_ADV_NONCONN_IND(AdvA=addr.lower(), data=_eirs(data)))
    assert data in raw
    return raw


def frame(linktype: int, addr: str, rssi: int, data: bytes) -> bytes:
    from scapy.contrib.nrf_sniffer import NRF2_Packet_Event
    from scapy.layers.bluetooth import HCI_Mon_Pcap_Hdr, HCI_PHDR_Hdr
    from scapy.layers.bluetooth4LE import BTLE_RF

    if linktype == 187:
        return b"\x04" + hci_event(addr, rssi, data)
    if linktype == 201:
        return bytes(HCI_PHDR_Hdr(direction=1)) + b"\x04" + hci_event(addr, rssi, data)
    if linktype == 254:
        return bytes(HCI_Mon_Pcap_Hdr(adapter_id=0, opcode=3)) + hci_event(addr, rssi, data)
    if linktype == 251:
        return ll_packet(addr, data)
    if linktype == 256:
        return bytes(BTLE_RF(rf_channel=37, signal=rssi, sig_power_valid=1)) + ll_packet(addr, data)
    if linktype == 272:
        # scapy's NRFS2_Packet cannot build (its post_build reads a missing
        # `hdr_len` field), so the 7-byte board/UART header is packed here.
        # RSSI is stored positive, as Wireshark's packet-nordic_ble.c reads it.
        event = bytes(NRF2_Packet_Event(header_len=10, crc_ok=1, rf_channel=37, rssi=-rssi)) + ll_packet(addr, data)
        return struct.pack("<BHBHB", 0, len(event) + 6, 2, 1, 0x06) + event
    raise AssertionError(linktype)


LINKTYPES = (187, 201, 254, 251, 256, 272)


def write_pcap(path: Path, linktype: int, ng: bool) -> None:
    from scapy.packet import Raw
    from scapy.utils import PcapNgWriter, PcapWriter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        writer = PcapNgWriter(str(path)) if ng else PcapWriter(str(path), linktype=linktype)
        writer.linktype = linktype
        for dt, addr, rssi, data in ADVERTS:
            t = T0 + dt
            pkt = Raw(frame(linktype, addr, rssi, data))
            if not writer.header_present:
                writer.write_header(pkt)
            if ng:
                # pcapng takes one timestamp in seconds: Decimal keeps it exact
                writer._write_packet(bytes(pkt), linktype=linktype, sec=Decimal(t) / 1_000_000)
            else:
                writer.write_packet(pkt, sec=t // 1_000_000, usec=t % 1_000_000)
        writer.close()


def write_btsnoop(path: Path, datalink: int) -> None:
    out = bytearray(b"btsnoop\x00" + struct.pack(">II", 1, datalink))
    for dt, addr, rssi, data in ADVERTS:
        event = hci_event(addr, rssi, data)
        packet, flags = (b"\x04" + event, 0x03) if datalink == 1001 else (event, 3)  # 2001: index 0, opcode 3
        out += struct.pack(">IIIIq", len(packet), len(packet), flags, 0, T0 + dt + EPOCH_OFFSET_US) + packet
    path.write_bytes(bytes(out))


@pytest.mark.parametrize("ng", [False, True], ids=["pcap", "pcapng"])
@pytest.mark.parametrize("linktype", LINKTYPES)
def test_pcap_linktypes_give_the_same_sightings(tmp_path, linktype, ng):
    path = tmp_path / "capture.bin"  # no extension: detection is by magic bytes
    write_pcap(path, linktype, ng)
    cap = read_capture(path.read_bytes())
    assert cap.problem == ""
    # Plain link-layer captures (251) carry no signal strength.
    assert cap.sightings == expected(with_rssi=linktype != 251)
    assert sources.detect(path) == ("Bluetooth LE pcapng capture" if ng else "Bluetooth LE pcap capture")


@pytest.mark.parametrize("datalink", [1001, 2001], ids=["android-h4", "btmon"])
def test_btsnoop_gives_the_same_sightings(tmp_path, datalink):
    path = tmp_path / "btsnoop_hci.log"
    write_btsnoop(path, datalink)
    cap = read_capture(path.read_bytes())
    assert (cap.format, cap.problem) == ("btsnoop", "")
    assert cap.sightings == expected()
    assert sources.detect(path) == "btsnoop HCI log"


def test_ip_capture_is_left_to_the_network_scanner(tmp_path):
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    from scapy.utils import wrpcap

    path = tmp_path / "home.pcap"
    wrpcap(str(path), [Ether() / IP(dst="127.0.0.1") / UDP()])
    assert sources.detect(path) is None


def test_truncated_capture_is_a_visible_not_checked(tmp_path, techsafe_home):
    path = tmp_path / "cut.btsnoop"
    write_btsnoop(path, 1001)
    path.write_bytes(path.read_bytes()[:-10])
    case = Case.create(tmp_path / "case")
    sources.ingest(path, case)
    result = analyze(case, None)
    # What was readable still counts; the cut last record (the OpenHaystack tag) is lost.
    assert [(f.kind, f.severity.label, f.subject) for f in result.findings] == [
        ("tracker.airtag.separated", "high", "AirTag C1:11:22:33:44:01"),
        ("tracker.fmdn.separated", "high", "Google Find Hub tag F4:11:22:33:44:04"),
        ("tracker.smarttag.separated", "high", "Samsung Galaxy SmartTag D2:11:22:33:44:02"),
        ("tracker.tile", "medium", "Tile E3:11:22:33:44:03"),
    ]
    assert [(n.area, n.artifact) for n in result.not_checked] == [
        ("trackers.capture", "artifacts/trackers/captures/capture-1.btsnoop")
    ]
    assert "truncated" in result.not_checked[0].reason


def test_btsnoop_with_an_unsupported_datalink_names_the_file_and_the_datalink(tmp_path, techsafe_home):
    """A file is not an adapter: no "may not have been receiving; sweep again" for it."""
    import json

    from click.testing import CliRunner

    from techsafe.cli import cli

    path = tmp_path / "odd.btsnoop"
    path.write_bytes(b"btsnoop\x00" + struct.pack(">II", 1, 1003))  # 1003: HCI over BSCP, not decoded
    result = CliRunner().invoke(cli, ["analyze", str(path), "--case", str(tmp_path / "c"), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["findings"] == []
    assert [(n["area"], n["reason"], n["artifact"]) for n in out["not_checked"]] == [
        ("trackers.capture",
         "artifacts/trackers/captures/capture-1.btsnoop (the imported file) could not be read: btsnoop datalink 1003 "
         "is not one techsafe reads (only HCI logs: 1001, 1002 or 2001, as Android's btsnoop_hci.log and `btmon -w` "
         "write); nothing in it was checked",
         "artifacts/trackers/captures/capture-1.btsnoop"),
        ("trackers.separated", "no Bluetooth sweep or capture could be read", ""),
        ("trackers.stateless", "no Bluetooth sweep or capture could be read", ""),
        ("trackers.near_owner", "no Bluetooth sweep or capture could be read", ""),
    ]
    assert "sweep again" not in result.output and "adapter" not in result.output


def test_an_empty_capture_file_is_not_blamed_on_the_adapter(tmp_path, techsafe_home):
    path = tmp_path / "quiet.btsnoop"
    path.write_bytes(b"btsnoop\x00" + struct.pack(">II", 1, 1002))  # a valid header, no records
    case = Case.create(tmp_path / "case")
    sources.ingest(path, case)
    result = analyze(case, None)
    assert result.findings == ()
    assert [(n.area, n.reason) for n in result.not_checked] == [
        ("trackers.capture", "nothing at all was heard in the imported capture "
         "artifacts/trackers/captures/capture-1.btsnoop: it holds no Bluetooth advertisements, so it cannot show "
         "whether a tracker was near"),
    ]


def test_garbage_file_after_the_magic_never_crashes(tmp_path):
    for head in (b"btsnoop\x00\x00\x00\x00\x01\x00\x00\x03\xe9", b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00" + bytes(12) + b"\xbb\x00\x00\x00"):
        cap = read_capture(head + bytes(range(256)) * 3)
        assert cap.problem
