"""Traffic matching on captures written by scapy, against the real Echap feed."""

from __future__ import annotations

import io
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from captures import (
    C2_IP,
    PHONE_A,
    PHONE_B,
    T0,
    dns_query,
    expected_contacts,
    phone_traffic,
    tcp,
    write_pcap,
    write_pcapng,
)
from techsafe.case import Case
from techsafe.model import Severity
from techsafe.scanners.network import sources
from techsafe.scanners.network.pcapfile import CaptureFormatError, CaptureReader
from techsafe.scanners.network.traffic import match_capture


def _table(result):
    return {
        c.match.value: dict(
            app=c.name,
            count=c.count,
            via=c.via,
            devices=c.devices,
            first=pytest.approx(c.first, abs=1e-5),
            last=pytest.approx(c.last, abs=1e-5),
        )
        for c in result.contacts
    }


def _expected():
    out = {}
    for value, e in expected_contacts().items():
        out[value] = dict(e, first=pytest.approx(e["first"], abs=1e-5), last=pytest.approx(e["last"], abs=1e-5))
    return out


@pytest.mark.parametrize("writer", [write_pcap, write_pcapng], ids=["pcap", "pcapng"])
def test_exact_contacts_and_no_lookalikes(tmp_path, echap, writer):
    path = writer(tmp_path / "phones.cap", phone_traffic())
    with open(path, "rb") as fh:
        result = match_capture(fh, echap)
    assert result.problem == ""
    assert result.packets == len(phone_traffic())
    got = {v: dict(e, first=e["first"].expected, last=e["last"].expected) for v, e in _table(result).items()}
    want = expected_contacts()
    assert set(got) == set(want)  # nothing from notevil-copy9.com, copy9.com.example.org, xguestspy.com...
    for value, e in want.items():
        g = got[value]
        assert g["app"] == e["app"], value
        assert g["count"] == e["count"], value
        assert g["via"] == e["via"], value
        assert g["devices"] == e["devices"], value
        assert g["first"] == pytest.approx(e["first"], abs=1e-5), value
        assert g["last"] == pytest.approx(e["last"], abs=1e-5), value
    by_value = {c.match.value: c for c in result.contacts}
    assert by_value["guestspy.com"].observed == ("x1.guestspy.com",)
    assert by_value["icloudappe.com"].observed == ("icloudappe.com",)  # Host: ICLOUDAPPE.com:8080
    assert by_value["apollospy.com"].match.source.startswith("echap")


def test_scapy_reads_what_we_read(tmp_path):
    """Our reader against scapy's on the same files: same frames, same times."""
    from scapy.utils import rdpcap

    pkts = phone_traffic()
    for writer in (write_pcap, write_pcapng):
        path = writer(tmp_path / f"x-{writer.__name__}", pkts)
        with open(path, "rb") as fh:
            ours = list(CaptureReader(fh))
        theirs = rdpcap(str(path))
        assert [f for _t, _l, f in ours] == [bytes(p) for p in theirs]
        assert [lt for _t, lt, _f in ours] == [1] * len(pkts)
        assert [t for t, _l, _f in ours] == pytest.approx([float(p.time) for p in theirs], abs=1e-5)


def test_linux_cooked_and_raw_ip_and_ipv6(tmp_path, echap):
    from scapy.layers.dns import DNS, DNSQR
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import CookedLinux, CookedLinuxV2

    sll = CookedLinux(pkttype=4, lladdrtype=1, lladdrlen=6, src=bytes.fromhex("02000000000a") + b"\0\0") / IP(src="192.0.2.10", dst=C2_IP) / TCP(dport=443, flags="S")
    sll.time = T0
    v6 = CookedLinuxV2(pkttype=4, lladdrlen=6, src=bytes.fromhex("02000000000b") + b"\0\0") / IPv6(src="2001:db8::b", dst="2001:db8::1") / UDP(sport=5000, dport=53) / DNS(qd=DNSQR(qname="xyz.apollospy.com"))
    v6.time = T0 + 1
    raw = IP(src="192.0.2.12", dst="192.0.2.1") / UDP(sport=5001, dport=53) / DNS(qd=DNSQR(qname="notevil-copy9.com"))
    raw.time = T0 + 2
    results = {}
    for name, pkt, linktype in (("sll", sll, 113), ("sll2", v6, 276), ("raw", raw, 101)):
        path = write_pcap(tmp_path / f"{name}.pcap", [pkt], linktype=linktype)
        assert sources.detect(path) == "pcap traffic capture"
        with open(path, "rb") as fh:
            results[name] = match_capture(fh, echap)
    assert [(c.match.value, c.devices, c.via) for c in results["sll"].contacts] == [(C2_IP, (("02:00:00:00:00:0a", "192.0.2.10"),), ("ip",))]
    assert [(c.match.value, c.devices, c.observed) for c in results["sll2"].contacts] == [
        ("apollospy.com", (("02:00:00:00:00:0b", "2001:db8::b"),), ("xyz.apollospy.com",))
    ]
    assert results["raw"].contacts == ()


def test_detect_only_ip_link_types(tmp_path):
    from scapy.layers.bluetooth4LE import BTLE
    from scapy.layers.l2 import Ether

    ble = write_pcap(tmp_path / "ble.pcap", [BTLE()], linktype=251)
    eth = write_pcapng(tmp_path / "eth.pcapng", [Ether()])
    text = tmp_path / "notes.pcap"
    text.write_bytes(b"GET / HTTP/1.1\r\n")
    assert sources.detect(ble) is None
    assert sources.detect(eth) == "pcapng traffic capture"
    assert sources.detect(text) is None
    assert sources.detect(tmp_path) is None


def test_analyze_case_findings_and_timeline(tmp_path, echap):
    from techsafe.scanners.network.analyze import analyze

    capture = write_pcapng(tmp_path / "Jane Doe phone.pcapng", phone_traffic())
    case = Case.create(tmp_path / "case")
    sources.ingest(capture, case)
    (rec,) = case.artifacts("network")
    assert rec.path == "artifacts/network/traffic/capture-1.pcapng"  # no survivor's name in the case paths
    assert rec.size == capture.stat().st_size
    analysis = analyze(case, echap)
    c2 = [f for f in analysis.findings if f.kind == "network.traffic.stalkerware_c2"]
    assert {f.subject for f in c2} == set(expected_contacts())
    assert all(f.severity is Severity.CRITICAL for f in c2)
    assert len(analysis.findings) == len(c2)
    ip_finding = next(f for f in c2 if f.subject == C2_IP)
    assert ip_finding.title == (
        f"A device on this network contacted a stalkerware server of TheTruthSpy ({C2_IP}): "
        "3 times between 2023-11-14T22:13:25.000Z and 2023-11-14T22:13:25.300Z."
    )
    once = next(f for f in c2 if f.subject == "guestspy.com")
    assert once.title.endswith("TheTruthSpy (guestspy.com): once, at 2023-11-14T22:13:22.000Z.")
    assert ip_finding.fact("devices") == "192.0.2.11 (02:00:00:00:00:0b)"
    assert ip_finding.indicator.entry == "TheTruthSpy" and ip_finding.indicator.field == "c2_ip"
    assert ip_finding.evidence[0].artifact == rec.path
    assert "network.traffic" in analysis.checked
    events = [(t.time, t.event, t.subject) for t in analysis.timeline if t.subject == "apollospy.com"]
    assert events == [
        ("2023-11-14T22:13:21.000Z", "contacted", "apollospy.com"),
        ("2023-11-14T22:13:40.000Z", "contacted", "apollospy.com"),
    ]


def _dns_over_tcp(t, dev, name, qid, answer=None):
    """A DNS query (or, with `answer`, its reply) over TCP port 53, length-prefixed (RFC 1035 4.2.2)."""
    from scapy.layers.dns import DNS, DNSQR, DNSRR

    if answer is None:
        msg = bytes(DNS(id=qid, rd=1, qd=DNSQR(qname=name)))
    else:
        msg = bytes(DNS(id=qid, qr=1, ra=1, qd=DNSQR(qname=name), an=[DNSRR(rrname=name, type="A", rdata=answer, ttl=60)]))
    return tcp(t, dev, "192.0.2.1", len(msg).to_bytes(2, "big") + msg, sport=41000 + qid, dport=53, seq=1,
               reply=answer is not None)


def test_a_dns_answer_is_not_a_second_contact(tmp_path, echap):
    """A query and its answer are one lookup; an answer seen without its query still counts once."""
    from captures import dns_answer

    from techsafe.scanners.network.analyze import analyze

    a_rec = [("apollospy.com", "A", "198.51.100.7")]
    pkts = [
        dns_query(T0, PHONE_A, "apollospy.com", qid=1),  # lookup 1
        dns_answer(T0 + 0.05, PHONE_A, "apollospy.com", a_rec, qid=1),  # its answer
        dns_answer(T0 + 0.06, PHONE_A, "apollospy.com", a_rec, qid=1),  # the same answer again
        dns_answer(T0 + 5, PHONE_A, "apollospy.com", a_rec, qid=9),  # lookup 2: an answer whose query was not captured
        dns_query(T0 + 6, PHONE_B, "apollospy.com", qid=1),  # lookup 3: another phone, same DNS id and port
        dns_answer(T0 + 6.05, PHONE_B, "apollospy.com", a_rec, qid=1),
        _dns_over_tcp(T0 + 7, PHONE_A, "apollospy.com", qid=2),  # lookup 4: over TCP
        _dns_over_tcp(T0 + 7.05, PHONE_A, "apollospy.com", qid=2, answer="198.51.100.7"),
        dns_query(T0 + 8, PHONE_A, "apollospy.com", qid=1),  # lookup 5: the first query's id and port again
    ]
    with open(write_pcap(tmp_path / "dns.pcap", pkts), "rb") as fh:
        (c,) = match_capture(fh, echap).contacts
    assert (c.match.value, c.count, c.via, c.devices) == ("apollospy.com", 5, ("dns-answer", "dns-query"), (PHONE_A, PHONE_B))
    assert (c.first, c.last) == (pytest.approx(T0, abs=1e-5), pytest.approx(T0 + 8, abs=1e-5))

    # One query and its answer: "once" in the finding, at the time of the query.
    capture = write_pcap(tmp_path / "pair.pcap", pkts[:2])
    case = Case.create(tmp_path / "case")
    sources.ingest(capture, case)
    (f,) = analyze(case, echap).findings
    assert f.title == (
        "A device on this network contacted a stalkerware server of Reptilicus (apollospy.com): "
        "once, at 2023-11-14T22:13:20.000Z."
    )
    assert (f.fact("count"), f.fact("via")) == ("1", "dns-answer, dns-query")


def test_watchware_is_medium_not_critical(tmp_path, echap):
    from techsafe.scanners.network.analyze import analyze

    capture = write_pcap(tmp_path / "w.pcap", [dns_query(T0, PHONE_A, "analytics.300624.com")])
    case = Case.create(tmp_path / "case")
    sources.ingest(capture, case)
    (f,) = analyze(case, echap).findings
    assert (f.kind, f.severity, f.subject) == ("network.traffic.monitoring_app", Severity.MEDIUM, "analytics.300624.com")


def test_truncated_capture_keeps_contacts_and_says_so(tmp_path, echap):
    from techsafe.scanners.network.analyze import analyze

    path = write_pcap(tmp_path / "t.pcap", phone_traffic())
    data = path.read_bytes()
    path.write_bytes(data[:-10])
    case = Case.create(tmp_path / "case")
    sources.ingest(path, case)
    analysis = analyze(case, echap)
    assert len(analysis.findings) == len(expected_contacts())  # the last packet repeats apollospy.com
    assert [(n.area, n.reason) for n in analysis.not_checked] == [
        ("network.lan", "home network devices, router and DNS: no home-network scan in this case (techsafe network scan)"),
        ("network.traffic", "capture read only in part: capture is truncated after 19 packets"),
    ]
    assert "network.traffic" not in analysis.checked


def test_not_a_capture_raises_clear_error():
    with pytest.raises(CaptureFormatError, match="not a pcap or pcapng capture"):
        CaptureReader(io.BytesIO(b"hello world, not a capture"))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.integers(0, 3))
def test_hostile_bytes_never_crash(echap, junk, where):
    """Random bytes after a valid header, and random frames, never raise or hang."""
    import struct

    headers = [
        struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1),
        struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 113),
        struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 276),
        bytes.fromhex("0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000"),
    ]
    match_capture(io.BytesIO(headers[where] + junk), echap)
    # the same bytes as a frame payload of a well-formed record
    frame = headers[0] + struct.pack("<IIII", 1, 0, len(junk), len(junk)) + junk
    match_capture(io.BytesIO(frame), echap)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_hostile_payloads_in_udp53_and_tls(echap, junk):
    pkts = [
        tcp(T0, PHONE_A, "198.51.100.1", b"\x16\x03\x01" + junk, sport=1),
        tcp(T0, PHONE_A, "198.51.100.1", b"GET / HTTP/1.1\r\nHost:" + junk, sport=2, dport=80),
    ]
    from scapy.layers.inet import UDP

    from captures import ROUTER, _eth, _ip

    p = _eth(PHONE_A, ROUTER) / _ip(PHONE_A, "192.0.2.1") / UDP(sport=3, dport=53) / junk
    pkts.append(p)
    buf = io.BytesIO()
    from scapy.utils import PcapWriter

    w = PcapWriter(buf)
    for x in pkts:
        w.write(x)
    w.flush()
    match_capture(io.BytesIO(buf.getvalue()), echap)


def test_memory_does_not_grow_with_capture_size(tmp_path, echap):
    """A capture 20x larger (120,000 packets) must not need more memory than a small one."""
    import struct

    template = [bytes(p) for p in phone_traffic()]

    def synth(path, repeats):
        with open(path, "wb") as fh:
            fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for i in range(repeats):
                for frame in template:
                    fh.write(struct.pack("<IIII", 1_700_000_000 + i, 0, len(frame), len(frame)))
                    fh.write(frame)
        return path

    peaks = []
    for repeats in (300, 6_000):
        path = synth(tmp_path / f"big-{repeats}.pcap", repeats)
        tracemalloc.start()
        with open(path, "rb") as fh:
            result = match_capture(fh, echap)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert result.packets == repeats * len(template)
        assert {c.match.value for c in result.contacts} == set(expected_contacts())
    assert peaks[1] < peaks[0] * 1.5 + 512 * 1024, peaks
