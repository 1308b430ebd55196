"""DHCP lease files: which DNS servers the home network handed this laptop.

resolv.conf may only show a local stub (systemd-resolved's 127.0.0.53,
NetworkManager's dnsmasq); the lease says what the network's DHCP server
actually offered. Pure parsers; every file is treated as hostile (bounded
size and counts, bad entries skipped, never an exception).

Formats read (all plain files written by the DHCP client on this laptop):

  dhclient   ISC dhclient.leases(5): `lease { interface "eth0"; fixed-address A;
             option domain-name-servers A, B; option routers R; ... }`, blocks
             appended in time order. Debian/Ubuntu /var/lib/dhcp/dhclient*.leases,
             Fedora /var/lib/dhclient/, NetworkManager's dhclient backend
             /var/lib/NetworkManager/dhclient-<uuid>-<iface>.lease.
  sd-lease   systemd's sd-dhcp lease (KEY=VALUE lines: ADDRESS=, ROUTER=,
             DNS=A B ...), written by systemd-networkd to
             /run/systemd/netif/leases/<ifindex> and by NetworkManager's
             internal client to /var/lib/NetworkManager/internal-<uuid>-<iface>.lease.
  dhcpcd     dhcpcd's <iface>.lease: the raw DHCPACK message (RFC 2131 section 2
             fixed fields, RFC 2132 options: 6 = DNS servers, 3 = routers).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

MAX_FILE = 256 * 1024
MAX_LEASES = 256
FORMATS = ("dhclient", "sd-lease", "dhcpcd")


@dataclass(frozen=True)
class Lease:
    iface: str  # "" when the file does not say
    address: str  # the address leased to this laptop
    dns: tuple[str, ...]
    routers: tuple[str, ...] = ()


def _ips(values) -> tuple[str, ...]:
    out = []
    for v in values:
        try:
            out.append(str(ipaddress.ip_address(v.strip().strip('"').split("%", 1)[0])))
        except ValueError:
            continue
    return tuple(dict.fromkeys(out))[:16]


# ---- ISC dhclient ----------------------------------------------------------------


_LEASE_START = re.compile(r"(?m)^[ \t]*lease[ \t]*\{")


def _blocks(text: str) -> list[str]:
    """Bodies of the top-level `lease { ... }` blocks (quotes and nested braces respected).

    One pass over the text: an unclosed block ends the search.
    """
    out = []
    start = 0
    while len(out) < MAX_LEASES:
        m = _LEASE_START.search(text, start)
        if m is None:
            break
        depth, pos, quoted = 1, m.end(), False
        while pos < len(text) and depth:
            c = text[pos]
            if c == '"' and text[pos - 1] != "\\":
                quoted = not quoted
            elif not quoted:
                depth += c == "{"
                depth -= c == "}"
            pos += 1
        if depth:
            break
        out.append(text[m.end() : pos - 1])
        start = pos
    return out


def dhclient_leases(raw: bytes) -> list[Lease]:
    text = raw[:MAX_FILE].decode("utf-8", "replace")
    out = []
    for body in _blocks(text):
        iface = address = ""
        dns: tuple[str, ...] = ()
        routers: tuple[str, ...] = ()
        for statement in body.split(";"):
            words = statement.split(None, 2)
            if len(words) >= 2 and words[0] == "interface":
                iface = words[1].strip('"')[:32]
            elif len(words) >= 2 and words[0] == "fixed-address":
                address = next(iter(_ips([words[1]])), "")
            elif len(words) == 3 and words[0] == "option" and words[1] == "domain-name-servers":
                dns = _ips(words[2].split(","))
            elif len(words) == 3 and words[0] == "option" and words[1] == "routers":
                routers = _ips(words[2].split(","))
        if address:
            out.append(Lease(iface, address, dns, routers))
    return out


# ---- systemd sd-dhcp lease (networkd, NetworkManager internal) ------------------


def sd_lease(raw: bytes, iface: str = "") -> list[Lease]:
    values: dict[str, str] = {}
    for line in raw[:MAX_FILE].decode("utf-8", "replace").splitlines()[:500]:
        key, sep, value = line.partition("=")
        if sep and not key.startswith("#"):
            values[key.strip()] = value.strip().strip('"')
    address = next(iter(_ips([values.get("ADDRESS", "")])), "")
    if not address:
        return []
    return [Lease(iface, address, _ips(values.get("DNS", "").split()), _ips(values.get("ROUTER", "").split()))]


# ---- dhcpcd: a raw DHCP message -------------------------------------------------

_COOKIE = b"\x63\x82\x53\x63"


def dhcp_message_lease(raw: bytes, iface: str = "") -> list[Lease]:
    if len(raw) < 240 or raw[236:240] != _COOKIE or raw[0] != 2:  # op 2 = BOOTREPLY
        return []
    address = str(ipaddress.IPv4Address(raw[16:20]))
    options: dict[int, bytes] = {}
    pos = 240
    end = min(len(raw), 240 + 4096)
    while pos < end:
        code = raw[pos]
        if code == 0:
            pos += 1
            continue
        if code == 255 or pos + 1 >= end:
            break
        length = raw[pos + 1]
        data = raw[pos + 2 : pos + 2 + length]
        if len(data) < length:
            break
        options[code] = options.get(code, b"") + data  # RFC 3396: repeated options concatenate
        pos += 2 + length

    def addresses(code: int) -> tuple[str, ...]:
        data = options.get(code, b"")
        return tuple(dict.fromkeys(str(ipaddress.IPv4Address(data[i : i + 4])) for i in range(0, len(data) - 3, 4)))[:16]

    if address == "0.0.0.0":
        return []
    return [Lease(iface, address, addresses(6), addresses(3))]


def parse_leases(raw: bytes, fmt: str, iface: str = "") -> list[Lease]:
    """Every lease in a file of format `fmt`, oldest first; [] when unreadable."""
    try:
        if fmt == "dhclient":
            return dhclient_leases(raw)
        if fmt == "sd-lease":
            return sd_lease(raw, iface)
        if fmt == "dhcpcd":
            return dhcp_message_lease(raw, iface)
    except (ValueError, IndexError):
        return []
    return []


def current_lease(leases: list[Lease], iface: str, network: str) -> Lease | None:
    """The newest lease for `iface` (when the file names one) inside `network`:
    older leases from other networks this laptop joined say nothing about this one."""
    try:
        net = ipaddress.ip_network(network)
    except ValueError:
        return None
    for lease in reversed(leases):
        if lease.iface and iface and lease.iface != iface:
            continue
        try:
            if ipaddress.ip_address(lease.address) in net:
                return lease
        except ValueError:
            continue
    return None


# ---- where the files are ----------------------------------------------------------

# (directory, file-name pattern, format)
PLACES: tuple[tuple[str, str, str], ...] = (
    ("/var/lib/dhcp", r"dhclient.*\.leases?", "dhclient"),
    ("/var/lib/dhclient", r".*\.leases?", "dhclient"),
    ("/var/lib/NetworkManager", r"dhclient-.*\.lease", "dhclient"),
    ("/var/lib/NetworkManager", r"internal-.*\.lease", "sd-lease"),
    ("/run/systemd/netif/leases", r"[0-9]+", "sd-lease"),
    ("/var/lib/dhcpcd", r"[^.]+\.lease", "dhcpcd"),
    ("/var/db/dhcpcd", r"[^.]+\.lease", "dhcpcd"),
)


def iface_from_name(name: str, fmt: str) -> str:
    """The interface a lease file is for, when its name says so ("" if not).

    NetworkManager: <kind>-<36-char connection uuid>-<iface>.lease;
    Debian dhclient: dhclient.<iface>.leases; dhcpcd: <iface>.lease or
    <iface>-<ssid>.lease. networkd names its files by ifindex (the caller
    compares that with the interface's own).
    """
    m = re.fullmatch(r"(?:internal|dhclient)-[0-9a-fA-F-]{36}-(.+)\.lease", name)
    if m:
        return m.group(1)
    m = re.fullmatch(r"dhclient[.-](.+)\.leases?", name)
    if m and fmt == "dhclient":
        return m.group(1)
    if fmt == "dhcpcd":
        return name.split(".", 1)[0].split("-", 1)[0]
    return ""
