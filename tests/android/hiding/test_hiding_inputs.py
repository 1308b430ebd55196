"""`techsafe analyze` on offline inputs: the shared bugreport and androidqf
folders and the Android 7 full dump give asserted findings and facts; zips
built here (bugreport layout per AOSP dumpstate: main_entry.txt naming
bugreport-*.txt) are read, and hostile zips fail with one clear line."""

from __future__ import annotations

import json
import stat
import zipfile

from click.testing import CliRunner

from techsafe.case import Case
from techsafe.cli import cli
from techsafe.scanners.android.analyze import analyze
from techsafe.scanners.android.checks.visibility import access
from techsafe.scanners.android.context import AndroidContext
from techsafe.scanners.android.inputs import android_inputs
from techsafe.workflow import load_indicators

from tests.android.parsers.android_captures import CAPTURES


def run(path, case_dir):
    return CliRunner().invoke(cli, ["analyze", str(path), "--case", str(case_dir), "--json"])


def triples(out):
    return [(f["severity"], f["kind"], f["subject"]) for f in out["findings"]]


def test_androidqf_folder_root_binaries(tmp_path):
    result = run(CAPTURES / "mvt" / "androidqf", tmp_path / "case")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert triples(out)[0] == ("high", "android.root", "Root access")
    root = out["findings"][0]
    assert root["facts"]["why"] == "/system/bin/su exists; /data/local/tmp/magisk exists; /system/bin/magiskhide exists"
    assert [e["artifact"] for e in root["evidence"]] == ["artifacts/android/androidqf/root_binaries.json"] * 3
    assert [e["line"] for e in root["evidence"]] == [2, 4, 5]
    assert "android.root.files" in out["checked"]


def test_bugreport_folder(tmp_path):
    result = run(CAPTURES / "mvt" / "bugreport", tmp_path / "case")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    # two apps (a system app, Instagram from Play with every permission denied): nothing to report,
    # and everything the trimmed dumpstate lacks is said out loud
    assert triples(out) == []
    assert {"android.apps.installers", "android.apps.permissions", "android.location"} <= set(out["checked"])
    gaps = {n["area"] for n in out["not_checked"]}
    assert {"android.apps.hidden", "android.call_forwarding", "android.accounts", "android.users"} <= gaps
    case = Case.open(tmp_path / "case")
    ctx = AndroidContext(android_inputs(case), load_indicators())
    assert ctx.appops.mode("org.mozilla.firefox", "REQUEST_INSTALL_PACKAGES") == "allow"
    assert access(ctx, ctx.packages["com.instagram.android"]) == []


def test_android7_dump_granted_permission_facts(tmp_path):
    case = Case.create(tmp_path / "case")
    data = (CAPTURES / "isdi" / "android7-full-dump.txt").read_bytes()
    case.add_artifact("android", "dump/android7.txt", data, command="import", meta={"format": "dumpsys"})
    ctx = AndroidContext(android_inputs(case), load_indicators())
    # Android 7 has no background-location grant: location is "at any time"
    assert [label for label, _ in access(ctx, ctx.packages["com.whatsapp"])] == [
        "location", "sms", "microphone", "camera", "contacts"]
    assert [label for label, _ in access(ctx, ctx.packages["com.google.android.apps.chromecast.app"])] == ["location"]
    assert [label for label, _ in access(ctx, ctx.packages["app.qrcode"])][-1] == "overlay"
    analysis = analyze(case, load_indicators())
    recorder = [f for f in analysis.findings if f.subject == "com.andrwq.recorder"][0]
    assert recorder.fact("can_see") == "the microphone"


def _bugreport_zip(path, extra=()):
    main = ("========================================================\n== dumpstate: 2024-11-04 10:42:18\n"
            "------ SYSTEM PROPERTIES (getprop) ------\n[ro.boot.flash.locked]: [0]\n[ro.boot.verifiedbootstate]: [orange]\n"
            "[ro.build.version.sdk]: [34]\n[ro.debuggable]: [0]\n[ro.secure]: [1]\n"
            "------ 0.05s was the duration of 'SYSTEM PROPERTIES' ------\n"
            "------ DUMPSYS (/system/bin/dumpsys) ------\n"
            "-------------------------------------------------------------------------------\n"
            "DUMP OF SERVICE settings:\nGLOBAL SETTINGS (user 0)\n"
            "_id:40 name:http_proxy pkg:com.android.settings value:10.0.0.9:8080\n"
            "_id:41 name:adb_wifi_enabled pkg:android value:1\n"
            "SECURE SETTINGS (user 0)\n_id:12 name:always_on_vpn_app pkg:android value:null\n"
            "--------- 0.01s was the duration of dumpsys settings, ending at: 2024-11-04 10:42:20\n")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("main_entry.txt", "bugreport-panther-AP2A.240905.003-2024-11-04-10-42-18.txt")
        zf.writestr("bugreport-panther-AP2A.240905.003-2024-11-04-10-42-18.txt", main)
        zf.writestr("version.txt", "2.0")
        for name, data in extra:
            zf.writestr(name, data)
    return path


def test_bugreport_zip_properties_and_settings(tmp_path):
    result = run(_bugreport_zip(tmp_path / "bugreport.zip"), tmp_path / "case")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert triples(out) == [
        ("high", "android.network.proxy", "HTTP proxy"),
        ("low", "android.bootloader.unlocked", "Bootloader"),
        ("low", "android.wireless_debugging.enabled", "Wireless debugging"),
    ]
    proxy = out["findings"][0]
    assert proxy["facts"]["proxy"] == "10.0.0.9:8080" and proxy["evidence"][0]["line"] == 14
    assert out["device"]["verified_boot"].startswith("orange") and out["device"]["bootloader"] == "unlocked"


def test_hostile_zips_fail_with_one_clear_line(tmp_path):
    traversal = _bugreport_zip(tmp_path / "traversal.zip", [("../../etc/evil.txt", "x")])
    result = run(traversal, tmp_path / "c1")
    assert result.exit_code != 0 and "tries to leave the folder" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "traversal.zip" in result.output

    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("main_entry.txt", "bugreport-x.txt")
        with zf.open("bugreport-x.txt", "w", force_zip64=True) as fh:
            block = b"\0" * (1 << 20)
            for _ in range(600):  # 600 MiB of zeros, ~600 KiB compressed
                fh.write(block)
    result = run(bomb, tmp_path / "c2")
    assert result.exit_code != 0 and "zip bomb" in result.output and "bomb.zip" in result.output
    assert len(result.output.strip().splitlines()) == 1

    linked = tmp_path / "symlink.zip"
    with zipfile.ZipFile(linked, "w") as zf:
        zf.writestr("main_entry.txt", "bugreport-x.txt")
        info = zipfile.ZipInfo("bugreport-x.txt")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    result = run(linked, tmp_path / "c3")
    # the link entry is never stored or followed; the rest of the input is read
    assert result.exit_code == 0, result.output
    stored = [r.path for r in Case.open(tmp_path / "c3").artifacts("android")]
    assert stored == ["artifacts/android/bugreport/main_entry.txt"]
