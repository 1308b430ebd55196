"""The Echap stalkerware-indicators feed (github.com/AssoEchap/stalkerware-indicators).

Files, by the names upstream gives them:

  ioc.yaml        stalkerware apps: name, names, type, packages, certificates
                  (40 upper-case hex SHA-1 of the DER signing cert), websites,
                  distribution, c2: {ips, domains}. Two upstream entries spell
                  `c2.ips` as `c2.ip`: both are read.
  watchware.yaml  visible monitoring apps, same schema plus ios_bundles
  samples.csv     SHA256,Package Name,Certificate,Version,App
  network.csv     type,indicator,app (generated from the YAML; adds nothing
                  the YAML lacks but is read so a partial copy still works)
  rules.yar       YARA rules (compiled once here to refuse a broken file)
  VERSION         "<commit> <git date>" of the snapshot (our shared copy only)

Licence: CC BY 4.0, attribute "Echap stalkerware-indicators".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any, Iterable

from techsafe.signatures.index import FeedIndex, ParsedFeed, norm_domain, norm_ip
from techsafe.signatures.records import FeedError
from techsafe.signatures.safeyaml import load_yaml

YAML_FILES = ("ioc.yaml", "watchware.yaml")
OPTIONAL_FILES = ("samples.csv", "network.csv", "rules.yar", "VERSION")
ALL_FILES = YAML_FILES + OPTIONAL_FILES
_DEFAULT_CATEGORY = {"ioc.yaml": "stalkerware", "watchware.yaml": "watchware"}
_LIST_FIELDS = ("names", "packages", "certificates", "websites", "distribution", "ios_bundles")
# Horizontal blanks only before "rule": `^\s*` with re.M re-scans every following
# blank line from each line start (quadratic; 1 MB of newlines took hours).
_RULE = re.compile(rb"^[ \t]*(?:(?:private|global)\s+)*rule\s+[A-Za-z_]\w*", re.M)


def looks_like_echap_yaml(data: Any) -> bool:
    """A YAML document shaped like ioc.yaml / watchware.yaml."""
    return (
        isinstance(data, list)
        and bool(data)
        and all(isinstance(e, dict) and "name" in e for e in data[:5])
        and any(k in data[0] for k in ("packages", "type", "certificates", "c2", "websites"))
    )


def role_of(entries: list[dict[str, Any]]) -> str:
    """ioc.yaml or watchware.yaml, from the entries' own `type` fields."""
    types = {str(e.get("type", "")).lower() for e in entries if isinstance(e, dict)}
    return "watchware.yaml" if types and types <= {"watchware"} else "ioc.yaml"


def parse_echap(files: dict[str, bytes]) -> ParsedFeed:
    """Parse the Echap files present in `files` (name -> bytes). FeedError on bad input."""
    if not any(name in files for name in YAML_FILES):
        raise FeedError("Echap feed: neither ioc.yaml nor watchware.yaml is present")
    index = FeedIndex()
    counts: dict[str, int] = {}
    parsed = ParsedFeed(index=index, counts=counts)
    names_by_category: dict[str, str] = {}  # entry name -> category, for samples/network rows

    for filename in YAML_FILES:
        if filename in files:
            entries = _load_entries(files[filename], filename)
            _index_yaml(entries, filename, index, counts, names_by_category)

    if "samples.csv" in files:
        _index_samples(files["samples.csv"], index, counts, names_by_category)
    if "network.csv" in files:
        _index_network(files["network.csv"], index, counts, names_by_category)
    if "rules.yar" in files:
        problem = check_yara(files["rules.yar"])
        if problem:
            parsed.warnings.append(f"rules.yar left out: {problem}")
            counts["yara_rules"] = 0
        else:
            counts["yara_rules"] = len(_RULE.findall(files["rules.yar"]))
    if "VERSION" in files:
        parsed.version, parsed.data_date = parse_version(files["VERSION"])
    counts["indicators"] = index.total
    counts["rejected_values"] = index.rejected
    return parsed


def _load_entries(data: bytes, filename: str) -> list[dict[str, Any]]:
    doc = load_yaml(data, filename)
    if not isinstance(doc, list):
        raise FeedError(f"{filename}: expected a list of apps, found {type(doc).__name__}")
    if not doc:
        raise FeedError(f"{filename}: holds no apps")
    for n, entry in enumerate(doc, 1):
        if not isinstance(entry, dict):
            raise FeedError(f"{filename}: app #{n} is not a mapping")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise FeedError(f"{filename}: app #{n} has no name")
        for key in _LIST_FIELDS:
            value = entry.get(key)
            if value is not None and not isinstance(value, list):
                raise FeedError(f"{filename}: app {name!r}: '{key}' must be a list")
        c2 = entry.get("c2")
        if c2 is not None:
            if not isinstance(c2, dict):
                raise FeedError(f"{filename}: app {name!r}: 'c2' must be a mapping")
            for key in ("ips", "ip", "domains"):
                if c2.get(key) is not None and not isinstance(c2[key], list):
                    raise FeedError(f"{filename}: app {name!r}: 'c2.{key}' must be a list")
    return doc


def _strings(values: Iterable[Any] | None) -> list[str]:
    return [v for v in values or () if isinstance(v, str)]


def _index_yaml(
    entries: list[dict[str, Any]],
    filename: str,
    index: FeedIndex,
    counts: dict[str, int],
    names_by_category: dict[str, str],
) -> None:
    default = _DEFAULT_CATEGORY[filename]
    prefix = default  # count names say which file they came from
    seen: dict[str, set[str]] = {k: set() for k in ("packages", "certificates", "websites", "c2_domains", "c2_ips", "ios_bundles")}
    for entry in entries:
        name = entry["name"].strip()
        category = str(entry.get("type") or default).strip().lower()
        if category not in ("stalkerware", "watchware"):
            category = default
        names_by_category.setdefault(name, category)
        for alias in _strings(entry.get("names")):
            names_by_category.setdefault(alias.strip(), category)
        idx = index.entry(name, category)
        for value in _strings(entry.get("packages")):
            if index.add("package", value, idx, "package"):
                seen["packages"].add(value.strip())
        for value in _strings(entry.get("ios_bundles")):
            if index.add("bundle", value, idx, "ios_bundle"):
                seen["ios_bundles"].add(value.strip().lower())
        for value in _strings(entry.get("certificates")):
            if index.add("cert", value, idx, "certificate"):
                seen["certificates"].add(value.strip().lower())
        for value in _strings(entry.get("websites")):
            if _add_host_or_url(index, value, idx, "website"):
                seen["websites"].add(value.strip().lower())
        for value in _strings(entry.get("distribution")):
            _add_host_or_url(index, value, idx, "distribution")
        c2 = entry.get("c2") or {}
        for value in _strings(c2.get("domains")):
            if _add_host_or_url(index, value, idx, "c2_domain"):
                seen["c2_domains"].add(value.strip().lower().rstrip("."))
        # Upstream spells it `ips`; two entries say `ip`. Read both.
        for value in _strings(c2.get("ips")) + _strings(c2.get("ip")):
            if index.add("ip", value, idx, "c2_ip"):
                seen["c2_ips"].add(value.strip())
    counts[f"{prefix}_apps"] = len(entries)
    for key, values in seen.items():
        if values or key != "ios_bundles":
            counts[f"{prefix}_{key}"] = len(values)


def _add_host_or_url(index: FeedIndex, value: str, idx: int, field_name: str) -> bool:
    """Feeds mix bare hosts, IPs and full URLs in one list: file each where it belongs.
    A URL never goes into the domain map (github.com/some/repo must not flag github.com)."""
    value = value.strip()
    if "://" in value or "/" in value:
        return index.add("url", value if "://" in value else "https://" + value, idx, field_name)
    if norm_ip(value):
        return index.add("ip", value, idx, field_name)
    return index.add("domain", value, idx, field_name)


def _csv_rows(data: bytes, filename: str, required: tuple[str, ...]) -> list[dict[str, str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FeedError(f"{filename}: not UTF-8 text (byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []  # reads the first row: may raise csv.Error too
    except csv.Error as exc:
        raise FeedError(f"{filename}: not valid CSV at line 1: {exc}") from None
    missing = [c for c in required if c not in header]
    if missing:
        raise FeedError(f"{filename}: missing column(s) {', '.join(missing)}")
    try:
        return [row for row in reader]
    except csv.Error as exc:
        raise FeedError(f"{filename}: not valid CSV at line {reader.line_num}: {exc}") from None


def _row_entry(index: FeedIndex, app: str, names_by_category: dict[str, str]) -> int:
    app = (app or "").strip() or "unknown"
    return index.entry(app, names_by_category.get(app, "stalkerware"))


def _index_samples(data: bytes, index: FeedIndex, counts: dict[str, int], names_by_category: dict[str, str]) -> None:
    rows = _csv_rows(data, "samples.csv", ("SHA256", "Package Name", "Certificate", "App"))
    hashes = 0
    for row in rows:
        idx = _row_entry(index, row.get("App") or "", names_by_category)
        if index.add("sha256", row.get("SHA256") or "", idx, "sample_sha256"):
            hashes += 1
        if row.get("Package Name"):
            index.add("package", row["Package Name"], idx, "sample_package")
        if row.get("Certificate"):
            index.add("cert", row["Certificate"], idx, "sample_certificate")
    counts["samples"] = hashes


def _index_network(data: bytes, index: FeedIndex, counts: dict[str, int], names_by_category: dict[str, str]) -> None:
    rows = _csv_rows(data, "network.csv", ("type", "indicator", "app"))
    for row in rows:
        idx = _row_entry(index, row.get("app") or "", names_by_category)
        kind = (row.get("type") or "").strip().lower()
        value = row.get("indicator") or ""
        # Only fill gaps: the YAML already filed most of these with a finer field name.
        if kind == "domain":
            host = value.strip().lower().rstrip(".")
            if not any(host in index.maps[k] for k in ("domain", "ip", "url")) and norm_domain(host) not in index.maps["domain"]:
                _add_host_or_url(index, value, idx, "network")
        elif kind in ("ip", "ipv4", "ipv6") and norm_ip(value) not in index.maps["ip"]:
            index.add("ip", value, idx, "network")
    counts["network_rows"] = len(rows)


def check_yara(data: bytes) -> str:
    """'' when the rules compile, else a one-line reason."""
    try:
        import yara
    except ImportError:  # pragma: no cover - yara-python is a dependency
        return "yara-python is not installed"
    try:
        yara.compile(source=data.decode("utf-8"))
    except UnicodeDecodeError:
        return "not UTF-8 text"
    except ValueError:  # yara refuses a NUL byte in the source with ValueError
        return "holds a NUL byte: not YARA source text"
    except yara.Error as exc:
        return " ".join(str(exc).split())[:160]
    return ""


def parse_version(data: bytes) -> tuple[str, str]:
    """VERSION: '<40-hex commit> <git date>' -> (commit, UTC ISO date or '')."""
    line = data.decode("utf-8", "replace").strip().splitlines()[0] if data.strip() else ""
    commit, _, date_text = line.partition(" ")
    if not re.fullmatch(r"[0-9a-fA-F]{7,64}", commit):
        return line[:80], ""
    try:
        when = dt.datetime.strptime(date_text.strip(), "%a %b %d %H:%M:%S %Y %z")
    except ValueError:
        return commit.lower(), ""
    iso = when.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    return commit.lower(), iso
