"""`techsafe scan --device` end to end: the real adb server (bundled in the
adbutils wheel) talks to our simulated phone over the ADB wire protocol, and
the CLI's findings, case folder and exit status are asserted exactly."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from techsafe.case import Case
from techsafe.cli import cli
from techsafe.scanners.android.commands import COMMANDS, is_allowed
from techsafe.simulate.profile import load_profile, profile_from_text_dump

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "fixtures" / "devices" / "android14-demo"

# (severity, kind, subject) of everything planted in the demo phone (EXPECTED.md).
DEMO_FINDINGS = [
    ("critical", "android.app.stalkerware", "com.systemservice"),
    ("high", "android.play_protect.disabled", "Google Play Protect"),
    ("high", "android.accessibility.enabled", "com.systemservice"),
    ("high", "android.app.sideloaded", "com.systemservice"),
    ("high", "android.device_admin.active", "com.systemservice"),
    ("medium", "android.app.dual_use", "com.life360.android.safetymapd"),
    ("medium", "android.notification_listener", "com.systemservice"),
    ("info", "android.location.google_sharing", "Google location sharing"),
    ("info", "android.usb_debugging.enabled", "USB debugging"),
]
# Real phones refuse to list user-added CA certificates to adb: always said out loud.
DEMO_NOT_CHECKED = ["android.network.user_ca_certs"]


def scan(phone, case_dir: Path, *extra: str):
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["scan", "--device", f"android:{phone.serial}", "--adb-port", str(phone.adb_port),
         "--case", str(case_dir), "--json", "--auth-timeout", "10", *extra],
        catch_exceptions=False,
    )
    return result


def triples(findings_json: dict) -> list[tuple[str, str, str]]:
    return [(f["severity"], f["kind"], f["subject"]) for f in findings_json["findings"]]


def shell_commands(phone) -> list[str]:
    return [c.command for c in phone.commands_received if c.service in ("shell", "shell,v2", "exec")]


@pytest.fixture
def demo_profile():
    # Latencies off: the tests assert behaviour, the benchmarks measure time.
    return dataclasses.replace(load_profile(DEMO), default_latency_s=0.0,
                               commands={k: dataclasses.replace(v, latency_s=0.0) for k, v in load_profile(DEMO).commands.items()})


def test_demo_phone_gives_exact_findings(techsafe_home, simulated_phone, demo_profile, tmp_path):
    phone = simulated_phone(demo_profile)
    result = scan(phone, tmp_path / "case")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert triples(out) == DEMO_FINDINGS
    assert [n["area"] for n in out["not_checked"]] == DEMO_NOT_CHECKED
    assert out["device"]["model"] == "Pixel 7" and out["device"]["android_version"] == "14"
    by_kind = {f["kind"]: f for f in out["findings"]}
    stalker = by_kind["android.app.stalkerware"]
    assert stalker["title"] == "Known stalkerware “TheTruthSpy / Copy9 family” is installed on this phone."
    assert stalker["indicator"]["field"] == "package" and stalker["indicator"]["value"] == "com.systemservice"
    assert stalker["facts"]["first_installed"] == "2024-11-02 01:14:07"
    assert stalker["facts"]["installed_from"] == "a computer over USB (adb)"  # initiatingPackageName=com.android.shell
    assert by_kind["android.app.sideloaded"]["title"].endswith("has accessibility, device admin and notification access.")
    # Evidence points at the exact artifact line that proves it.
    acc = by_kind["android.accessibility.enabled"]["evidence"][0]
    lines = (tmp_path / "case" / acc["artifact"]).read_text().splitlines()
    assert "com.systemservice/" in lines[acc["line"] - 1]
    assert acc["artifact"] == "artifacts/android/dumpsys_accessibility.txt"
    assert {"time": "2024-11-02 01:14:07", "event": "installed", "subject": "com.systemservice",
            "detail": "phone local time"} in out["timeline"]


def test_scan_sends_only_allow_listed_read_only_commands(techsafe_home, simulated_phone, demo_profile, tmp_path):
    phone = simulated_phone(demo_profile)
    assert scan(phone, tmp_path / "case").exit_code == 0
    sent = shell_commands(phone)
    assert sent, "the phone saw no command"
    assert [c for c in sent if not is_allowed(c)] == []
    # every read was attempted; anything else sent was a listed fallback
    assert {c.shell for c in COMMANDS} <= set(sent)
    assert set(sent) <= {v for c in COMMANDS for v in c.variants}
    # nothing but shell commands and file reads of the flagged apps (no push, reboot, root...)
    assert {c.service for c in phone.commands_received} <= {"shell", "shell,v2", "exec", "sync"}
    reads = [c.command for c in phone.commands_received if c.service == "sync"]
    folders = [line.split("/base.apk")[0].split("package:", 1)[1] for line in
               demo_profile.commands["pm list packages -f -i -U -u"].stdout.decode().splitlines()
               if line.endswith(("=com.systemservice  installer=null uid:10346",)) or "=com.life360.android.safetymapd " in line]
    assert len(folders) == 2
    assert reads and all(r.split(" ", 1)[1].startswith(tuple(folders)) for r in reads), reads


def test_case_folder_holds_every_raw_output_and_a_valid_manifest(techsafe_home, simulated_phone, demo_profile, tmp_path):
    phone = simulated_phone(demo_profile)
    case_dir = tmp_path / "case"
    assert scan(phone, case_dir).exit_code == 0
    case = Case.open(case_dir)
    records = {r.meta.get("key"): r for r in case.artifacts("android") if r.meta.get("format") == "command"}
    assert set(records) == {c.key for c in COMMANDS}
    for cmd in COMMANDS:
        rec = records[cmd.key]
        assert rec.command == cmd.shell and rec.exit_status == 0 and rec.complete
        # byte-for-byte what the phone sent
        assert (case_dir / rec.path).read_bytes() == demo_profile.commands[cmd.shell].stdout
    assert oct(case_dir.stat().st_mode & 0o777) == "0o700"
    check = subprocess.run(["sha256sum", "-c", "--quiet", "manifest.sha256"], cwd=case_dir, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    listed = {line.split("  ", 1)[1] for line in (case_dir / "manifest.sha256").read_text().splitlines()}
    assert {"case.json", "log.jsonl", "artifacts.jsonl", "findings.json"} <= listed
    assert json.loads((case_dir / "findings.json").read_text())["schema"] == "techsafe.findings/1"
    # re-analysis of the saved case gives the same findings
    again = CliRunner().invoke(cli, ["analyze", str(case_dir), "--json"], catch_exceptions=False)
    assert triples(json.loads(again.stdout)) == DEMO_FINDINGS


def test_phone_unplugged_mid_scan_keeps_what_was_collected(techsafe_home, simulated_phone, demo_profile, tmp_path):
    # The phone vanishes when the 7th command arrives. Four commands run at
    # once, so the 7th is sent only after at least three have finished.
    phone = simulated_phone(demo_profile, disconnect_after=6)
    case_dir = tmp_path / "case"
    result = scan(phone, case_dir)
    assert result.exit_code == 3
    assert "the phone was disconnected during the scan" in result.stderr
    assert str(case_dir) in result.stderr
    case = Case.open(case_dir)
    complete = [r for r in case.artifacts("android") if r.complete]
    incomplete = [r for r in case.artifacts("android") if not r.complete]
    assert 3 <= len(complete) <= 6 and len(complete) + len(incomplete) == len(COMMANDS)
    for rec in complete:
        assert (case_dir / rec.path).read_bytes() == demo_profile.commands[rec.command].stdout
    out = json.loads(result.stdout)
    gaps = {n["area"] for n in out["not_checked"]}
    assert {f"android.acquire.{r.meta['key']}" for r in incomplete} <= gaps
    reasons = [n["reason"] for n in out["not_checked"] if n["area"].startswith("android.acquire.")]
    assert all("disconnected" in r for r in reasons), reasons
    # the case is valid and can be analyzed again
    assert subprocess.run(["sha256sum", "-c", "--quiet", "manifest.sha256"], cwd=case_dir).returncode == 0
    assert CliRunner().invoke(cli, ["analyze", str(case_dir), "--json"]).exit_code == 0


def test_waits_for_allow_usb_debugging(techsafe_home, simulated_phone, demo_profile, tmp_path):
    phone = simulated_phone(demo_profile, auth_delay_s=1.5, wait=False)
    result = scan(phone, tmp_path / "case")
    assert result.exit_code == 0, result.output
    assert triples(json.loads(result.stdout)) == DEMO_FINDINGS


def test_gives_up_when_usb_debugging_is_never_allowed(techsafe_home, simulated_phone, demo_profile, tmp_path):
    phone = simulated_phone(demo_profile, auth_delay_s=60, wait=False)
    runner = CliRunner()
    result = runner.invoke(cli, ["scan", "--device", f"android:{phone.serial}", "--adb-port", str(phone.adb_port),
                                 "--case", str(tmp_path / "case"), "--auth-timeout", "2"])
    assert result.exit_code == 2
    assert "did not allow USB debugging within 2 s" in result.stderr
    assert "tap Allow" in result.stderr
    assert shell_commands(phone) == []


def test_no_phone_explains_how_to_connect(techsafe_home, adb_server):
    result = CliRunner().invoke(cli, ["scan", "--device", "--adb-port", str(adb_server.port)])
    assert result.exit_code == 2
    assert "No phone found" in result.stderr and "USB debugging" in result.stderr


def test_several_phones_are_listed_and_one_can_be_picked(techsafe_home, simulated_phone, demo_profile, tmp_path):
    first = simulated_phone(demo_profile)
    second = simulated_phone(dataclasses.replace(demo_profile, serial="SECOND"))
    result = CliRunner().invoke(cli, ["scan", "--device", "--adb-port", str(first.adb_port)])
    assert result.exit_code == 2
    assert f"android:{first.serial}" in result.stderr and f"android:{second.serial}" in result.stderr
    assert "--device android:SERIAL" in result.stderr
    picked = scan(second, tmp_path / "case")
    assert picked.exit_code == 0
    assert shell_commands(first) == [] and shell_commands(second)


def test_android7_dump_profile_through_adb(techsafe_home, simulated_phone, shared, tmp_path):
    """A real Android 7 phone's outputs (ISDi dump) served by the simulated
    phone: the old `pm` lacks -U, so the fallback is used and recorded."""
    phone = simulated_phone(profile_from_text_dump(shared / "captures/android/isdi/android7-full-dump.txt"))
    result = scan(phone, tmp_path / "case")
    out = json.loads(result.stdout)
    assert triples(out) == ANDROID7_FINDINGS
    sent = shell_commands(phone)
    assert "pm list packages -f -i -U -u" in sent and "pm list packages -f -i -u" in sent
    case = Case.open(tmp_path / "case")
    packages = [r for r in case.artifacts("android") if r.meta.get("key") == "packages"]
    assert [r.command for r in packages] == ["pm list packages -f -i -u"]
    # what this old phone's dump lacks is said out loud, never silent
    gaps = {n["area"] for n in out["not_checked"]}
    assert gaps == ANDROID7_GAPS
    assert result.exit_code == 0


# The dump has no device_policy/account/user/telephony sections, and the
# simulated phone has no app files: each is said, never silently skipped.
ANDROID7_GAPS = {"android.device_admin", "android.apps.files", "android.accounts", "android.users", "android.root.files",
                 "android.call_forwarding", "android.network.vpn_apps", "android.network.user_ca_certs",
                 "android.apps.hidden", "android.location.google"}
ANDROID7_FINDINGS = [
    ("medium", "android.app.sideloaded", "com.andrwq.recorder"),
    ("medium", "android.app.sideloaded", "com.digiplex.game"),
    ("medium", "android.app.sideloaded", "com.google.android.apps.hangoutsdialer"),
    ("low", "android.app.connected_device", "com.google.android.apps.chromecast.app"),
    ("low", "android.app.permissions", "com.whatsapp"),
    ("low", "android.app.permissions", "net.one97.paytm"),
    ("info", "android.usb_debugging.enabled", "USB debugging"),
]
