"""`dumpsys package` on the real Android 7 dump, the Android 11 single-package
captures and the Samsung trimmed sections; plus newer-format fixtures."""

from __future__ import annotations

import pytest
from android_captures import Timer, read_capture

from techsafe.scanners.android.facts import ParseError, Permission
from techsafe.scanners.android.parsers.dump_sections import sections_named, split_dump
from techsafe.scanners.android.parsers.dumpsys_package import (
    parse_dumpsys_package,
    parse_dumpsys_package_single,
)


@pytest.fixture(scope="module")
def android7():
    text = read_capture("isdi/android7-full-dump.txt")
    section = sections_named(split_dump(text), "service", "package")[0]
    with Timer(0.5) as t:
        pkgs = parse_dumpsys_package(section.text, first_line=section.first_line)
    print(f"android 7 package section ({section.text.count(chr(10)) + 1} lines): {t.elapsed * 1000:.1f} ms")
    return text, section, {p.name: p for p in pkgs}, pkgs


def test_android7_counts(android7):
    text, section, by_name, pkgs = android7
    # The section holds 271 `Package [` blocks: 252 under `Packages:` (the
    # phone's own "Read completed successfully: 252 packages") and 19 factory
    # copies under `Hidden system packages:`, which are not installed apps.
    assert section.text.count("\n  Package [") == 271
    assert len(pkgs) == 252 == len(by_name)
    assert sum(1 for p in pkgs if p.system) == 165
    assert sum(1 for p in pkgs if p.system is False) == 87
    assert sum(1 for p in pkgs if p.installer == "com.android.vending") == 104
    assert sum(1 for p in pkgs if p.installer == "") == 145
    assert sorted(p.name for p in pkgs if p.installer not in ("", "com.android.vending")) == [
        "com.andrwq.recorder",
        "com.digiplex.game",
        "com.google.android.apps.hangoutsdialer",
    ]
    assert sorted(p.name for p in pkgs if p.enabled is False) == [
        "com.android.email",
        "com.facebook.appmanager",
        "com.facebook.system",
        "com.google.android.apps.tachyon",
        "com.google.android.webview",
        "com.huawei.phoneservice",
        "com.touchtype.swiftkey",
    ]


def test_android7_exact_packages(android7):
    text, _section, by_name, _ = android7
    lines = text.split("\n")
    rec = by_name["com.andrwq.recorder"]
    assert (rec.installer, rec.system, rec.version_name, rec.version_code) == ("com.andrwq.recorder", False, "1.8.0", "14")
    assert (rec.first_install, rec.last_update, rec.uid, rec.users, rec.enabled) == (
        "2017-08-08 21:54:04", "2017-08-08 21:54:04", 10212, (0,), True)
    assert rec.granted("android.permission.RECORD_AUDIO")
    assert Permission("android.permission.RECORD_AUDIO", True, None) in rec.permissions
    assert rec.line == 26243
    assert lines[rec.line - 1] == "  Package [com.andrwq.recorder] (4eb4dbc):"

    fb = by_name["com.facebook.katana"]  # updated system app; its factory copy is hidden
    assert fb.line == 30862
    assert fb.apk_path == "/data/app/com.facebook.katana-1"
    assert fb.system is True and "UPDATED_SYSTEM_APP" in fb.flags
    assert fb.version_name == "197.0.0.46.98"
    assert fb.first_install == "2017-08-08 21:13:00"
    assert fb.installer == "com.android.vending"
    assert Permission("android.permission.ACCESS_FINE_LOCATION", True, 0) in fb.permissions
    assert Permission("android.permission.REQUEST_INSTALL_PACKAGES", True, None) in fb.permissions

    chrome = by_name["com.android.chrome"]
    assert (chrome.version_name, chrome.version_code, chrome.uid) == ("70.0.3538.80", "353808052", 10055)
    assert chrome.granted("android.permission.CAMERA")

    gms = by_name["com.google.android.gms"]
    assert gms.version_name == "14.5.74 (040408-219897028)"
    assert gms.system is True and gms.installer == "com.android.vending"

    wa = by_name["com.whatsapp"]
    assert (wa.system, wa.installer, wa.last_update) == (False, "com.android.vending", "2018-11-09 01:08:52")
    assert wa.granted("android.permission.RECORD_AUDIO")

    # a hidden system package only: YouTube's factory copy is not an installed app here
    assert "com.google.android.youtube" in by_name
    assert by_name["com.google.android.youtube"].apk_path.startswith("/data/app/")


def test_android11_single_package_captures():
    gps = parse_dumpsys_package_single(read_capture("spytrap-adb/package/gpstest.txt"))
    assert gps.name == "com.android.gpstest.osmdroid"
    assert gps.uid == 10153
    assert gps.installer == "com.android.packageinstaller"
    assert gps.system is False
    assert (gps.version_name, gps.version_code) == ("3.9.16", "18093")
    assert (gps.first_install, gps.last_update) == ("2021-11-07 23:55:09", "2021-11-07 23:55:09")
    assert gps.apk_path == (
        "/data/app/~~DtCl3GSWjjDeCZQY6-JYjQ==/com.android.gpstest.osmdroid-R1hWv_dQbz--sDQlVH8myQ=="
    )
    assert gps.requested_permissions == (
        "android.permission.ACCESS_NETWORK_STATE",
        "android.permission.ACCESS_FINE_LOCATION",
        "android.permission.ACCESS_LOCATION_EXTRA_COMMANDS",
        "android.permission.INTERNET",
        "android.permission.WRITE_EXTERNAL_STORAGE",
        "android.permission.ACCESS_COARSE_LOCATION",
        "android.permission.READ_EXTERNAL_STORAGE",
    )
    assert gps.permissions == (
        Permission("android.permission.INTERNET", True, None),
        Permission("android.permission.ACCESS_LOCATION_EXTRA_COMMANDS", True, None),
        Permission("android.permission.ACCESS_NETWORK_STATE", True, None),
        Permission("android.permission.ACCESS_FINE_LOCATION", True, 0),
        Permission("android.permission.READ_EXTERNAL_STORAGE", False, 0),
        Permission("android.permission.ACCESS_COARSE_LOCATION", True, 0),
        Permission("android.permission.WRITE_EXTERNAL_STORAGE", False, 0),
    )
    assert (gps.users, gps.enabled, gps.line) == ((0,), True, 45)

    contacts = parse_dumpsys_package_single(read_capture("spytrap-adb/package/contacts.txt"))
    assert (contacts.name, contacts.system, contacts.installer) == ("com.android.contacts", True, "")
    assert (contacts.version_name, contacts.uid, contacts.first_install) == ("1.7.31", 10118, "2009-01-01 01:00:00")

    fdroid = parse_dumpsys_package_single(read_capture("spytrap-adb/package/fdroid.txt"))
    assert (fdroid.name, fdroid.installer, fdroid.system, fdroid.version_name) == (
        "org.fdroid.fdroid", "com.android.packageinstaller", False, "1.13.1")
    assert fdroid.first_install == "2021-11-04 20:12:50"

    jitsi = parse_dumpsys_package_single(read_capture("spytrap-adb/package/jitsi.txt"))
    assert (jitsi.name, jitsi.installer, jitsi.version_name, jitsi.uid) == (
        "org.jitsi.meet", "com.android.packageinstaller", "21.4.1", 10152)
    assert len(jitsi.requested_permissions) == 13


def test_samsung_sections_mvt_androidqf_bugreport():
    mvt = parse_dumpsys_package(read_capture("mvt/android_data/dumpsys_packages.txt"))
    assert [p.name for p in mvt] == ["com.samsung.android.provider.filterprovider", "com.sec.android.app.DataCreate"]
    assert mvt[0].uid == 1000 and mvt[0].system is True and mvt[0].line == 40

    sections = split_dump(read_capture("mvt/bugreport/dumpstate.txt"))
    section = sections_named(sections, "service", "package")[0]
    pkgs = {p.name: p for p in parse_dumpsys_package(section.text, first_line=section.first_line)}
    assert list(pkgs) == ["com.samsung.android.provider.filterprovider", "com.instagram.android"]
    insta = pkgs["com.instagram.android"]
    assert (insta.installer, insta.system, insta.version_name, insta.first_install) == (
        "com.android.vending", False, "241.1.0.18.114", "2020-06-12 00:41:34")
    assert insta.enabled is False  # enabled=4: disabled until used
    assert Permission("android.permission.CAMERA", False, 0) in insta.permissions
    assert not insta.granted("android.permission.RECORD_AUDIO")
    assert insta.line == 179

    qf = split_dump(read_capture("mvt/androidqf/dumpsys.txt"))
    section = sections_named(qf, "service", "package")[0]
    pkgs = parse_dumpsys_package(section.text, first_line=section.first_line)
    assert [(p.name, p.uid, p.system, p.installer, p.line) for p in pkgs] == [
        ("com.samsung.android.provider.filterprovider", 1000, True, "", 91),
        ("com.sec.android.app.DataCreate", 10143, True, None, 121),  # block cut: installer unknown
    ]


# Android 12-14 layout: appId=, per-user firstInstallTime, installer fields of
# InstallSource (Settings.java dumpPackageLPr, Android 12+), multi-user blocks.
ANDROID14 = """\
Packages:
  Package [com.evil.spy] (1a2b3c4):
    appId=10234
    pkg=Package{5d6e7f com.evil.spy}
    codePath=/data/app/~~a==/com.evil.spy-b==
    versionCode=7 minSdk=21 targetSdk=33
    versionName=2.0
    flags=[ HAS_CODE ALLOW_CLEAR_USER_DATA ]
    privateFlags=[ PRIVATE_FLAG_ACTIVITIES_RESIZE_MODE_RESIZEABLE ]
    timeStamp=2024-02-03 10:11:12
    lastUpdateTime=2024-02-03 10:11:14
    installerPackageName=null
    installInitiatingPackageName=com.google.android.packageinstaller
    signatures=PackageSignatures{1 version:2, signatures:[abc], past signatures:[]}
    pkgFlags=[ HAS_CODE ALLOW_CLEAR_USER_DATA ]
    requested permissions:
      android.permission.BIND_ACCESSIBILITY_SERVICE
      android.permission.RECORD_AUDIO
    install permissions:
      android.permission.INTERNET: granted=true
    User 0: ceDataInode=123 deDataInode=456 installed=true hidden=false suspended=false distractionFlags=0 stopped=false notLaunched=false enabled=0 instant=false virtual=false quarantined=false
      installReason=0
      firstInstallTime=2024-02-03 10:11:13
      uninstallReason=0
      gids=[3003]
      runtime permissions:
        android.permission.RECORD_AUDIO: granted=true, flags=[ USER_SET ]
    User 10: ceDataInode=0 deDataInode=0 installed=false hidden=false suspended=false enabled=0
      firstInstallTime=1970-01-01 00:00:00
      runtime permissions:
        android.permission.RECORD_AUDIO: granted=false, flags=[ ]

Hidden system packages:
  Package [com.google.android.youtube] (99):
    appId=10111
    pkgFlags=[ SYSTEM ]
"""


def test_android14_layout():
    (pkg,) = parse_dumpsys_package(ANDROID14)
    assert pkg.name == "com.evil.spy"
    assert pkg.uid == 10234
    assert pkg.installer == ""
    assert pkg.system is False
    assert pkg.first_install == "2024-02-03 10:11:13"
    assert pkg.users == (0,)
    assert pkg.permissions == (
        Permission("android.permission.INTERNET", True, None),
        Permission("android.permission.RECORD_AUDIO", True, 0),
        Permission("android.permission.RECORD_AUDIO", False, 10),
    )
    assert pkg.granted("android.permission.RECORD_AUDIO")
    assert pkg.requested_permissions == ("android.permission.BIND_ACCESSIBILITY_SERVICE", "android.permission.RECORD_AUDIO")
    assert pkg.flags == ("HAS_CODE", "ALLOW_CLEAR_USER_DATA", "PRIVATE_FLAG_ACTIVITIES_RESIZE_MODE_RESIZEABLE")


def test_android5_granted_permissions_form():
    # Android 5 (Settings.java, lollipop): grantedPermissions list, no runtime permissions
    text = (
        "Packages:\n"
        "  Package [com.old.app] (abc):\n"
        "    userId=10050 gids=[3003]\n"
        "    pkgFlags=[ HAS_CODE ]\n"
        "    User 0:  installed=true hidden=false stopped=false notLaunched=false enabled=3\n"
        "    grantedPermissions:\n"
        "      android.permission.READ_SMS\n"
    )
    (pkg,) = parse_dumpsys_package(text)
    assert pkg.uid == 10050
    assert pkg.permissions == (Permission("android.permission.READ_SMS", True, None),)
    assert pkg.enabled is False
    assert pkg.installer == ""


@pytest.mark.parametrize(
    "text", ["", "Unable to find package: com.x\n", "Packages:\n\nQueries:\n", "Can't find service: package"]
)
def test_single_rejects_output_without_a_package(text):
    with pytest.raises(ParseError):
        parse_dumpsys_package_single(text)


def test_no_packages_heading_is_not_understood():
    with pytest.raises(ParseError):
        parse_dumpsys_package("  Package [com.x] (1):\n    userId=10001\n")
