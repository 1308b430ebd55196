"""Capabilities that let someone else watch or control the phone:
accessibility services, device admins and owners, notification access."""

from __future__ import annotations

from typing import Iterator

from techsafe.checks import Unavailable, check
from techsafe.model import Evidence, Finding, Severity
from techsafe.scanners.android.checks.common import app_facts, app_label
from techsafe.scanners.android.context import AndroidContext
from techsafe.scanners.android.facts import package_of



def capability_holders(ctx: AndroidContext) -> dict[str, list[str]]:
    """package -> capabilities ("accessibility", "device admin", ...) held by non-system apps."""
    holders: dict[str, list[str]] = {}
    probes = (
        ("accessibility", lambda: [package_of(c) for c in ctx.enabled_accessibility()]),
        ("device admin", lambda: [package_of(a.component) for a in ctx.device_policy.admins]),
        ("notification access", lambda: [package_of(c) for c in _listeners(ctx)]),
    )
    for label, probe in probes:
        try:
            packages = probe()
        except Unavailable:
            continue
        for p in packages:
            if not ctx.is_system(p) and label not in holders.setdefault(p, []):
                holders[p].append(label)
    return holders


@check("android", area="android.accessibility", kinds=("android.accessibility.enabled",))
def enabled_accessibility(ctx: AndroidContext) -> Iterator[Finding]:
    for component, evidence in ctx.enabled_accessibility().items():
        package = package_of(component)
        if ctx.is_system(package):
            continue
        yield Finding(
            "android.accessibility.enabled",
            Severity.HIGH,
            f"“{app_label(ctx, package)}” can read the screen and act on the phone (accessibility service turned on).",
            package,
            (evidence,),
            facts=(("component", component),) + app_facts(ctx.package(package)),
        )


@check("android", area="android.device_admin", kinds=("android.device_admin.active", "android.device_owner", "android.profile_owner"))
def device_admins(ctx: AndroidContext) -> Iterator[Finding]:
    policy = ctx.device_policy
    item = ctx.input("dumpsys_device_policy")
    seen: set[str] = set()
    for admin in policy.admins:
        package = package_of(admin.component)
        if ctx.is_system(package) or package in seen:
            continue
        seen.add(package)
        yield Finding(
            "android.device_admin.active",
            Severity.HIGH,
            f"“{app_label(ctx, package)}” is a device administrator: it can lock or wipe the phone and is hard to remove.",
            package,
            (item.evidence(admin.component),),
            facts=(("component", admin.component), ("user", str(admin.user))),
        )
    if policy.device_owner:
        package = package_of(policy.device_owner)
        yield Finding(
            "android.device_owner",
            Severity.HIGH,
            f"“{app_label(ctx, package)}” manages this whole phone (device owner): it can control settings and apps.",
            package,
            (item.evidence(policy.device_owner),),
            facts=(("component", policy.device_owner),),
        )
    for user, owner in policy.profile_owners:
        package = package_of(owner)
        yield Finding(
            "android.profile_owner",
            Severity.HIGH,
            f"“{app_label(ctx, package)}” manages a profile on this phone (profile owner of user {user}).",
            package,
            (item.evidence(owner),),
            facts=(("component", owner), ("user", str(user))),
        )


def _listeners(ctx: AndroidContext) -> dict[str, Evidence]:
    """Enabled notification listeners, each with the setting line in view of it."""
    found = ctx.setting("enabled_notification_listeners", ("secure",))
    if found is None:
        return {}
    ns, value = found
    components = [c.strip() for c in value.split(":") if c.strip()]
    return {c: ctx.setting_evidence(ns, "enabled_notification_listeners", focus=c) for c in components}


@check("android", area="android.notification_listeners", kinds=("android.notification_listener",))
def notification_listeners(ctx: AndroidContext) -> Iterator[Finding]:
    for component, evidence in _listeners(ctx).items():
        package = package_of(component)
        if ctx.is_system(package):
            continue
        yield Finding(
            "android.notification_listener",
            Severity.MEDIUM,
            f"“{app_label(ctx, package)}” can read every notification, including message previews and codes.",
            package,
            (evidence,),
            facts=(("component", component),),
        )


