"""The allow-list: every shell command techsafe may send to an Android phone.

All are read-only. The acquisition layer refuses anything not produced here,
and tests assert that a scan sent nothing else (the simulated phone logs every
command it receives). Each entry is stored as artifacts/android/<key>.txt and
the analyzer knows it by the same key, whether it came from a live phone, an
androidqf folder or a text dump.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


# Where rooting tools leave su or their own files (Magisk, KernelSU, APatch,
# SuperSU, old one-click roots). Fixed paths only: never a path from the device.
ROOT_PROBE_PATHS: tuple[str, ...] = (
    "/system/bin/su", "/system/xbin/su", "/sbin/su", "/system/sbin/su", "/vendor/bin/su", "/su/bin/su",
    "/system/bin/.ext/.su", "/system/usr/we-need-root/su", "/system/xbin/daemonsu", "/cache/su",
    "/data/local/su", "/data/local/bin/su", "/data/local/xbin/su", "/debug_ramdisk/su",
    "/system/bin/magisk", "/sbin/magisk", "/debug_ramdisk/magisk", "/data/adb/magisk", "/data/adb/ksu",
    "/data/adb/ap", "/system/app/Superuser.apk", "/system/app/SuperSU",
)


@dataclass(frozen=True)
class AndroidCommand:
    key: str  # artifact name and analyzer input key
    shell: str  # first choice
    fallbacks: tuple[str, ...] = ()  # tried in order when the first fails (old Androids)
    timeout_s: float = 60.0
    description: str = ""

    @property
    def variants(self) -> tuple[str, ...]:
        return (self.shell, *self.fallbacks)


# Order matters only for display; acquisition runs them concurrently.
COMMANDS: tuple[AndroidCommand, ...] = (
    AndroidCommand("getprop", "getprop", timeout_s=20, description="device properties"),
    AndroidCommand(
        "packages",
        "pm list packages -f -i -U -u",
        # -U appeared in Android 8, -i/-f are older still; the last resort works everywhere.
        fallbacks=("pm list packages -f -i -u", "pm list packages -f -u", "pm list packages"),
        timeout_s=60,
        description="installed apps with installer and uid",
    ),
    AndroidCommand("packages_system", "pm list packages -s", timeout_s=60, description="system apps"),
    AndroidCommand("dumpsys_package", "dumpsys package", timeout_s=180, description="per-app details"),
    AndroidCommand("dumpsys_accessibility", "dumpsys accessibility", timeout_s=30, description="accessibility services"),
    AndroidCommand("dumpsys_device_policy", "dumpsys device_policy", timeout_s=30, description="device admins and owners"),
    AndroidCommand("settings_secure", "settings list secure", timeout_s=20, description="secure settings"),
    AndroidCommand("settings_global", "settings list global", timeout_s=20, description="global settings"),
    AndroidCommand("settings_system", "settings list system", timeout_s=20, description="system settings"),
    AndroidCommand("users", "pm list users", timeout_s=20, description="users and work profiles"),
    AndroidCommand("dumpsys_account", "dumpsys account", timeout_s=30, description="accounts on the phone"),
    # Apps with a launcher icon (Android 7+: PackageManagerShellCommand
    # query-activities; `pm` forwards to it where `cmd` is missing). Disabled
    # launcher components are not matched, so an app missing here is hidden.
    AndroidCommand(
        "launcher_activities",
        "cmd package query-activities --brief -a android.intent.action.MAIN -c android.intent.category.LAUNCHER",
        fallbacks=("pm query-activities --brief -a android.intent.action.MAIN -c android.intent.category.LAUNCHER",),
        timeout_s=30,
        description="apps with a launcher icon",
    ),
    # VPN apps declare a service for the android.net.VpnService action.
    AndroidCommand(
        "vpn_services",
        "cmd package query-services --brief -a android.net.VpnService",
        fallbacks=("pm query-services --brief -a android.net.VpnService",),
        timeout_s=30,
        description="VPN apps",
    ),
    AndroidCommand("dumpsys_appops", "dumpsys appops", timeout_s=60, description="app operations (overlay, installing apps)"),
    AndroidCommand("dumpsys_telephony.registry", "dumpsys telephony.registry", timeout_s=30, description="call forwarding state"),
    AndroidCommand("root_paths", "ls -l -d " + " ".join(ROOT_PROBE_PATHS) + " 2>&1", timeout_s=20,
                   description="files left by rooting tools (read-only listing)"),
    AndroidCommand("user_ca_certs", "ls -l /data/misc/user/0/cacerts-added 2>&1", timeout_s=20,
                   description="certificates added by the user"),
)

BY_KEY: dict[str, AndroidCommand] = {c.key: c for c in COMMANDS}

# Package ids as Android allows them (letters, digits, '_' and '.'); anything
# else read from the device is never put into a command line.
# \Z, not $: `$` also matches before a trailing newline ("com.a\n" passed).
PACKAGE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+\Z")

# Per-package commands, built only from validated ids.
PER_PACKAGE = ("dumpsys package {package}",)


def per_package(template: str, package: str) -> str:
    if template not in PER_PACKAGE:
        raise ValueError(f"not an allowed per-package command: {template!r}")
    if len(package) > 255 or not PACKAGE_ID.match(package):
        raise ValueError("refusing an unsafe package id from the device")
    return template.format(package=package)


def allowed_shell_commands() -> frozenset[str]:
    return frozenset(v for c in COMMANDS for v in c.variants)


def is_allowed(shell: str) -> bool:
    if shell in allowed_shell_commands():
        return True
    for template in PER_PACKAGE:
        prefix = template.split("{", 1)[0]
        if shell.startswith(prefix):
            rest = shell[len(prefix):]
            if PACKAGE_ID.match(rest) and len(rest) <= 255:
                return True
    return False
