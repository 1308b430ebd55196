"""A simulated phone on the laptop's hotspot: one burst of real traffic, then exit.

    python sim_phone.py LAPTOP_IP

Run inside the phone's network namespace by test_live_traffic.py. Sends, each
exactly once, to the laptop (the phone's gateway and DNS server):
  - a DNS query (RFC 1035, built by scapy) for a stalkerware C2 domain, then one for a lookalike;
  - a TLS ClientHello from Python's own ssl module (OpenSSL) with the SNI of a C2 subdomain;
  - a QUIC v1 Initial (quic_build.py) with the SNI of another C2 domain.
Nobody answers DNS or QUIC and the TLS server never replies: nothing needs to.
"""

from __future__ import annotations

import socket
import ssl
import sys

import quic_build

LAPTOP = sys.argv[1]
DNS_C2, DNS_BENIGN = "apollospy.com", "notevil-copy9.com"
TLS_C2 = "x1.guestspy.com"
QUIC_C2 = "protocol-a.exactspy.com"


def dns_query(name: str, qid: int) -> bytes:
    from scapy.layers.dns import DNS, DNSQR

    return bytes(DNS(id=qid, rd=1, qd=DNSQR(qname=name)))


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(dns_query(DNS_C2, 1), (LAPTOP, 53))
        udp.sendto(dns_query(DNS_BENIGN, 2), (LAPTOP, 53))
        udp.sendto(quic_build.client_hello_datagrams(QUIC_C2, bytes.fromhex("c0ffee0011223344"))[0], (LAPTOP, 443))
    context = ssl.create_default_context()
    with socket.create_connection((LAPTOP, 443), timeout=2) as raw:
        try:
            with context.wrap_socket(raw, server_hostname=TLS_C2) as tls:
                tls.recv(1)
        except (OSError, ssl.SSLError):
            pass  # the laptop never answers the handshake: the ClientHello is all we need
    print("sent", flush=True)


if __name__ == "__main__":
    main()
