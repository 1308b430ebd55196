"""The simulated phone driven by the REAL adb server (adbutils' bundled
binary) through adbutils and the adb command-line client."""

from __future__ import annotations

import concurrent.futures
import time

import pytest
from adbutils.errors import AdbError

from techsafe.simulate.profile import CommandOutput, DeviceFile, make_profile

PROFILE = make_profile(
    {
        "getprop": "[ro.build.version.sdk]: [34]\n[ro.product.model]: [Pixel 8]\n",
        "pm list users": CommandOutput(b"Users:\n\tUserInfo{0:Owner:c13} running\n"),
        "pm list packages -f -i -U -u": CommandOutput(b"", b"Error: Unknown option: -U\n", 1),
        "dumpsys device_policy": CommandOutput(b"partial\n", b"Permission Denial\n", 3),
        "dumpsys account": CommandOutput(b"Accounts: 0\n", latency_s=0.6),
    },
    files={
        "/data/app/~~Qx==/com.example.spy-1/base.apk": b"PK\x03\x04" + bytes(range(256)) * 1000,
        "/sdcard/Download/note.txt": b"hello\n",
    },
    name="shiba", model="Pixel 8", device="shiba",
)
APK = "/data/app/~~Qx==/com.example.spy-1/base.apk"


@pytest.fixture
def phone(simulated_phone):
    return simulated_phone(PROFILE)


def test_device_listed_with_banner_props(phone, adb_server):
    out = adb_server.run("devices", "-l").stdout.decode()
    line = next(x for x in out.splitlines() if x.startswith(phone.serial))
    assert line.split()[1:5] == ["device", "product:shiba", "model:Pixel_8", "device:shiba"]
    features = phone.device().get_features().split(",")
    assert {"shell_v2", "stat_v2", "ls_v2", "sendrecv_v2"} <= set(features)


def test_adbutils_shell_returns_exact_stdout(phone):
    d = phone.device()
    assert d.shell("getprop", encoding=None) == b"[ro.build.version.sdk]: [34]\n[ro.product.model]: [Pixel 8]\n"
    assert phone.commands_received[-1].raw == "shell:getprop"


def test_shell2_exit_codes_legacy_and_v2(phone):
    d = phone.device()
    r = d.shell2("pm list packages -f -i -U -u")
    assert (r.returncode, r.output) == (1, "Error: Unknown option: -U\n")
    r = d.shell2("dumpsys device_policy", v2=True)
    assert (r.returncode, r.stdout, r.stderr) == (3, "partial\n", "Permission Denial\n")
    # The exit probe adbutils appends is logged as received and stripped for lookup.
    legacy = phone.commands_received[0]
    assert legacy.raw == "shell:pm list packages -f -i -U -u; echo X4EXIT:$?"
    assert legacy.command == "pm list packages -f -i -U -u"
    assert phone.commands_received[1].service == "shell,v2"


def test_adb_cli_shell_v2_propagates_exit_code_and_streams(phone):
    r = phone.adb("shell", "dumpsys device_policy")
    assert (r.returncode, r.stdout, r.stderr) == (3, b"partial\n", b"Permission Denial\n")
    assert phone.commands_received[-1].service == "shell,v2"
    assert phone.commands_received[-1].command == "dumpsys device_policy"


def test_adb_cli_exec_out_is_raw_stdout_only(phone):
    r = phone.adb("exec-out", "dumpsys device_policy")
    assert (r.returncode, r.stdout, r.stderr) == (0, b"partial\n", b"")
    assert phone.commands_received[-1].raw == "exec:dumpsys device_policy"


def test_unknown_commands_answer_like_android_shell(phone):
    d = phone.device()
    r = d.shell2("su -c id")
    assert (r.returncode, r.output) == (127, "/system/bin/sh: su: inaccessible or not found\n")
    r = phone.adb("shell", "dumpsys nosuchservice")
    assert (r.returncode, r.stdout, r.stderr) == (0, b"", b"Can't find service: nosuchservice\n")


def test_unknown_service_is_refused(phone):
    d = phone.device()
    c = d.open_transport()
    c.send_command("reboot:")
    with pytest.raises(AdbError, match="closed"):  # the phone answered CLSE: nothing ran
        c.check_okay()
    c.close()
    assert any(c.service == "reboot" for c in phone.commands_received)
    assert phone.state() == "device"


def test_sync_stat_list_and_pull_with_adbutils(phone, tmp_path):
    d = phone.device()
    st = d.sync.stat(APK)
    assert (st.mode, st.size) == (0o100644, 4 + 256_000)
    assert d.sync.stat("/nope").mtime is None  # STAT v1 answers zeros for a missing file
    names = [f.path for f in d.sync.list("/data/app/~~Qx==")]
    assert names == [".", "..", "com.example.spy-1"]
    assert d.sync.pull(APK, tmp_path / "base.apk") == 256_004
    assert (tmp_path / "base.apk").read_bytes() == PROFILE.files[APK].read()
    with pytest.raises(AdbError, match="No such file or directory"):
        d.sync.read_bytes("/data/app/missing.apk")


def test_adb_cli_pull_file_directory_and_missing(phone, tmp_path):
    r = phone.adb("pull", APK, str(tmp_path / "a.apk"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "a.apk").read_bytes() == PROFILE.files[APK].read()
    r = phone.adb("pull", "/sdcard/Download", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "Download" / "note.txt").read_bytes() == b"hello\n"
    r = phone.adb("pull", "/sdcard/missing.txt", str(tmp_path / "m"))
    assert r.returncode == 1
    assert b"'/sdcard/missing.txt': No such file or directory" in r.stderr
    sync = [c.command for c in phone.commands_received if c.service == "sync"]
    assert sync[:2] == [f"STA2 {APK}", f"RCV2 {APK}"]
    assert sync[2:5] == ["STA2 /sdcard/Download", "LIS2 /sdcard/Download/", "RCV2 /sdcard/Download/note.txt"]
    assert sync[-1] == "STA2 /sdcard/missing.txt"


def test_lazily_loaded_file_is_served(simulated_phone, tmp_path):
    src = tmp_path / "big.bin"
    src.write_bytes(b"\x7fELF" + b"x" * 300_000)
    phone = simulated_phone(make_profile(files={"/system/bin/su": DeviceFile(source=src, mode=0o104755)}))
    d = phone.device()
    assert d.sync.stat("/system/bin/su").mode == 0o104755
    assert d.sync.read_bytes("/system/bin/su") == src.read_bytes()


def test_per_command_latency_is_honoured(phone):
    d = phone.device()
    t = time.monotonic()
    assert d.shell("dumpsys account") == "Accounts: 0"
    slow = time.monotonic() - t
    t = time.monotonic()
    d.shell("getprop")
    fast = time.monotonic() - t
    assert 0.6 <= slow < 3.0
    assert fast < 0.5


def test_eight_concurrent_streams_each_with_own_latency(simulated_phone):
    commands = {f"dumpsys svc{i}": CommandOutput(f"out {i}\n".encode() * 1000, latency_s=0.8) for i in range(8)}
    phone = simulated_phone(make_profile(commands))
    d = phone.device()
    t = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = dict(zip(commands, pool.map(lambda c: d.shell(c, encoding=None), commands)))
    elapsed = time.monotonic() - t
    assert results == {c: o.stdout for c, o in commands.items()}
    assert elapsed < 0.8 * 3, "streams were served one after another"
    assert sorted(c.command for c in phone.commands_received) == sorted(commands)


def test_android7_full_dump_served_byte_for_byte(simulated_phone, shared):
    from techsafe.simulate.profile import profile_from_text_dump

    dump = shared / "captures/android/isdi/android7-full-dump.txt"
    raw = dump.read_bytes()
    phone = simulated_phone(profile_from_text_dump(dump))
    d = phone.device()
    assert len(raw) > 3_800_000
    assert d.shell("dumpsys", encoding=None, timeout=60) == raw
    section = raw[raw.index(b"DUMP OF SERVICE package\n") + 24: raw.index(b"DUMP OF SERVICE location\n")]
    assert phone.adb("exec-out", "dumpsys package").stdout == section
    r = d.shell2("dumpsys package", encoding=None, v2=True)
    assert (r.returncode, r.stdout, r.stderr) == (0, section, b"")


def test_commands_logged_to_file(simulated_phone, tmp_path):
    import json

    log = tmp_path / "commands.jsonl"
    phone = simulated_phone(PROFILE, log_path=log)
    phone.device().shell("getprop")
    phone.device().shell2("pm list users")
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert lines == [
        {"service": "shell", "command": "getprop", "raw": "shell:getprop"},
        {"service": "shell", "command": "pm list users", "raw": "shell:pm list users; echo X4EXIT:$?"},
    ]
