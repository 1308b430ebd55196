"""techsafe's own sightings file: JSON lines, one sweep per file.

  line 1   {"format": "techsafe.ble-sightings/1", "started": ISO, "place": str|null,
            "duration_s": float, "capture": "bleak", "complete": bool}
  line n   {"t": ISO with microseconds, "addr": "AA:..", "addr_type": "random",
            "rssi": -61, "mfg": {"76": "12191...hex"}, "svc": {"fd5a": "hex"},
            "uuids": ["feed"], "name": "..."}

Written by live sweeps; read back exactly (hex bytes, integer microseconds
in the timestamps), so a saved case re-analyzes to the same findings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from techsafe.scanners.trackers.sighting import MAX_NAME, Sighting, iso_from_us, us_from_iso

FORMAT = "techsafe.ble-sightings/1"
MAX_LINE = 1 << 16


@dataclass
class SightingsFile:
    header: dict[str, Any] = field(default_factory=dict)
    sightings: list[Sighting] = field(default_factory=list)
    problem: str = ""
    bad_lines: int = 0


def is_sightings_file(head: bytes) -> bool:
    first = head.split(b"\n", 1)[0]
    try:
        obj = json.loads(first)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(obj, dict) and obj.get("format") == FORMAT


def sighting_line(s: Sighting) -> dict[str, Any]:
    return {
        "t": iso_from_us(s.time_us),
        "addr": s.address,
        "addr_type": s.address_type,
        "rssi": s.rssi,
        "mfg": {str(cid): data.hex() for cid, data in s.manufacturer_data},
        "svc": {uuid: data.hex() for uuid, data in s.service_data},
        "uuids": list(s.service_uuids),
        "name": s.name,
    }


def dumps(header: dict[str, Any], sightings: Iterable[Sighting]) -> bytes:
    lines = [json.dumps({"format": FORMAT, **header}, sort_keys=True)]
    lines.extend(json.dumps(sighting_line(s), sort_keys=True) for s in sightings)
    return ("\n".join(lines) + "\n").encode("utf-8")


def _sighting(obj: Any, origin: str) -> Sighting:
    if not isinstance(obj, dict):
        raise ValueError("not an object")
    rssi = obj.get("rssi")
    if rssi is not None and (not isinstance(rssi, int) or isinstance(rssi, bool) or not -128 <= rssi <= 127):
        raise ValueError("bad rssi")
    mfg = obj.get("mfg") or {}
    svc = obj.get("svc") or {}
    uuids = obj.get("uuids") or []
    if not isinstance(mfg, dict) or not isinstance(svc, dict) or not isinstance(uuids, list):
        raise ValueError("bad fields")
    address = str(obj["addr"])[:17].upper()
    return Sighting(
        time_us=us_from_iso(str(obj["t"])),
        address=address,
        address_type=str(obj.get("addr_type") or "")[:8],
        rssi=rssi,
        manufacturer_data=tuple((int(k) & 0xFFFF, bytes.fromhex(str(v))) for k, v in mfg.items()),
        service_data=tuple((str(k).lower()[:36], bytes.fromhex(str(v))) for k, v in svc.items()),
        service_uuids=tuple(str(u).lower()[:36] for u in uuids),
        name=str(obj.get("name") or "")[:MAX_NAME],
        origin=origin,
    )


def read(data: bytes) -> SightingsFile:
    out = SightingsFile()
    lines = data.split(b"\n")
    try:
        header = json.loads(lines[0])
    except (ValueError, UnicodeDecodeError):
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        out.problem = f"first line is not a {FORMAT} header"
        return out
    out.header = header
    for n, raw in enumerate(lines[1:], start=2):
        if not raw.strip():
            continue
        try:
            if len(raw) > MAX_LINE:
                raise ValueError("line too long")
            out.sightings.append(_sighting(json.loads(raw), f"line {n}"))
        except (ValueError, KeyError, TypeError, OverflowError, UnicodeDecodeError):
            out.bad_lines += 1
    if out.bad_lines:
        out.problem = f"{out.bad_lines} line(s) could not be read"
    return out
