"""Settings that weaken the phone's protection or matter for the scan."""

from __future__ import annotations

from typing import Iterator

from techsafe.checks import check
from techsafe.model import Finding, Severity
from techsafe.scanners.android.context import AndroidContext


# (namespaces, key, value meaning "off", plain words)
VERIFIER_SETTINGS = (
    (("global",), "package_verifier_enable", "0", "Play Protect app scanning is off"),
    (("global",), "verifier_verify_adb_installs", "0", "apps installed from a computer are not checked"),
    (("secure", "global"), "package_verifier_user_consent", "-1", "scanning apps for harm was declined"),
)


@check("android", area="android.play_protect", kinds=("android.play_protect.disabled",))
def play_protect(ctx: AndroidContext) -> Iterator[Finding]:
    evidence, reasons = [], []
    for namespaces, key, off, words in VERIFIER_SETTINGS:
        found = ctx.setting(key, namespaces)
        if found and found[1].strip() == off:
            evidence.append(ctx.setting_evidence(found[0], key))
            reasons.append(words)
    if evidence:
        yield Finding(
            "android.play_protect.disabled",
            Severity.HIGH,
            "Google Play Protect checks are turned off, so harmful apps are not flagged.",
            "Google Play Protect",
            tuple(evidence),
            facts=(("what is off", "; ".join(reasons)),),
        )


@check("android", area="android.usb_debugging", kinds=("android.usb_debugging.enabled",))
def usb_debugging(ctx: AndroidContext) -> Iterator[Finding]:
    found = ctx.setting("adb_enabled", ("global", "secure"))
    if found and found[1].strip() == "1":
        yield Finding(
            "android.usb_debugging.enabled",
            Severity.INFO,
            "USB debugging is on (a scan over USB needs it); turn it off once the phone has been checked.",
            "USB debugging",
            (ctx.setting_evidence(found[0], "adb_enabled"),),
        )


@check("android", area="android.settings.system", kinds=())
def system_settings_readable(ctx: AndroidContext) -> Iterator[Finding]:
    """System settings are kept as evidence for the report; no finding reads
    them yet, but a missing copy is still said out loud."""
    ctx.settings("system")
    return iter(())
