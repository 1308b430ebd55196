"""Android analysis: case artifacts -> Analysis. Pure: no device, no network."""

from __future__ import annotations

from typing import TYPE_CHECKING

from techsafe.checks import Unavailable, run_checks
from techsafe.model import Analysis, Finding, NotChecked, TimelineEvent, sort_findings
from techsafe.scanners.android.context import DESCRIPTIONS, AndroidContext
from techsafe.scanners.android.inputs import android_inputs

if TYPE_CHECKING:
    from techsafe.case import Case
    from techsafe.signatures import IndicatorSet


def analyze(case: "Case", indicators: "IndicatorSet") -> Analysis:
    from techsafe.scanners.android.apk_facts import apk_inputs

    ctx = AndroidContext(android_inputs(case), indicators, apk_inputs(case))
    return analyze_context(ctx, incomplete=_incomplete(case))


def analyze_context(ctx: AndroidContext, incomplete: tuple[NotChecked, ...] = ()) -> Analysis:
    from techsafe.scanners.android.enrich import boot_facts, enrich

    findings, gaps, checked = run_checks("android", ctx)
    findings = enrich(ctx, findings)
    return Analysis(
        findings=sort_findings(findings),
        not_checked=incomplete + tuple(gaps),
        device=ctx.device_facts() + boot_facts(ctx),
        timeline=_timeline(ctx, findings),
        checked=tuple(checked),
    )


def _incomplete(case: "Case") -> tuple[NotChecked, ...]:
    """Commands that did not finish (device unplugged, timeout) are said out loud."""
    out = []
    for rec in case.artifacts("android"):
        if not rec.complete:
            key = str(rec.meta.get("key", rec.path))
            out.append(
                NotChecked(
                    f"android.acquire.{key}",
                    f"{DESCRIPTIONS.get(key, key)} is incomplete: {rec.error or 'the command did not finish'}",
                    rec.path,
                )
            )
    return tuple(out)


def _timeline(ctx: AndroidContext, findings: list[Finding]) -> tuple[TimelineEvent, ...]:
    """Install and update times of every app a finding is about."""
    try:
        packages = ctx.packages
    except Unavailable:
        return ()
    events = []
    for name in sorted({f.subject for f in findings if f.subject in packages}):
        pkg = packages[name]
        if pkg.first_install:
            events.append(TimelineEvent(pkg.first_install, "installed", name, "phone local time"))
        if pkg.last_update and pkg.last_update != pkg.first_install:
            events.append(TimelineEvent(pkg.last_update, "updated", name, "phone local time"))
    return tuple(sorted(events, key=lambda e: (e.time, e.subject)))
