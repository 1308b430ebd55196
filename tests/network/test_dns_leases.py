"""DNS servers from DHCP lease files, written by the test in each client's format.

Formats (documented in techsafe/scanners/network/leases.py):
  dhclient   ISC dhclient.leases(5) man page: `lease { ... }` blocks of statements
             (`interface "wlan0";`, `fixed-address A;`, `option domain-name-servers A, B;`),
             appended oldest first.
  sd-lease   systemd's sd-dhcp lease file (src/libsystemd-network/sd-dhcp-lease.c,
             dhcp_lease_save): KEY=VALUE lines, DNS= space separated. Written by
             systemd-networkd (/run/systemd/netif/leases/<ifindex>) and NetworkManager's
             internal client (internal-<uuid>-<iface>.lease).
  dhcpcd     the DHCPACK message itself (RFC 2131, RFC 2132), written here by scapy.
Addresses are documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24)
and RFC 1918 ones that exist only in these files.
"""

from __future__ import annotations

import json
import os
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from techsafe.case import Case
from techsafe.scanners.network import leases
from techsafe.scanners.network.acquire import collect_dhcp_leases
from techsafe.scanners.network.lan import Lan

# The laptop is on "lo" here only because every machine has it, with ifindex 1
# in /sys/class/net: nothing is sent anywhere, the test only reads files.
LAN = Lan(iface="lo", address="192.168.50.23", network="192.168.50.0/24", mac="", gateway="192.168.50.1")
ROGUE = "203.0.113.53"
UUID = "5f1d2c8e-6a7b-4c3d-9e0f-1a2b3c4d5e6f"

DHCLIENT = f"""default-duid "\\000\\001\\000\\001+\\266\\021\\202RT\\000\\022\\064V";
lease {{
  interface "lo";
  fixed-address 10.9.8.77;
  option subnet-mask 255.255.255.0;
  option routers 10.9.8.1;
  option domain-name-servers 10.9.8.53;
  option domain-name "cafe.example";
  renew 1 2024/01/01 10:00:00;
}}
lease {{
  interface "lo";
  fixed-address 192.168.50.23;
  option routers 192.168.50.1;
  option domain-name-servers 192.168.50.1;
  option host-name "laptop";
  renew 2 2024/02/06 10:00:00;
}}
lease {{
  interface "eth9";
  fixed-address 192.168.50.99;
  option domain-name-servers 198.51.100.99;
}}
lease {{
  interface "lo";
  fixed-address 192.168.50.23;
  option subnet-mask 255.255.255.0;
  option routers 192.168.50.1;
  option domain-name-servers 192.168.50.1, {ROGUE},8.8.8.8;
  option dhcp-server-identifier 192.168.50.1;
  option vendor-encapsulated-options "a;b{{c}}";
  renew 3 2024/03/06 10:00:00;
  rebind 3 2024/03/06 20:00:00;
  expire 4 2024/03/07 01:00:00;
}}
"""

SD_LEASE = f"""# This is private data. Do not parse.
ADDRESS=192.168.50.23
NETMASK=255.255.255.0
ROUTER=192.168.50.1
SERVER_ADDRESS=192.168.50.1
T1=43200
T2=75600
LIFETIME=86400
DNS=192.168.50.1 {ROGUE}
DOMAINNAME=home.example
CLIENTID=ff5e1a0e2b000200000ab11c3f7d12345678
"""


def dhcpcd_message(address: str, dns: list[str]) -> bytes:
    from scapy.layers.dhcp import BOOTP, DHCP

    return bytes(
        BOOTP(op=2, yiaddr=address, siaddr="192.168.50.1", chaddr=bytes.fromhex("020000000023") + bytes(10))
        / DHCP(options=[("message-type", "ack"), ("router", "192.168.50.1"), ("name_server", *dns), ("lease_time", 86400), "end"])
    )


def _collect(tmp_path, files: dict[str, bytes], fmt: str, pattern: str) -> Case:
    folder = tmp_path / "leases"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    case = Case.create(tmp_path / "case")
    case.add_artifact("network", "lan.json", json.dumps(LAN.to_json()).encode(), command="test")
    collect_dhcp_leases(case, LAN, places=[(str(folder), pattern, fmt)])
    return case


def _dns_findings(case, echap):
    from techsafe.scanners.network.analyze import analyze

    return [
        (f.subject, f.fact("seen_in"), tuple((e.artifact, e.excerpt) for e in f.evidence))
        for f in analyze(case, echap).findings
        if f.kind == "network.dns.unexpected"
    ]


@pytest.mark.parametrize(
    "files,fmt,pattern,artifact",
    [
        ({"dhclient.lo.leases": DHCLIENT.encode()}, "dhclient", r"dhclient.*\.leases?", "lease-1-dhclient.txt"),
        ({"dhclient.leases": DHCLIENT.encode()}, "dhclient", r"dhclient.*\.leases?", "lease-1-dhclient.txt"),
        ({f"internal-{UUID}-lo.lease": SD_LEASE.encode()}, "sd-lease", r"internal-.*\.lease", "lease-1-sd-lease.txt"),
        ({"1": SD_LEASE.encode(), "2": SD_LEASE.replace(ROGUE, "198.51.100.2").encode()}, "sd-lease", r"[0-9]+", "lease-1-sd-lease.txt"),
        ({"lo.lease": dhcpcd_message("192.168.50.23", ["192.168.50.1", ROGUE])}, "dhcpcd", r"[^.]+\.lease", "lease-1-dhcpcd.bin"),
    ],
    ids=["dhclient-per-iface", "dhclient-shared-file", "networkmanager-internal", "networkd-by-ifindex", "dhcpcd"],
)
def test_lease_dns_server_is_flagged(tmp_path, echap, files, fmt, pattern, artifact):
    case = _collect(tmp_path, files, fmt, pattern)
    path = f"artifacts/network/dns/{artifact}"
    assert [r.path for r in case.artifacts("network") if "/dns/" in r.path] == [path]  # networkd "2" is another interface
    assert _dns_findings(case, echap) == [(ROGUE, f"DHCP lease ({fmt})", ((path, f"DNS server {ROGUE}"),))]


def test_leases_of_other_networks_and_interfaces_are_not_copied(tmp_path, echap):
    elsewhere = DHCLIENT.replace("192.168.50.", "172.16.5.")
    case = _collect(
        tmp_path,
        {
            "dhclient.lo.leases": elsewhere.encode(),  # this interface, but only other networks
            f"internal-{UUID}-wlan7.lease": SD_LEASE.encode(),  # another interface
            "dhclient.leases": b"lease {\n  interface \"lo\";\n  fixed-address 192.168.50.23;\n",  # never closed
        },
        "dhclient",
        r".*\.leases?",
    )
    assert [r.path for r in case.artifacts("network")] == ["artifacts/network/lan.json"]
    assert _dns_findings(case, echap) == []


def test_the_newest_lease_file_wins(tmp_path, echap):
    """An old dhclient lease on the same network (since replaced by NetworkManager's own client)
    named another server: only the newest lease says what the network hands out now."""
    old = DHCLIENT.replace(ROGUE, "198.51.100.77")
    folder = tmp_path / "nm"
    folder.mkdir()
    (folder / f"dhclient-{UUID}-lo.lease").write_text(old)
    (folder / f"internal-{UUID}-lo.lease").write_text(SD_LEASE)
    now = time.time()
    os.utime(folder / f"dhclient-{UUID}-lo.lease", (now - 86400 * 30, now - 86400 * 30))
    case = Case.create(tmp_path / "case")
    case.add_artifact("network", "lan.json", json.dumps(LAN.to_json()).encode(), command="test")
    n = collect_dhcp_leases(
        case, LAN, places=[(str(folder), r"dhclient-.*\.lease", "dhclient"), (str(folder), r"internal-.*\.lease", "sd-lease")]
    )
    assert n == 2
    assert [(s, origin) for s, origin, _e in _dns_findings(case, echap)] == [(ROGUE, "DHCP lease (sd-lease)")]


def test_resolv_conf_and_lease_naming_the_same_server_give_one_finding(tmp_path, echap):
    case = _collect(tmp_path, {f"internal-{UUID}-lo.lease": SD_LEASE.encode()}, "sd-lease", r"internal-.*\.lease")
    case.add_artifact("network", "dns/resolv.conf", f"nameserver 127.0.0.53\nnameserver {ROGUE}\n".encode(), command="test", meta={"format": "resolv.conf"})
    ((subject, seen_in, evidence),) = _dns_findings(case, echap)
    assert (subject, seen_in) == (ROGUE, "resolv.conf, DHCP lease (sd-lease)")
    assert sorted(evidence) == [
        ("artifacts/network/dns/lease-1-sd-lease.txt", f"DNS server {ROGUE}"),
        ("artifacts/network/dns/resolv.conf", f"nameserver {ROGUE}"),
    ]


def test_parsers_read_exactly_what_the_files_say():
    got = leases.dhclient_leases(DHCLIENT.encode())
    assert got == [
        leases.Lease("lo", "10.9.8.77", ("10.9.8.53",), ("10.9.8.1",)),
        leases.Lease("lo", "192.168.50.23", ("192.168.50.1",), ("192.168.50.1",)),
        leases.Lease("eth9", "192.168.50.99", ("198.51.100.99",), ()),
        leases.Lease("lo", "192.168.50.23", ("192.168.50.1", ROGUE, "8.8.8.8"), ("192.168.50.1",)),
    ]
    assert leases.current_lease(got, "lo", "192.168.50.0/24") == got[3]
    assert leases.current_lease(got, "lo", "10.9.8.0/24") == got[0]
    assert leases.sd_lease(SD_LEASE.encode(), "wlan0") == [leases.Lease("wlan0", "192.168.50.23", ("192.168.50.1", ROGUE), ("192.168.50.1",))]
    assert leases.dhcp_message_lease(dhcpcd_message("192.168.50.23", ["192.168.50.1", ROGUE])) == [
        leases.Lease("", "192.168.50.23", ("192.168.50.1", ROGUE), ("192.168.50.1",))
    ]
    assert leases.iface_from_name(f"internal-{UUID}-wlp2s0.lease", "sd-lease") == "wlp2s0"
    assert leases.iface_from_name("wlan0-Home Wifi.lease", "dhcpcd") == "wlan0"
    assert leases.iface_from_name("dhclient.leases", "dhclient") == ""


def test_hostile_lease_files_are_fast_and_harmless():
    unclosed = b"lease {\n" * 40000  # 320 KB of blocks that never close
    started = time.monotonic()
    assert leases.parse_leases(unclosed, "dhclient") == []
    braces = b"lease { " + b'"{' * 50000
    assert leases.parse_leases(braces, "dhclient") == []
    assert time.monotonic() - started < 2.0


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=700), st.sampled_from(leases.FORMATS))
def test_random_bytes_never_crash(junk, fmt):
    for prefix in (b"", b"lease {\n", b"ADDRESS=192.168.50.2\nDNS=", bytes([2]) + bytes(235) + b"\x63\x82\x53\x63"):
        for lease in leases.parse_leases(prefix + junk, fmt):
            assert isinstance(lease.dns, tuple) and len(lease.dns) <= 16
