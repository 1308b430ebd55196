"""Captures taken with a snap-length limit: packets cut short are said out loud.

A DNS query cut at 50 bytes loses the name it asked for; the capture must then
never read as "nothing risky found", while what the full packets show stands.
"""

from __future__ import annotations

import pytest

from captures import PHONE_A, T0, dns_query
from techsafe.case import Case
from techsafe.model import Severity
from techsafe.scanners.network import sources
from techsafe.scanners.network.pcapfile import CaptureReader

SNAP = 50


def _write(path, packets, fmt, snap=SNAP):
    """Write `packets` (scapy, with .time) with scapy's writers, each one cut to
    `snap` bytes when `cut` is set on it (original length kept, as tcpdump -s does)."""
    from scapy.utils import PcapNgWriter, PcapWriter

    if fmt == "pcap":
        writer = PcapWriter(str(path), linktype=1, snaplen=snap)
    else:
        writer = PcapNgWriter(str(path))
        writer.linktype = 1
    with writer as w:
        w.write_header(None)
        for p in packets:
            raw = bytes(p)
            if getattr(p, "cut", False):
                w.write_packet(raw[:snap], sec=float(p.time), wirelen=len(raw))
            else:
                w.write_packet(raw, sec=float(p.time))
    return path


def _cut(p):
    p.cut = True
    return p


def _analyze(tmp_path, echap, packets, fmt):
    from techsafe.scanners.network.analyze import analyze

    path = _write(tmp_path / f"snap.{fmt}", packets, fmt)
    case = Case.create(tmp_path / "case")
    sources.ingest(path, case)
    (rec,) = case.artifacts("network")
    return analyze(case, echap), rec.path


def _reason(cut, total, snap=SNAP):
    return (
        f"{cut} of {total} packets were cut short by the capture (snap length {snap} bytes): "
        "host names in them may be missed; capture again without a snap-length limit"
    )


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_reader_counts_cut_packets(tmp_path, fmt):
    pkts = [dns_query(T0, PHONE_A, "copy9.com"), _cut(dns_query(T0 + 1, PHONE_A, "copy9.com"))]
    path = _write(tmp_path / f"r.{fmt}", pkts, fmt)
    with open(path, "rb") as fh:
        reader = CaptureReader(fh)
        frames = [f for _t, _l, f in reader]
    assert [len(f) for f in frames] == [len(bytes(pkts[0])), SNAP]
    assert (reader.packets, reader.cut_short, reader.snaplens, reader.problem) == (2, 1, {SNAP}, "")


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_only_cut_packets_is_never_nothing_risky(tmp_path, echap, fmt):
    """The tester's capture: one DNS query for copy9.com, cut at 50 bytes."""
    analysis, artifact = _analyze(tmp_path, echap, [_cut(dns_query(T0, PHONE_A, "copy9.com"))], fmt)
    assert analysis.findings == ()
    traffic = [(n.reason, n.artifact) for n in analysis.not_checked if n.area == "network.traffic"]
    assert traffic == [(_reason(1, 1), artifact)]
    assert "network.traffic" not in analysis.checked


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_findings_from_full_packets_stand(tmp_path, echap, fmt):
    pkts = [
        dns_query(T0, PHONE_A, "copy9.com", qid=1),
        _cut(dns_query(T0 + 1, PHONE_A, "apollospy.com", qid=2)),
        _cut(dns_query(T0 + 2, PHONE_A, "example.org", qid=3)),
    ]
    analysis, artifact = _analyze(tmp_path, echap, pkts, fmt)
    assert [(f.kind, f.severity, f.subject) for f in analysis.findings] == [
        ("network.traffic.stalkerware_c2", Severity.CRITICAL, "copy9.com")
    ]
    traffic = [(n.reason, n.artifact) for n in analysis.not_checked if n.area == "network.traffic"]
    assert traffic == [(_reason(2, 3), artifact)]


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_full_length_capture_has_no_cut_line(tmp_path, echap, fmt):
    analysis, _ = _analyze(tmp_path, echap, [dns_query(T0, PHONE_A, "copy9.com")], fmt)
    assert [(f.severity, f.subject) for f in analysis.findings] == [(Severity.CRITICAL, "copy9.com")]
    assert [n for n in analysis.not_checked if n.area == "network.traffic"] == []
    assert "network.traffic" in analysis.checked
