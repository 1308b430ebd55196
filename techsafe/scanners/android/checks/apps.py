"""Which apps are installed: known stalkerware, watchware, dual-use apps, and
apps that did not come from an app store."""

from __future__ import annotations

from typing import Iterator

from techsafe.checks import Unavailable, check
from techsafe.model import Finding, Severity
from techsafe.scanners.android.checks.capabilities import capability_holders
from techsafe.scanners.android.checks.common import app_facts, app_label
from techsafe.scanners.android.context import KNOWN_STORES, AndroidContext, describe_installer
from techsafe.scanners.android.facts import PackageInfo

# category -> (kind, severity, what the app is, in words)
CATEGORY_FINDINGS: dict[str, tuple[str, Severity, str]] = {
    "stalkerware": ("android.app.stalkerware", Severity.CRITICAL, "known stalkerware"),
    "spyware": ("android.app.stalkerware", Severity.CRITICAL, "known spyware"),
    "watchware": ("android.app.watchware", Severity.HIGH, "a monitoring app that lets another person watch this phone"),
    "monitoring": ("android.app.dual_use", Severity.MEDIUM, "a monitoring app"),
    "family-locator": ("android.app.dual_use", Severity.MEDIUM, "a family locator app that shares location"),
    "anti-theft": ("android.app.dual_use", Severity.MEDIUM, "an anti-theft app that can track and control the phone remotely"),
    "parental-control": ("android.app.dual_use", Severity.MEDIUM, "a parental-control app"),
    "remote-access": ("android.app.dual_use", Severity.MEDIUM, "a remote-access app that can show or control the screen from elsewhere"),
    "phone-tracker": ("android.app.dual_use", Severity.MEDIUM, "a phone tracker app"),
    "doorbell": ("android.app.connected_device", Severity.LOW, "the app of a video doorbell"),
    "camera": ("android.app.connected_device", Severity.LOW, "the app of a home camera"),
    "tracker": ("android.app.connected_device", Severity.LOW, "the app of a Bluetooth tracker"),
}
NEXT_STEP = {
    "android.app.stalkerware": "",
    "android.app.watchware": "",
    "android.app.dual_use": "; check who set it up and who can see it",
    "android.app.connected_device": "; check who else has access to that device",
}


def _signature_hit(ctx: AndroidContext, pkg: PackageInfo):
    """The most severe of the package-id, certificate and APK-hash matches:
    a renamed stalkerware build still shows by its certificate, and a harmless
    catalogue hit on the name must not hide it."""
    ind = ctx.indicators
    hits = [ind.match_package(pkg.name)]
    hits += [ind.match_cert(d) for d in pkg.cert_sha1 + pkg.cert_sha256]
    hits += [ind.match_file_sha256(d) for d in pkg.apk_sha256]
    known = [h for h in hits if h is not None and h.category in CATEGORY_FINDINGS]
    return max(known, key=lambda h: CATEGORY_FINDINGS[h.category][1], default=None)


@check("android", area="android.apps.signatures", kinds=tuple(dict.fromkeys(k for k, _, _ in CATEGORY_FINDINGS.values())))
def known_apps(ctx: AndroidContext) -> Iterator[Finding]:
    for name, pkg in sorted(ctx.packages.items()):
        hit = _signature_hit(ctx, pkg)
        if hit is None:
            continue
        kind, severity, what = CATEGORY_FINDINGS[hit.category]
        app = hit.name or hit.match.entry
        if severity == Severity.CRITICAL:
            title = f"{what.capitalize()} “{app}” is installed on this phone."
        else:
            title = f"“{app}” is {what}{NEXT_STEP[kind]}."
        yield Finding(
            kind,
            severity,
            title,
            name,
            ctx.package_evidence(name),
            hit.match,
            facts=app_facts(pkg) + (("category", hit.category),),
        )
    ctx.every_app_list_read()  # after the findings: they stand, the area is not checked


@check("android", area="android.apps.installers", kinds=("android.app.sideloaded",))
def not_from_store(ctx: AndroidContext) -> Iterator[Finding]:
    packages = ctx.packages
    user_apps = [p for p in packages.values() if p.system is not True]
    if user_apps and all(p.installer is None for p in user_apps):
        ctx.every_app_list_read()  # an unreadable list may be the one that says
        raise Unavailable("the phone did not say which store installed each app")
    holders = capability_holders(ctx)
    for pkg in sorted(user_apps, key=lambda p: p.name):
        if pkg.installer is None or pkg.installer in KNOWN_STORES:
            continue
        held = holders.get(pkg.name, [])
        how = describe_installer(pkg.installer, pkg.name)
        if held:
            title = (
                f"“{app_label(ctx, pkg.name)}” was not installed from an app store and has "
                f"{_words(held)}."
            )
        else:
            title = f"“{app_label(ctx, pkg.name)}” was not installed from an app store (source: {how})."
        yield Finding(
            "android.app.sideloaded",
            Severity.HIGH if held else Severity.MEDIUM,
            title,
            pkg.name,
            ctx.package_evidence(pkg.name),
            facts=app_facts(pkg) + (("installer", pkg.installer or "none"),) + (("holds", ", ".join(held)),) * bool(held),
        )
    ctx.every_app_list_read()  # after the findings: they stand, the area is not checked




def _words(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
