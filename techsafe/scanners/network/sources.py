"""Offline network input: a pcap or pcapng traffic capture.

Only captures of IP traffic belong here (Ethernet, raw IP, Linux cooked);
Bluetooth captures go to the trackers scanner. Detection reads magic bytes
and the link types, never the file name.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from techsafe.scanners.network.pcapfile import TRAFFIC_LINKTYPES, linktypes_of

if TYPE_CHECKING:
    from techsafe.case import Case

TRAFFIC_DIR = "traffic"


def detect(path: Path) -> str | None:
    path = Path(path)
    if not path.is_file():
        return None
    try:
        found = linktypes_of(path)
    except OSError:
        return None
    if found is None:
        return None
    fmt, linktypes = found
    if linktypes and linktypes <= TRAFFIC_LINKTYPES:
        return f"{fmt} traffic capture"
    return None


def ingest(path: Path, case: "Case") -> None:
    path = Path(path)
    fmt, _ = linktypes_of(path) or ("pcap", set())
    suffix = ".pcapng" if fmt == "pcapng" else ".pcap"
    name = f"{TRAFFIC_DIR}/capture-{len(traffic_artifacts(case)) + 1}{suffix}"
    # The original file name may carry a survivor's name: keep it out of the case paths.
    case.add_artifact_file("network", name, path, command="import traffic capture", meta={"format": fmt})


def traffic_artifacts(case: "Case") -> list:
    prefix = f"artifacts/network/{TRAFFIC_DIR}/"
    return [r for r in case.artifacts("network") if r.path.startswith(prefix)]
