"""Link-layer wrappers home networks use are read through to the IP inside:
PPPoE sessions (how most home routers reach their ISP), 802.1Q / 802.1ad VLAN
tags (stacked, and around PPPoE), LLC/SNAP. Frames of any other kind that
could carry IP are never dropped unseen: they are counted and said under
"not checked", beside the findings of what was read. Link control that never
carries IP (ARP, LLDP, EAPOL, STP, PPP's LCP...) is not a gap.

Captures are written by scapy (its own PPPoE, PPP, Dot1Q, Dot1AD, LLC, SNAP
layers) so the decoding is checked against an independent implementation.
"""

from __future__ import annotations

import pytest

from captures import PHONE_A, ROUTER, T0, dns_query, write_pcap
from techsafe.case import Case
from techsafe.model import Severity
from techsafe.scanners.network import sources

NAME = "copy9.com"  # Echap: TheTruthSpy c2.domains
CRITICAL = [("network.traffic.stalkerware_c2", Severity.CRITICAL, NAME)]


def _eth():
    from scapy.layers.l2 import Ether

    return Ether(src=PHONE_A[0], dst=ROUTER[0])


def _dns(v6=False, qid=1):
    """A DNS query for copy9.com from PHONE_A, from the IP header on."""
    from scapy.layers.dns import DNS, DNSQR
    from scapy.layers.inet import IP, UDP
    from scapy.layers.inet6 import IPv6

    ip = IPv6(src="2001:db8::a", dst="2001:db8::1") if v6 else IP(src=PHONE_A[1], dst=ROUTER[1])
    return ip / UDP(sport=40000 + qid, dport=53) / DNS(id=qid, rd=1, qd=DNSQR(qname=NAME))


def _pppoe(proto=0x0021):
    from scapy.layers.ppp import PPP, PPPoE

    return PPPoE(sessionid=0x1234) / PPP(proto=proto)


def _timed(pkts):
    for i, p in enumerate(pkts):
        p.time = T0 + i
    return pkts


def _analyze(tmp_path, echap, pkts, linktype=None):
    from techsafe.scanners.network.analyze import analyze

    path = write_pcap(tmp_path / "capture.pcap", _timed(pkts), linktype=linktype)
    case = Case.create(tmp_path / "case")
    sources.ingest(path, case)
    (rec,) = case.artifacts("network")
    analysis = analyze(case, echap)
    findings = [(f.kind, f.severity, f.subject) for f in analysis.findings]
    gaps = [(n.reason, n.artifact) for n in analysis.not_checked if n.area == "network.traffic"]
    return analysis, findings, gaps, rec.path


def _unread(n, kinds):
    return f"{n} packets of a kind techsafe does not read ({kinds}) were not checked"


# ---- read through -------------------------------------------------------------------


def _frames():
    from scapy.layers.l2 import LLC, SNAP, Dot1AD, Dot1Q, Dot3

    return {
        "pppoe-ipv4": _eth() / _pppoe(0x0021) / _dns(),
        "pppoe-ipv6": _eth() / _pppoe(0x0057) / _dns(v6=True),
        "vlan": _eth() / Dot1Q(vlan=10) / _dns(),
        "vlan-ipv6": _eth() / Dot1Q(vlan=10) / _dns(v6=True),
        "qinq": _eth() / Dot1AD(vlan=100) / Dot1Q(vlan=10) / _dns(),
        "vlan-pppoe": _eth() / Dot1Q(vlan=7) / _pppoe(0x0021) / _dns(),  # ISPs' VLAN 7 / 35 / 835 + PPPoE
        "llc-snap": Dot3(src=PHONE_A[0], dst=ROUTER[0]) / LLC() / SNAP(OUI=0, code=0x0800) / _dns(),
    }


@pytest.mark.parametrize("kind", list(_frames()))
def test_dns_query_inside_wrapper_is_critical(tmp_path, echap, kind):
    analysis, findings, gaps, _ = _analyze(tmp_path, echap, [_frames()[kind]])
    assert findings == CRITICAL
    assert gaps == []
    assert "network.traffic" in analysis.checked


def test_pppoe_frame_as_the_tester_built_it(tmp_path, echap):
    """The bug report's frame, byte for byte: Ethernet, PPPoE session 0x1234, PPP 0x0021, IPv4/UDP/DNS."""
    raw = bytes(_eth() / _pppoe(0x0021) / _dns())
    assert raw[12:14] == b"\x88\x64" and raw[14:16] == b"\x11\x00" and raw[20:22] == b"\x00\x21"
    from scapy.layers.l2 import Ether

    _, findings, gaps, _ = _analyze(tmp_path, echap, [Ether(raw)])
    assert (findings, gaps) == (CRITICAL, [])


def test_pppoe_with_compressed_ppp_protocol(tmp_path, echap):
    """PPP protocol field compression (RFC 1661): one byte, 0x21, for IPv4."""
    from scapy.layers.l2 import Ether
    from scapy.layers.ppp import PPPoE

    ip = bytes(_dns())
    raw = bytes(_eth() / PPPoE(sessionid=1, len=1 + len(ip))) + b"\x21" + ip
    _, findings, gaps, _ = _analyze(tmp_path, echap, [Ether(raw)])
    assert (findings, gaps) == (CRITICAL, [])


def test_pppoe_in_linux_cooked_capture(tmp_path, echap):
    """`tcpdump -i any` on a router: SLL with protocol 0x8864, the PPPoE header next."""
    from scapy.layers.l2 import CookedLinux

    sll = CookedLinux(pkttype=4, lladdrtype=1, lladdrlen=6, src=bytes.fromhex("02000000000a") + b"\0\0", proto=0x8864)
    _, findings, gaps, _ = _analyze(tmp_path, echap, [sll / _pppoe(0x0021) / _dns()], linktype=113)
    assert (findings, gaps) == (CRITICAL, [])


# ---- not read: said, never dropped ------------------------------------------------------


def test_unknown_ethertype_with_garbage_is_not_checked(tmp_path, echap):
    from scapy.layers.l2 import Ether

    garbage = bytes(range(7, 107))
    pkts = [Ether(src=PHONE_A[0], dst=ROUTER[0], type=0x88B5) / garbage for _ in range(3)]
    analysis, findings, gaps, artifact = _analyze(tmp_path, echap, pkts)
    assert findings == []
    assert gaps == [(_unread(3, "ethertype 0x88b5"), artifact)]
    assert "network.traffic" not in analysis.checked


def test_one_unread_packet_is_said_in_the_singular(tmp_path, echap):
    from scapy.layers.l2 import Ether

    _, _, gaps, artifact = _analyze(tmp_path, echap, [Ether(type=0x88B5) / (b"\xde\xad\xbe\xef" * 10)])
    assert gaps == [("1 packet of a kind techsafe does not read (ethertype 0x88b5) was not checked", artifact)]


def test_findings_from_read_packets_stand_beside_unread_ones(tmp_path, echap):
    from scapy.layers.l2 import Dot1Q, Ether

    pkts = [
        dns_query(T0, PHONE_A, NAME),
        Ether(type=0x8847) / (b"\x00\x01\x41\x40" + bytes(_dns(qid=2))),  # MPLS: not read
        Ether(type=0x8847) / (b"\x00\x01\x41\x40" + bytes(_dns(qid=3))),
        Ether() / Dot1Q(vlan=5, type=0x88B5) / b"garbage-garbage-garbage-garbage-garbage-garbage",
        _eth() / _pppoe(0x00FD) / (b"\x00" * 40),  # PPP compressed datagram (CCP): not read
    ]
    analysis, findings, gaps, artifact = _analyze(tmp_path, echap, pkts)
    assert findings == CRITICAL
    assert gaps == [
        (_unread(4, "ethertype 0x8847: 2; ethertype 0x88b5: 1; PPP protocol 0x00fd in PPPoE: 1"), artifact)
    ]
    assert "network.traffic" not in analysis.checked


def test_arp_only_has_no_unread_line(tmp_path, echap):
    from scapy.layers.l2 import ARP, Ether

    pkts = [
        Ether(src=PHONE_A[0], dst="ff:ff:ff:ff:ff:ff") / ARP(hwsrc=PHONE_A[0], psrc=PHONE_A[1], pdst=ROUTER[1]),
        Ether(src=ROUTER[0], dst=PHONE_A[0])
        / ARP(op=2, hwsrc=ROUTER[0], psrc=ROUTER[1], hwdst=PHONE_A[0], pdst=PHONE_A[1]),
    ]
    _, findings, gaps, _ = _analyze(tmp_path, echap, pkts)
    assert (findings, gaps) == ([], [])


def test_link_control_is_not_a_gap(tmp_path, echap):
    """LLDP, EAPOL, PPPoE discovery, LCP echo in a PPPoE session, STP (802.3 + LLC),
    VLAN-tagged ARP: no IP in any of them, so nothing is said missing."""
    from scapy.layers.l2 import ARP, LLC, STP, Dot1Q, Dot3, Ether
    from scapy.layers.ppp import PPPoED

    pkts = [
        Ether(dst="01:80:c2:00:00:0e", type=0x88CC) / b"\x02\x07\x04\x02\x00\x00\x00\x00\x0a\x00\x00",
        Ether(dst="01:80:c2:00:00:03", type=0x888E) / (b"\x02\x03\x00\x5f" + b"\x00" * 95),
        Ether(dst="ff:ff:ff:ff:ff:ff") / PPPoED(code=0x09),
        _eth() / _pppoe(0xC021) / b"\x09\x01\x00\x08\x00\x00\x00\x00",
        Dot3(dst="01:80:c2:00:00:00") / LLC() / STP(),
        Ether() / Dot1Q(vlan=10) / ARP(psrc=PHONE_A[1], pdst=ROUTER[1]),
    ]
    _, findings, gaps, _ = _analyze(tmp_path, echap, pkts)
    assert (findings, gaps) == ([], [])


def test_matcher_counts_kinds_most_first(echap):
    import io

    from scapy.layers.l2 import Ether
    from scapy.utils import PcapWriter

    from techsafe.scanners.network.traffic import match_capture, unread_kind

    buf = io.BytesIO()
    w = PcapWriter(buf)
    for t in (0x9999, 0x88B5, 0x88B5, 0x0806):
        w.write(Ether(type=t) / (b"\x00" * 46))
    w.flush()
    result = match_capture(io.BytesIO(buf.getvalue()), echap)
    assert result.unread == ((0x88B5, 2), (0x9999, 1))
    assert [unread_kind(k) for k, _ in result.unread] == ["ethertype 0x88b5", "ethertype 0x9999"]
