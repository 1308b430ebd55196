"""Sweeps stored in a case: every artifact under artifacts/trackers/.

A sweep is one capture: a live `techsafe trackers sweep` (a sightings file
with its start time and optional place label) or an imported pcap/pcapng/
btsnoop file (start = first packet; no place).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from techsafe.model import NotChecked
from techsafe.scanners.trackers.captures import read_capture
from techsafe.scanners.trackers.sighting import Sighting, us_from_iso

if TYPE_CHECKING:
    from techsafe.case import Case

SOURCE = "trackers"
AREA = "trackers.capture"


@dataclass(frozen=True)
class Sweep:
    artifact: str
    started_us: int
    place: str  # "" when not labelled
    format: str
    sightings: tuple[Sighting, ...]
    complete: bool = True

    @property
    def label(self) -> str:
        from techsafe.scanners.trackers.sighting import iso_from_us

        when = iso_from_us(self.started_us)[:16].replace("T", " ")
        return f"{when} {self.place}".strip()


def _started(header_started: object, sightings: list[Sighting], fallback: str) -> int:
    if isinstance(header_started, str):
        try:
            return us_from_iso(header_started)
        except ValueError:
            pass
    if sightings:
        return min(s.time_us for s in sightings)
    try:
        return us_from_iso(fallback)
    except ValueError:
        return 0


def load_sweeps(case: "Case") -> tuple[list[Sweep], list[NotChecked]]:
    sweeps: list[Sweep] = []
    gaps: list[NotChecked] = []
    for rec in case.artifacts(SOURCE):
        try:
            data = case.read_artifact(rec.path)
        except OSError:
            gaps.append(NotChecked(AREA, "a stored capture could not be read from the case folder", rec.path))
            continue
        cap = read_capture(data)
        if not cap.format:
            gaps.append(NotChecked(AREA, "a stored file is not a Bluetooth capture techsafe can read", rec.path))
            continue
        if not cap.readable:  # an imported file: name it and say why, nothing about the adapter
            gaps.append(NotChecked(AREA, f"{rec.path} (the imported file) could not be read: {cap.problem}; "
                                         "nothing in it was checked", rec.path))
            continue
        if cap.problem:
            gaps.append(NotChecked(AREA, f"part of this capture could not be read: {cap.problem}", rec.path))
        place = cap.header.get("place") or rec.meta.get("place") or ""
        complete = rec.complete and bool(cap.header.get("complete", True))
        if not complete:
            gaps.append(NotChecked(AREA, "this sweep was interrupted: trackers may have been missed", rec.path))
        sweeps.append(
            Sweep(
                artifact=rec.path,
                started_us=_started(cap.header.get("started"), cap.sightings, rec.started),
                place=str(place)[:80],
                format=cap.format,
                sightings=tuple(cap.sightings),
                complete=complete,
            )
        )
    sweeps.sort(key=lambda s: (s.started_us, s.artifact))
    return sweeps, gaps
