"""Fault injection against the real adb server: unplugged phone, hung
command, "Allow USB debugging?" prompt, non-ADB bytes; and clean shutdown."""

from __future__ import annotations

import socket
import time

import pytest
from adbutils.errors import AdbError, AdbTimeout

from techsafe.simulate.harness import SimulatedPhone, _server_listening
from techsafe.simulate.profile import CommandOutput, Faults, make_profile

PROFILE = make_profile({
    "getprop": "[ro.build.version.sdk]: [34]\n",
    "pm list users": "Users:\n\tUserInfo{0:Owner:c13} running\n",
    "dumpsys account": CommandOutput(b"Accounts: 1\n"),
})


def test_disconnect_after_n_commands(simulated_phone):
    phone = simulated_phone(PROFILE, disconnect_after=3)
    d = phone.device()
    assert d.shell("getprop") == "[ro.build.version.sdk]: [34]"
    assert d.shell2("pm list users").returncode == 0
    assert d.shell("dumpsys account") == "Accounts: 1"
    with pytest.raises((AdbError, OSError)):
        d.shell("getprop", timeout=5)
    assert [c.command for c in phone.commands_received] == ["getprop", "pm list users", "dumpsys account"]
    # Unplugged: the adb server loses the phone and cannot reconnect to it.
    deadline = time.monotonic() + 5
    while phone.state() == "device" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert phone.state() != "device"
    assert len(phone.commands_received) == 3


def test_disconnect_counts_sync_requests_too(simulated_phone):
    profile = make_profile({"getprop": "x\n"}, files={"/sdcard/a": b"a"})
    phone = simulated_phone(profile, disconnect_after=1)
    d = phone.device()
    assert d.shell("getprop") == "x"
    with pytest.raises((AdbError, OSError, AssertionError)):
        d.sync.read_bytes("/sdcard/a")
    assert [c.command for c in phone.commands_received] == ["getprop"]


def test_hung_command_times_out_and_others_still_answer(simulated_phone):
    phone = simulated_phone(PROFILE, hang={"dumpsys account"})
    d = phone.device()
    t = time.monotonic()
    with pytest.raises(AdbTimeout):
        d.shell("dumpsys account", timeout=1)
    assert 0.9 <= time.monotonic() - t < 3
    assert d.shell("getprop") == "[ro.build.version.sdk]: [34]"
    assert [c.command for c in phone.commands_received] == ["dumpsys account", "getprop"]


def test_hang_from_profile_faults(simulated_phone):
    profile = make_profile({"getprop": "x\n"}, faults=Faults(hang=frozenset({"getprop"})))
    phone = simulated_phone(profile)
    with pytest.raises(AdbTimeout):
        phone.device().shell("getprop", timeout=0.5)


def test_auth_delay_shows_unauthorized_then_device(simulated_phone):
    t = time.monotonic()
    phone = simulated_phone(PROFILE, auth_delay_s=1.5, wait=False)
    assert phone.state() == "unauthorized"
    with pytest.raises(AdbError, match="unauthorized"):
        phone.device().shell("getprop")
    assert phone.wait_for_state("device", timeout_s=10) == "device"
    assert time.monotonic() - t >= 1.5
    assert phone.device().shell("getprop") == "[ro.build.version.sdk]: [34]"
    # Nothing reached the phone while it was unauthorized.
    assert [c.command for c in phone.commands_received] == ["getprop"]


def test_non_adb_bytes_drop_the_connection_not_the_phone(simulated_phone):
    phone = simulated_phone(PROFILE)
    host, port = phone.device_server.address
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + b"\0" * 64)
        assert s.recv(100) == b""  # closed without an answer
    assert phone.device().shell("getprop") == "[ro.build.version.sdk]: [34]"


def test_own_adb_server_and_threads_are_gone_after_exit(techsafe_home):
    with SimulatedPhone(make_profile({"getprop": "x\n"}), hang={"dumpsys account"}) as phone:
        port = phone.adb_port
        assert phone.device().shell("getprop") == "x"
        with pytest.raises(AdbTimeout):
            phone.device().shell("dumpsys account", timeout=0.3)
        device_server = phone.device_server
    assert not _server_listening(port)
    assert device_server.alive_threads() == []
    # The private adb server kept its key out of the caseworker's ~/.android.
    assert (techsafe_home / "data" / "simulator-adb-home" / ".android" / "adbkey").is_file()


def test_shared_adb_server_survives_phone_exit(adb_server):
    with SimulatedPhone(make_profile({"getprop": "x\n"}), adb_server=adb_server) as phone:
        serial = phone.serial
    assert _server_listening(adb_server.port)
    assert adb_server.state(serial) is None


def test_failed_start_leaves_nothing_running(techsafe_home):
    # Something that is not an adb server holds the port: start must fail
    # cleanly, stop its device server, and not touch the foreign listener.
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(8)
        phone = SimulatedPhone(make_profile({}), adb_port=squatter.getsockname()[1], timeout_s=2)
        with pytest.raises(Exception):
            phone.start()
        assert phone.device_server.alive_threads() == []
        assert phone.adb_server.started_by_us is False
