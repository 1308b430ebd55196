"""The team's simulated Android 14 phone (fixtures/devices/android14-demo,
see its EXPECTED.md): every output parses, with the planted facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from techsafe.scanners.android.facts import DeviceAdmin, Permission
from techsafe.scanners.android.parsers import (
    parse_accessibility,
    parse_accounts,
    parse_device_policy,
    parse_dumpsys_package,
    parse_dumpsys_package_single,
    parse_getprop,
    parse_package_list,
    parse_package_names,
    parse_settings,
    parse_users,
)

OUTPUTS = Path(__file__).resolve().parents[3] / "fixtures" / "devices" / "android14-demo" / "outputs"


def _read(name: str) -> str:
    return (OUTPUTS / name).read_bytes().decode("utf-8", errors="replace")


def test_packages():
    pkgs = {p.name: p for p in parse_dumpsys_package(_read("dumpsys_package.txt"))}
    assert len(pkgs) == 198
    assert sum(1 for p in pkgs.values() if p.system) == 164
    spy = pkgs["com.systemservice"]
    assert (spy.uid, spy.installer, spy.system, spy.version_name, spy.first_install) == (
        10346, "com.android.shell", False, "27.03", "2024-11-02 01:14:07")  # no installer of record: who initiated it
    assert Permission("android.permission.RECORD_AUDIO", True, 0) in spy.permissions
    assert Permission("android.permission.SYSTEM_ALERT_WINDOW", True, None) in spy.permissions
    assert "android.permission.BIND_NOTIFICATION_LISTENER_SERVICE" in spy.requested_permissions
    assert not spy.granted("android.permission.BIND_NOTIFICATION_LISTENER_SERVICE")
    life = pkgs["com.life360.android.safetymapd"]
    assert (life.installer, life.first_install, life.last_update) == (
        "com.android.vending", "2024-09-21 19:08:33", "2024-10-27 04:52:06")
    assert life.granted("android.permission.ACCESS_BACKGROUND_LOCATION")
    assert sum(1 for p in pkgs.values() if "UPDATED_SYSTEM_APP" in p.flags) == 23


@pytest.mark.parametrize("name", ["packages.txt", "packages_no_uid.txt", "packages_paths.txt", "packages_plain.txt"])
def test_package_list_forms(name):
    pkgs = {p.name: p for p in parse_package_list(_read(name))}
    assert len(pkgs) == 198
    if name == "packages.txt":
        spy = pkgs["com.systemservice"]
        assert (spy.installer, spy.uid, spy.users) == ("", 10346, (0,))
        assert spy.apk_path.endswith("/com.systemservice-4J5EnCFmQbyB05-l-Kub-A==/base.apk")
        assert pkgs["com.life360.android.safetymapd"].installer == "com.android.vending"
    assert len(parse_package_names(_read("packages_system.txt"))) == 164


def test_single_package_outputs_name_their_package():
    files = sorted(OUTPUTS.glob("dumpsys_package_*.txt"))
    assert len(files) == 34
    for f in files:
        pkg = parse_dumpsys_package_single(f.read_text(encoding="utf-8", errors="replace"))
        assert f.name == f"dumpsys_package_{pkg.name}.txt"


def test_accessibility_admins_users_accounts():
    acc = parse_accessibility(_read("dumpsys_accessibility.txt"))
    assert acc.layout == "aosp-11+"
    assert acc.enabled == ((0, ("com.systemservice/.AccessService",)),)
    assert acc.bound_labels == ((0, ("System Service",)),)
    policy = parse_device_policy(_read("dumpsys_device_policy.txt"))
    assert policy.admins == (
        DeviceAdmin("com.google.android.gms/.mdm.receivers.MdmDeviceAdminReceiver", 0),
        DeviceAdmin("com.systemservice/.AdminReceiver", 0),
    )
    assert policy.device_owner is None and policy.profile_owners == ()
    users = parse_users(_read("users.txt"))
    assert [(u.id, u.name, u.flags, u.running) for u in users] == [(0, "Owner", "c13", True)]
    accounts = parse_accounts(_read("dumpsys_account.txt"))
    assert [(a.type, a.user) for a in accounts] == [("com.google", 0)]


def test_getprop_and_settings():
    props = parse_getprop(_read("getprop.txt"))
    assert (props["ro.build.version.release"], props["persist.sys.usb.config"], props["ro.boot.verifiedbootstate"]) == (
        "14", "adb", "green")
    secure = parse_settings(_read("settings_secure.txt"))
    assert secure["enabled_accessibility_services"] == "com.systemservice/com.systemservice.AccessService"
    assert secure["lock_screen_custom_clock_face"].count("\n") == 4
    assert secure["lock_screen_custom_clock_face"].startswith("{\n  \"clockId\"")
    glob = parse_settings(_read("settings_global.txt"))
    assert (glob["package_verifier_enable"], glob["adb_enabled"], glob["verifier_verify_adb_installs"]) == ("0", "1", "0")
