"""Lazily parsed facts about one Android phone, shared by every check.

Each property parses its input once. Missing or unparseable input raises
checks.Unavailable with a plain reason, so the runner shows the area as
"not checked" instead of reporting nothing.
"""

from __future__ import annotations

import dataclasses
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Mapping

from techsafe.checks import Unavailable
from techsafe.model import Evidence
from techsafe.scanners.android.facts import (
    AccessibilityState,
    Account,
    AndroidUser,
    DevicePolicyState,
    PackageInfo,
    ParseError,
)
from techsafe.scanners.android.inputs import DUMP_KEYS, UNREADABLE_DUMP, TextInput

if TYPE_CHECKING:
    from techsafe.scanners.android.apk_facts import ApkFactSet, ApkInputs
    from techsafe.signatures import IndicatorSet

# Installers that are app stores with review; anything else (none, the
# package installer UI, adb, a browser, another app) is "not from a store".
KNOWN_STORES: Mapping[str, str] = {
    "com.android.vending": "Google Play Store",
    "com.google.android.feedback": "Google Play Store",
    "com.sec.android.app.samsungapps": "Samsung Galaxy Store",
    "com.amazon.venezia": "Amazon Appstore",
    "com.huawei.appmarket": "Huawei AppGallery",
    "com.xiaomi.market": "Xiaomi GetApps",
    "com.xiaomi.mipicks": "Xiaomi GetApps",
    "com.heytap.market": "OPPO App Market",
    "com.oppo.market": "OPPO App Market",
    "com.bbk.appstore": "vivo App Store",
    "com.hihonor.appmarket": "HONOR App Market",
    "org.fdroid.fdroid": "F-Droid",
}

INSTALLER_NAMES: Mapping[str, str] = {
    "": "none recorded: an APK file, or preinstalled",
    "com.google.android.packageinstaller": "an APK file opened on the phone",
    "com.android.packageinstaller": "an APK file opened on the phone",
    "com.android.shell": "a computer over USB (adb)",
    **KNOWN_STORES,
}

SYSTEM_PATH_PREFIXES = ("/system/", "/product/", "/vendor/", "/system_ext/", "/apex/", "/odm/", "/oem/")

DESCRIPTIONS: Mapping[str, str] = {
    "getprop": "device properties",
    "packages": "the list of installed apps",
    "packages_system": "the list of system apps",
    "dumpsys_package": "app details (dumpsys package)",
    "dumpsys_accessibility": "accessibility services (dumpsys accessibility)",
    "dumpsys_device_policy": "device admins and owners (dumpsys device_policy)",
    "settings_secure": "secure settings",
    "settings_global": "global settings",
    "settings_system": "system settings",
    "users": "users and work profiles",
    "dumpsys_user": "users and work profiles (dumpsys user)",
    "dumpsys_account": "accounts (dumpsys account)",
    "androidqf_packages": "androidqf packages.json",
    "launcher_activities": "the list of apps with a launcher icon",
    "vpn_services": "the list of VPN apps",
    "dumpsys_appops": "app operations (dumpsys appops)",
    "dumpsys_telephony.registry": "call forwarding state (dumpsys telephony.registry)",
    "root_paths": "the files rooting tools leave",
    "user_ca_certs": "certificates added by the user",
    "androidqf_root_binaries": "androidqf root_binaries.json",
}


def describe_installer(installer: str | None, package: str = "") -> str:
    if installer is None:
        return "unknown"
    if installer and installer == package:
        return "recorded as the app itself: restored or copied by another tool"
    return INSTALLER_NAMES.get(installer, installer)


class AndroidContext:
    def __init__(self, inputs: Mapping[str, TextInput], indicators: "IndicatorSet", apks: "ApkInputs | None" = None) -> None:
        self.inputs = inputs
        self.indicators = indicators
        self.apks = apks  # pulled APK files (apk_facts.ApkInputs); None: this input has none
        self._cache: dict[str, Any] = {}

    @cached_property
    def apk_facts(self) -> "ApkFactSet":
        """Hash, certificates and YARA hits of every pulled APK, by package."""
        from techsafe.scanners.android.apk_facts import ApkFactSet

        return ApkFactSet.build(self.apks, self.indicators)

    # ---- generic --------------------------------------------------------
    def collected(self, key: str) -> TextInput | None:
        """The input for `key`, readable or not; None when nothing collected holds it."""
        item = self.inputs.get(key)
        if item is None and key.startswith(DUMP_KEYS):
            item = self.inputs.get(UNREADABLE_DUMP)  # a dump that could not be read may have held it
        return item

    def input(self, key: str) -> TextInput:
        item = self.collected(key)
        if item is None:
            raise Unavailable(f"{DESCRIPTIONS.get(key, key)}: not in what was collected")
        if item.unreadable:
            raise Unavailable(f"{DESCRIPTIONS.get(key, key)}: {item.unreadable}", item.artifact)
        return item

    def parsed(self, key: str, parser: Callable[[str], Any]) -> Any:
        if key in self._cache:
            result = self._cache[key]
        else:
            item = self.input(key)
            try:
                result = parser(item.text)
            except ParseError as exc:
                result = Unavailable(f"{DESCRIPTIONS.get(key, key)} was not understood ({exc})", item.artifact)
            except Exception as exc:  # hostile input: report, never crash
                result = Unavailable(
                    f"{DESCRIPTIONS.get(key, key)} could not be parsed ({type(exc).__name__})", item.artifact
                )
            self._cache[key] = result
        if isinstance(result, Unavailable):
            raise result
        return result

    def optional(self, key: str, parser: Callable[[str], Any]) -> Any:
        try:
            return self.parsed(key, parser)
        except Unavailable:
            return None

    # ---- facts ----------------------------------------------------------
    @cached_property
    def props(self) -> dict[str, str]:
        from techsafe.scanners.android.parsers.getprop import parse_getprop

        return self.parsed("getprop", parse_getprop)

    def settings(self, namespace: str) -> dict[str, str]:
        from techsafe.scanners.android.parsers.settings import parse_settings
        from techsafe.scanners.android.parsers.settings_dump import parse_dumpsys_settings

        key = f"settings_{namespace}"
        if key not in self.inputs and "dumpsys_settings" in self.inputs:
            # bugreports carry `dumpsys settings` instead of `settings list`
            found = self.parsed("dumpsys_settings", parse_dumpsys_settings).get(namespace)
            if found is None:
                raise Unavailable(f"{DESCRIPTIONS.get(key, key)}: not in what was collected")
            return found
        return self.parsed(key, parse_settings)

    def setting(self, key: str, namespaces: tuple[str, ...] = ("global", "secure", "system")) -> tuple[str, str] | None:
        """(namespace, value) of the first namespace that has the key. Raises
        Unavailable only when none of the namespaces could be read."""
        readable = 0
        last: Unavailable | None = None
        for ns in namespaces:
            try:
                values = self.settings(ns)
            except Unavailable as exc:
                last = exc
                continue
            readable += 1
            if key in values:
                return ns, values[key]
        if readable == 0 and last is not None:
            raise last
        return None

    def setting_evidence(self, namespace: str, key: str, focus: str = "") -> Evidence:
        """The setting's line; `focus` (e.g. one app's component in a long
        list value) is kept in view when the line is cut."""
        if f"settings_{namespace}" not in self.inputs and "dumpsys_settings" in self.inputs:
            return self.input("dumpsys_settings").evidence(f" name:{key} ", focus=focus)
        return self.input(f"settings_{namespace}").evidence(f"{key}=", focus=focus)

    @staticmethod
    def _app_lists() -> tuple[tuple[str, Callable[[str], tuple[PackageInfo, ...]]], ...]:
        """The inputs that list installed apps, most detailed first."""
        from techsafe.scanners.android.parsers.androidqf import parse_androidqf_packages
        from techsafe.scanners.android.parsers.dumpsys_package import parse_dumpsys_package
        from techsafe.scanners.android.parsers.package_list import parse_package_list

        return (
            ("dumpsys_package", parse_dumpsys_package),
            ("packages", parse_package_list),
            ("androidqf_packages", parse_androidqf_packages),
        )

    def every_app_list_read(self) -> None:
        """Raises Unavailable when an app list was collected but could not be
        read. `packages` merges the lists that could be read, so a check about
        which apps are installed calls this after its findings: they stand, and
        its area is listed as not checked, naming the file and the problem
        (the apps, installers and certificates only that list holds are missing)."""
        for key, parser in self._app_lists():
            if self.collected(key) is not None:
                self.parsed(key, parser)

    @cached_property
    def packages(self) -> dict[str, PackageInfo]:
        """Every app any readable source reports, merged (dumpsys details
        win); see every_app_list_read for a source that could not be read."""
        from techsafe.scanners.android.parsers.package_list import parse_package_names

        sources: list[tuple[PackageInfo, ...]] = []
        reasons: list[str] = []
        for key, parser in self._app_lists():
            try:
                sources.append(self.parsed(key, parser))
            except Unavailable as exc:
                reasons.append(exc.reason)
        if not sources:
            raise Unavailable("; ".join(reasons) or "no list of apps")
        merged: dict[str, PackageInfo] = {}
        for source in sources:
            for pkg in source:
                merged[pkg.name] = _merge(merged[pkg.name], pkg) if pkg.name in merged else pkg
        system_names = self.optional("packages_system", parse_package_names) or frozenset()
        for name, pkg in merged.items():
            if pkg.system is None:
                if name in system_names or pkg.apk_path.startswith(SYSTEM_PATH_PREFIXES):
                    merged[name] = dataclasses.replace(pkg, system=True)
                elif system_names:
                    merged[name] = dataclasses.replace(pkg, system=False)
        return merged

    def package(self, name: str) -> PackageInfo | None:
        """The app's facts, or None when unknown or the app lists are unreadable."""
        try:
            return self.packages.get(name)
        except Unavailable:
            return None

    def is_system(self, package: str) -> bool:
        """Unknown apps count as not system: a hidden app must not pass as one."""
        pkg = self.package(package)
        return bool(pkg and pkg.system)

    def package_evidence(self, package: str) -> tuple[Evidence, ...]:
        """Where the app's own record is, in each source that lists it."""
        out = []
        for key, needle in (
            ("dumpsys_package", f"Package [{package}]"),
            ("packages", f"={package}"),
            ("androidqf_packages", f'"{package}"'),
        ):
            item = self.inputs.get(key)
            if item is not None and needle in item.text:
                out.append(item.evidence(needle))
        return tuple(out)

    @cached_property
    def accessibility(self) -> AccessibilityState:
        from techsafe.scanners.android.parsers.accessibility import parse_accessibility

        return self.parsed("dumpsys_accessibility", parse_accessibility)

    def enabled_accessibility(self) -> dict[str, Evidence]:
        """Enabled accessibility components and where they are listed.

        dumpsys is the primary source (what is bound and running); the
        `enabled_accessibility_services` setting is the fallback for layouts
        that name services by label only (Android 5-8), and is merged in so a
        hostile dumpsys output cannot hide a service the setting lists.
        """
        from techsafe.scanners.android.parsers.accessibility import enabled_from_setting

        components: dict[str, Evidence] = {}
        failure: Unavailable | None = None
        try:
            item = self.input("dumpsys_accessibility")
            for c in self.accessibility.enabled_components():
                components.setdefault(c, item.evidence(c))
        except Unavailable as exc:
            failure = exc
        try:
            value = self.settings("secure").get("enabled_accessibility_services", "")
        except Unavailable:
            value = None
        if value is None and failure is not None:
            raise failure
        for c in enabled_from_setting(value or ""):
            if not any(_same_component(c, known) for known in components):
                components[c] = self.setting_evidence("secure", "enabled_accessibility_services")
        return components

    @cached_property
    def device_policy(self) -> DevicePolicyState:
        from techsafe.scanners.android.parsers.device_policy import parse_device_policy

        return self.parsed("dumpsys_device_policy", parse_device_policy)

    @cached_property
    def users(self) -> tuple[AndroidUser, ...]:
        from techsafe.scanners.android.parsers.users import parse_users

        if "users" not in self.inputs and self.collected("dumpsys_user") is not None:
            return self.parsed("dumpsys_user", parse_users)  # offline dumps: same UserInfo{} lines
        return self.parsed("users", parse_users)

    # ---- how the phone is set up (checks/hiding, permissions, device_state) ----
    @cached_property
    def launcher_packages(self) -> frozenset[str]:
        """Packages with an enabled launcher activity (icon) for the current user."""
        from techsafe.scanners.android.parsers.intent_query import packages_of, parse_intent_query

        return packages_of(self.parsed("launcher_activities", parse_intent_query))

    @cached_property
    def vpn_packages(self) -> frozenset[str]:
        from techsafe.scanners.android.parsers.intent_query import packages_of, parse_intent_query

        return packages_of(self.parsed("vpn_services", parse_intent_query))

    @cached_property
    def appops(self):
        from techsafe.scanners.android.parsers.appops import parse_appops

        return self.parsed("dumpsys_appops", parse_appops)

    @cached_property
    def call_forwarding(self):
        from techsafe.scanners.android.parsers.telephony import parse_telephony_registry

        return self.parsed("dumpsys_telephony.registry", parse_telephony_registry)

    @cached_property
    def user_ca_certs(self) -> tuple[str, ...]:
        from techsafe.scanners.android.parsers.certs import parse_user_ca_listing

        return self.parsed("user_ca_certs", parse_user_ca_listing)

    @cached_property
    def accounts(self) -> tuple[Account, ...]:
        from techsafe.scanners.android.parsers.accounts import parse_accounts

        return self.parsed("dumpsys_account", parse_accounts)

    def device_facts(self) -> tuple[tuple[str, str], ...]:
        try:
            props = self.props
        except Unavailable:
            return (("platform", "Android"),)
        wanted = (
            ("manufacturer", "ro.product.manufacturer"),
            ("model", "ro.product.model"),
            ("android_version", "ro.build.version.release"),
            ("sdk", "ro.build.version.sdk"),
            ("security_patch", "ro.build.version.security_patch"),
            ("build", "ro.build.fingerprint"),
            ("serial", "ro.serialno"),
        )
        facts = [("platform", "Android")]
        facts += [(name, props[key]) for name, key in wanted if props.get(key)]
        return tuple(facts)


def _same_component(a: str, b: str) -> bool:
    """'com.x/.Svc' and 'com.x/com.x.Svc' name the same service."""
    def full(c: str) -> str:
        pkg, _, cls = c.partition("/")
        return f"{pkg}/{pkg}{cls}" if cls.startswith(".") else c

    return full(a) == full(b)


def _merge(a: PackageInfo, b: PackageInfo) -> PackageInfo:
    """Fill what `a` lacks from `b`; `a` comes from the more detailed source."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(PackageInfo):
        mine, theirs = getattr(a, f.name), getattr(b, f.name)
        if mine in (None, "", ()) and theirs not in (None, "", ()):
            changes[f.name] = theirs
    return dataclasses.replace(a, **changes) if changes else a
