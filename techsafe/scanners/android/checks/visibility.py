"""What an app can see or do, in plain words, from what the phone granted it.

Shared by the hidden-app, permission and location checks and by analyze.py
(which adds a "can_see" fact to every finding about an app). Granted state
comes from `dumpsys package` (runtime and install permissions), overlay and
install-other-apps from `dumpsys appops`, notification access from the
`enabled_notification_listeners` setting.
"""

from __future__ import annotations

from typing import Callable

from techsafe.checks import Unavailable
from techsafe.scanners.android.context import AndroidContext
from techsafe.scanners.android.facts import PackageInfo, package_of

P = "android.permission."

# (label, plain words, permissions any of which grants it)
PERMISSION_ACCESS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("background location", "where the phone is, even when the app is closed", (P + "ACCESS_BACKGROUND_LOCATION",)),
    ("location", "where the phone is while the app is in use", (P + "ACCESS_FINE_LOCATION", P + "ACCESS_COARSE_LOCATION")),
    ("sms", "text messages", (P + "READ_SMS", P + "RECEIVE_SMS", P + "RECEIVE_MMS")),
    ("call log", "who is called and who calls", (P + "READ_CALL_LOG", P + "PROCESS_OUTGOING_CALLS")),
    ("microphone", "the microphone", (P + "RECORD_AUDIO",)),
    ("camera", "the camera", (P + "CAMERA",)),
    ("contacts", "the contacts", (P + "READ_CONTACTS",)),
)
# app-ops that hold the grant (mode allow) for special permissions
APPOP_ACCESS: tuple[tuple[str, str, str], ...] = (
    ("overlay", "drawing over other apps (fake screens, hiding what it does)", "SYSTEM_ALERT_WINDOW"),
    ("install apps", "installing other apps", "REQUEST_INSTALL_PACKAGES"),
)
NOTIFICATIONS = ("notification access", "every notification, including message previews and codes")

# What lets someone watch the survivor (the rest is context).
SURVEILLANCE = frozenset({"background location", "sms", "call log", "microphone", "notification access"})

# Before Android 10 there is no separate background grant: location is always.
_BACKGROUND_LOCATION_SDK = 29


def _optional(probe: Callable[[], object]) -> object | None:
    try:
        return probe()
    except Unavailable:
        return None


def notification_packages(ctx: AndroidContext) -> frozenset[str]:
    found = _optional(lambda: ctx.setting("enabled_notification_listeners", ("secure",)))
    if not found:
        return frozenset()
    return frozenset(package_of(c) for c in found[1].split(":") if c.strip())


def access(ctx: AndroidContext, pkg: PackageInfo) -> list[tuple[str, str]]:
    """(label, plain words) of everything `pkg` was granted, most worrying first."""
    out: list[tuple[str, str]] = []
    props = _optional(lambda: ctx.props) or {}
    sdk = props.get("ro.build.version.sdk", "") if isinstance(props, dict) else ""
    legacy = sdk.isdigit() and int(sdk) < _BACKGROUND_LOCATION_SDK
    for label, words, permissions in PERMISSION_ACCESS:
        if any(pkg.granted(p) for p in permissions):
            if label == "location" and legacy:
                label, words = "background location", "where the phone is, at any time"
            if label == "location" and any(lbl == "background location" for lbl, _ in out):
                continue
            out.append((label, words))
    if pkg.name in notification_packages(ctx):
        out.append(NOTIFICATIONS)
    appops = _optional(lambda: ctx.appops)
    if appops is not None:
        for label, words, op in APPOP_ACCESS:
            if appops.mode(pkg.name, op) == "allow":
                out.append((label, words))
    return out


def labels(items: list[tuple[str, str]]) -> set[str]:
    return {label for label, _ in items}


def can_see(items: list[tuple[str, str]]) -> str:
    """The fact shown on app findings: 'text messages; the microphone; ...'."""
    return "; ".join(words for _, words in items)
