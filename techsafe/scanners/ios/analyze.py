"""iOS analysis: the case's ios artifacts -> Analysis (pure, no device I/O).

Live scans and backups give the same checks; this adds the device facts and
the timeline that are not findings.
"""

from __future__ import annotations

from typing import Any

from techsafe.case import Case
from techsafe.checks import Unavailable, run_checks
from techsafe.model import Analysis, NotChecked, TimelineEvent, sort_findings
from techsafe.scanners.ios.context import IosContext
from techsafe.scanners.ios.parsers import TCC_SERVICES, iso


def analyze(case: Case, indicators: Any) -> Analysis:
    ctx = IosContext(case, indicators)
    findings, not_checked, checked = run_checks("ios", ctx)
    device = _device_facts(ctx)
    timeline = _timeline(ctx)
    not_checked = list(not_checked) + _incomplete(ctx, not_checked)
    return Analysis(
        findings=sort_findings(findings),
        not_checked=tuple(not_checked),
        device=tuple(device.items()),
        timeline=tuple(sorted(timeline, key=lambda t: (t.time, t.subject, t.event))),
        checked=tuple(checked),
    )


def _try(func, default=None):
    try:
        return func()
    except Unavailable:
        return default


def _device_facts(ctx: IosContext) -> dict[str, str]:
    dev = dict(_try(lambda: ctx.device, {}) or {})
    if ctx.is_live:
        v = _try(lambda: ctx.lockdown_values, {}) or {}
        if isinstance(v.get("PasswordProtected"), bool):
            dev["passcode_set"] = "yes" if v["PasswordProtected"] else "no"
        amfi = _try(lambda: ctx.lockdown_domain("com.apple.security.mac.amfi"))
        if amfi is not None and isinstance(amfi.get("DeveloperModeStatus"), bool):
            dev["developer_mode"] = "on" if amfi["DeveloperModeStatus"] else "off"
    cc = _try(lambda: ctx.cloud_configuration)
    if cc is not None:
        dev["supervised"] = "yes" if cc[0].get("IsSupervised") is True else "no"
        org = cc[0].get("OrganizationName")
        if isinstance(org, str) and org:
            dev["management_organization"] = org[:128]
    if ctx.is_backup:
        dev["source"] = "live and backup" if ctx.is_live else "backup"  # a live scan with --backup has both
        info = _try(lambda: ctx.backup_info, {}) or {}
        when = iso(info.get("Last Backup Date"))
        if when:
            dev["backup_date"] = when
        manifest = _try(lambda: ctx.backup_manifest)
        dev["backup_encrypted"] = "yes" if (manifest or {}).get("IsEncrypted") is True else "no"
        prefs = _try(lambda: ctx.global_preferences)
        if prefs is not None:
            dev.update(prefs[0])
        loc = _try(lambda: ctx.location_services)
        if loc is not None:
            dev["location_services"] = "on" if loc[0] else "off"
        fmy = _try(lambda: ctx.find_my)
        if fmy is not None:
            dev["find_my_iphone"] = "on" if fmy[0].enabled else "off"
    else:
        dev["source"] = "live" if ctx.is_live else ("app list" if ctx.names("installation_proxy/") else "none")
    apps = _try(lambda: ctx.apps)
    if apps is not None:
        dev["apps_total"] = str(len(apps[0]))
        dev["apps_user"] = str(sum(1 for a in apps[0] if not a.is_system))
    return dev


def _timeline(ctx: IosContext) -> list[TimelineEvent]:
    out: list[TimelineEvent] = []
    for ev in _try(lambda: ctx.profile_events, []) or []:
        if ev.time:
            out.append(TimelineEvent(ev.time, f"profile {ev.operation or 'event'}", ev.identifier, ev.process))
    profiles = _try(lambda: ctx.profiles)
    for p in (profiles[0] if profiles else []):
        if p.installed:
            out.append(TimelineEvent(p.installed, "profile installed", p.identifier, p.organization))
    tcc = _try(lambda: ctx.tcc)
    for g in (tcc[0] if tcc else []):
        if g.last_modified and g.service in TCC_SERVICES:
            out.append(TimelineEvent(g.last_modified, "permission " + ("granted" if g.allowed else "denied"),
                                     g.client, TCC_SERVICES[g.service]))
    prov = _try(lambda: ctx.provisioning)
    for p in (prov[0] if prov else []):
        if p.created:
            out.append(TimelineEvent(p.created, "provisioning profile created", p.uuid or p.name, p.team))
    return out


def _incomplete(ctx: IosContext, already: list[NotChecked]) -> list[NotChecked]:
    """Acquisition steps that did not finish and no check reported."""
    seen = {n.artifact for n in already}
    out = []
    for name, rec in ctx.records.items():
        if not rec.complete and rec.path not in seen:
            out.append(NotChecked("ios.acquisition", f"not completed: {name} ({rec.error or 'incomplete'})", rec.path))
    return out
