"""From sweeps to trackers: link sightings of one physical tag, then decide.

Linking (per family, see families.py):
- static families (Tile, Chipolo, Pebblebee): same address.
- Apple Find My, Google FMDN, DULT: same address, or same rotating id in
  separated mode (Apple keeps address and key about 24 h when separated).
- SmartTag: same address or privacy id, or an aging counter that advanced
  as expected for the time between two sightings (one step per 15 min,
  ±1 step): the privacy id and address rotate every 15 min, the counter
  does not jump.

Decision (DESIGN.md rubric and issue 5):
- separated tracker seen in >= 2 sweeps whose places differ (two distinct
  labels) or that span >= FOLLOW_MIN_SPAN_S  -> critical ("follows")
- separated tracker otherwise                -> high
- family without owner state (Tile, Chipolo, Pebblebee): following -> high,
  otherwise medium (it may be the survivor's own; ask)
- only ever near its owner                   -> info (tracker.near_owner)
- not a tracker family (phones, beacons, unknown): listed, never a finding.

Thresholds against AirGuard (seemoo-lab/AirGuard RiskLevelEvaluator): AirGuard
alerts after a tracker was seen for >= 30/60/120 min (high/medium/low
sensitivity; medium is the default) at >= 2/3/4 distinct locations (GPS
fixes). techsafe sweeps are deliberate, with the survivor's belongings
present, and already require the separated state, so it uses AirGuard's
most sensitive time span (30 min) and 2 sweeps; places are the caseworker's
labels instead of GPS. Separated in a single sweep is already high: a
caseworker should look for it now rather than wait for a pattern.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from techsafe.model import Severity
from techsafe.scanners.trackers.decoders import NEAR_OWNER, SEPARATED, Identity, identify
from techsafe.scanners.trackers.families import family
from techsafe.scanners.trackers.sighting import Sighting
from techsafe.scanners.trackers.sweeps import Sweep

FOLLOW_MIN_SWEEPS = 2
FOLLOW_MIN_SPAN_S = 30 * 60
SMARTTAG_STEP_S = 15 * 60
SMARTTAG_TOLERANCE = 1


@dataclass
class Tracker:
    family: str
    sightings: list[tuple[int, Sighting, Identity]] = field(default_factory=list)  # (sweep index, ...)

    @property
    def label(self) -> str:
        return family(self.family).label

    @property
    def addresses(self) -> list[str]:
        return list(dict.fromkeys(s.address for _, s, _ in sorted(self.sightings, key=lambda x: x[1].time_us)))

    @property
    def tracker_id(self) -> str:
        return self.addresses[0]

    @property
    def sweep_indexes(self) -> list[int]:
        return sorted({i for i, _, _ in self.sightings})

    @property
    def states(self) -> set[str]:
        return {ident.state for _, _, ident in self.sightings}

    @property
    def separated(self) -> bool:
        return SEPARATED in self.states

    @property
    def first_us(self) -> int:
        return min(s.time_us for _, s, _ in self.sightings)

    @property
    def last_us(self) -> int:
        return max(s.time_us for _, s, _ in self.sightings)

    @property
    def best_rssi(self) -> int | None:
        values = [s.rssi for _, s, _ in self.sightings if s.rssi is not None]
        return max(values) if values else None

    @property
    def battery(self) -> str:
        return next((i.battery for _, _, i in reversed(self.sightings) if i.battery), "")

    @property
    def detail(self) -> str:
        return next((i.detail for _, _, i in reversed(self.sightings) if i.detail), "")


@dataclass(frozen=True)
class Device:
    """A BLE device that is not a tracker: listed so the caseworker sees everything."""

    family: str
    address: str
    sweeps: tuple[int, ...]
    count: int
    best_rssi: int | None


@dataclass(frozen=True)
class Verdict:
    tracker: Tracker
    kind: str
    severity: Severity
    following: bool
    places: tuple[str, ...]


class _Union:
    def __init__(self) -> None:
        self.parent: dict[object, object] = {}

    def find(self, x: object) -> object:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: object, b: object) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb, key=repr)] = min(ra, rb, key=repr)


def _counter_links(a: tuple[int, int], b: tuple[int, int]) -> bool:
    (ta, ca), (tb, cb) = sorted((a, b))
    expected = ca + round((tb - ta) / 1_000_000 / SMARTTAG_STEP_S)
    return abs(cb - expected) <= SMARTTAG_TOLERANCE


def link(sweeps: list[Sweep]) -> tuple[list[Tracker], list[Device]]:
    """Group every tracker sighting into physical trackers; list other devices."""
    uf = _Union()
    tracked: list[tuple[int, Sighting, Identity]] = []
    others: dict[tuple[str, str], list[tuple[int, Sighting]]] = {}
    for idx, sweep in enumerate(sweeps):
        for s in sweep.sightings:
            ident = identify(s)
            if not ident.tracker:
                others.setdefault((ident.family, s.address), []).append((idx, s))
                continue
            n = len(tracked)
            tracked.append((idx, s, ident))
            uf.union(("s", n), ("addr", ident.family, s.address))
            if ident.rotating_id and (ident.state == SEPARATED or ident.family == "smarttag"):
                uf.union(("s", n), ("id", ident.family, ident.rotating_id))
    # SmartTag: link groups whose aging counters advance consistently.
    samples: dict[object, tuple[int, int]] = {}
    for n, (_, s, ident) in enumerate(tracked):
        if ident.family == "smarttag" and ident.aging_counter is not None:
            root = uf.find(("s", n))
            samples.setdefault(root, (s.time_us, ident.aging_counter))
    roots = list(samples)
    for i, a in enumerate(roots):
        for b in roots[i + 1 :]:
            if _counter_links(samples[a], samples[b]):
                uf.union(a, b)
    groups: dict[object, Tracker] = {}
    for n, (idx, s, ident) in enumerate(tracked):
        root = uf.find(("s", n))
        groups.setdefault(root, Tracker(ident.family)).sightings.append((idx, s, ident))
    trackers = sorted(groups.values(), key=lambda t: (t.first_us, t.tracker_id))
    devices = [
        Device(
            fam, addr, tuple(sorted({i for i, _ in seen})), len(seen),
            max((s.rssi for _, s in seen if s.rssi is not None), default=None),
        )
        for (fam, addr), seen in sorted(others.items(), key=lambda kv: (kv[0][0] == "unknown", kv[0]))
    ]
    return trackers, devices


def decide(tracker: Tracker, sweeps: list[Sweep]) -> Verdict:
    fam = family(tracker.family)
    idx = tracker.sweep_indexes
    places = tuple(dict.fromkeys(sweeps[i].place for i in idx if sweeps[i].place))
    span_s = (tracker.last_us - tracker.first_us) / 1_000_000
    following = len(idx) >= FOLLOW_MIN_SWEEPS and (len(places) >= 2 or span_s >= FOLLOW_MIN_SPAN_S)
    if fam.has_owner_state:
        if tracker.separated:
            kind = f"tracker.{tracker.family}.separated"
            severity = Severity.CRITICAL if following else Severity.HIGH
        else:
            kind, severity = "tracker.near_owner", Severity.INFO
    else:
        kind = f"tracker.{tracker.family}"
        severity = Severity.HIGH if following else Severity.MEDIUM
    return Verdict(tracker, kind, severity, following, places)


SEPARATED_KINDS = tuple(
    f"tracker.{k}.separated" for k in ("airtag", "findmy_accessory", "airpods", "apple_device", "smarttag", "fmdn", "dult")
)
STATELESS_KINDS = ("tracker.tile", "tracker.chipolo", "tracker.pebblebee")
NEAR_OWNER_KINDS = ("tracker.near_owner",)
__all__ = ["link", "decide", "Tracker", "Device", "Verdict", "NEAR_OWNER"]
