"""Verdict -> Finding and timeline: the words a caseworker reads aloud."""

from __future__ import annotations

from techsafe.model import Evidence, Finding, Severity, TimelineEvent
from techsafe.scanners.trackers.decide import Verdict
from techsafe.scanners.trackers.families import family
from techsafe.scanners.trackers.sighting import iso_from_us
from techsafe.scanners.trackers.sweeps import Sweep


def _a(label: str) -> str:
    return ("An " if label[:1].upper() in "AEIOU" else "A ") + label


def _title(v: Verdict) -> str:
    t = v.tracker
    label = family(t.family).label
    n = len(t.sweep_indexes)
    sweeps = f"{n} sweep{'s' if n != 1 else ''}"
    if v.kind == "tracker.near_owner":
        return f"{_a(label)} close to its owner's phone was seen: its owner was nearby (it may be the survivor's own)."
    if v.kind.endswith(".separated"):
        if v.severity == Severity.CRITICAL:
            return f"{_a(label)} away from its owner was found in {sweeps} at different places or times: it is travelling with the survivor."
        return f"{_a(label)} away from its owner is near the survivor (seen in {sweeps})."
    if v.severity == Severity.HIGH:
        return f"{_a(label)} was found in {sweeps} at different places or times: unless it is the survivor's own, it is travelling with them."
    return f"{_a(label)} is near the survivor; this kind of tag does not say whether its owner is near, so ask whether it is theirs."


def _evidence(v: Verdict, sweeps: list[Sweep]) -> tuple[Evidence, ...]:
    out = []
    for idx in v.tracker.sweep_indexes:
        first = min((x for x in v.tracker.sightings if x[0] == idx), key=lambda x: x[1].time_us)
        _, s, ident = first
        line = int(s.origin.split()[1]) if s.origin.startswith("line ") else None
        rssi = f", {s.rssi} dBm" if s.rssi is not None else ""
        excerpt = f"{s.origin}: {s.address} {ident.family} {ident.state.replace('_', ' ')}{rssi}"
        out.append(Evidence(artifact=sweeps[idx].artifact, excerpt=excerpt, line=line))
    return tuple(out)


def to_finding(v: Verdict, sweeps: list[Sweep]) -> Finding:
    t = v.tracker
    fam = family(t.family)
    facts: list[tuple[str, str]] = [
        ("family", fam.label),
        ("tracker_id", t.tracker_id),
        ("state", ", ".join(sorted(s.replace("_", " ") for s in t.states))),
        ("sweeps", str(len(t.sweep_indexes))),
        ("places", ", ".join(v.places) or "not labelled"),
        ("first_seen", iso_from_us(t.first_us)),
        ("last_seen", iso_from_us(t.last_us)),
    ]
    if t.best_rssi is not None:
        facts.append(("strongest_signal", f"{t.best_rssi} dBm"))
    if len(t.addresses) > 1:
        facts.append(("addresses", " ".join(t.addresses)))
    for name, value in (("battery", t.battery), ("detail", t.detail), ("identifiers", fam.rotation)):
        if value:
            facts.append((name, value))
    facts.append(("ring", "techsafe trackers ring " + t.tracker_id if fam.ring else "not possible for this family"))
    for name, value in (("owner_learns", fam.owner_learns), ("disable", fam.disable), ("serial_lookup", fam.lookup)):
        if value:
            facts.append((name, value))
    return Finding(
        kind=v.kind,
        severity=v.severity,
        title=_title(v),
        subject=f"{fam.label} {t.tracker_id}",
        evidence=_evidence(v, sweeps),
        facts=tuple(facts),
    )


def timeline(v: Verdict, sweeps: list[Sweep]) -> list[TimelineEvent]:
    out = []
    fam = family(v.tracker.family)
    for idx in v.tracker.sweep_indexes:
        seen = [x for x in v.tracker.sightings if x[0] == idx]
        first = min(s.time_us for _, s, _ in seen)
        states = ", ".join(sorted({i.state.replace("_", " ") for _, _, i in seen}))
        place = sweeps[idx].place
        detail = f"{states}; {len(seen)} advertisement(s)" + (f"; at {place}" if place else "")
        out.append(TimelineEvent(iso_from_us(first), "seen", f"{fam.label} {v.tracker.tracker_id}", detail))
    return out
