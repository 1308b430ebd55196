"""Traces of rooting tools: `ls -l -d <fixed paths> 2>&1` and androidqf's
root_binaries.json.

`ls` (toybox, Android 6+; toolbox before) prints one line per path:

    -rwxr-xr-x 1 root shell 75364 2009-01-01 00:00 /system/xbin/su
    ls: /system/bin/su: No such file or directory
    ls: /data/adb/magisk: Permission denied

Toolbox on Android <= 5 prints `<path>: No such file or directory` without
the `ls: ` prefix; both are accepted. Each probe path (commands.py
ROOT_PROBE_PATHS) is classified present / absent / denied; a path the
output does not mention stays unclassified. Output that mentions none of the
paths (e.g. `ls: Unknown option`) raises ParseError.

androidqf `root_binaries.json` (acquisition/root.go in androidqf; shared
mvt/androidqf/root_binaries.json): a JSON list of the paths it found.
"""

from __future__ import annotations

import json

from techsafe.scanners.android.commands import ROOT_PROBE_PATHS
from techsafe.scanners.android.device_facts import PathProbe
from techsafe.scanners.android.facts import ParseError
from techsafe.scanners.android.parsers._text import require_lines, unrecognised

_PROBES = frozenset(ROOT_PROBE_PATHS)


def _classify(s: str) -> tuple[str, str] | None:
    body = s[4:] if s.startswith("ls: ") else s
    for suffix, state in ((": No such file or directory", "absent"), (": Permission denied", "denied")):
        if body.endswith(suffix):
            path = body[: -len(suffix)].strip().strip("'")
            return (path, state) if path in _PROBES else None
    if s[:1] in "-dlcbsp" and " " in s:
        # long listing: the path is the last field (or the one before ' -> ')
        name = s.split(" -> ", 1)[0].rsplit(" ", 1)[-1]
        return (name, "present") if name in _PROBES else None
    return None


def parse_root_listing(text: str) -> tuple[PathProbe, ...]:
    lines = require_lines(text, "root file listing")
    found: dict[str, PathProbe] = {}
    for i, raw in enumerate(lines, 1):
        hit = _classify(raw.strip())
        if hit is not None and hit[0] not in found:
            found[hit[0]] = PathProbe(hit[0], hit[1], i)
    if not found:
        raise unrecognised("root file listing", lines)
    return tuple(found.values())


def parse_root_binaries_json(text: str) -> tuple[str, ...]:
    if not isinstance(text, str) or not text.strip():
        raise ParseError("root_binaries.json: empty file")
    if len(text) > 1 << 20:
        raise ParseError("root_binaries.json: file is too large")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"root_binaries.json: not valid JSON ({type(exc).__name__})") from None
    if not isinstance(data, list):
        raise ParseError("root_binaries.json: not a list of paths")
    return tuple(dict.fromkeys(p[:1024] for p in data if isinstance(p, str) and p.startswith("/")))
