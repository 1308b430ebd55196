"""Hostile devices and privacy by construction: identifiers from the phone
never reach a shell or a path; every simulated profile saw only allow-listed
requests; scan, analyze and report open no connection except to the adb
server / usbmuxd (checked with a Python audit hook in a subprocess)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import MappingProxyType

import pytest
from click.testing import CliRunner

from techsafe.cli import cli
from techsafe.scanners.android.commands import COMMANDS, is_allowed, per_package
from techsafe.simulate.profile import load_profile, profile_from_androidqf, profile_from_text_dump

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "fixtures" / "devices" / "android14-demo"
IOS_DEMO = REPO / "fixtures" / "devices" / "ios17-demo"
CASE_TOP = {"case.json", "log.jsonl", "artifacts.jsonl", "findings.json", "manifest.sha256", "manifest.sig"}

HOSTILE_IDS = ["com.a;reboot", "$(id)", "../../x", "com.b`reboot`", "com.c\nreboot", "com.d && rm -rf /",
               "a" * 65536, "com.e/../../../etc/passwd", "[bold red]FAKE ALL CLEAR[/]"]


def no_latency(profile):
    return dataclasses.replace(profile, default_latency_s=0.0, commands=MappingProxyType(
        {k: dataclasses.replace(v, latency_s=0.0) for k, v in profile.commands.items()}))


def hostile_profile():
    base = no_latency(load_profile(DEMO))
    cmds = dict(base.commands)
    lines = "".join(f"package:/data/app/~~x/base.apk={name}  installer=null uid:{10900 + i}\n"
                    for i, name in enumerate(HOSTILE_IDS)).encode()
    for shell in COMMANDS[1].variants:  # every variant of the package list
        if shell in cmds:
            cmds[shell] = dataclasses.replace(cmds[shell], stdout=lines + cmds[shell].stdout)
    secure = cmds["settings list secure"].stdout.replace(
        b"enabled_accessibility_services=com.systemservice/com.systemservice.AccessService",
        b"enabled_accessibility_services=com.systemservice/com.systemservice.AccessService:$(id)/.S:../../x/.Y:"
        + b"z" * 65536 + b"/.Q")
    cmds["settings list secure"] = dataclasses.replace(cmds["settings list secure"], stdout=secure)
    cmds["getprop"] = dataclasses.replace(cmds["getprop"], stdout=cmds["getprop"].stdout.replace(
        b"[ro.product.model]: [Pixel 7]", b"[ro.product.model]: [$(reboot);../../m [/] [link=http://x]y[/link]]"))
    return dataclasses.replace(base, commands=MappingProxyType(cmds))


def shell_sent(phone) -> list[str]:
    return [c.command for c in phone.commands_received if c.service != "sync"]


READ_ONLY_SYNC = ("STAT", "STA2", "LSTAT", "LST2", "LIST", "LIS2", "RECV", "RCV2")


def assert_sync_read_only(phone) -> None:
    """APK copies use the adb sync protocol: only reads, only of app paths (apks.py)."""
    from techsafe.scanners.android.apks import ALLOWED_ROOTS

    for c in phone.commands_received:
        if c.service != "sync":
            continue
        verb, _, path = c.command.partition(" ")
        assert verb in READ_ONLY_SYNC, c
        assert path.startswith(ALLOWED_ROOTS) and ".." not in path.split("/"), c
        assert not any(ch in path for ch in ";$`\n\\"), c


def assert_case_contained(case_dir: Path) -> None:
    root = case_dir.resolve()
    for p in case_dir.rglob("*"):
        assert not p.is_symlink(), p
        assert p.resolve().is_relative_to(root), p
        rel = p.relative_to(case_dir)
        if p.is_file():
            assert rel.parts[0] == "artifacts" or rel.as_posix() in CASE_TOP, rel
            assert len(p.name) <= 255


# ---- the allow-list itself --------------------------------------------------------

@pytest.mark.parametrize("name", HOSTILE_IDS + ["com.ok.app\n", "com.ok.app\nreboot", "com.ok.app ", ""])
def test_hostile_package_ids_never_make_an_allowed_command(name):
    with pytest.raises(ValueError):
        per_package("dumpsys package {package}", name)
    assert not is_allowed(f"dumpsys package {name}")


def test_valid_package_ids_still_work():
    assert per_package("dumpsys package {package}", "com.whatsapp") == "dumpsys package com.whatsapp"
    assert is_allowed("dumpsys package com.whatsapp")
    assert not is_allowed("reboot") and not is_allowed("getprop; reboot") and not is_allowed("pm uninstall com.x")


def test_run_allowed_refuses_before_touching_the_device():
    from techsafe.scanners.android.acquire import run_allowed

    class Exploding:
        def shell2(self, *a, **k):
            raise AssertionError("reached the device")

    with pytest.raises(PermissionError, match="not on the read-only allow-list"):
        run_allowed(Exploding(), "dumpsys package com.a;reboot", 5)


# ---- a hostile phone, end to end -----------------------------------------------------

def test_hostile_identifiers_are_quoted_or_refused_end_to_end(techsafe_home, simulated_phone, tmp_path):
    phone = simulated_phone(hostile_profile())
    case_dir = tmp_path / "case"
    args = ["scan", "--device", f"android:{phone.serial}", "--adb-port", str(phone.adb_port), "--case", str(case_dir),
            "--auth-timeout", "10"]
    result = CliRunner().invoke(cli, args + ["--json"])
    assert result.exit_code in (0, 3), result.output
    out = json.loads(result.stdout)
    # the real stalkerware is still found next to the junk
    assert ("critical", "android.app.stalkerware", "com.systemservice") in [
        (f["severity"], f["kind"], f["subject"]) for f in out["findings"]]
    # the phone saw only allow-listed commands, and only shell ones
    sent = shell_sent(phone)
    assert sent and [c for c in sent if not is_allowed(c)] == []
    assert not any(bad in c for c in sent for bad in (";", "$(", "`", "../", "&&", "\n"))
    assert {c.service for c in phone.commands_received} <= {"shell", "shell,v2", "exec", "sync"}
    assert_sync_read_only(phone)
    assert_case_contained(case_dir)
    # the terminal rendering does not interpret markup from the phone or crash
    again = CliRunner().invoke(cli, ["analyze", str(case_dir)])
    assert again.exit_code == 0, again.output
    assert "Traceback" not in again.output
    # a model named "[/]" raised rich's MarkupError before the fix in report/terminal.py
    assert "[/] [link=http://x]y[/link]" in again.output
    # reports render the hostile strings as data
    for fmt in ("html", "md", "json"):
        rep = CliRunner().invoke(cli, ["report", str(case_dir), "--format", fmt, "--output", str(tmp_path / f"r.{fmt}")])
        assert rep.exit_code == 0, (fmt, rep.output)


# ---- every simulated profile saw only the allow-list -----------------------------------

@pytest.mark.parametrize("which", ["android14-demo", "android7-dump", "androidqf"])
def test_every_android_profile_sees_only_the_allow_list(which, techsafe_home, simulated_phone, shared, tmp_path):
    profile = {
        "android14-demo": lambda: no_latency(load_profile(DEMO)),
        "android7-dump": lambda: profile_from_text_dump(shared / "captures/android/isdi/android7-full-dump.txt"),
        "androidqf": lambda: profile_from_androidqf(shared / "captures/android/mvt/androidqf"),
    }[which]()
    phone = simulated_phone(profile)
    result = CliRunner().invoke(cli, ["scan", "--device", f"android:{phone.serial}", "--adb-port", str(phone.adb_port),
                                      "--case", str(tmp_path / "case"), "--json", "--auth-timeout", "10"])
    assert result.exit_code in (0, 3), result.output
    sent = shell_sent(phone)
    assert sent
    assert [c for c in sent if not is_allowed(c)] == []
    assert {c.service for c in phone.commands_received} <= {"shell", "shell,v2", "exec", "sync"}
    assert_sync_read_only(phone)
    assert_case_contained(tmp_path / "case")


def test_ios_demo_sees_only_allowed_services(techsafe_home, tmp_path, monkeypatch):
    from techsafe.scanners.ios import services
    from techsafe.simulate.ios_harness import SimulatedIPhone

    monkeypatch.delenv("USBMUXD_SOCKET_ADDRESS", raising=False)
    from techsafe.commands.scan import ios_step, run_steps

    with SimulatedIPhone(IOS_DEMO) as phone:
        run_steps([lambda case: ios_step(case, phone.udid, trust_timeout=10, usbmux_address=phone.usbmux_address)],
                  tmp_path / "case", as_json=True)  # exits non-zero only when something is missing
        requests = phone.requests
    assert requests
    allowed = {(r.service, next(iter(r.request.values()))) for r in services.SERVICE_REQUESTS}
    for entry in requests:
        if entry[0] == "lockdown":
            assert entry[1] in services.ALLOWED_LOCKDOWN_REQUESTS, entry
            if entry[1] == "StartService":
                assert entry[2] in services.ALLOWED_SERVICES, entry
        elif entry[0] == "service":
            assert (entry[1], entry[2]) in allowed, entry
    assert_case_contained(tmp_path / "case")


# ---- nothing leaves the laptop -------------------------------------------------------------

AUDIT = textwrap.dedent("""
    import json, os, socket, sys
    LOG = open(os.environ["AUDIT_LOG"], "a", buffering=1)
    def hook(event, args):
        if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
            sock, addr = args[0], args[1] if len(args) > 1 else None
            fam = getattr(sock, "family", None)
            LOG.write(json.dumps({"event": event, "family": int(fam) if fam is not None else None,
                                  "addr": addr if isinstance(addr, str) else list(addr) if isinstance(addr, tuple) else repr(addr)}, default=repr) + "\\n")
        elif event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn"):
            LOG.write(json.dumps({"event": event, "args": repr(args)[:300]}) + "\\n")
        elif event == "socket.getaddrinfo":
            LOG.write(json.dumps({"event": event, "host": repr(args[0])}) + "\\n")
    sys.addaudithook(hook)
    from techsafe.cli import main
    sys.argv = ["techsafe"] + sys.argv[1:]
    main()
""")


def audited(args: list[str], log: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", AUDIT, *args], capture_output=True, text=True, timeout=180,
                          env={**env, "AUDIT_LOG": str(log)}, cwd=log.parent)


def _events(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def _is_local(ev: dict) -> bool:
    import socket

    if ev["family"] == socket.AF_UNIX:
        return True
    addr = ev["addr"]
    return isinstance(addr, list) and addr[0] in ("127.0.0.1", "::1", "localhost")


def test_scan_analyze_report_talk_only_to_adb_and_usbmuxd(techsafe_home, simulated_phone, tmp_path):
    phone = simulated_phone(no_latency(load_profile(DEMO)))
    env = {**os.environ, "TECHSAFE_HOME": str(techsafe_home)}
    env.pop("USBMUXD_SOCKET_ADDRESS", None)
    log = tmp_path / "audit.jsonl"
    case = tmp_path / "case"
    scan = audited(["scan", "--device", f"android:{phone.serial}", "--adb-port", str(phone.adb_port),
                    "--case", str(case), "--json", "--auth-timeout", "10"], log, env)
    assert scan.returncode == 0, scan.stderr
    ana = audited(["analyze", str(case), "--json"], log, env)
    assert ana.returncode == 0, ana.stderr
    for fmt in ("html", "md", "json", "csv"):
        rep = audited(["report", str(case), "--format", fmt, "--output", str(tmp_path / f"r.{fmt}")], log, env)
        assert rep.returncode == 0, (fmt, rep.stderr)
    events = _events(log)
    connects = [e for e in events if e["event"] == "socket.connect"]
    assert connects, "the audit hook saw no connection at all (the adb one is expected)"
    assert [e for e in connects if not _is_local(e)] == []
    assert {tuple(e["addr"]) for e in connects if e["family"] != 1} == {("127.0.0.1", phone.adb_port)}
    assert [e for e in events if e["event"] in ("socket.sendto", "socket.sendmsg") and not _is_local(e)] == []
    assert [e for e in events if e["event"] == "socket.getaddrinfo" and "'127.0.0.1'" not in e["host"]
            and "'localhost'" not in e["host"]] == []
    assert [e for e in events if e["event"] in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn")
            and not _harmless(e)] == []


def _harmless(ev: dict) -> bool:
    # ctypes.util.find_library (imported by a USB/crypto dependency) runs `ldconfig -p`: local, reads nothing of ours.
    return ev["args"].startswith("('/sbin/ldconfig', ['/sbin/ldconfig', '-p']")


def test_ios_demo_talks_only_to_the_local_usbmuxd(techsafe_home, tmp_path):
    env = {**os.environ, "TECHSAFE_HOME": str(techsafe_home)}
    env.pop("USBMUXD_SOCKET_ADDRESS", None)
    log = tmp_path / "audit.jsonl"
    demo = audited(["demo", "ios", "--case", str(tmp_path / "case"), "--json"], log, env)
    assert demo.returncode == 0, demo.stderr
    events = _events(log)
    assert [e for e in events if e["event"].startswith("socket.") and e["event"] != "socket.getaddrinfo"
            and not _is_local(e)] == []
    assert [e for e in events if e["event"] == "subprocess.Popen" and not _harmless(e)] == []
