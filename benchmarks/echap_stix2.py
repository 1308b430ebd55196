"""The Echap stalkerware indicators (ioc.yaml) as a STIX 2.1 bundle, laid out
the way Echap's own generated `ioc.stix2` is: one `malware` object per app,
one `indicator` per value (`[app:id = '...']`, `[app:cert.sha1 = '...']`,
`[domain-name:value = '...']`, `[ipv4-addr:value = '...']`) and one
`indicates` relationship from each indicator to its malware. MVT reads this
form with `-i FILE`; techsafe imports the very same file, so both tools
match against the same indicators.

    python benchmarks/echap_stix2.py ../shared/indicators/echap/ioc.yaml OUT.stix2
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

_NS = uuid.UUID("6f1f1d7a-58a5-4c55-9c39-1b7b6c3c0e51")  # fixed: the same input gives the same ids
_WHEN = "2024-01-01T00:00:00.000Z"


def _id(kind: str, *parts: str) -> str:
    return f"{kind}--{uuid.uuid5(_NS, '/'.join((kind, *parts)))}"


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def convert(entries: list[dict]) -> dict:
    objects: list[dict] = []
    for app in entries:
        if not isinstance(app, dict) or not app.get("name"):
            continue
        name = str(app["name"])
        mal = _id("malware", name)
        objects.append({"type": "malware", "spec_version": "2.1", "id": mal, "created": _WHEN, "modified": _WHEN,
                        "name": name, "description": f"{app.get('type', 'stalkerware')} ({', '.join(map(str, app.get('names') or [name]))})",
                        "is_family": False})
        c2 = app.get("c2") or {}
        values = [("app:id", p) for p in app.get("packages") or []]
        values += [("app:cert.sha1", c) for c in app.get("certificates") or []]
        values += [("domain-name:value", d) for d in (app.get("websites") or []) + (c2.get("domains") or [])]
        values += [("ipv4-addr:value", ip) for ip in (c2.get("ips") or c2.get("ip") or [])]  # Echap spells it both ways
        seen: set[tuple[str, str]] = set()
        for path, value in values:
            if (path, str(value)) in seen:
                continue
            seen.add((path, str(value)))
            ind = _id("indicator", name, path, str(value))
            objects.append({"type": "indicator", "spec_version": "2.1", "id": ind, "created": _WHEN, "modified": _WHEN,
                            "indicator_types": ["malicious-activity"], "pattern": f"[{path} = '{_quote(str(value))}']",
                            "pattern_type": "stix", "pattern_version": "2.1", "valid_from": _WHEN})
            objects.append({"type": "relationship", "spec_version": "2.1", "id": _id("relationship", ind, mal),
                            "created": _WHEN, "modified": _WHEN, "relationship_type": "indicates",
                            "source_ref": ind, "target_ref": mal})
    return {"type": "bundle", "id": _id("bundle", "echap"), "objects": objects}


def write_echap_stix2(ioc_yaml: Path, out: Path) -> Path:
    import yaml

    entries = yaml.safe_load(ioc_yaml.read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise SystemExit(f"{ioc_yaml}: expected a list of apps")
    out.write_text(json.dumps(convert(entries), indent=1))
    return out


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__.strip().splitlines()[-1])
    path = write_echap_stix2(Path(sys.argv[1]), Path(sys.argv[2]))
    bundle = json.loads(path.read_text())
    print(f"{path}: {sum(o['type'] == 'indicator' for o in bundle['objects'])} indicators")
