"""Dangerous permissions actually granted, and location: who can see where
the survivor is."""

from __future__ import annotations

from typing import Iterator

from techsafe.checks import check
from techsafe.model import Finding, Severity
from techsafe.scanners.android.checks.common import app_facts, app_label
from techsafe.scanners.android.checks.visibility import SURVEILLANCE, access, can_see, labels
from techsafe.scanners.android.context import KNOWN_STORES, AndroidContext

# Apps from a store need this many watching permissions before they are worth
# a line: messaging apps legitimately hold SMS, microphone and contacts.
STORE_APP_THRESHOLD = 3


@check("android", area="android.apps.permissions", kinds=("android.app.permissions",))
def watching_permissions(ctx: AndroidContext) -> Iterator[Finding]:
    """android.app.permissions: an app that can see a lot of the survivor's
    life (low): what it can see, in plain words."""
    for name, pkg in sorted(ctx.packages.items()):
        if pkg.system is not False:
            continue
        seen = access(ctx, pkg)
        watching = labels(seen) & SURVEILLANCE
        from_store = pkg.installer in KNOWN_STORES
        if not watching or (from_store and len(watching) < STORE_APP_THRESHOLD):
            continue
        yield Finding(
            "android.app.permissions",
            Severity.LOW,
            f"“{app_label(ctx, name)}” can see {can_see(seen)}.",
            name,
            ctx.package_evidence(name),
            facts=app_facts(pkg) + (("can_see", can_see(seen)),),
        )
    ctx.every_app_list_read()  # after the findings: they stand, the area is not checked


def _getprop(text: str) -> dict[str, str]:
    from techsafe.scanners.android.parsers.getprop import parse_getprop

    return parse_getprop(text)


@check("android", area="android.location", kinds=("android.location.background",))
def background_location(ctx: AndroidContext) -> Iterator[Finding]:
    """android.location.background: an app that can see where the phone is at
    any time, even when closed (low).

    Before Android 10 every location permission worked in the background, so
    there a store app with location is ordinary (a map, the weather) and not
    worth a line; from Android 10 on, "Allow all the time" was chosen for it.
    """
    sdk = (ctx.optional("getprop", _getprop) or {}).get("ro.build.version.sdk", "")
    legacy = sdk.isdigit() and int(sdk) < 29
    for name, pkg in sorted(ctx.packages.items()):
        if pkg.system is not False or (legacy and pkg.installer in KNOWN_STORES):
            continue
        seen = access(ctx, pkg)
        if "background location" not in labels(seen):
            continue
        yield Finding(
            "android.location.background",
            Severity.LOW,
            f"“{app_label(ctx, name)}” can see where the phone is at any time, even when the app is closed.",
            name,
            ctx.package_evidence(name),
            facts=app_facts(pkg) + (("can_see", can_see(seen)),),
        )
    ctx.every_app_list_read()  # after the findings: they stand, the area is not checked


@check("android", area="android.location.google", kinds=("android.location.google_sharing",))
def google_location_sharing(ctx: AndroidContext) -> Iterator[Finding]:
    """android.location.google_sharing: Google location sharing cannot be read
    over USB; the caseworker checks it on the phone (info)."""
    google = [a for a in ctx.accounts if a.type == "com.google"]
    if not google:
        return
    yield Finding(
        "android.location.google_sharing",
        Severity.INFO,
        "Google location sharing cannot be read from a computer: check it on the phone "
        "(Google Maps > profile picture > Location sharing).",
        "Google location sharing",
        (ctx.input("dumpsys_account").evidence("type=com.google}"),),
        facts=(("google accounts", str(len({a.name for a in google}))),),
    )


@check("android", area="android.apps.special_access", kinds=())
def special_access_readable(ctx: AndroidContext) -> Iterator[Finding]:
    """Drawing over other apps and installing other apps are read from app
    ops (the "what it can see" facts); when they could not be read, say so."""
    ctx.appops  # raises Unavailable: the area becomes "not checked"
    return iter(())
