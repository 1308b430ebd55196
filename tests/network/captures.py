"""Traffic captures written by the tests with scapy.

Formats: pcap (draft-ietf-opsawg-pcap), pcapng (draft-ietf-opsawg-pcapng),
both written by scapy's own writers so our reader is checked against an
independent implementation. Addresses are documentation ranges
(192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32) except the feed's C2 IPs,
which only ever appear inside these files.
"""

from __future__ import annotations

from pathlib import Path

T0 = 1_700_000_000.0
PHONE_A = ("02:00:00:00:00:0a", "192.0.2.10")
PHONE_B = ("02:00:00:00:00:0b", "192.0.2.11")
ROUTER = ("02:00:00:00:00:01", "192.0.2.1")
C2_IP = "69.64.81.49"  # Echap: TheTruthSpy c2.ips
NOT_C2_IP = "69.64.81.50"


def client_hello(sni: str, padding: int = 0) -> bytes:
    """A TLS 1.2 record holding a ClientHello; `padding` bytes of an RFC 7685
    padding extension go before server_name, to push the name into a later
    TCP segment as large post-quantum hellos do."""
    from scapy.layers.tls.extensions import ServerName, TLS_Ext_Padding, TLS_Ext_ServerName
    from scapy.layers.tls.handshake import TLSClientHello
    from scapy.layers.tls.record import TLS

    ext = [TLS_Ext_ServerName(servernames=[ServerName(servername=sni.encode())])]
    if padding:
        ext.insert(0, TLS_Ext_Padding(padding=b"\x00" * padding))
    return bytes(TLS(msg=[TLSClientHello(ext=ext)]))


def _eth(src, dst):
    from scapy.layers.l2 import Ether

    return Ether(src=src[0], dst=dst[0])


def _ip(src, dst_ip):
    from scapy.layers.inet import IP

    return IP(src=src[1], dst=dst_ip)


def dns_query(t, dev, name, qid=1):
    from scapy.layers.dns import DNS, DNSQR
    from scapy.layers.inet import UDP

    p = _eth(dev, ROUTER) / _ip(dev, ROUTER[1]) / UDP(sport=40000 + qid, dport=53) / DNS(id=qid, rd=1, qd=DNSQR(qname=name))
    p.time = t
    return p


def dns_answer(t, dev, name, answers, qid=1):
    """answers: list of (rrname, type, rdata)."""
    from scapy.layers.dns import DNS, DNSQR, DNSRR
    from scapy.layers.inet import UDP

    an = [DNSRR(rrname=n, type=ty, rdata=r, ttl=60) for n, ty, r in answers]
    p = (
        _eth(ROUTER, dev)
        / IP_(ROUTER[1], dev[1])
        / UDP(sport=53, dport=40000 + qid)
        / DNS(id=qid, qr=1, ra=1, qd=DNSQR(qname=name), an=an)
    )
    p.time = t
    return p


def IP_(src_ip, dst_ip):
    from scapy.layers.inet import IP

    return IP(src=src_ip, dst=dst_ip)


def tcp(t, dev, dst_ip, payload=b"", flags="PA", sport=50000, dport=443, seq=1000, reply=False):
    from scapy.layers.inet import TCP

    if reply:
        p = _eth(ROUTER, dev) / IP_(dst_ip, dev[1]) / TCP(sport=dport, dport=sport, flags=flags, seq=seq)
    else:
        p = _eth(dev, ROUTER) / _ip(dev, dst_ip) / TCP(sport=sport, dport=dport, flags=flags, seq=seq)
    if payload:
        p = p / payload
    p.time = t
    return p


def phone_traffic() -> list:
    """The scenario: what two phones on one Wi-Fi sent, with C2 contacts and lookalikes."""
    pkts = []
    # Phone A looks up a Reptilicus C2 domain (exact) and gets an answer.
    pkts.append(dns_query(T0 + 1, PHONE_A, "apollospy.com", qid=1))
    pkts.append(dns_answer(T0 + 1.02, PHONE_A, "apollospy.com", [("apollospy.com", "A", "198.51.100.7")], qid=1))
    # Phone A: TLS to a subdomain of a TheTruthSpy C2 domain.
    pkts.append(tcp(T0 + 2, PHONE_A, "198.51.100.8", client_hello("x1.guestspy.com"), sport=50001))
    # Phone A: HTTP to a C2 domain with a port in the Host header.
    http = b"POST /upload HTTP/1.1\r\nUser-Agent: a\r\nHost: ICLOUDAPPE.com:8080\r\nContent-Length: 0\r\n\r\n"
    pkts.append(tcp(T0 + 3, PHONE_A, "198.51.100.9", http, sport=50002, dport=8080))
    # Phone A: a harmless name whose CNAME is a C2 domain.
    pkts.append(dns_query(T0 + 4, PHONE_A, "help.example.net", qid=2))
    pkts.append(
        dns_answer(
            T0 + 4.01,
            PHONE_A,
            "help.example.net",
            [("help.example.net", "CNAME", "media-sync-a.exactspy.com"), ("media-sync-a.exactspy.com", "A", "198.51.100.10")],
            qid=2,
        )
    )
    # Phone B: plain TCP to a C2 IP (3 packets out, 2 back).
    pkts.append(tcp(T0 + 5, PHONE_B, C2_IP, flags="S", sport=50100, seq=0))
    pkts.append(tcp(T0 + 5.1, PHONE_B, C2_IP, flags="SA", sport=50100, seq=0, reply=True))
    pkts.append(tcp(T0 + 5.2, PHONE_B, C2_IP, flags="A", sport=50100, seq=1))
    pkts.append(tcp(T0 + 5.3, PHONE_B, C2_IP, b"\x00\x01hello", sport=50100, seq=1))
    pkts.append(tcp(T0 + 5.4, PHONE_B, C2_IP, flags="A", sport=50100, seq=1, reply=True))
    # Phone B: a ClientHello split over two TCP segments, the name in the second.
    hello = client_hello("1ca43.appspot.com", padding=1400)
    pkts.append(tcp(T0 + 6, PHONE_B, "198.51.100.11", hello[:1200], sport=50101, seq=5000))
    pkts.append(tcp(T0 + 6.01, PHONE_B, "198.51.100.11", hello[1200:], sport=50101, seq=5000 + 1200))
    # Benign lookalikes: none of these may match.
    pkts.append(dns_query(T0 + 7, PHONE_A, "notevil-copy9.com", qid=3))
    pkts.append(tcp(T0 + 8, PHONE_A, "198.51.100.12", client_hello("copy9.com.example.org"), sport=50003))
    pkts.append(tcp(T0 + 9, PHONE_A, "198.51.100.13", b"GET / HTTP/1.1\r\nHost: xguestspy.com\r\n\r\n", sport=50004, dport=80))
    pkts.append(dns_query(T0 + 10, PHONE_B, "guestspy.com.example.org", qid=4))
    pkts.append(tcp(T0 + 11, PHONE_B, NOT_C2_IP, flags="S", sport=50102, seq=0))
    pkts.append(dns_query(T0 + 12, PHONE_B, "appspot.com", qid=5))
    # Phone A again, later: the same C2 domain (first/last/count must span both).
    pkts.append(dns_query(T0 + 20, PHONE_A, "APOLLOSPY.COM.", qid=6))
    return pkts


def expected_contacts() -> dict[str, dict]:
    """indicator value -> what the report must say (observed names, via, count, devices, first, last)."""
    a = PHONE_A
    b = PHONE_B
    return {
        # Two lookups (T0+1 and T0+20): the answer at T0+1.02 is part of the first, not a third contact.
        "apollospy.com": dict(app="Reptilicus", count=2, via=("dns-answer", "dns-query"), devices=(a,), first=T0 + 1, last=T0 + 20),
        "guestspy.com": dict(app="TheTruthSpy", count=1, via=("tls-sni",), devices=(a,), first=T0 + 2, last=T0 + 2),
        "icloudappe.com": dict(app="TheTruthSpy", count=1, via=("http-host",), devices=(a,), first=T0 + 3, last=T0 + 3),
        "media-sync-a.exactspy.com": dict(app="TheTruthSpy", count=1, via=("dns-answer",), devices=(a,), first=T0 + 4.01, last=T0 + 4.01),
        C2_IP: dict(app="TheTruthSpy", count=3, via=("ip",), devices=(b,), first=T0 + 5, last=T0 + 5.3),
        "1ca43.appspot.com": dict(app="TheTruthSpy", count=1, via=("tls-sni",), devices=(b,), first=T0 + 6.01, last=T0 + 6.01),
    }


def write_pcap(path: Path, packets, linktype=None) -> Path:
    from scapy.utils import PcapWriter

    with PcapWriter(str(path), sync=False, linktype=linktype) as w:
        for p in packets:
            w.write(p)
    return path


def write_pcapng(path: Path, packets) -> Path:
    from scapy.utils import PcapNgWriter

    with PcapNgWriter(str(path)) as w:
        for p in packets:
            w.write(p)
    return path
