"""A simulated phone (the android14-demo profile plus edits) with a hidden
app, two Google accounts, call forwarding and a work profile, scanned end to
end through the real adb server with `techsafe scan --device android:SERIAL`."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import MappingProxyType

from click.testing import CliRunner

from techsafe.cli import cli
from techsafe.scanners.android.commands import BY_KEY, COMMANDS, is_allowed
from techsafe.simulate.profile import CommandOutput, load_profile

from tests.android.hiding.outputs import extra_commands

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "fixtures" / "devices" / "android14-demo"
HIDDEN = "com.calm.android"
SECOND_GOOGLE = "    Account {name=someone.else.4410@gmail.com, type=com.google}\n"
MY_AREAS = ("android.apps.hidden", "android.apps.permissions", "android.location", "android.location.google",
            "android.accounts", "android.users", "android.root", "android.root.files", "android.bootloader",
            "android.call_forwarding", "android.network.proxy", "android.network.vpn", "android.network.vpn_apps",
            "android.network.user_ca_certs", "android.debugging")
WORK_PROFILE = "\tUserInfo{10:Work profile:1030} running\n"


def _edited_demo():
    demo = load_profile(DEMO)
    commands = {k: dataclasses.replace(v, latency_s=0.0) for k, v in demo.commands.items()}
    text = lambda cmd: commands[cmd].stdout.decode()  # noqa: E731
    # every app with an icon, except the hidden one (its launcher alias is off)
    listed = [line.rsplit("=", 1)[-1].split()[0] for line in text("pm list packages -f -u").splitlines() if line]
    launcher = [p for p in listed if p != HIDDEN]
    for cmd, out in extra_commands(launcher, forwarding=True).items():
        commands[cmd] = CommandOutput(out)
    accounts = text("dumpsys account").replace("  Accounts: 1\n", "  Accounts: 2\n")
    head, sep, tail = accounts.partition("type=com.google}\n")
    commands["dumpsys account"] = CommandOutput((head + sep + SECOND_GOOGLE + tail).encode())
    commands["pm list users"] = CommandOutput((text("pm list users") + WORK_PROFILE).encode())
    return dataclasses.replace(demo, default_latency_s=0.0, commands=MappingProxyType(commands))


def test_hiding_places_found_end_to_end(simulated_phone, tmp_path):
    phone = simulated_phone(_edited_demo())
    result = CliRunner().invoke(
        cli,
        ["scan", "--device", f"android:{phone.serial}", "--adb-port", str(phone.adb_port),
         "--case", str(tmp_path / "case"), "--json", "--auth-timeout", "10"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    got = [(f["severity"], f["kind"], f["subject"]) for f in out["findings"]]
    assert got == [
        ("critical", "android.app.stalkerware", "com.systemservice"),
        ("high", "android.play_protect.disabled", "Google Play Protect"),
        ("high", "android.call_forwarding", "SIM 1"),
        ("high", "android.accessibility.enabled", "com.systemservice"),
        ("high", "android.app.sideloaded", "com.systemservice"),
        ("high", "android.device_admin.active", "com.systemservice"),
        ("medium", "android.account.google_multiple", "Google accounts"),
        ("medium", "android.app.hidden", HIDDEN),
        ("medium", "android.app.dual_use", "com.life360.android.safetymapd"),
        ("medium", "android.notification_listener", "com.systemservice"),
        ("medium", "android.work_profile", "user 10"),
        ("info", "android.location.google_sharing", "Google location sharing"),
        ("info", "android.usb_debugging.enabled", "USB debugging"),
    ]
    by = {(f["kind"], f["subject"]): f for f in out["findings"]}
    hidden = by[("android.app.hidden", HIDDEN)]
    assert hidden["title"] == "“com.calm.android” is installed but has no app icon, so it is easy to miss."
    assert hidden["facts"]["launcher icon"] == "none"
    assert hidden["evidence"][-1]["artifact"] == "artifacts/android/launcher_activities.txt"
    # what the stalkerware can see is a fact on its one line (lighter findings are folded in)
    stalker = by[("android.app.stalkerware", "com.systemservice")]
    assert stalker["facts"]["can_see"] == (
        "where the phone is, even when the app is closed; text messages; who is called and who calls; "
        "the microphone; the camera; the contacts; every notification, including message previews and codes; "
        "drawing over other apps (fake screens, hiding what it does)")
    assert stalker["facts"]["permissions"].startswith("“TheTruthSpy / Copy9 family” can see where the phone is")
    assert by[("android.app.dual_use", "com.life360.android.safetymapd")]["facts"]["background"] == (
        "“Life360” can see where the phone is at any time, even when the app is closed.")
    forwarding = by[("android.call_forwarding", "SIM 1")]
    assert forwarding["evidence"][0] == {"artifact": "artifacts/android/dumpsys_telephony.registry.txt",
                                         "line": 8, "excerpt": "mCallForwarding=true"}
    google = by[("android.account.google_multiple", "Google accounts")]
    assert google["title"].startswith("There are 2 Google accounts on this phone")
    assert [e["line"] for e in google["evidence"]] == [3, 4]
    assert by[("android.work_profile", "user 10")]["facts"]["name"] == "Work profile"
    # the one thing that cannot be read over USB is said out loud
    mine = [n for n in out["not_checked"] if n["area"] in MY_AREAS]
    assert [n["area"] for n in mine] == ["android.network.user_ca_certs"]
    assert "User credentials" in mine[0]["reason"]
    assert set(MY_AREAS) - {"android.network.user_ca_certs"} <= set(out["checked"])
    assert dict(out["device"])["verified_boot"].startswith("green")
    # read-only: only allow-listed commands reached the phone, root files by a fixed `ls`
    sent = {c.command for c in phone.commands_received if c.service in ("shell", "shell,v2", "exec")}
    assert {c.shell for c in COMMANDS} <= sent and all(is_allowed(c) for c in sent)
    assert not any(c.startswith(("su", "setenforce")) or " su " in c for c in sent)
    assert BY_KEY["root_paths"].shell.startswith("ls -l -d /system/bin/su ")
