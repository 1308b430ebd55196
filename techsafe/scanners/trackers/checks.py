"""Tracker checks, registered with the check registry (one playbook per kind)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Iterator

from techsafe.checks import Unavailable, check
from techsafe.model import Finding
from techsafe.scanners.trackers.decide import (
    NEAR_OWNER_KINDS,
    SEPARATED_KINDS,
    STATELESS_KINDS,
    Device,
    Tracker,
    Verdict,
    decide,
    link,
)
from techsafe.scanners.trackers.findings import to_finding
from techsafe.scanners.trackers.sweeps import Sweep

if TYPE_CHECKING:
    pass


class TrackersContext:
    """Lazy facts for the checks: the case's sweeps, linked trackers, verdicts."""

    def __init__(self, sweeps: list[Sweep]) -> None:
        self.sweeps = sweeps

    @cached_property
    def linked(self) -> tuple[list[Tracker], list[Device]]:
        if not self.sweeps:
            raise Unavailable("no Bluetooth sweep or capture could be read")
        return link(self.sweeps)

    @cached_property
    def verdicts(self) -> list[Verdict]:
        return [decide(t, self.sweeps) for t in self.linked[0]]

    def findings(self, kinds: tuple[str, ...]) -> Iterator[Finding]:
        for v in self.verdicts:
            if v.kind in kinds:
                yield to_finding(v, self.sweeps)


@check("trackers", area="trackers.separated", kinds=SEPARATED_KINDS)
def separated_trackers(ctx: TrackersContext) -> Iterator[Finding]:
    """Trackers away from their owner: AirTag, Find My, AirPods, SmartTag, FMDN, DULT."""
    return ctx.findings(SEPARATED_KINDS)


@check("trackers", area="trackers.stateless", kinds=STATELESS_KINDS)
def stateless_trackers(ctx: TrackersContext) -> Iterator[Finding]:
    """Tile, Chipolo, Pebblebee: no owner state in the advertisement."""
    return ctx.findings(STATELESS_KINDS)


@check("trackers", area="trackers.near_owner", kinds=NEAR_OWNER_KINDS)
def near_owner_trackers(ctx: TrackersContext) -> Iterator[Finding]:
    """Trackers with their owner nearby: information only."""
    return ctx.findings(NEAR_OWNER_KINDS)
