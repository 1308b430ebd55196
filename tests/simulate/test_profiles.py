"""Profiles: the profile.yaml folder format, and phones built from real
third-party captures (../shared) served through the real adb server."""

from __future__ import annotations

import pytest

from techsafe.scanners.android.commands import BY_KEY, is_allowed
from techsafe.simulate.profile import (
    ProfileError, load_profile, profile_from_androidqf, profile_from_text_dump, split_dump_sections,
)


def _write_profile(folder, yaml_text, files):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profile.yaml").write_text(yaml_text)
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


YAML = """
serial: R58N12ABCDE
product: {name: a54xnsxx, model: SM-A546B, device: a54x}
default_latency: 0.01
commands:
  getprop: outputs/getprop.txt
  "pm list packages -f -i -U -u": {file: outputs/packages.txt, latency: 0.3}
  "pm list users": {stdout: "Users:\\n\\tUserInfo{0:Owner:c13} running\\n"}
  "dumpsys device_policy": {stderr: "Permission Denial\\n", exit: 1}
files:
  /data/app/~~Qx==/com.example.spy-1/base.apk: apks/spy.apk
  /sdcard/notes.txt: {text: "hello\\n"}
faults:
  hang: ["dumpsys account"]
"""
FILES = {
    "outputs/getprop.txt": b"[ro.build.version.sdk]: [34]\r\n",
    "outputs/packages.txt": b"package:/data/app/~~Qx==/com.example.spy-1/base.apk=com.example.spy  installer=null uid:10201\n",
    "apks/spy.apk": b"PK\x03\x04apk",
}


def test_load_profile_folder(tmp_path):
    p = load_profile(_write_profile(tmp_path / "dev", YAML, FILES))
    assert (p.serial, p.name, p.model, p.device) == ("R58N12ABCDE", "a54xnsxx", "SM-A546B", "a54x")
    assert p.commands["getprop"].stdout == b"[ro.build.version.sdk]: [34]\r\n"
    packages = p.commands["pm list packages -f -i -U -u"]
    assert (packages.stdout, packages.latency_s, p.latency(packages)) == (FILES["outputs/packages.txt"], 0.3, 0.3)
    assert p.latency(p.commands["getprop"]) == 0.01
    assert p.commands["pm list users"].stdout == b"Users:\n\tUserInfo{0:Owner:c13} running\n"
    dp = p.commands["dumpsys device_policy"]
    assert (dp.stdout, dp.stderr, dp.exit_code) == (b"", b"Permission Denial\n", 1)
    assert p.files["/data/app/~~Qx==/com.example.spy-1/base.apk"].read() == b"PK\x03\x04apk"
    assert p.files["/sdcard/notes.txt"].read() == b"hello\n"
    assert p.faults.hang == frozenset({"dumpsys account"})


def test_yaml_profile_served(simulated_phone, tmp_path):
    phone = simulated_phone(load_profile(_write_profile(tmp_path / "dev", YAML, FILES)))
    d = phone.device()
    assert d.shell("getprop", encoding=None) == b"[ro.build.version.sdk]: [34]\r\n"
    r = phone.adb("shell", "dumpsys device_policy")
    assert (r.returncode, r.stderr) == (1, b"Permission Denial\n")
    assert d.sync.read_bytes("/data/app/~~Qx==/com.example.spy-1/base.apk") == b"PK\x03\x04apk"


@pytest.mark.parametrize("yaml_text, files, message", [
    ("commands: {getprop: outputs/missing.txt}\n", {}, "'outputs/missing.txt' does not exist"),
    ("commands: {getprop: ../../etc/passwd}\n", {}, "points outside the profile folder"),
    ("commands: [\n", {}, "not valid YAML"),
    ("- a\n- b\n", {}, "expected a mapping"),
    ("commands: {getprop: {file: x.txt, exit: lots}}\n", {"x.txt": b""}, "must be numbers"),
    ("commands: {getprop: {fiel: x.txt}}\n", {}, "unknown keys ['fiel']"),
    ("files: {relative/path: {text: x}}\n", {}, "must be absolute"),
])
def test_bad_profile_gives_one_line_error_naming_the_file(tmp_path, yaml_text, files, message):
    folder = _write_profile(tmp_path / "dev", yaml_text, files)
    with pytest.raises(ProfileError) as err:
        load_profile(folder)
    text = str(err.value)
    assert text.startswith(str(folder / "profile.yaml") + ": ")
    assert message in text
    assert "\n" not in text


def test_missing_profile_folder(tmp_path):
    with pytest.raises(ProfileError, match="profile.yaml: cannot read"):
        load_profile(tmp_path / "nope")


# ---------------------------------------------------------------- Android 7 text dump

def test_android7_dump_profile_commands(shared):
    dump = shared / "captures/android/isdi/android7-full-dump.txt"
    p = profile_from_text_dump(dump)
    assert (p.name, p.model, p.device) == ("FRD-L04", "FRD-L04", "HWFRD")
    services = {"activity", "appops", "batterystats", "cpuinfo", "dbinfo", "location", "media.camera",
                "meminfo", "mount", "net_stats", "netpolicy", "netstats", "package", "procstats", "usagestats"}
    assert {c for c in p.commands if c.startswith("dumpsys ")} == {f"dumpsys {s}" for s in services}
    for key in ("getprop", "packages", "packages_system", "dumpsys_package",
                "settings_secure", "settings_global", "settings_system"):
        assert p.answer(BY_KEY[key].shell) is not None, key
    assert all(is_allowed(c) for c in p.commands if c not in {"dumpsys"} and not c.startswith("dumpsys "))


def test_android7_dump_served_consistently(simulated_phone, shared):
    raw = (shared / "captures/android/isdi/android7-full-dump.txt").read_bytes()
    sections = split_dump_sections(raw)
    phone = simulated_phone(profile_from_text_dump(shared / "captures/android/isdi/android7-full-dump.txt"))
    d = phone.device()
    # Android 7's pm has no -U: the first allow-listed variant fails, the fallback works.
    r = d.shell2("pm list packages -f -i -U -u")
    assert (r.returncode, r.output) == (1, "Error: Unknown option: -U\n")
    listing = d.shell("pm list packages -f -i -u").splitlines()
    assert len(listing) == 252  # Packages: blocks (the 19 "Hidden system packages" are not installed apps)
    assert listing[0] == ("package:/data/app/com.amazon.mShop.android.shopping-2/base.apk="
                          "com.amazon.mShop.android.shopping  installer=com.android.vending")
    assert ("package:/system/priv-app/CtsShimPrivPrebuilt/CtsShimPrivPrebuilt.apk="
            "com.android.cts.priv.ctsshim  installer=null") in listing
    # Every listed package has a block in the served `dumpsys package`.
    dumpsys_package = d.shell("dumpsys package", encoding=None, timeout=60)
    for line in listing:
        name = line.rsplit("  installer=", 1)[0].rsplit("=", 1)[1]
        assert f"  Package [{name}] (".encode() in dumpsys_package
    system = d.shell("pm list packages -s").splitlines()
    assert len(system) == 165 and "package:com.android.cts.priv.ctsshim" in system
    assert "package:com.amazon.mShop.android.shopping" not in system
    assert d.shell("getprop").splitlines()[:1] == [
        "[ro.build.fingerprint]: [HONOR/FRD-L04/HWFRD:7.0/HUAWEIFRD-L04/C567B398:user/release-keys]"]
    assert "[ro.build.version.sdk]: [24]" in d.shell("getprop")
    assert d.shell("settings list secure", encoding=None, rstrip=False) == sections[("SETTINGS", "secure")]
    assert d.shell("settings list global", encoding=None).endswith(b"zen_mode_ringer_level=1\n")
    r = d.shell2("dumpsys package com.skype.raider")  # no per-package entry: empty, not invented
    assert (r.returncode, r.output) == (0, "")
    r = d.shell2("dumpsys accessibility")  # not in a 2018 dump of this phone
    assert (r.returncode, r.output) == (0, "Can't find service: accessibility\n")


# ---------------------------------------------------------------- androidqf folder

def test_androidqf_profile_served(simulated_phone, shared):
    folder = shared / "captures/android/mvt/androidqf"
    sections = split_dump_sections((folder / "dumpsys.txt").read_bytes())
    phone = simulated_phone(profile_from_androidqf(folder))
    d = phone.device()
    assert d.shell("pm list packages -f -i -U -u").splitlines() == [
        "package:/data/app/~~/com.whatsapp-~~/base.apk=com.whatsapp  installer=null uid:10271",
        "package:/data/app/~~==/app.revanced.manager.flutter-==/base.apk=app.revanced.manager.flutter"
        "  installer=com.google.android.packageinstaller uid:10266",
        "package:/data/app/~~==/com.google.android.youtube-==/base.apk=com.google.android.youtube"
        "  installer=com.google.android.packageinstaller uid:10194",
        "package:/data/app/~~-==/org.fdroid.fdroid-==/base.apk=org.fdroid.fdroid"
        "  installer=com.google.android.packageinstaller uid:10267",
        "package:/data/app/~~==/org.nuclearfog.apollo-==/base.apk=org.nuclearfog.apollo  installer=org.fdroid.fdroid uid:10272",
        "package:/data/app/~~-==/com.malware.blah-==/base.apk=com.malware.blah  installer=null uid:10058",
        "package:/data/app/~~-==/com.malware.meh-==/base.apk=com.malware.muahaha  installer=null uid:10058",
    ]
    assert d.shell("pm list packages -s").splitlines() == [
        "package:com.google.android.youtube", "package:com.malware.blah", "package:com.malware.muahaha"]
    acc = d.shell("dumpsys accessibility", encoding=None, rstrip=False)
    assert acc == sections[("SERVICE", "accessibility")]
    assert acc.startswith(b"ACCESSIBILITY MANAGER (dumpsys accessibility)\n")
    assert b"was the duration of dumpsys" not in acc  # the bare-dumpsys trailer is not part of it
    assert d.shell("getprop", encoding=None, rstrip=False) == (folder / "getprop.txt").read_bytes()
    assert d.shell("settings list random", encoding=None, rstrip=False) == (folder / "settings_random.txt").read_bytes()
    assert d.shell2("dumpsys device_policy").output == "Can't find service: device_policy\n"


def test_androidqf_errors(tmp_path):
    with pytest.raises(ProfileError, match="not a folder"):
        profile_from_androidqf(tmp_path / "nope")
    with pytest.raises(ProfileError, match="no androidqf files"):
        profile_from_androidqf(tmp_path)
    (tmp_path / "packages.json").write_text("{not json")
    with pytest.raises(ProfileError, match=r"packages.json: not valid JSON"):
        profile_from_androidqf(tmp_path)


def test_hostile_dump_is_split_in_linear_time(tmp_path):
    import time

    dump = tmp_path / "dump.txt"
    dump.write_bytes(b"DUMP OF SERVICE package:\n" + b"-" * 30 + b"\n" + (b"-" * 30 + b"x\n") * 200_000
                     + b"-" * 30 + b"\n")
    t = time.monotonic()
    p = profile_from_text_dump(dump)
    assert time.monotonic() - t < 5
    assert p.commands["dumpsys package"].stdout.endswith(b"-" * 30 + b"x\n")


def test_text_dump_without_sections(tmp_path):
    bad = tmp_path / "dump.txt"
    bad.write_bytes(b"\x00\xffnot a dump\n")
    with pytest.raises(ProfileError, match="dump.txt: no 'DUMP OF SERVICE'"):
        profile_from_text_dump(bad)
