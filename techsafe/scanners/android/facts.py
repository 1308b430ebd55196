"""What the Android parsers return: plain frozen facts about one phone.

Parsers (scanners/android/parsers/) turn raw command output into these;
checks (scanners/android/checks.py) read only these. Raw strings that come
from the device are kept as-is (they are data, never code or paths).
"""

from __future__ import annotations

from dataclasses import dataclass


class ParseError(ValueError):
    """The input is not in any format this parser knows: the area becomes
    "not checked" rather than silently empty."""


@dataclass(frozen=True)
class Permission:
    name: str
    granted: bool
    user: int | None = None  # runtime permissions are per user; None for install-time


@dataclass(frozen=True)
class PackageInfo:
    """One app, merged from `pm list packages`, `dumpsys package` and
    androidqf's packages.json; fields stay None/empty when no source said."""

    name: str
    apk_path: str = ""
    uid: int | None = None
    installer: str | None = None  # None: unknown; "": none recorded (sideloaded or preinstalled)
    system: bool | None = None  # from the SYSTEM flag / pm list -s / packages.json
    version_name: str = ""
    version_code: str = ""
    first_install: str = ""  # as printed by the phone, e.g. "2024-02-03 10:11:12"
    last_update: str = ""
    requested_permissions: tuple[str, ...] = ()
    permissions: tuple[Permission, ...] = ()  # install + runtime, with granted state
    users: tuple[int, ...] = ()  # users the app is installed for
    flags: tuple[str, ...] = ()  # pkgFlags / privateFlags words
    enabled: bool | None = None
    cert_sha1: tuple[str, ...] = ()  # upper-case hex, when a source gave it (androidqf)
    cert_sha256: tuple[str, ...] = ()
    apk_sha256: tuple[str, ...] = ()
    line: int | None = None  # 1-based line of the block in its artifact

    def granted(self, permission: str) -> bool:
        return any(p.name == permission and p.granted for p in self.permissions)


@dataclass(frozen=True)
class AccessibilityState:
    installed: tuple[str, ...]  # component names "pkg/.Service"
    enabled: tuple[tuple[int, tuple[str, ...]], ...]  # (user id, enabled components)
    bound: tuple[tuple[int, tuple[str, ...]], ...] = ()  # (user id, bound components)
    layout: str = ""  # which output format was recognised
    # AOSP prints bound services by label only ("Service[label=TalkBack, ...]"):
    # (user id, labels); labels are app-controlled text, for display only.
    bound_labels: tuple[tuple[int, tuple[str, ...]], ...] = ()
    crashed: tuple[tuple[int, tuple[str, ...]], ...] = ()  # enabled but died: still enabled

    def enabled_components(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for _user, comps in self.enabled + self.bound:
            for c in comps:
                seen.setdefault(c, None)
        return tuple(seen)


@dataclass(frozen=True)
class DeviceAdmin:
    component: str  # "pkg/.Receiver"
    user: int


@dataclass(frozen=True)
class DevicePolicyState:
    admins: tuple[DeviceAdmin, ...]
    device_owner: str | None = None  # component or package
    profile_owners: tuple[tuple[int, str], ...] = ()  # (user id, component or package)


@dataclass(frozen=True)
class AndroidUser:
    id: int
    name: str
    flags: str = ""
    running: bool = False


@dataclass(frozen=True)
class Account:
    name: str  # personal data: stays in the case folder, never in logs
    type: str
    user: int | None = None  # Android user the account belongs to, when the dump said


def package_of(component: str) -> str:
    """'com.x/.Svc' or 'com.x/com.x.Svc' -> 'com.x'."""
    return component.split("/", 1)[0].strip()
