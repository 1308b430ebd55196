"""Offline inputs: BLE pcap/pcapng, btsnoop, techsafe sightings files.

Detected by magic bytes (and pcap link types), never by file name. Stored
byte-for-byte under artifacts/trackers/captures/ under a neutral name (the
original file name may carry a survivor's name).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from techsafe.scanners.trackers.captures import sniff_format

if TYPE_CHECKING:
    from techsafe.case import Case

HEAD = 1 << 16
DESCRIPTIONS = {
    "pcap": "Bluetooth LE pcap capture",
    "pcapng": "Bluetooth LE pcapng capture",
    "btsnoop": "btsnoop HCI log",
    "sightings": "techsafe tracker sweep",
}
SUFFIX = {"pcap": ".pcap", "pcapng": ".pcapng", "btsnoop": ".btsnoop", "sightings": ".jsonl"}


def _format(path: Path) -> str | None:
    path = Path(path)
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEAD)
    except OSError:
        return None
    return sniff_format(head)


def detect(path: Path) -> str | None:
    fmt = _format(path)
    return DESCRIPTIONS[fmt] if fmt else None


def ingest(path: Path, case: "Case") -> None:
    fmt = _format(path) or "pcap"
    count = len(case.artifacts("trackers")) + 1
    case.add_artifact_file(
        "trackers", f"captures/capture-{count}{SUFFIX[fmt]}", Path(path),
        command=f"import {DESCRIPTIONS[fmt]}", meta={"format": fmt, "kind": "capture"},
    )
