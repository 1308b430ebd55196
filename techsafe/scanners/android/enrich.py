"""One line per app: fold the lighter app findings into a stronger one.

Several checks can speak about the same app (stalkerware, sideloaded, hidden,
what it can see, background location). The lighter kinds below are folded
into any other finding about the same app with at least their severity: the
caseworker reads one line per app, and nothing is lost because the folded
finding becomes a fact ("also": its title). Every finding about an installed
app also gets a "can_see" fact: what the app can see, in plain words.
"""

from __future__ import annotations

import dataclasses

from techsafe.checks import Unavailable
from techsafe.model import Finding
from techsafe.scanners.android.context import AndroidContext

FOLDABLE = frozenset({"android.app.hidden", "android.app.permissions", "android.location.background"})


def enrich(ctx: AndroidContext, findings: list[Finding]) -> list[Finding]:
    try:
        packages = ctx.packages
    except Unavailable:
        packages = {}
    by_subject: dict[str, list[Finding]] = {}
    for f in findings:
        by_subject.setdefault(f.subject, []).append(f)
    folded: dict[int, list[Finding]] = {}  # id(host finding) -> folded findings
    kept: list[Finding] = []
    for f in findings:
        if f.kind in FOLDABLE:
            hosts = [h for h in by_subject[f.subject] if h.kind not in FOLDABLE and h.severity >= f.severity]
            if hosts:
                folded.setdefault(id(max(hosts, key=lambda h: h.severity)), []).append(f)
                continue
        kept.append(f)
    out = []
    for f in kept:
        extra: list[tuple[str, str]] = []
        for g in folded.get(id(f), []):
            extra.append((g.kind.rsplit(".", 1)[-1].replace("_", " "), g.title))
        if f.subject in packages and not f.fact("can_see"):
            seen = _can_see(ctx, packages[f.subject])
            if seen:
                extra.append(("can_see", seen))
        out.append(dataclasses.replace(f, facts=f.facts + tuple(extra)) if extra else f)
    return out


def _can_see(ctx: AndroidContext, pkg) -> str:
    from techsafe.scanners.android.checks.visibility import access, can_see

    try:
        return can_see(access(ctx, pkg))
    except Exception:  # context facts are hostile input too; the finding stands without it
        return ""


def boot_facts(ctx: AndroidContext) -> tuple[tuple[str, str], ...]:
    """Verified boot and bootloader lock, shown as device information: an
    unlocked bootloader alone is not root, and "yellow" is a custom OS
    (e.g. GrapheneOS) with a locked bootloader."""
    try:
        props = ctx.props
    except Unavailable:
        return ()
    out = []
    state = props.get("ro.boot.verifiedbootstate", "")
    if state:
        words = {"green": "green (stock software, verified)", "yellow": "yellow (custom OS signed by its maker, verified)",
                 "orange": "orange (bootloader unlocked, not verified)", "red": "red (verification failed)"}
        out.append(("verified_boot", words.get(state, state[:40])))
    locked = props.get("ro.boot.flash.locked", "")
    if locked in ("0", "1"):
        out.append(("bootloader", "locked" if locked == "1" else "unlocked"))
    return tuple(out)
