"""From stored discovery answers to one record per host. Pure: artifacts in, values out."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from techsafe.model import NotChecked
from techsafe.scanners.network import parse
from techsafe.scanners.network.identify import brand_of, classify, oui_vendor

if TYPE_CHECKING:
    from techsafe.case import Case

PREFIX = "artifacts/network/"


@dataclass(frozen=True)
class Host:
    ip: str
    mac: str
    vendor: str
    kind: str  # doorbell, camera, speaker, router, other
    reason: str
    brand: str
    names: tuple[str, ...]
    services: tuple[str, ...]
    model: str  # "Manufacturer Model" as the device reports it
    open_ports: tuple[int, ...]
    evidence: tuple[str, ...]  # artifact paths


@dataclass(frozen=True)
class Mapping:
    mapping: parse.PortMapping
    artifact: str
    gateway: str


@dataclass(frozen=True)
class DnsServer:
    server: str
    artifact: str
    origin: str  # "resolv.conf" or "DHCP lease (dhclient)" ...
    read_from: str = ""  # the laptop file it came from, e.g. /etc/resolv.conf

    @property
    def from_lease(self) -> bool:
        return self.origin.startswith("DHCP lease")


# Where acquire.py reads the laptop's DNS settings from (artifact name -> laptop file).
_RESOLV_FILES = {"dns/resolv.conf": "/etc/resolv.conf", "dns/resolved-uplink.conf": "/run/systemd/resolve/resolv.conf"}


def _read_from(rec) -> str:
    rel = rec.path[len(PREFIX):] if rec.path.startswith(PREFIX) else rec.path
    if rel in _RESOLV_FILES:
        return _RESOLV_FILES[rel]
    command = str(rec.command or "")
    return command[len("read "):] if command.startswith("read /") else rel.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Inventory:
    lan: dict
    hosts: tuple[Host, ...]
    mappings: tuple[Mapping, ...]
    igd_seen: bool
    dns_servers: tuple[DnsServer, ...]
    gaps: tuple[NotChecked, ...] = field(default=())

    def host(self, ip: str) -> Host | None:
        return next((h for h in self.hosts if h.ip == ip), None)


class _Acc:
    def __init__(self) -> None:
        self.mac = ""
        self.names: dict[str, None] = {}
        self.services: dict[str, None] = {}
        self.hap = ""
        self.upnp_types: list[str] = []
        self.descriptions: list[str] = []
        self.models: list[str] = []
        self.onvif = False
        self.ports: tuple[int, ...] = ()
        self.evidence: dict[str, None] = {}


def _records(case: "Case", sub: str):
    return [r for r in case.artifacts("network") if r.path.startswith(PREFIX + sub)]


def _json(case: "Case", rec):
    try:
        return json.loads(case.read_artifact(rec.path))
    except (ValueError, OSError):
        return None


def discovered_addresses(case: "Case") -> set[str]:
    """Addresses that answered anything so far (used by acquisition for the TCP probe)."""
    out: set[str] = set()
    for rec in case.artifacts("network"):
        host = rec.meta.get("from") if isinstance(rec.meta, dict) else None
        if isinstance(host, str):
            out.add(host)
    for rec in _records(case, "arp.json"):
        for row in _json(case, rec) or ():
            if isinstance(row, dict) and isinstance(row.get("ip"), str):
                out.add(row["ip"])
    return out


def _valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def build_inventory(case: "Case") -> Inventory | None:
    lan_recs = _records(case, "lan.json")
    if not lan_recs:
        return None
    gaps: list[NotChecked] = []
    lan = _json(case, lan_recs[-1]) or {}
    network = str(lan.get("network", ""))
    gateway = str(lan.get("gateway", ""))
    acc: dict[str, _Acc] = {}

    def host(ip: str) -> _Acc | None:
        if not _valid_ip(ip) or (network and not parse_in(network, ip)) or ip == lan.get("address"):
            return None
        return acc.setdefault(ip, _Acc())

    for rec in _records(case, "arp.json"):
        for row in _json(case, rec) or ():
            if isinstance(row, dict) and (h := host(str(row.get("ip", "")))):
                h.mac = str(row.get("mac", "")).lower()
                h.evidence[rec.path] = None
    for rec in _records(case, "neighbours.txt"):
        for line in case.read_artifact(rec.path).decode("latin-1").splitlines()[1:]:
            cols = line.split()
            if len(cols) >= 4 and cols[3] != "00:00:00:00:00:00" and (h := host(cols[0])):
                h.mac = h.mac or cols[3].lower()

    for rec in _records(case, "mdns/"):
        sender = str(rec.meta.get("from", ""))
        records = parse.mdns_records(case.read_artifact(rec.path))
        if not records:
            gaps.append(NotChecked("network.devices", "an mDNS answer could not be read", rec.path))
            continue
        addresses = {r.name: r.value for r in records if r.rtype == 1}
        for r in records:
            target = sender
            if r.rtype == 33 and r.value in addresses:
                target = addresses[r.value]
            h = host(target)
            if h is None:
                continue
            h.evidence[rec.path] = None
            if r.rtype == 12 and not r.name.startswith("_services."):
                h.services[r.name.removesuffix(".local")] = None
                h.names[parse.instance_label(r.value)] = None
            elif r.rtype == 16:
                txt = dict(r.txt)
                h.hap = h.hap or txt.get("ci", "")
                for key in ("md", "model", "fn", "ty"):
                    if txt.get(key):
                        h.descriptions.append(txt[key][:128])
                        if key in ("md", "model"):
                            h.models.append(txt[key][:128])

    for rec in _records(case, "upnp/"):
        sender = str(rec.meta.get("from", ""))
        device = parse.upnp_description(case.read_artifact(rec.path), str(rec.meta.get("url", "")))
        h = host(sender)
        if h is None:
            continue
        if device is None:
            gaps.append(NotChecked("network.devices", "a UPnP device description could not be read", rec.path))
            continue
        h.evidence[rec.path] = None
        h.upnp_types += [device.device_type, *device.sub_types]
        h.descriptions += [device.friendly_name, device.manufacturer, device.model_name, device.model_number]
        h.models.append(" ".join(x for x in (device.manufacturer, device.model_name) if x))
        if device.friendly_name:
            h.names[device.friendly_name] = None

    for rec in _records(case, "wsd/"):
        matches = parse.wsd_probe_matches(case.read_artifact(rec.path))
        if matches is None:  # a camera's answer we could not read is said, not dropped
            gaps.append(NotChecked("network.devices", "an ONVIF (WS-Discovery) answer could not be read", rec.path))
            continue
        for match in matches:
            targets = {parse.url_host(x) for x in match.xaddrs} or {str(rec.meta.get("from", ""))}
            for target in targets:
                h = host(target)
                if h is None:
                    continue
                h.evidence[rec.path] = None
                if any(t.endswith("NetworkVideoTransmitter") for t in match.types):
                    h.onvif = True
                for key in ("hardware", "name"):
                    value = parse.onvif_scope(match, key)
                    if value:
                        h.descriptions.append(value)
                        if key == "hardware":
                            h.models.append(value)

    for rec in _records(case, "tcp-probe.json"):
        data = _json(case, rec) or {}
        for ip, ports in (data.get("open") or {}).items():
            if (h := host(str(ip))) and isinstance(ports, list):
                h.ports = tuple(sorted(p for p in ports if isinstance(p, int)))
                if h.ports:
                    h.evidence[rec.path] = None

    igd_seen, mappings = _port_mappings(case, gaps)
    for rec in _records(case, "scan-steps.json"):
        steps = _json(case, rec)
        skipped = steps.get("skipped") if isinstance(steps, dict) else None
        for step in skipped if isinstance(skipped, list) else ():
            if not igd_seen and str(step).startswith("upnp-port-mappings"):
                continue  # the router check already says no UPnP gateway answered: say it once
            gaps.append(NotChecked("network.scan", f"skipped: {str(step)[:200]}", rec.path))

    dns = _dns_servers(case, lan)

    hosts = []
    for ip in sorted(acc, key=lambda a: ipaddress.ip_address(a)):
        a = acc[ip]
        vendor = oui_vendor(a.mac) if a.mac else ""
        kind, reason = classify(
            vendor=vendor,
            is_gateway=ip == gateway,
            hap_category=a.hap,
            service_types=tuple(a.services),
            upnp_types=tuple(a.upnp_types),
            descriptions=tuple(d for d in a.descriptions if d),
            onvif=a.onvif,
            open_ports=a.ports,
        )
        # The fullest self-description ("Reolink RLC-510A" over "RLC-510A").
        model = max((m for m in a.models if m), key=len, default="")
        hosts.append(
            Host(
                ip=ip,
                mac=a.mac,
                vendor=vendor,
                kind=kind,
                reason=reason,
                brand=brand_of(model, *a.descriptions, vendor) if kind in ("doorbell", "camera") else "",
                names=tuple(a.names),
                services=tuple(a.services),
                model=model,
                open_ports=a.ports,
                evidence=tuple(a.evidence),
            )
        )
    return Inventory(lan, tuple(hosts), tuple(mappings), igd_seen, tuple(dns), tuple(gaps))


def _dns_servers(case: "Case", lan: dict) -> list[DnsServer]:
    """Servers in resolv.conf, and those of the newest DHCP lease on this LAN."""
    from techsafe.scanners.network.leases import FORMATS, current_lease, parse_leases

    out: list[DnsServer] = []
    newest: tuple[float, str, str, tuple[str, ...]] | None = None
    for rec in _records(case, "dns/"):
        fmt = rec.meta.get("format")
        raw = case.read_artifact(rec.path)
        if fmt in FORMATS:
            lease = current_lease(parse_leases(raw, fmt, str(rec.meta.get("iface", ""))), str(lan.get("iface", "")), str(lan.get("network", "")))
            mtime = rec.meta.get("mtime")
            when = float(mtime) if isinstance(mtime, (int, float)) else 0.0
            if lease is not None and (newest is None or when >= newest[0]):
                newest = (when, rec.path, fmt, lease.dns)
        else:
            out += [DnsServer(server, rec.path, "resolv.conf", _read_from(rec)) for server in parse.resolv_conf_servers(raw)]
    if newest is not None:
        _when, path, fmt, servers = newest
        out += [DnsServer(server, path, f"DHCP lease ({fmt})", path) for server in servers]
    return out


def _port_mappings(case: "Case", gaps: list[NotChecked]) -> tuple[bool, list[Mapping]]:
    """Mappings from the IGDv2 list answers or the one-by-one walk (the walk
    is made when the list was refused, so then the walk is what counts)."""
    records = _records(case, "igd/")
    listed = [r for r in records if r.meta.get("format") == "igd-list"]
    walked = sorted(
        (r for r in records if r.meta.get("format") != "igd-list"),
        key=lambda r: r.meta.get("index") if isinstance(r.meta.get("index"), int) else 0,
    )
    mappings: list[Mapping] = []
    for rec in listed:
        result = parse.soap_port_listing(case.read_artifact(rec.path))
        if isinstance(result, list):
            mappings += [Mapping(m, rec.path, str(rec.meta.get("from", ""))) for m in result]
        elif walked or result == "730":  # 730: no mapping of this protocol
            continue
        elif result is None:
            gaps.append(NotChecked("network.router", "the router's port-mapping list could not be read", rec.path))
        else:
            gaps.append(NotChecked("network.router", f"the router refused the port-mapping list (UPnP error {result})", rec.path))
    for rec in walked:
        result = parse.soap_port_mapping(case.read_artifact(rec.path))
        if isinstance(result, parse.PortMapping):
            mappings.append(Mapping(result, rec.path, str(rec.meta.get("from", ""))))
        elif result is None:
            gaps.append(NotChecked("network.router", "a port-mapping answer from the router could not be read", rec.path))
        elif result != "713":
            gaps.append(NotChecked("network.router", f"the router refused the port-mapping list (UPnP error {result})", rec.path))
    # The same mapping from both a partial list and the walk: once.
    seen: set[tuple] = set()
    unique = []
    for m in mappings:
        key = (m.gateway, m.mapping.remote_host, m.mapping.external_port, m.mapping.protocol)
        if key not in seen:
            seen.add(key)
            unique.append(m)
    return bool(records), unique


def parse_in(network: str, ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(network)
    except ValueError:
        return False
