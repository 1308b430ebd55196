"""LAN discovery: ask the home network what is on it, store every answer raw.

Read-only and polite: ARP who-has, mDNS / SSDP / WS-Discovery queries, HTTP GET
of the UPnP description each device advertises, TCP connect (no data) to a few
camera ports, the router's UPnP IGD port-mapping list, and this laptop's own
DNS settings and DHCP lease files (leases.py). No logins, no
password guessing, nothing outside the interface's own subnet.

Everything received is stored as an artifact (source "network"); analysis
(inventory.py, checks.py) reads only those artifacts.
"""

from __future__ import annotations

import json
import os
import select
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Callable

from techsafe.scanners.network.lan import Lan, in_lan, resolve_lan

if TYPE_CHECKING:
    from techsafe.case import Case

SOURCE = "network"
MDNS_GROUP = ("224.0.0.251", 5353)
SSDP_GROUP = ("239.255.255.250", 1900)
WSD_GROUP = ("239.255.255.250", 3702)
LISTEN_S = 2.0
MAX_RESPONSES = 256
MAX_BODY = 256 * 1024
# RTSP, alt RTSP, HTTP(S) admin pages, Hikvision SDK, Dahua, XMEye, RTMP.
CAMERA_PORTS = (554, 8554, 80, 443, 8000, 8080, 8443, 37777, 34567, 1935)
MDNS_SERVICES = (
    "_services._dns-sd._udp.local",
    "_hap._tcp.local",
    "_googlecast._tcp.local",
    "_rtsp._tcp.local",
    "_onvif._tcp.local",
    "_axis-video._tcp.local",
    "_airplay._tcp.local",
)
MAX_MAPPINGS = 512


def has_raw_sockets() -> bool:
    """CAP_NET_RAW in the effective set (bit 13): root usually has it, but a
    container's root may not, and a non-root user may have been granted it."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) & (1 << 13))
    except (OSError, ValueError):
        pass
    return hasattr(os, "geteuid") and os.geteuid() == 0


def scan_network(case: "Case", iface: str | None, privileged: bool | None = None, progress: Callable[[str], None] | None = None) -> list[str]:
    """Discover the LAN of `iface` (default route's interface when None).

    Returns the names of steps skipped or incomplete. Raises lan.LanError when
    the interface cannot be scanned at all.
    """
    say = progress or (lambda _msg: None)
    lan = resolve_lan(iface)
    if privileged is None:
        privileged = has_raw_sockets()
    skipped: list[str] = []
    _store_json(case, "lan.json", lan.to_json(), "ip -j addr/route")

    if privileged:
        say("ARP sweep")
        if not _arp_sweep(case, lan):
            skipped.append("arp-sweep")
    else:
        skipped.append("arp-sweep (needs root or CAP_NET_RAW)")

    say("mDNS, SSDP / UPnP, ONVIF WS-Discovery")
    answers = _multicast_queries(
        case,
        lan,
        [
            ("mdns", MDNS_GROUP, _mdns_query(), "mDNS query " + " ".join(MDNS_SERVICES), ".bin"),
            ("ssdp", SSDP_GROUP, _ssdp_search(), "SSDP M-SEARCH ssdp:all", ".txt"),
            ("wsd", WSD_GROUP, _wsd_probe(), "WS-Discovery Probe NetworkVideoTransmitter", ".xml"),
        ],
    )
    ssdp = answers["ssdp"]
    descriptions = _fetch_descriptions(case, lan, ssdp)
    say("router port mappings")
    if not router_port_mappings(case, lan, descriptions):
        skipped.append("upnp-port-mappings (no UPnP internet gateway answered)")
    say("camera ports")
    _tcp_probe(case, lan, _known_hosts(case, lan))
    _store_neighbours(case)
    _store_dns_config(case)
    collect_dhcp_leases(case, lan)
    # What this scan could not do, kept with the case so every later analysis says it.
    _store_json(case, "scan-steps.json", {"privileged": privileged, "skipped": skipped}, "techsafe network scan: steps skipped")
    case.log("network-scan", privileged=privileged, skipped=len(skipped))
    return skipped


# ---- storage -----------------------------------------------------------------


def _store_json(case: "Case", name: str, obj, command: str, **meta) -> None:
    case.add_artifact(SOURCE, name, (json.dumps(obj, indent=1, sort_keys=True) + "\n").encode(), command=command, meta=meta)


def _store_neighbours(case: "Case") -> None:
    try:
        with open("/proc/net/arp", "rb") as fh:
            data = fh.read(MAX_BODY)
    except OSError:
        return
    case.add_artifact(SOURCE, "neighbours.txt", data, command="read /proc/net/arp", meta={"format": "proc-net-arp"})


def _store_dns_config(case: "Case") -> None:
    for path, name in (("/etc/resolv.conf", "resolv.conf"), ("/run/systemd/resolve/resolv.conf", "resolved-uplink.conf")):
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_BODY)
        except OSError:
            continue
        case.add_artifact(SOURCE, f"dns/{name}", data, command=f"read {path}", meta={"format": "resolv.conf"})


def collect_dhcp_leases(case: "Case", lan: Lan, places=None) -> int:
    """Store the DHCP lease files of this LAN's interface that hold a lease
    inside the LAN (DNS servers the network handed out). Returns how many.

    Lease files also remember other networks this laptop joined; a file with
    no lease on this LAN is not copied into the case.
    """
    import re
    from pathlib import Path

    from techsafe.scanners.network.leases import PLACES, current_lease, iface_from_name, parse_leases

    ifindex = ""
    try:
        ifindex = Path(f"/sys/class/net/{lan.iface}/ifindex").read_text().strip()
    except OSError:
        pass
    stored = 0
    for folder, pattern, fmt in places if places is not None else PLACES:
        try:
            names = sorted(p.name for p in Path(folder).iterdir() if p.is_file() and re.fullmatch(pattern, p.name))
        except OSError:  # absent, or not readable without root: nothing to say
            continue
        for name in names[:32]:
            if fmt == "sd-lease" and name.isdigit():
                if name != ifindex:
                    continue
                iface = lan.iface
            else:
                iface = iface_from_name(name, fmt)
                if iface and iface != lan.iface:
                    continue
            path = Path(folder) / name
            try:
                with open(path, "rb") as fh:
                    data = fh.read(MAX_BODY)
                mtime = path.stat().st_mtime
            except OSError:
                continue
            if current_lease(parse_leases(data, fmt, iface), lan.iface, lan.network) is None:
                continue
            stored += 1
            case.add_artifact(
                SOURCE,
                f"dns/lease-{stored}-{fmt}" + (".bin" if fmt == "dhcpcd" else ".txt"),
                data,
                command=f"read {path}",
                meta={"format": fmt, "iface": iface, "mtime": mtime},
            )
    return stored


# ---- ARP ---------------------------------------------------------------------


def _arp_sweep(case: "Case", lan: Lan) -> bool:
    try:
        from scapy.layers.l2 import ARP, Ether
        from scapy.sendrecv import srp
    except ImportError:
        return False
    started = time.monotonic()
    try:
        answered, _ = srp(
            Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(pdst=lan.network),
            iface=lan.iface,
            timeout=LISTEN_S,
            verbose=0,
        )
    except (OSError, PermissionError):
        return False
    hosts = sorted({(r.psrc, r.hwsrc.lower()) for _s, r in answered if in_lan(lan.network, r.psrc)})
    _store_json(
        case,
        "arp.json",
        [{"ip": ip, "mac": mac} for ip, mac in hosts],
        f"ARP who-has {lan.network} on {lan.iface}",
        duration_s=round(time.monotonic() - started, 3),
    )
    return True


# ---- multicast queries ----------------------------------------------------------


def _encode_name(name: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".") if p) + b"\x00"


def _mdns_query() -> bytes:
    # A one-shot legacy query (source port != 5353): responders answer by unicast (RFC 6762 6.7).
    header = (0).to_bytes(2, "big") + b"\x00\x00" + len(MDNS_SERVICES).to_bytes(2, "big") + b"\x00" * 6
    return header + b"".join(_encode_name(s) + b"\x00\x0c\x00\x01" for s in MDNS_SERVICES)


def _ssdp_search() -> bytes:
    return (
        "M-SEARCH * HTTP/1.1\r\n"
        "HOST: 239.255.255.250:1900\r\n"
        'MAN: "ssdp:discover"\r\n'
        "MX: 1\r\n"
        "ST: ssdp:all\r\n\r\n"
    ).encode()


def _wsd_probe() -> bytes:
    import uuid

    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
        'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" '
        'xmlns:dn="http://www.onvif.org/ver10/network/wsdl">'
        "<s:Header><a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>"
        f"<a:MessageID>urn:uuid:{uuid.uuid4()}</a:MessageID>"
        "<a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To></s:Header>"
        "<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>"
    ).encode()


def _multicast_queries(case: "Case", lan: Lan, queries) -> dict[str, list[tuple[str, bytes]]]:
    """Send each query to its multicast group at once, then keep every unicast
    answer from the LAN that arrives within one listening window (one socket
    per query, so answers stay with their protocol)."""
    socks: dict[socket.socket, str] = {}
    responses: dict[str, list[tuple[str, bytes]]] = {kind: [] for kind, *_ in queries}
    try:
        for kind, group, payload, _command, _suffix in queries:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks[sock] = kind
            try:
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(lan.address))
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255 if kind == "mdns" else 2)
                sock.bind((lan.address, 0))
                sock.sendto(payload, group)
            except OSError as exc:
                case.log("network-query-failed", query=kind, error=type(exc).__name__)
                del socks[sock]
                sock.close()
        deadline = time.monotonic() + LISTEN_S
        while socks:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready = select.select(list(socks), [], [], left)[0]
            if not ready:
                break
            for sock in ready:
                kind = socks[sock]
                try:
                    data, (host, _port) = sock.recvfrom(65535)
                except OSError as exc:
                    case.log("network-query-failed", query=kind, error=type(exc).__name__)
                    del socks[sock]
                    sock.close()
                    continue
                if in_lan(lan.network, host) and len(responses[kind]) < MAX_RESPONSES:
                    responses[kind].append((host, data))
    finally:
        for sock in socks:
            sock.close()
    for kind, _group, _payload, command, suffix in queries:
        for i, (host, data) in enumerate(responses[kind], 1):
            case.add_artifact(SOURCE, f"{kind}/response-{i}{suffix}", data, command=command, meta={"from": host, "format": kind})
    return responses


# ---- UPnP descriptions and the router --------------------------------------------


def _http(url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    import urllib.error
    import urllib.request

    # No proxies: a LAN address must never be sent through a proxy elsewhere.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    req = urllib.request.Request(url, data=body, headers=headers or {}, method="POST" if body else "GET")
    try:
        with opener.open(req, timeout=3) as resp:
            return resp.status, resp.read(MAX_BODY)
    except urllib.error.HTTPError as err:
        return err.code, err.read(MAX_BODY)


def _fetch_descriptions(case: "Case", lan: Lan, ssdp: list[tuple[str, bytes]]) -> list[tuple[str, str, bytes]]:
    from techsafe.scanners.network.parse import ssdp_headers, url_host

    seen: set[str] = set()
    out = []
    for host, raw in ssdp:
        location = ssdp_headers(raw).get("location", "")
        # Only the answering device's own address, never a URL pointing elsewhere.
        if not location.startswith("http://") or location in seen or url_host(location) != host:
            continue
        seen.add(location)
        try:
            status, body = _http(location)
        except (OSError, ValueError):
            continue
        if status == 200:
            case.add_artifact(SOURCE, f"upnp/description-{len(out) + 1}.xml", body, command=f"HTTP GET {location}", meta={"from": host, "url": location, "format": "upnp-description"})
            out.append((host, location, body))
    return out


def router_port_mappings(case: "Case", lan: Lan, descriptions: list[tuple[str, str, bytes]]) -> bool:
    """Ask each UPnP internet gateway on the LAN for its port mappings.

    IGDv2 gateways (WANIPConnection:2) are asked for the whole list at once
    (GetListOfPortMappings, TCP then UDP); when a gateway refuses that (many
    answer 606 "not authorized" or 401) or offers only v1, the mappings are
    walked one index at a time with GetGenericPortMappingEntry until fault 713.
    """
    from techsafe.scanners.network.parse import upnp_description, url_host, wan_connection

    found = False
    for host, location, body in descriptions:
        device = upnp_description(body, location)
        if device is None or "InternetGatewayDevice" not in device.device_type:
            continue
        service = wan_connection(device)
        if service is None or url_host(service.control_url) != host:
            continue
        found = True
        if ":WANIPConnection:2" in service.service_type and _igd_list(case, host, service):
            continue
        _igd_walk(case, host, service)
    return found


def _soap(service, action: str, args: str) -> tuple[bytes, dict[str, str]]:
    envelope = (
        '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
        f'<u:{action} xmlns:u="{service.service_type}">{args}</u:{action}></s:Body></s:Envelope>'
    ).encode()
    headers = {"Content-Type": 'text/xml; charset="utf-8"', "SOAPAction": f'"{service.service_type}#{action}"'}
    return envelope, headers


def _igd_list(case: "Case", host: str, service) -> bool:
    """IGDv2 GetListOfPortMappings over every port, per protocol. True when
    the gateway answered both (fault 730 = no mapping of that protocol)."""
    from techsafe.scanners.network.parse import soap_port_listing

    for protocol in ("TCP", "UDP"):
        # NewManage=1: every mapping, not only this laptop's own (WANIPConnection:2 2.5.22).
        args = (
            "<NewStartPort>1</NewStartPort><NewEndPort>65535</NewEndPort>"
            f"<NewProtocol>{protocol}</NewProtocol><NewManage>1</NewManage>"
            f"<NewNumberOfPorts>{MAX_MAPPINGS}</NewNumberOfPorts>"
        )
        envelope, headers = _soap(service, "GetListOfPortMappings", args)
        try:
            status, reply = _http(service.control_url, envelope, headers)
        except (OSError, ValueError):
            return False
        case.add_artifact(
            SOURCE,
            f"igd/list-{protocol.lower()}.xml",
            reply,
            command=f"UPnP GetListOfPortMappings {protocol} 1-65535 at {service.control_url}",
            exit_status=status,
            meta={"from": host, "protocol": protocol, "format": "igd-list"},
        )
        result = soap_port_listing(reply)
        if not (status == 200 and isinstance(result, list)) and result != "730":
            return False  # refused or unreadable: the caller walks the list instead
    return True


def _igd_walk(case: "Case", host: str, service) -> None:
    for index in range(MAX_MAPPINGS):
        envelope, headers = _soap(service, "GetGenericPortMappingEntry", f"<NewPortMappingIndex>{index}</NewPortMappingIndex>")
        try:
            status, reply = _http(service.control_url, envelope, headers)
        except (OSError, ValueError):
            break
        case.add_artifact(
            SOURCE,
            f"igd/mapping-{index}.xml",
            reply,
            command=f"UPnP GetGenericPortMappingEntry {index} at {service.control_url}",
            exit_status=status,
            meta={"from": host, "index": index, "format": "igd-mapping"},
        )
        if status != 200:  # fault 713 = end of the list; any other fault ends it too
            break


# ---- TCP probe ---------------------------------------------------------------------


def _known_hosts(case: "Case", lan: Lan) -> list[str]:
    from techsafe.scanners.network.inventory import discovered_addresses

    hosts = discovered_addresses(case)
    return sorted((h for h in hosts if in_lan(lan.network, h) and h != lan.address), key=socket.inet_aton)[:256]


def _tcp_probe(case: "Case", lan: Lan, hosts: list[str]) -> None:
    def probe(target: tuple[str, int]) -> tuple[str, int, bool]:
        host, port = target
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(0.7)
            try:
                return host, port, s.connect_ex((host, port)) == 0
            except OSError:
                return host, port, False

    targets = [(h, p) for h in hosts for p in CAMERA_PORTS]
    result: dict[str, list[int]] = {h: [] for h in hosts}
    with ThreadPoolExecutor(max_workers=32) as pool:
        for host, port, is_open in pool.map(probe, targets):
            if is_open:
                result[host].append(port)
    _store_json(case, "tcp-probe.json", {"ports": list(CAMERA_PORTS), "open": result}, "TCP connect probe " + ",".join(map(str, CAMERA_PORTS)))
