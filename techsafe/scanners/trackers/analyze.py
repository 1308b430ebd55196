"""analyze(case, indicators) -> Analysis for every sweep and capture in the case.

Pure: reads only the case's stored artifacts (no Bluetooth, no network);
the same artifacts always give the same findings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from techsafe.checks import run_checks
from techsafe.model import Analysis, NotChecked, sort_findings
from techsafe.scanners.trackers.checks import TrackersContext
from techsafe.scanners.trackers.findings import timeline
from techsafe.scanners.trackers.sweeps import load_sweeps

if TYPE_CHECKING:
    from techsafe.case import Case


def analyze(case: "Case", indicators: Any = None) -> Analysis:
    sweeps, gaps = load_sweeps(case)
    # Phones, watches and earbuds are almost everywhere: a sweep that heard
    # nothing at all more likely had a deaf adapter or an empty capture.
    gaps = list(gaps) + [
        NotChecked("trackers.capture", _heard_nothing(s), s.artifact)
        for s in sweeps if not s.sightings and s.complete  # an interrupted sweep already says so
    ]
    ctx = TrackersContext(sweeps)
    findings, not_checked, checked = run_checks("trackers", ctx)
    events = []
    device: tuple[tuple[str, str], ...] = (("ble.sweeps", str(len(sweeps))),)
    if sweeps:
        trackers, devices = ctx.linked
        for v in ctx.verdicts:
            events.extend(timeline(v, sweeps))
        device += (
            ("ble.trackers_seen", str(len(trackers))),
            ("ble.other_devices_seen", str(len(devices))),
        )
    return Analysis(
        findings=sort_findings(findings),
        not_checked=tuple(gaps) + tuple(not_checked),
        device=device,
        timeline=tuple(sorted(events, key=lambda e: (e.time, e.subject))),
        checked=tuple(checked),
    )


def _heard_nothing(sweep) -> str:
    if sweep.format == "sightings":  # a techsafe sweep: the adapter is the likely cause
        return ("nothing at all was heard in this sweep: the Bluetooth adapter may not have been receiving; "
                "sweep again")
    return (f"nothing at all was heard in the imported capture {sweep.artifact}: it holds no Bluetooth "
            "advertisements, so it cannot show whether a tracker was near")
