"""STIX 2 indicator bundles, read the way MVT reads them.

An `indicator` object's `pattern` holds one comparison such as
`[domain-name:value = 'x.com']` (with or without spaces around `=`); several
comparisons joined by OR inside one pattern are read too. Anything else
(AND, MATCHES, other object types) is counted as unsupported, never guessed.
The family name comes from the `malware` (or threat-actor, intrusion-set,
tool, campaign) object that an `indicates` relationship points to; failing
that, the bundle's only such object, its report name, or the file name.

Every hit from a STIX feed is category "spyware": these bundles are published
for mercenary spyware (Amnesty's Predator, Pegasus...).
"""

from __future__ import annotations

import json
import re
from typing import Any

from techsafe.signatures.index import FeedIndex, ParsedFeed
from techsafe.signatures.records import FeedError

CATEGORY = "spyware"
_NAMED_TYPES = ("malware", "threat-actor", "intrusion-set", "tool", "campaign")

# object-path -> (index kind, field name). Keys are lower-cased with quotes and
# dashes removed from hash names, so hashes.'SHA-256' and hashes.sha256 agree.
_PATHS: dict[str, tuple[str, str]] = {
    "app:id": ("app", "app_id"),
    "app:cert.sha1": ("cert", "cert_sha1"),
    "app:cert.sha256": ("cert", "cert_sha256"),
    "file:hashes.sha256": ("sha256", "file_sha256"),
    "domain-name:value": ("domain", "domain"),
    "ipv4-addr:value": ("ip", "ip"),
    "ipv6-addr:value": ("ip", "ip"),
    "url:value": ("url", "url"),
    "configuration-profile:id": ("profile", "profile_id"),
    "file:path": ("file_path", "file_path"),
    "process:name": ("process", "process"),
}
_COUNT_LABELS = {
    "domain": "domains",
    "url": "urls",
    "ip": "ips",
    "package": "app_ids",
    "cert": "certificates",
    "sha256": "file_sha256",
    "profile": "profile_ids",
    "file_path": "file_paths",
    "process": "processes",
}
_COMPARISON = re.compile(r"\s*([A-Za-z0-9_\-]+:[A-Za-z0-9_.'\-]+)\s*=\s*'((?:[^'\\]|\\.)*)'\s*")
_OR = re.compile(r"\s*OR\s+")
_OPEN = re.compile(r"\s*\[")
_CLOSE = re.compile(r"\s*\]")


def _path_key(path: str) -> str:
    obj, _, prop = path.partition(":")
    prop = prop.replace("'", "").lower()
    if prop.startswith("hashes."):
        prop = "hashes." + prop[7:].replace("-", "")
    return f"{obj.lower()}:{prop}"


def parse_pattern(pattern: str) -> list[tuple[str, str]] | None:
    """[(object-path, value)] for `[a = 'x']`, `[a = 'x' OR b = 'y']` and
    `[a = 'x'] OR [b = 'y']`; None for anything richer (AND, MATCHES...)."""
    text = pattern.strip()
    out: list[tuple[str, str]] = []
    pos = 0
    while True:
        m = _OPEN.match(text, pos)
        if not m:
            return None
        pos = m.end()
        while True:
            m = _COMPARISON.match(text, pos)
            if not m:
                return None
            out.append((m.group(1), re.sub(r"\\(.)", r"\1", m.group(2))))
            pos = m.end()
            m = _OR.match(text, pos)
            if not m:
                break
            pos = m.end()
        m = _CLOSE.match(text, pos)
        if not m:
            return None
        pos = m.end()
        if pos == len(text):
            return out
        m = _OR.match(text, pos)
        if not m:
            return None
        pos = m.end()


def parse_stix2(data: bytes, filename: str) -> ParsedFeed:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise FeedError(f"{filename}: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise FeedError(f"{filename}: not valid JSON at line {exc.lineno}: {exc.msg}") from None
    except RecursionError:
        raise FeedError(f"{filename}: JSON nested too deeply") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("objects"), list):
        raise FeedError(f"{filename}: not a STIX 2 bundle (no 'objects' list)")
    if doc.get("type") not in (None, "bundle"):
        raise FeedError(f"{filename}: not a STIX 2 bundle (type is {str(doc.get('type'))[:40]!r})")
    objects = [o for o in doc["objects"] if isinstance(o, dict) and isinstance(o.get("type"), str)]

    # Ids are used as keys: anything but a string (a list, from a hostile feed) is ignored.
    named = {o["id"]: str(o.get("name") or "").strip()
             for o in objects if o["type"] in _NAMED_TYPES and isinstance(o.get("id"), str)}
    named = {k: v for k, v in named.items() if v}
    family_of: dict[str, str] = {}
    for rel in objects:
        if rel["type"] == "relationship" and rel.get("relationship_type") == "indicates":
            src, dst = rel.get("source_ref"), rel.get("target_ref")
            if isinstance(src, str) and isinstance(dst, str) and dst in named:
                family_of.setdefault(src, named[dst])
    fallback = _fallback_name(objects, named, filename)

    index = FeedIndex()
    counts: dict[str, int] = {}
    unsupported = 0
    indicators = [o for o in objects if o["type"] == "indicator"]
    for ind in indicators:
        pattern = ind.get("pattern")
        if not isinstance(pattern, str) or ind.get("pattern_type", "stix") != "stix" or len(pattern) > 8192:
            unsupported += 1
            continue
        comparisons = parse_pattern(pattern)
        if comparisons is None:
            unsupported += 1
            continue
        ind_id = ind.get("id")
        idx = index.entry(family_of.get(ind_id, fallback) if isinstance(ind_id, str) else fallback, CATEGORY)
        for path, value in comparisons:
            target = _PATHS.get(_path_key(path))
            if target is None:
                unsupported += 1
                continue
            kind, field_name = target
            if kind == "app":  # app:id is an Android package or an iOS bundle id
                index.add("package", value, idx, field_name)
                index.add("bundle", value, idx, field_name)
            else:
                index.add(kind, value, idx, field_name)
    if not indicators:
        raise FeedError(f"{filename}: the bundle holds no indicator objects")
    if index.total == 0:
        raise FeedError(f"{filename}: none of its {len(indicators)} indicator patterns is one techsafe can use")
    for kind, label in _COUNT_LABELS.items():
        if index.count(kind):
            counts[label] = index.count(kind)
    counts["unsupported_patterns"] = unsupported
    counts["indicators"] = index.total - index.count("bundle")  # app ids sit in two maps
    counts["rejected_values"] = index.rejected
    counts["families"] = len(index.entries)
    dates = [str(o.get("modified") or o.get("created") or "") for o in objects]
    data_date = max((d for d in dates if re.match(r"\d{4}-\d\d-\d\d", d)), default="")
    return ParsedFeed(index=index, counts=counts, version=data_date[:10], data_date=data_date)


def _fallback_name(objects: list[dict[str, Any]], named: dict[str, str], filename: str) -> str:
    for kind in _NAMED_TYPES:
        names = sorted({str(o.get("name")).strip() for o in objects if o["type"] == kind and o.get("name")})
        if len(names) == 1:
            return names[0]
    reports = [str(o.get("name")).strip() for o in objects if o["type"] == "report" and o.get("name")]
    if len(reports) == 1:
        return reports[0][:120]
    return filename.rsplit(".", 1)[0]
