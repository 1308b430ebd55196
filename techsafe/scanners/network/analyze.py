"""Network analysis: artifacts (discovery responses, captures) -> findings.

Pure: reads only the case folder and the indicator set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from techsafe.checks import run_checks
from techsafe.model import Analysis, NotChecked, TimelineEvent, sort_findings
from techsafe.scanners.network.context import NO_SCAN

# Said plainly in every report of a LAN scan: what UPnP cannot show.
MANUAL_FORWARDS = (
    "port forwards set by hand in the router's own settings pages, and NAT-PMP / PCP mappings, "
    "cannot be seen by this scan: look at the router's port-forwarding page with the survivor"
)

if TYPE_CHECKING:
    from techsafe.case import Case


def analyze(case: "Case", indicators: Any) -> Analysis:
    from techsafe.scanners.network.checks import iso
    from techsafe.scanners.network.context import NetworkContext

    ctx = NetworkContext(case, indicators)
    findings, gaps, checked = run_checks("network", ctx)
    timeline: list[TimelineEvent] = []
    if "traffic" in ctx.__dict__:  # computed by the traffic check
        for _path, result in ctx.traffic:
            for c in result.contacts:
                devices = ", ".join(ip for _mac, ip in c.devices)
                timeline.append(TimelineEvent(iso(c.first), "contacted", c.match.value, f"first contact ({c.name}) by {devices}"))
                if c.last != c.first:
                    timeline.append(
                        TimelineEvent(iso(c.last), "contacted", c.match.value, f"last contact ({c.name}), {c.count} in all")
                    )
    # One line, not one per area, when the case simply holds no LAN scan.
    no_scan = [g for g in gaps if g.reason == NO_SCAN]
    gaps = [g for g in gaps if g.reason != NO_SCAN]
    if no_scan:
        gaps.append(NotChecked("network.lan", "home network devices, router and DNS: " + NO_SCAN))
    elif "inventory" in ctx.__dict__:
        gaps.append(NotChecked("network.router.manual", MANUAL_FORWARDS))
    gap_areas = {g.area for g in ctx.gaps}
    device: tuple[tuple[str, str], ...] = ()
    if "inventory" in ctx.__dict__:  # a LAN scan is in the case: say how many devices answered it
        device = (("network.devices_answered", str(len(ctx.inventory.hosts))),)
    return Analysis(
        device=device,
        findings=sort_findings(findings),
        not_checked=tuple(gaps) + tuple(ctx.gaps),
        timeline=tuple(sorted(timeline, key=lambda t: (t.time, t.subject))),
        checked=tuple(a for a in checked if a not in gap_areas),
    )
