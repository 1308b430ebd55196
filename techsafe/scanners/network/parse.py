"""Pure parsers for what devices on the LAN answered. All input is hostile.

  mDNS / DNS-SD   RFC 6762, RFC 6763 (PTR -> SRV/TXT/A), RFC 1035 wire format
  SSDP            UPnP Device Architecture 2.0 section 1 (HTTPU headers)
  description     UPnP Device Architecture 2.0 section 2 (device XML)
  IGD             WANIPConnection:2 (GetGenericPortMappingEntry, error 713;
                  GetListOfPortMappings and its PortMappingList document, 2.3.25.2)
  WS-Discovery    OASIS WS-Discovery 1.1 ProbeMatches, ONVIF Core section 7
XML goes through defusedxml: no entity expansion, no external entities.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from techsafe.scanners.network.decoders import _dns_name, dns_records

MAX_XML = 256 * 1024


# ---- mDNS -------------------------------------------------------------------


@dataclass(frozen=True)
class MdnsRecord:
    name: str
    rtype: int
    value: str  # PTR/SRV target or address text
    port: int = 0
    txt: tuple[tuple[str, str], ...] = ()


def mdns_records(msg: bytes) -> list[MdnsRecord]:
    """Every answer/authority/additional record of a response, best effort."""
    if len(msg) < 12:
        return []
    counts = [(msg[i] << 8) | msg[i + 1] for i in (4, 6, 8, 10)]
    pos = 12
    for _ in range(min(counts[0], 64)):
        name, pos = _dns_name(msg, pos)
        if name is None:
            return []
        pos += 4
    out: list[MdnsRecord] = []
    for name, rtype, start, end in dns_records(msg, pos, min(sum(counts[1:]), 256)):
        rdata = msg[start:end]
        rdlen = end - start
        if rtype == 12:  # PTR: keep the instance name as the device spells it
            target, _ = _dns_name(msg, start, lower=False)
            if target:
                out.append(MdnsRecord(name, rtype, target))
        elif rtype == 33 and rdlen >= 7:  # SRV
            target, _ = _dns_name(msg, start + 6)
            out.append(MdnsRecord(name, rtype, target or "", port=(rdata[4] << 8) | rdata[5]))
        elif rtype == 16:  # TXT
            out.append(MdnsRecord(name, rtype, "", txt=_txt(rdata)))
        elif rtype == 1 and rdlen == 4:
            out.append(MdnsRecord(name, rtype, str(ipaddress.IPv4Address(rdata))))
        elif rtype == 28 and rdlen == 16:
            out.append(MdnsRecord(name, rtype, str(ipaddress.IPv6Address(rdata))))
    return out


def _txt(rdata: bytes) -> tuple[tuple[str, str], ...]:
    items = []
    pos = 0
    while pos < len(rdata) and len(items) < 64:
        n = rdata[pos]
        item = rdata[pos + 1 : pos + 1 + n].decode("utf-8", "replace")
        pos += 1 + n
        key, _, value = item.partition("=")
        if key:
            items.append((key.lower(), value))
    return tuple(items)


def instance_label(name: str) -> str:
    """'Front Door._hap._tcp.local' -> 'Front Door'."""
    for marker in ("._", ".local"):
        if marker in name:
            return name.split(marker, 1)[0]
    return name


# ---- SSDP / UPnP description --------------------------------------------------


def ssdp_headers(raw: bytes) -> dict[str, str]:
    text = raw[:8192].decode("latin-1")
    lines = text.split("\r\n") if "\r\n" in text else text.split("\n")
    if not lines or not lines[0].upper().startswith(("HTTP/1.1 200", "NOTIFY")):
        return {}
    out: dict[str, str] = {}
    for line in lines[1:64]:
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip().lower()] = value.strip()
    return out


@dataclass(frozen=True)
class UpnpService:
    service_type: str
    control_url: str  # absolute


@dataclass(frozen=True)
class UpnpDevice:
    device_type: str
    friendly_name: str
    manufacturer: str
    model_name: str
    model_number: str
    services: tuple[UpnpService, ...] = field(default=())
    sub_types: tuple[str, ...] = ()  # embedded device types


def _xml_root(raw: bytes):
    import defusedxml.ElementTree as DET

    if len(raw) > MAX_XML:
        raise ValueError("XML document too large")
    return DET.fromstring(raw, forbid_dtd=True)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child_text(elem, name: str) -> str:
    for child in elem:
        if _local(child.tag) == name:
            return (child.text or "").strip()[:256]
    return ""


def upnp_description(raw: bytes, location: str) -> UpnpDevice | None:
    """The root device of a description document; None when unreadable."""
    try:
        root = _xml_root(raw)
    except Exception:  # defusedxml raises many types on hostile XML
        return None
    base = location
    for child in root:
        if _local(child.tag) == "URLBase" and child.text:
            base = child.text.strip()
    device = next((c for c in root if _local(c.tag) == "device"), None)
    if device is None:
        return None
    services = []
    sub_types = []
    for elem in device.iter():
        tag = _local(elem.tag)
        if tag == "service":
            stype = _child_text(elem, "serviceType")
            control = _child_text(elem, "controlURL")
            if stype and control:
                services.append(UpnpService(stype, urljoin(base, control)))
        elif tag == "device" and elem is not device:
            sub_types.append(_child_text(elem, "deviceType"))
    return UpnpDevice(
        device_type=_child_text(device, "deviceType"),
        friendly_name=_child_text(device, "friendlyName"),
        manufacturer=_child_text(device, "manufacturer"),
        model_name=_child_text(device, "modelName"),
        model_number=_child_text(device, "modelNumber"),
        services=tuple(services),
        sub_types=tuple(sub_types),
    )


WAN_SERVICES = ("WANIPConnection", "WANPPPConnection")


def wan_connection(device: UpnpDevice) -> UpnpService | None:
    """The WAN connection service, the highest version offered (v2 can list all mappings at once)."""
    best: tuple[int, UpnpService] | None = None
    for s in device.services:
        for w in WAN_SERVICES:
            marker = f":service:{w}:"
            if marker in s.service_type:
                version = s.service_type.rsplit(":", 1)[-1]
                rank = int(version) if version.isdigit() and len(version) < 4 else 0
                if best is None or rank > best[0]:
                    best = (rank, s)
    return best[1] if best else None


@dataclass(frozen=True)
class PortMapping:
    remote_host: str
    external_port: int
    protocol: str
    internal_port: int
    internal_client: str
    enabled: bool
    description: str
    lease_s: int


def soap_port_mapping(raw: bytes) -> PortMapping | str | None:
    """A mapping, the UPnP error code as text for a SOAP fault (713 = end of list),
    or None when unreadable."""
    try:
        root = _xml_root(raw)
    except Exception:
        return None
    values: dict[str, str] = {}
    for elem in root.iter():
        tag = _local(elem.tag)
        if tag == "errorCode":
            return (elem.text or "").strip()[:16] or "fault"
        if tag.startswith("New"):
            values[tag] = (elem.text or "").strip()[:256]
    return _port_mapping(values, "NewPortMappingDescription", "NewLeaseDuration")


def _port_mapping(values: dict[str, str], description_key: str, lease_key: str) -> PortMapping | None:
    """One mapping from its New* arguments; IGDv1 and the IGDv2 listing name
    the description and lease differently. None when a required one is missing."""
    try:
        return PortMapping(
            remote_host=values.get("NewRemoteHost", ""),
            external_port=int(values["NewExternalPort"]),
            protocol=values.get("NewProtocol", "").upper()[:8],
            internal_port=int(values["NewInternalPort"]),
            internal_client=values["NewInternalClient"],
            enabled=values.get("NewEnabled", "1") in ("1", "true"),
            description=values.get(description_key, ""),
            lease_s=int(values.get(lease_key, "0") or 0),
        )
    except (KeyError, ValueError):
        return None


MAX_LISTED = 1024


def soap_port_listing(raw: bytes) -> list[PortMapping] | str | None:
    """IGDv2 GetListOfPortMappings answer: the mappings, the UPnP error code as
    text for a SOAP fault (730 = no mapping in the range), or None when unreadable.

    NewPortListing holds a second XML document (WANIPConnection:2 2.3.25.2),
    sent entity-escaped or in CDATA; it goes through defusedxml as well.
    """
    try:
        root = _xml_root(raw)
    except Exception:
        return None
    listing = None
    for elem in root.iter():
        tag = _local(elem.tag)
        if tag == "errorCode":
            return (elem.text or "").strip()[:16] or "fault"
        if tag == "NewPortListing":
            listing = (elem.text or "").strip()
    if listing is None:
        return None
    if not listing:
        return []
    try:
        inner = _xml_root(listing.encode("utf-8"))
    except Exception:
        return None
    out: list[PortMapping] = []
    for entry in inner.iter():
        if _local(entry.tag) != "PortMappingEntry":
            continue
        values = {_local(c.tag): (c.text or "").strip()[:256] for c in entry}
        mapping = _port_mapping(values, "NewDescription", "NewLeaseTime")
        if mapping is None:
            return None  # a half-read list would hide mappings: say it could not be read
        out.append(mapping)
        if len(out) >= MAX_LISTED:
            break
    return out


# ---- WS-Discovery -------------------------------------------------------------


@dataclass(frozen=True)
class WsdMatch:
    types: tuple[str, ...]
    scopes: tuple[str, ...]
    xaddrs: tuple[str, ...]


def wsd_probe_matches(raw: bytes) -> list[WsdMatch] | None:
    """ProbeMatch entries of a WS-Discovery answer; None when it is not readable XML."""
    try:
        root = _xml_root(raw)
    except Exception:
        return None
    out = []
    for elem in root.iter():
        if _local(elem.tag) != "ProbeMatch":
            continue
        fields = {"Types": (), "Scopes": (), "XAddrs": ()}
        for child in elem:
            tag = _local(child.tag)
            if tag in fields:
                fields[tag] = tuple((child.text or "").split())[:32]
        out.append(WsdMatch(fields["Types"], fields["Scopes"], fields["XAddrs"]))
    return out


def onvif_scope(match: WsdMatch, key: str) -> str:
    """onvif://www.onvif.org/hardware/XYZ -> 'XYZ' for key 'hardware'."""
    from urllib.parse import unquote

    prefix = f"onvif://www.onvif.org/{key}/"
    for scope in match.scopes:
        if scope.lower().startswith(prefix):
            return unquote(scope[len(prefix) :])[:128]
    return ""


def url_host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


# ---- DNS configuration ---------------------------------------------------------


def resolv_conf_servers(raw: bytes) -> list[str]:
    out = []
    for line in raw.decode("utf-8", "replace").splitlines()[:200]:
        parts = line.split("#", 1)[0].split()
        if len(parts) >= 2 and parts[0] == "nameserver":
            try:
                out.append(str(ipaddress.ip_address(parts[1].split("%", 1)[0])))
            except ValueError:
                continue
    return out
