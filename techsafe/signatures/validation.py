"""Refuse feeds that would call the phone's own system a spying app.

A wrong or malicious feed whose stalkerware, spyware or watchware entry
lists a core platform app (the Android system UI, Google Play services, an
Apple app) would turn an ordinary phone into a CRITICAL finding whose
playbook suggests a factory reset. Such a feed is refused as a whole, at
import, at `signatures update` and when an installed feed is re-read.

The list is short on purpose: only ids that are part of the platform itself
on every phone, never apps a stalker could plausibly ship under that id.
"""

from __future__ import annotations

import re

from techsafe.signatures.index import FeedIndex
from techsafe.signatures.records import FeedError

# Categories that make a finding "known stalkerware/spyware" (critical) or watchware.
SPYING_CATEGORIES = frozenset({"stalkerware", "spyware", "watchware"})

CORE_ANDROID_PACKAGES = frozenset(
    {
        "android",  # the framework itself
        "com.android.systemui",
        "com.android.phone",
        "com.android.settings",
        "com.android.shell",
        "com.android.vending",  # Google Play Store
        "com.android.packageinstaller",
        "com.google.android.packageinstaller",
        "com.android.permissioncontroller",
        "com.google.android.permissioncontroller",
        "com.google.android.gms",  # Google Play services
        "com.google.android.gsf",  # Google Services Framework
    }
)
CORE_ANDROID_PREFIXES = ("com.android.providers.",)  # contacts, telephony, media, settings... storage
CORE_IOS_PREFIXES = ("com.apple.",)  # every com.apple.* bundle id is Apple's own


def core_platform_app(kind: str, value: str) -> str | None:
    """'Android' / 'iOS' when `value` (a normalised package or bundle id) is a core platform app."""
    if kind == "package":
        if value in CORE_ANDROID_PACKAGES or value.startswith(CORE_ANDROID_PREFIXES):
            return "Android"
    elif kind == "bundle":
        if value.lower().startswith(CORE_IOS_PREFIXES):
            return "iOS"
    return None


def check_no_core_apps(index: FeedIndex, files: dict[str, bytes]) -> None:
    """FeedError (one line, naming the file and the id) when a spying entry lists a core platform app."""
    for kind in ("package", "bundle"):
        for value in sorted(index.maps[kind]):
            platform = core_platform_app(kind, value)
            if platform is None:
                continue
            entry = index.maps[kind][value][0]
            name, category, _ = index.entries[entry]
            if category not in SPYING_CATEGORIES:
                continue
            raise FeedError(
                f"{_file_listing(value, files)}: {category} entry {name!r} lists {value}, a core {platform} "
                "system app; refusing to import this feed (it would report the phone's own system as spying)"
            )


def _file_listing(value: str, files: dict[str, bytes]) -> str:
    """The feed file that holds `value` (parsers' messages start with the file name)."""
    needle = re.compile(rb"(?<![\w.\-])" + re.escape(value.encode()) + rb"(?![\w.\-])", re.I)
    for filename, data in files.items():
        if needle.search(data):
            return filename
    return next(iter(files), "feed")
