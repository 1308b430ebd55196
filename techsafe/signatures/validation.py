"""Refuse feeds that would call the phone's own system a spying app.

A wrong or malicious feed whose stalkerware, spyware or watchware entry
lists a core platform app (the Android system UI, Google Play services, an
Apple app) would turn an ordinary phone into a CRITICAL finding whose
playbook suggests a factory reset. Such a feed is refused as a whole, at
import, at `signatures update` and when an installed feed is re-read.

The list is short on purpose: only ids that are part of the platform itself
on every phone, never apps a stalker could plausibly ship under that id.

The same holds for domains: a feed that lists a bare top-level domain
("com"), a public-suffix-like name ("co.uk") or one of a few huge shared
domains every phone talks to ("google.com", "firebaseio.com") would turn
ordinary traffic into a CRITICAL finding. Only the exact name is refused:
subdomains stay allowed, since stalkerware does use e.g. x.firebaseio.com.
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


# Second-level labels that registries use under a country code: co.uk, com.br, or.jp...
_PUBLIC_SECOND_LEVEL = frozenset(
    {"ac", "co", "com", "edu", "gob", "go", "gov", "gv", "ltd", "mil", "ne", "net", "nom", "or", "org", "plc", "sch"}
)
# Huge shared domains (and shared-hosting suffixes): exact names only.
SHARED_DOMAINS = frozenset(
    {
        "google.com", "googleapis.com", "gstatic.com", "googleusercontent.com", "googlevideo.com",
        "google-analytics.com", "android.com", "gmail.com", "youtube.com",
        "apple.com", "icloud.com", "mzstatic.com", "apple-dns.net",
        "microsoft.com", "windows.net", "windows.com", "live.com", "office.com", "azurewebsites.net",
        "amazonaws.com", "amazon.com", "cloudfront.net",
        "akamai.net", "akamaiedge.net", "akamaihd.net", "edgekey.net", "fastly.net",
        "cloudflare.com", "cloudflare.net",
        "facebook.com", "fbcdn.net", "instagram.com", "whatsapp.net", "whatsapp.com",
        "firebaseio.com", "firebaseapp.com", "appspot.com", "web.app",
        "github.com", "github.io", "githubusercontent.com", "herokuapp.com", "blogspot.com",
    }  # fmt: skip
)


def shared_domain_reason(domain: str) -> str | None:
    """Why a (normalised) domain indicator would match ordinary traffic, or None."""
    labels = domain.split(".")
    if len(labels) == 1:
        return "a top-level domain on its own"
    if len(labels) == 2 and labels[0] in _PUBLIC_SECOND_LEVEL and len(labels[1]) == 2:
        return "a public suffix shared by every site under it"
    if domain in SHARED_DOMAINS:
        return "a huge shared domain every phone uses (list a subdomain instead)"
    return None


def check_no_shared_domains(index: FeedIndex, files: dict[str, bytes]) -> None:
    """FeedError (one line, naming the file and the domain) for a domain indicator, or a
    URL indicator that is only a host, that would match ordinary traffic."""
    candidates = [(value, value, entry) for value, (entry, _) in index.maps["domain"].items()]
    for url, (entry, _) in index.maps["url"].items():
        host = url.split("://", 1)[-1]
        if "/" not in host and "?" not in host:  # scheme://host[:port]: matches everything on that host
            candidates.append((url, host.rsplit(":", 1)[0] if not host.startswith("[") else host, entry))
    for value, host, entry in sorted(candidates):
        reason = shared_domain_reason(host)
        if reason is None:
            continue
        name, category, _ = index.entries[entry]
        raise FeedError(
            f"{_file_listing(value, files)}: {category} entry {name!r} lists {value}, {reason}; "
            "refusing to import this feed (it would report ordinary traffic as spying)"
        )


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
