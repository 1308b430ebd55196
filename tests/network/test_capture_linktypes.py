"""A pcap/pcapng techsafe does not read says why: its link type, and what
techsafe reads instead (not the generic "not a format techsafe reads").

Captures are written with scapy's writers; a few pcapng files are put
together by hand where scapy cannot (no interface block, mixed interfaces).
"""

from __future__ import annotations

import struct

import pytest
from click.testing import CliRunner

from captures import PHONE_A, T0, dns_query, write_pcap
from techsafe import pipeline
from techsafe.cli import cli

READS = "it reads Ethernet, Linux cooked (SLL/SLL2), raw IP and Bluetooth HCI/LE link types"
SHB = bytes.fromhex("0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000")


def _idb(linktype: int) -> bytes:
    return struct.pack("<IIHHII", 1, 20, linktype, 0, 65535, 20)


def _epb(data: bytes) -> bytes:
    body = struct.pack("<IIIII", 0, 0, 0, len(data), len(data)) + data + b"\0" * (-len(data) % 4)
    return struct.pack("<II", 6, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))


def _pcap(path, linktype: int):
    """One 40-byte frame in a pcap of `linktype`, written by scapy (BSD loopback
    through its own layer: scapy takes linktype=0 for "not given")."""
    if linktype == 0:
        from scapy.layers.inet import IP
        from scapy.layers.l2 import Loopback

        return write_pcap(path, [Loopback() / IP() / (b"\0" * 16)])
    return write_pcap(path, [b"\0" * 40], linktype=linktype)


def _analyze(path, tmp_path):
    result = CliRunner().invoke(cli, ["analyze", str(path), "--case", str(tmp_path / "case")])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "case").exists()  # a refused input leaves no half-made case
    return result.stderr


@pytest.mark.parametrize(
    "linktype, text",
    [
        (0, "link type 0 (BSD loopback)"),
        (127, "link type 127 (Wi-Fi 802.11 with radiotap header)"),
        (105, "link type 105 (Wi-Fi 802.11)"),
        (999, "link type 999"),
    ],
)
def test_pcap_of_a_link_type_techsafe_does_not_read(tmp_path, techsafe_home, linktype, text):
    path = _pcap(tmp_path / "cap.pcap", linktype)
    assert _analyze(path, tmp_path) == f"techsafe: {path}: a pcap capture with {text}, which techsafe does not read; {READS}\n"


def test_pcapng_of_link_types_techsafe_does_not_read(tmp_path, techsafe_home):
    path = tmp_path / "cap.pcapng"
    path.write_bytes(SHB + _idb(127) + _idb(0) + _epb(b"\0" * 40))
    assert _analyze(path, tmp_path) == (
        f"techsafe: {path}: a pcapng capture with link types 0 (BSD loopback) and 127 (Wi-Fi 802.11 with radiotap "
        f"header), which techsafe does not read; {READS}\n"
    )


def test_pcapng_with_one_unread_interface_among_read_ones(tmp_path, techsafe_home):
    path = tmp_path / "cap.pcapng"
    path.write_bytes(SHB + _idb(1) + _idb(999) + _epb(b"\0" * 40))
    assert _analyze(path, tmp_path) == (
        f"techsafe: {path}: a pcapng capture with link type 999, which techsafe does not read; {READS}\n"
    )


def test_pcapng_mixing_ip_and_bluetooth(tmp_path, techsafe_home):
    path = tmp_path / "cap.pcapng"
    path.write_bytes(SHB + _idb(1) + _idb(251) + _epb(b"\0" * 40))
    assert _analyze(path, tmp_path) == (
        f"techsafe: {path}: a pcapng capture mixing network link type 1 (Ethernet) with Bluetooth link type 251 "
        "(Bluetooth LE link layer) in one file, which techsafe does not read; save them to separate files\n"
    )


def test_capture_without_link_type(tmp_path, techsafe_home):
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(write_pcap(tmp_path / "full.pcap", [dns_query(T0, PHONE_A, "example.org")]).read_bytes()[:16])
    assert _analyze(cut, tmp_path) == f"techsafe: {cut}: a pcap capture whose file header is cut short; copy it again\n"
    no_idb = tmp_path / "noidb.pcapng"
    no_idb.write_bytes(SHB + _epb(b"\0" * 40))
    assert _analyze(no_idb, tmp_path) == (
        f"techsafe: {no_idb}: a pcapng capture with no interface description (link type) before its packets, "
        "which techsafe cannot read\n"
    )


@pytest.mark.parametrize("linktype", [1, 101, 113, 228, 229, 276, 187, 201, 251, 254, 256, 272])
def test_link_types_techsafe_reads_are_still_detected(tmp_path, linktype):
    path = _pcap(tmp_path / "cap.pcap", linktype)
    platform, _what = pipeline.detect(path)
    assert platform == ("network" if linktype in (1, 101, 113, 228, 229, 276) else "trackers")


def test_not_a_capture_is_still_the_generic_line(tmp_path):
    path = tmp_path / "notes.pcap"
    path.write_bytes(b"hello, not a capture\n")
    assert pipeline.detect(path) is None
