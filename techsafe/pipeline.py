"""acquire -> artifacts -> analyze -> findings, wired once for every scanner.

Each platform package (techsafe/scanners/<platform>/) provides:

  sources.py   detect(path) -> str | None   what the offline input is, or None
               ingest(path, case) -> None    store it byte-for-byte as artifacts
  analyze.py   analyze(case, indicators) -> Analysis   pure: artifacts -> findings

`techsafe analyze PATH` asks each platform's detect() in turn; a live scan
stores artifacts itself and then calls the same analyze().
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

from techsafe.model import Analysis, NotChecked, sort_findings

if TYPE_CHECKING:
    from techsafe.case import Case
    from techsafe.signatures import IndicatorSet

# Order matters for detection: the most specific formats first.
PLATFORMS: tuple[str, ...] = ("android", "ios", "trackers", "network")


class InputError(Exception):
    """A one-line, user-facing reason why an input cannot be read."""


def _module(platform: str, name: str):
    try:
        return importlib.import_module(f"techsafe.scanners.{platform}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"techsafe.scanners.{platform}.{name}":
            return None
        raise


def detect(path: Path) -> tuple[str, str] | None:
    """(platform, description) of an offline input, or None."""
    _refuse_damaged_zip(Path(path))
    for platform in PLATFORMS:
        mod = _module(platform, "sources")
        if mod is None:
            continue
        what = mod.detect(path)
        if what:
            return platform, what
    _refuse_unread_capture(Path(path))
    return None


def _refuse_damaged_zip(path: Path) -> None:
    """A zip cut short (a partial copy or download) must not be read as text:
    its stored members would look like a dump with most of it missing."""
    import zipfile

    if not path.is_file():
        return
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic in (b"PK\x03\x04", b"PK\x05\x06") and not zipfile.is_zipfile(path):
        raise InputError(f"{path}: damaged or incomplete zip (its table of contents is missing); copy it again")


CAPTURE_LINKTYPES_READ = "Ethernet, Linux cooked (SLL/SLL2), raw IP and Bluetooth HCI/LE link types"


def _refuse_unread_capture(path: Path) -> None:
    """A pcap/pcapng no scanner took: say why (its link types), not just
    "not a format techsafe reads", which would send the caseworker looking
    for the wrong problem."""
    from techsafe.scanners.network.pcapfile import TRAFFIC_LINKTYPES, linktype_text, linktypes_of
    from techsafe.scanners.trackers.captures.pcap import BLE_LINKTYPES

    if not path.is_file():
        return
    try:
        found = linktypes_of(path)
    except OSError:
        return
    if found is None:
        return  # not a pcap/pcapng at all
    fmt, linktypes = found
    if not linktypes:
        if fmt == "pcap":
            raise InputError(f"{path}: a pcap capture whose file header is cut short; copy it again")
        raise InputError(
            f"{path}: a pcapng capture with no interface description (link type) before its packets, "
            "which techsafe cannot read"
        )

    def listed(types) -> str:
        texts = [linktype_text(t) for t in sorted(types)]
        return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1]

    def types(kind: str, found) -> str:
        return f"{kind}link type{'s' if len(found) > 1 else ''} {listed(found)}"

    unread = linktypes - TRAFFIC_LINKTYPES - BLE_LINKTYPES
    if unread:
        raise InputError(
            f"{path}: a {fmt} capture with {types('', unread)}, which techsafe does not read; "
            f"it reads {CAPTURE_LINKTYPES_READ}"
        )
    ip, ble = linktypes & TRAFFIC_LINKTYPES, linktypes & BLE_LINKTYPES
    if ip and ble:
        raise InputError(
            f"{path}: a {fmt} capture mixing {types('network ', ip)} with {types('Bluetooth ', ble)} in one file, "
            "which techsafe does not read; save them to separate files"
        )


PHONE_PLATFORMS = ("android", "ios")


def ensure_one_phone(case: "Case", platform: str) -> None:
    """A case is about one phone: a second phone's data in it would put one
    phone's findings under the other's device facts in an evidence report."""
    if platform not in PHONE_PLATFORMS:
        return
    held = sorted({rec.source for rec in case.artifacts()} & set(PHONE_PLATFORMS))
    if held:
        raise InputError(
            f"{case.root} already holds a phone's data ({', '.join(held)}); use a new case folder for each phone "
            "and each scan (omit --case, or give a new folder)"
        )


def ingest(path: Path, case: "Case") -> tuple[str, str]:
    found = detect(path)
    if found is None:
        raise InputError(
            f"{path}: not a format techsafe reads (expected a case folder, an androidqf folder or zip, "
            "a dumpsys text dump, a bugreport, an iPhone backup, a pcap/pcapng/btsnoop capture)"
        )
    platform, what = found
    ensure_one_phone(case, platform)
    _module(platform, "sources").ingest(path, case)
    case.log("ingest", platform=platform, input=what)
    return found


def analyze_case(case: "Case", indicators: "IndicatorSet") -> Analysis:
    """Run every platform analyzer that has artifacts in the case and merge."""
    sources = {rec.source for rec in case.artifacts()}
    parts: list[Analysis] = []
    for platform in PLATFORMS:
        if platform not in sources:
            continue
        mod = _module(platform, "analyze")
        if mod is None:
            parts.append(Analysis((), (NotChecked(platform, "this version cannot analyze these artifacts"),)))
            continue
        parts.append(mod.analyze(case, indicators))
    merged = merge(parts)
    if not sources:
        merged = merge([merged, Analysis((), (NotChecked("case", "nothing was collected in this case"),))])
    return merged


def merge(parts: list[Analysis]) -> Analysis:
    device: dict[str, str] = {}
    for p in parts:
        device.update(dict(p.device))
    return Analysis(
        findings=sort_findings(f for p in parts for f in p.findings),
        not_checked=tuple(n for p in parts for n in p.not_checked),
        device=tuple(device.items()),
        timeline=tuple(sorted((t for p in parts for t in p.timeline), key=lambda t: (t.time, t.subject))),
        checked=tuple(dict.fromkeys(c for p in parts for c in p.checked)),
    )
