"""The local subnet to scan: the chosen interface's own IPv4 network, nothing beyond.

Scanning is limited to private (RFC 1918, link-local, documentation) ranges of
at most MAX_HOSTS addresses: a caseworker's laptop must never sweep someone
else's public network by mistake.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
from dataclasses import dataclass

MAX_HOSTS = 1024


class LanError(Exception):
    """The interface cannot be scanned, with a one-line reason."""


@dataclass(frozen=True)
class Lan:
    iface: str
    address: str
    network: str  # CIDR
    mac: str
    gateway: str  # "" when there is no default route on this interface

    def to_json(self) -> dict:
        return {"iface": self.iface, "address": self.address, "network": self.network, "mac": self.mac, "gateway": self.gateway}


def _ip_json(*args: str) -> list:
    try:
        out = subprocess.run(["ip", "-j", *args], capture_output=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise LanError(f"cannot read interfaces with `ip` ({type(exc).__name__})") from None
    try:
        data = json.loads(out or b"[]")
    except ValueError:
        raise LanError("cannot read interfaces: `ip -j` gave unreadable output") from None
    return data if isinstance(data, list) else []


def default_iface() -> str:
    for route in _ip_json("-4", "route", "show", "default"):
        if isinstance(route, dict) and route.get("dev"):
            return str(route["dev"])
    raise LanError("no default route: connect to the home Wi-Fi first, or name the interface with --iface")


def check_scannable(network: ipaddress.IPv4Network) -> None:
    if not (network.is_private or network.is_link_local) or network.is_loopback:
        raise LanError(f"{network} is not a private home network; techsafe only scans private address ranges")
    if network.num_addresses > MAX_HOSTS:
        raise LanError(f"{network} has {network.num_addresses} addresses; techsafe scans home networks of at most {MAX_HOSTS}")


def resolve_lan(iface: str | None) -> Lan:
    iface = iface or default_iface()
    links = _ip_json("addr", "show", "dev", iface)
    if not links:
        raise LanError(f"interface {iface} not found")
    link = links[0]
    addr = next((a for a in link.get("addr_info", ()) if a.get("family") == "inet"), None)
    if addr is None:
        raise LanError(f"interface {iface} has no IPv4 address")
    iface_addr = ipaddress.ip_interface(f"{addr['local']}/{addr['prefixlen']}")
    check_scannable(iface_addr.network)
    gateway = ""
    for route in _ip_json("-4", "route", "show", "default", "dev", iface):
        gw = route.get("gateway") if isinstance(route, dict) else None
        if gw and ipaddress.ip_address(gw) in iface_addr.network:
            gateway = gw
            break
    return Lan(iface, str(iface_addr.ip), str(iface_addr.network), str(link.get("address", "")), gateway)


def in_lan(lan_network: str, host: str) -> bool:
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(lan_network)
    except ValueError:
        return False
