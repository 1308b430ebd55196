"""A feed's indicators as plain dictionaries, ready for O(1) look-ups.

Every parser (Echap, STIX 2, the catalogue) builds a FeedIndex; the store
caches it as JSON next to the feed's files so that loading is a json.loads,
not a YAML parse. Values are normalised once here, on the way in, and the
same normalisers are used on the way out (look-ups), so both sides agree.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from techsafe.signatures.records import category_rank

INDEX_SCHEMA = "techsafe.signatures.index/1"

# What an index can hold. "package" is an Android package name (case-sensitive,
# as Android treats it); "bundle" an iOS bundle id (compared case-insensitively).
KINDS = ("package", "bundle", "cert", "sha256", "domain", "ip", "url", "profile", "file_path", "process")

_PACKAGE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*(\.[A-Za-z0-9_][A-Za-z0-9_\-]*)*$")
_BUNDLE = re.compile(r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")
_HEX = re.compile(r"^[0-9a-f]+$")
_DOMAIN_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_\-]{0,61}[a-z0-9_])?$")
_CERT_SEPARATORS = str.maketrans("", "", ": \t")


def norm_package(value: str) -> str | None:
    value = value.strip()
    return value if 0 < len(value) <= 255 and _PACKAGE.match(value) else None


def norm_bundle(value: str) -> str | None:
    value = value.strip()
    return value.lower() if 0 < len(value) <= 255 and _BUNDLE.match(value) else None


def norm_cert(value: str) -> str | None:
    """SHA-1 (40) or SHA-256 (64) hex, any case, colons allowed (keytool style)."""
    value = value.translate(_CERT_SEPARATORS).lower()
    return value if len(value) in (40, 64) and _HEX.match(value) else None


def norm_sha256(value: str) -> str | None:
    value = value.strip().lower()
    return value if len(value) == 64 and _HEX.match(value) else None


def norm_domain(value: str) -> str | None:
    value = value.strip().lower().rstrip(".")
    if value.startswith("*."):
        value = value[2:]
    if not value or len(value) > 253:
        return None
    labels = value.split(".")
    if not all(_DOMAIN_LABEL.match(label) for label in labels):
        try:  # internationalised names: compare in their ASCII (punycode) form
            value = value.encode("idna").decode("ascii")
        except (UnicodeError, ValueError):
            return None
        labels = value.split(".")
        if not all(_DOMAIN_LABEL.match(label) for label in labels):
            return None
    if _looks_like_ip(value):
        return None
    return value


def _looks_like_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def norm_ip(value: str) -> str | None:
    try:
        addr = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.compressed


def norm_network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None


def norm_url(value: str) -> str | None:
    """scheme://host[:port]/path[?query], scheme and host lower-cased, no fragment."""
    value = value.strip()
    if len(value) > 4096 or any(ch.isspace() for ch in value):
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if not scheme or not host:
        return None
    ip = norm_ip(host)
    host = (f"[{ip}]" if ":" in ip else ip) if ip else norm_domain(host)
    if not host:
        return None
    default = {"http": 80, "https": 443}.get(scheme)
    netloc = host if port in (None, default) else f"{host}:{port}"
    path = parts.path.rstrip("/")
    out = f"{scheme}://{netloc}{path}"
    if parts.query:
        out += "?" + parts.query
    return out


def url_candidates(url: str) -> list[str]:
    """The normalised URL, then without its query, then each shorter path
    prefix on a '/' boundary: an indicator for a download folder matches the
    files inside it, never a path that merely starts with the same letters."""
    out = [url]
    base = url.split("?", 1)[0]
    if base != url:
        out.append(base)
    head, sep, path = base.partition("://")
    netloc, _, rest = path.partition("/")
    segments = [s for s in rest.split("/") if s] if rest else []
    for n in range(len(segments) - 1, -1, -1):
        out.append(f"{head}{sep}{netloc}" + ("/" + "/".join(segments[:n]) if n else ""))
    return out


NORMALISERS = {
    "package": norm_package,
    "bundle": norm_bundle,
    "cert": norm_cert,
    "sha256": norm_sha256,
    "domain": norm_domain,
    "ip": norm_ip,
    "url": norm_url,
    "profile": lambda v: v.strip().upper() or None,
    "file_path": lambda v: v.strip() or None,
    "process": lambda v: v.strip() or None,
}


@dataclass
class FeedIndex:
    """entries[i] = (name, category, description); maps[kind][value] = [i, field]."""

    entries: list[tuple[str, str, str]] = field(default_factory=list)
    maps: dict[str, dict[str, list[Any]]] = field(default_factory=lambda: {k: {} for k in KINDS})
    networks: list[tuple[str, int, str]] = field(default_factory=list)  # (cidr, entry, field)
    rejected: int = 0  # values that were not valid for their kind (kept out, counted)
    _entry_ids: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)

    def entry(self, name: str, category: str, description: str = "") -> int:
        key = (name, category)
        idx = self._entry_ids.get(key)
        if idx is None:
            idx = len(self.entries)
            self.entries.append((name, category, description))
            self._entry_ids[key] = idx
        return idx

    def add(self, kind: str, raw: Any, entry: int, field_name: str) -> bool:
        """Add one value; False (and counted) when it is not valid for its kind."""
        if not isinstance(raw, str):
            self.rejected += 1
            return False
        if kind == "ip" and "/" in raw:
            return self._add_network(raw, entry, field_name)
        value = NORMALISERS[kind](raw)
        if value is None:
            self.rejected += 1
            return False
        current = self.maps[kind].get(value)
        # Same value in two entries: keep the more severe category, else the first.
        if current is None or category_rank(self.entries[entry][1]) > category_rank(self.entries[current[0]][1]):
            self.maps[kind][value] = [entry, field_name]
        return True

    def _add_network(self, raw: str, entry: int, field_name: str) -> bool:
        net = norm_network(raw)
        if net is None:
            self.rejected += 1
            return False
        if net.num_addresses == 1:
            return self.add("ip", str(net.network_address), entry, field_name)
        self.networks.append((net.compressed, entry, field_name))
        return True

    def count(self, kind: str) -> int:
        return len(self.maps[kind]) + (len(self.networks) if kind == "ip" else 0)

    @property
    def total(self) -> int:
        return sum(self.count(k) for k in KINDS)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": INDEX_SCHEMA,
            "entries": [list(e) for e in self.entries],
            "maps": {k: v for k, v in self.maps.items() if v},
            "networks": [list(n) for n in self.networks],
            "rejected": self.rejected,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "FeedIndex":
        if data.get("schema") != INDEX_SCHEMA:
            raise ValueError("index schema mismatch")
        maps = {k: {} for k in KINDS}
        for kind, values in (data.get("maps") or {}).items():
            if kind in maps:
                maps[kind] = values
        return cls(
            entries=[(str(n), str(c), str(d)) for n, c, d in data["entries"]],
            maps=maps,
            networks=[(str(c), int(e), str(f)) for c, e, f in data.get("networks") or ()],
            rejected=int(data.get("rejected", 0)),
        )


@dataclass
class ParsedFeed:
    """What a parser hands to the store: the index plus what to tell the user."""

    index: FeedIndex
    counts: dict[str, int]
    version: str = ""
    data_date: str = ""
    warnings: list[str] = field(default_factory=list)
