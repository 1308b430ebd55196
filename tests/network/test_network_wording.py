"""Network findings say where they come from, say each gap once, and the
analysis says how many devices answered the scan."""

from __future__ import annotations

import json

from techsafe.case import Case
from techsafe.scanners.network.acquire import collect_dhcp_leases
from techsafe.scanners.network.lan import Lan

LAN = Lan(iface="lo", address="192.168.50.23", network="192.168.50.0/24", mac="", gateway="192.168.50.1")
ROGUE = "203.0.113.53"
TAIL = ", which is neither the router nor a well-known public resolver: whoever runs it can see and redirect the websites devices visit."
ARP = (
    "IP address       HW type     Flags       HW address            Mask     Device\n"
    "192.168.50.1     0x1         0x2         02:00:00:00:00:01     *        lo\n"
    "192.168.50.40    0x1         0x2         02:00:00:00:00:40     *        lo\n"
    "192.168.50.41    0x1         0x2         02:00:00:00:00:41     *        lo\n"
)


def _case(tmp_path) -> Case:
    case = Case.create(tmp_path / "case")
    case.add_artifact("network", "lan.json", json.dumps(LAN.to_json()).encode(), command="test")
    return case


def _analyze(case, echap):
    from techsafe.scanners.network.analyze import analyze

    return analyze(case, echap)


def _dns_titles(case, echap) -> list[str]:
    return [f.title for f in _analyze(case, echap).findings if f.kind == "network.dns.unexpected"]


def test_dns_from_the_laptops_resolv_conf_is_worded_as_the_laptops_setting(tmp_path, echap):
    case = _case(tmp_path)
    case.add_artifact("network", "dns/resolv.conf", f"nameserver {ROGUE}\n".encode(), command="read /etc/resolv.conf", meta={"format": "resolv.conf"})
    assert _dns_titles(case, echap) == [f"This laptop is set to use the DNS server {ROGUE} (from /etc/resolv.conf){TAIL}"]


def test_dns_from_systemd_resolved_names_that_file(tmp_path, echap):
    case = _case(tmp_path)
    case.add_artifact(
        "network", "dns/resolved-uplink.conf", f"nameserver {ROGUE}\n".encode(),
        command="read /run/systemd/resolve/resolv.conf", meta={"format": "resolv.conf"},
    )  # fmt: skip
    assert _dns_titles(case, echap) == [
        f"This laptop is set to use the DNS server {ROGUE} (from /run/systemd/resolve/resolv.conf){TAIL}"
    ]


def test_dns_from_a_dhcp_lease_is_what_the_network_hands_out(tmp_path, echap):
    case = _case(tmp_path)
    folder = tmp_path / "leases"
    folder.mkdir()
    (folder / "internal-x-lo.lease").write_text(f"ADDRESS=192.168.50.23\nROUTER=192.168.50.1\nDNS=192.168.50.1 {ROGUE}\n")
    assert collect_dhcp_leases(case, LAN, places=[(str(folder), r"internal-.*\.lease", "sd-lease")]) == 1
    assert _dns_titles(case, echap) == [f"The network's DHCP hands out the DNS server {ROGUE}{TAIL}"]


def test_no_upnp_gateway_is_said_once_and_devices_answered_is_a_fact(tmp_path, echap):
    case = _case(tmp_path)
    case.add_artifact("network", "neighbours.txt", ARP.encode(), command="read /proc/net/arp", meta={"format": "proc-net-arp"})
    steps = {"privileged": False, "skipped": ["arp-sweep (needs root or CAP_NET_RAW)", "upnp-port-mappings (no UPnP internet gateway answered)"]}
    case.add_artifact("network", "scan-steps.json", json.dumps(steps).encode(), command="techsafe network scan: steps skipped")
    analysis = _analyze(case, echap)
    upnp = [n for n in analysis.not_checked if "UPnP" in n.reason]
    assert [(n.area, n.reason) for n in upnp] == [
        ("network.router", "the router did not answer UPnP port-mapping requests (UPnP off, or not a UPnP router)")
    ]
    assert ("network.scan", "skipped: arp-sweep (needs root or CAP_NET_RAW)") in [(n.area, n.reason) for n in analysis.not_checked]
    assert dict(analysis.device) == {"network.devices_answered": "3"}


def test_no_lan_scan_no_device_fact(tmp_path, echap):
    case = Case.create(tmp_path / "empty")
    assert _analyze(case, echap).device == ()
