"""Network checks: traffic to stalkerware servers, devices, router holes, DNS."""

from __future__ import annotations

import datetime as dt
from typing import Iterator

from techsafe.checks import check
from techsafe.model import Evidence, Finding, Severity

# Feed categories (signatures.records.CATEGORY_RANK) whose servers mean covert
# monitoring software on a device, and those of visible / dual-use monitoring.
# Other categories (doorbell, camera, tracker vendors' own servers) are normal
# traffic, not findings.
COVERT = frozenset({"stalkerware", "spyware"})
MONITORING = frozenset({"watchware", "monitoring", "remote-access", "anti-theft", "parental-control", "family-locator"})


def iso(ts: float) -> str:
    try:
        return dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):
        return "unknown"


def _devices_text(contact) -> str:
    names = [f"{ip} ({mac})" if mac else ip for mac, ip in contact.devices]
    if contact.more_devices:
        names.append(f"and {contact.more_devices} more")
    return ", ".join(names)


@check(
    "network",
    area="network.traffic",
    kinds=("network.traffic.stalkerware_c2", "network.traffic.monitoring_app"),
)
def indicator_contacts(ctx) -> Iterator[Finding]:
    for path, result in ctx.traffic:
        for c in result.contacts:
            category = c.category.lower()
            if category not in COVERT and category not in MONITORING:
                continue
            covert = category in COVERT
            kind = "network.traffic.stalkerware_c2" if covert else "network.traffic.monitoring_app"
            severity = Severity.CRITICAL if covert else Severity.MEDIUM
            what = "a stalkerware server" if covert else "a monitoring app's server"
            when = f"once, at {iso(c.first)}" if c.count == 1 else f"{c.count} times between {iso(c.first)} and {iso(c.last)}"
            title = f"A device on this network contacted {what} of {c.name} ({c.match.value}): {when}."
            yield Finding(
                kind=kind,
                severity=severity,
                title=title,
                subject=c.match.value,
                evidence=(
                    Evidence(
                        artifact=path,
                        excerpt=f"{', '.join(c.observed)} via {', '.join(c.via)}; device {_devices_text(c)}",
                    ),
                ),
                indicator=c.match,
                facts=(
                    ("app", c.name),
                    ("category", c.category),
                    ("first_seen", iso(c.first)),
                    ("last_seen", iso(c.last)),
                    ("count", str(c.count)),
                    ("via", ", ".join(c.via)),
                    ("observed", ", ".join(c.observed)),
                    ("devices", _devices_text(c)),
                ),
            )


# ---- devices, router, DNS --------------------------------------------------------

DEVICE_KINDS = {
    "doorbell": ("network.device.doorbell", Severity.LOW, "A video doorbell"),
    "camera": ("network.device.camera", Severity.LOW, "A camera"),
    "speaker": ("network.device.speaker", Severity.INFO, "A smart speaker or display"),
}
# Well-known public resolvers: using them is normal, not a sign of tampering.
PUBLIC_RESOLVERS = frozenset(
    {
        "1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4", "9.9.9.9", "149.112.112.112", "208.67.222.222",
        "208.67.220.220", "94.140.14.14", "94.140.15.15", "2606:4700:4700::1111", "2606:4700:4700::1001",
        "2001:4860:4860::8888", "2001:4860:4860::8844", "2620:fe::fe", "2620:fe::9",
    }
)
LOCAL_STUBS = ("127.", "::1")


def _host_label(h) -> str:
    what = h.model or h.vendor or "unknown maker"
    name = f' "{h.names[0]}"' if h.names else ""
    return f"{what}{name} at {h.ip}"


@check(
    "network",
    area="network.devices",
    kinds=("network.device.doorbell", "network.device.camera", "network.device.speaker"),
)
def home_devices(ctx) -> Iterator[Finding]:
    for h in ctx.inventory.hosts:
        if h.kind not in DEVICE_KINDS:
            continue
        kind, severity, what = DEVICE_KINDS[h.kind]
        title = f"{what} is on this network: {_host_label(h)}."
        if h.kind in ("doorbell", "camera"):
            title += " Check who else has access to it in its app."
        yield Finding(
            kind=kind,
            severity=severity,
            title=title,
            subject=h.ip,
            evidence=tuple(Evidence(artifact=p) for p in h.evidence),
            facts=(
                ("ip", h.ip),
                ("mac", h.mac),
                ("vendor", h.vendor),
                ("model", h.model),
                ("brand", h.brand),
                ("names", ", ".join(h.names)),
                ("services", ", ".join(h.services)),
                ("open_ports", ", ".join(map(str, h.open_ports))),
                ("why", h.reason),
            ),
        )


@check(
    "network",
    area="network.router",
    kinds=("network.upnp.port_mapping_to_camera", "network.upnp.port_mapping"),
)
def router_port_mappings(ctx) -> Iterator[Finding]:
    from techsafe.checks import Unavailable
    from techsafe.scanners.network.identify import CAMERA_PORTS

    inv = ctx.inventory
    if not inv.igd_seen:
        raise Unavailable("the router did not answer UPnP port-mapping requests (UPnP off, or not a UPnP router)")
    for m in inv.mappings:
        pm = m.mapping
        target = inv.host(pm.internal_client)
        to_camera = (target is not None and target.kind in ("camera", "doorbell")) or pm.internal_port in CAMERA_PORTS
        where = _host_label(target) if target else pm.internal_client
        if to_camera:
            title = (
                f"The router lets anyone on the internet reach a camera: outside port {pm.external_port}/{pm.protocol} "
                f"goes to {where} port {pm.internal_port}."
            )
        else:
            title = f"The router forwards outside port {pm.external_port}/{pm.protocol} to {where} port {pm.internal_port}."
        yield Finding(
            kind="network.upnp.port_mapping_to_camera" if to_camera else "network.upnp.port_mapping",
            severity=Severity.HIGH if to_camera else Severity.MEDIUM,
            title=title,
            subject=f"{pm.external_port}/{pm.protocol} -> {pm.internal_client}:{pm.internal_port}",
            evidence=(Evidence(artifact=m.artifact, excerpt=f"NewExternalPort={pm.external_port} NewInternalClient={pm.internal_client} NewInternalPort={pm.internal_port}"),),
            facts=(
                ("external_port", str(pm.external_port)),
                ("protocol", pm.protocol),
                ("internal_client", pm.internal_client),
                ("internal_port", str(pm.internal_port)),
                ("enabled", "yes" if pm.enabled else "no"),
                ("description", pm.description),
                ("lease_seconds", str(pm.lease_s)),
                ("gateway", m.gateway),
            ),
        )


@check("network", area="network.dns", kinds=("network.dns.unexpected",))
def dns_servers(ctx) -> Iterator[Finding]:
    from techsafe.checks import Unavailable

    inv = ctx.inventory
    if not inv.dns_servers:
        raise Unavailable("the laptop's DNS settings could not be read")
    gateway = str(inv.lan.get("gateway", ""))
    unexpected: dict[str, list] = {}
    for d in inv.dns_servers:
        if d.server == gateway or d.server in PUBLIC_RESOLVERS or d.server.startswith(LOCAL_STUBS):
            continue
        unexpected.setdefault(d.server, []).append(d)
    for server, seen in unexpected.items():
        # Say where it was seen: the network's own DHCP answer, or only this laptop's settings.
        if any(d.from_lease for d in seen):
            where = f"The network's DHCP hands out the DNS server {server}"
        else:
            files = ", ".join(dict.fromkeys(d.read_from or "resolv.conf" for d in seen))
            where = f"This laptop is set to use the DNS server {server} (from {files})"
        yield Finding(
            kind="network.dns.unexpected",
            severity=Severity.MEDIUM,
            title=(
                f"{where}, which is neither the router nor a well-known "
                "public resolver: whoever runs it can see and redirect the websites devices visit."
            ),
            subject=server,
            evidence=tuple(
                Evidence(artifact=d.artifact, excerpt=f"nameserver {server}" if d.origin == "resolv.conf" else f"DNS server {server}")
                for d in seen
            ),
            facts=(("server", server), ("gateway", gateway), ("seen_in", ", ".join(dict.fromkeys(d.origin for d in seen)))),
        )
