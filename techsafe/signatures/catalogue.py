"""The team catalogue shipped with techsafe (signatures/catalogue.yaml).

Dual-use apps (family locators, parental control, anti-theft, remote access),
the apps of doorbells, cameras and trackers, and a short list of the
best-known stalkerware families so that a laptop with no imported feed still
recognises them. Each entry has a category and a plain-language line saying
what the app lets someone do.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from techsafe import paths
from techsafe.signatures.index import FeedIndex, norm_domain
from techsafe.signatures.records import CATEGORIES, FeedError, FeedInfo
from techsafe.signatures.safeyaml import load_yaml

SCHEMA = "techsafe.catalogue/1"
FEED_NAME = "techsafe-catalogue"
CATALOGUE_FILE = "catalogue.yaml"

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# Android: at least two segments, each starting with a letter (aapt's rule).
ANDROID_PACKAGE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$")
# iOS: reverse-DNS of letters, digits, hyphens and dots.
IOS_BUNDLE = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_FIELDS = {"id", "name", "category", "android", "ios", "domains", "what_it_can_do"}


@dataclass(frozen=True)
class CatalogueEntry:
    id: str
    name: str
    category: str
    what_it_can_do: str
    android: tuple[str, ...] = ()
    ios: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    version: str
    sha256: str
    path: Path
    entries: tuple[CatalogueEntry, ...]

    def index(self) -> FeedIndex:
        index = FeedIndex()
        for entry in self.entries:
            idx = index.entry(entry.name, entry.category, entry.what_it_can_do)
            for value in entry.android:
                index.add("package", value, idx, "package")
            for value in entry.ios:
                index.add("bundle", value, idx, "ios_bundle")
            for value in entry.domains:
                index.add("domain", value, idx, "domain")
        return index

    def info(self) -> FeedInfo:
        counts = {"apps": len(self.entries), "packages": sum(len(e.android) for e in self.entries)}
        counts["ios_bundles"] = sum(len(e.ios) for e in self.entries)
        counts["domains"] = sum(len(e.domains) for e in self.entries)
        counts["indicators"] = counts["packages"] + counts["ios_bundles"] + counts["domains"]
        return FeedInfo(
            name=FEED_NAME,
            kind="catalogue",
            version=self.version,
            sha256=self.sha256,
            imported_at="",
            source=str(self.path),
            counts=counts,
            files=((CATALOGUE_FILE, self.sha256),),
        )


def catalogue_path() -> Path:
    return paths.resource_dir("signatures") / CATALOGUE_FILE


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read and validate the catalogue; FeedError (one line) when it is unusable."""
    path = path or catalogue_path()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FeedError(f"{path}: cannot read the catalogue ({exc.strerror or exc})") from None
    doc = load_yaml(data, str(path))
    problems = validate_catalogue(doc)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise FeedError(f"{path}: {problems[0]}{more}")
    entries = tuple(
        CatalogueEntry(
            id=e["id"],
            name=e["name"].strip(),
            category=e["category"],
            what_it_can_do=" ".join(e["what_it_can_do"].split()),
            android=tuple(e.get("android") or ()),
            ios=tuple(e.get("ios") or ()),
            domains=tuple(e.get("domains") or ()),
        )
        for e in doc["entries"]
    )
    return Catalogue(version=str(doc["version"]), sha256=hashlib.sha256(data).hexdigest(), path=path, entries=entries)


def validate_catalogue(doc: Any) -> list[str]:
    """Every problem with a parsed catalogue document, as one-line strings."""
    if not isinstance(doc, dict):
        return ["the catalogue must be a mapping with 'schema', 'version' and 'entries'"]
    problems: list[str] = []
    if doc.get("schema") != SCHEMA:
        problems.append(f"schema must be {SCHEMA!r}")
    if not isinstance(doc.get("version"), (str, int, float)) or not str(doc.get("version")).strip():
        problems.append("'version' is missing")
    entries = doc.get("entries")
    if not isinstance(entries, list) or not entries:
        return problems + ["'entries' must be a non-empty list"]
    seen_ids: set[str] = set()
    seen_packages: dict[str, str] = {}
    seen_bundles: dict[str, str] = {}
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            problems.append(f"entry #{n} is not a mapping")
            continue
        eid = entry.get("id")
        label = f"entry {eid!r}" if isinstance(eid, str) else f"entry #{n}"
        unknown = set(entry) - _FIELDS
        if unknown:
            problems.append(f"{label}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
        if not isinstance(eid, str) or not _ID.match(eid):
            problems.append(f"{label}: 'id' must be lower-case letters, digits and '-'")
        elif eid in seen_ids:
            problems.append(f"{label}: duplicate id")
        else:
            seen_ids.add(eid)
        if not isinstance(entry.get("name"), str) or not entry["name"].strip():
            problems.append(f"{label}: 'name' is missing")
        if entry.get("category") not in CATEGORIES:
            problems.append(f"{label}: unknown category {entry.get('category')!r}")
        text = entry.get("what_it_can_do")
        if not isinstance(text, str) or len(text.split()) < 4:
            problems.append(f"{label}: 'what_it_can_do' must be a plain-language sentence")
        ids = 0
        for key, pattern, seen in (("android", ANDROID_PACKAGE, seen_packages), ("ios", IOS_BUNDLE, seen_bundles)):
            values = entry.get(key) or []
            if not isinstance(values, list):
                problems.append(f"{label}: '{key}' must be a list")
                continue
            for value in values:
                if not isinstance(value, str) or not pattern.match(value):
                    problems.append(f"{label}: {value!r} is not a valid {key} id")
                    continue
                ids += 1
                folded = value if key == "android" else value.lower()
                if folded in seen:
                    problems.append(f"{label}: {value} is also listed by {seen[folded]!r}")
                seen[folded] = str(eid)
        domains = entry.get("domains") or []
        if not isinstance(domains, list):
            problems.append(f"{label}: 'domains' must be a list")
            domains = []
        for value in domains:
            if not isinstance(value, str) or norm_domain(value) != value:
                problems.append(f"{label}: {value!r} is not a lower-case domain name")
            else:
                ids += 1
        if ids == 0:
            problems.append(f"{label}: needs at least one android, ios or domain id")
    return problems
