"""`SimulatedPhone`: a simulated phone plugged into a private, real adb server.

    with SimulatedPhone(profile) as phone:
        device = adbutils.AdbClient(port=phone.adb_port).device(phone.serial)
        device.shell("getprop")

The adb server runs on its own port (never the caseworker's 5037), with USB,
mDNS and emulator scanning off (ADB_USB=0, ADB_MDNS=0, ADB_EMU=0) so it
neither grabs a real phone nor talks to the network, and with its own HOME
so its key never touches the caseworker's ~/.android. A server we started
(`adb server nodaemon`, our own child) is killed and waited for on exit, so
no defunct adb is left behind; one that was already running on that port is
left alone.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterable, Mapping

from techsafe.simulate.adb_device import AdbDeviceServer, ReceivedCommand
from techsafe.simulate.profile import DeviceProfile


class SimulatorError(RuntimeError):
    pass


def adb_binary() -> str:
    """adbutils' bundled adb (a known version), else `adb` on PATH."""
    try:
        import adbutils

        path = adbutils.adb_path()
        if path and os.path.exists(path):
            return path
    except Exception:  # adbutils raises if it has no binary for this platform
        pass
    found = shutil.which("adb")
    if not found:
        raise SimulatorError("no adb binary: install platform-tools or adbutils")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class AdbServer:
    """A private adb server on `port` (started if none is listening there)."""

    def __init__(self, port: int | None = None, *, home: str | Path | None = None, timeout_s: float = 20.0):
        self.port = port or free_port()
        self.home = Path(home) if home else None
        self.timeout_s = timeout_s
        self.started_by_us = False
        self._proc: subprocess.Popen | None = None
        self.adb = adb_binary()

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({"ADB_USB": "0", "ADB_MDNS": "0", "ADB_EMU": "0",
                    "ANDROID_ADB_SERVER_PORT": str(self.port)})
        env.pop("ANDROID_SERIAL", None)
        if self.home is not None:
            self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
            env["HOME"] = str(self.home)
        return env

    def run(self, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess:
        """`adb -P PORT ARGS...`; never raises on a non-zero exit."""
        return subprocess.run([self.adb, "-P", str(self.port), *args], env=self.env(),
                              stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout or self.timeout_s)

    def start(self) -> "AdbServer":
        if _server_listening(self.port):
            return self
        # `adb start-server` forks a daemon that outlives the client and is
        # reparented away from us, so nobody waits for it and it is left
        # defunct once killed. `server nodaemon` runs it as our own child,
        # which stop() waits for.
        with tempfile.TemporaryFile() as errors:  # a file, not a pipe: the server never blocks on it
            proc = subprocess.Popen([self.adb, "-P", str(self.port), "server", "nodaemon"], env=self.env(),
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=errors, start_new_session=True)
            deadline = time.monotonic() + self.timeout_s
            while not _server_listening(self.port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    if proc.poll() is None:
                        proc.kill()
                    proc.wait()  # no zombie
                    errors.seek(0)
                    raise SimulatorError(f"adb server did not start on port {self.port}: "
                                         f"{errors.read(4096).decode(errors='replace').strip()[:200]}")
                time.sleep(0.05)
        self._proc = proc
        self.started_by_us = True
        return self

    @staticmethod
    def _reap(proc: subprocess.Popen, timeout: float = 5.0) -> None:
        """Make sure `proc` has exited and been waited for (no zombie left)."""
        if proc.poll() is None:
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def client(self):
        import adbutils

        return adbutils.AdbClient(host="127.0.0.1", port=self.port, socket_timeout=self.timeout_s)

    def state(self, serial: str) -> str | None:
        """'device', 'unauthorized', 'offline', ... or None when not listed."""
        for info in self.client().list():
            if info.serial == serial:
                return info.state
        return None

    def stop(self) -> None:
        if not self.started_by_us:
            return
        try:
            self.run("kill-server", timeout=10)
        except subprocess.TimeoutExpired:
            pass
        proc, self._proc = self._proc, None
        if proc is not None:
            self._reap(proc)
        deadline = time.monotonic() + 5
        while _server_listening(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.started_by_us = False

    def __enter__(self) -> "AdbServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class SimulatedPhone:
    """Serve `profile` on 127.0.0.1:<ephemeral> and `adb connect` it.

    `adb_server`: share an AdbServer (tests share one per session); otherwise
    one is started on `adb_port` (default: a free port) and killed on exit.
    `wait`: block until the state is `device` (with auth_delay_s, pass
    wait=False to see `unauthorized` first). Faults as for AdbDeviceServer.
    """

    def __init__(self, profile: DeviceProfile, *, adb_server: AdbServer | None = None,
                 adb_port: int | None = None, adb_home: str | Path | None = None,
                 wait: bool = True, timeout_s: float = 20.0,
                 hang: Iterable[str] | None = None, disconnect_after: int | None = None,
                 auth_delay_s: float | None = None, latency: Mapping[str, float] | None = None,
                 log_path: str | Path | None = None):
        self.profile = profile
        self.wait = wait
        self.timeout_s = timeout_s
        self._own_server = adb_server is None
        if adb_server is None:
            if adb_home is None:
                from techsafe.paths import data_dir

                adb_home = data_dir() / "simulator-adb-home"
            adb_server = AdbServer(adb_port, home=adb_home, timeout_s=timeout_s)
        self.adb_server = adb_server
        self.device_server = AdbDeviceServer(profile, hang=hang, disconnect_after=disconnect_after,
                                             auth_delay_s=auth_delay_s, latency=latency, log_path=log_path)
        self.serial = ""
        self._connected = False

    @property
    def adb_port(self) -> int:
        return self.adb_server.port

    @property
    def commands_received(self) -> list[ReceivedCommand]:
        return self.device_server.commands_received

    def client(self):
        return self.adb_server.client()

    def device(self):
        """An adbutils device for this phone on the private server."""
        return self.client().device(self.serial)

    def adb(self, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess:
        """Run the adb command-line client against this phone."""
        return self.adb_server.run("-s", self.serial, *args, timeout=timeout)

    def state(self) -> str | None:
        return self.adb_server.state(self.serial)

    def wait_for_state(self, *states: str, timeout_s: float | None = None) -> str:
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        last = None
        while time.monotonic() < deadline:
            last = self.state()
            if last in states:
                return last
            time.sleep(0.05)
        raise SimulatorError(f"simulated phone stayed {last!r}, expected {'/'.join(states)}")

    def start(self) -> "SimulatedPhone":
        try:
            self.device_server.start()
            self.serial = f"127.0.0.1:{self.device_server.port}"
            self.adb_server.start()
            reply = self.client().connect(self.serial, timeout=self.timeout_s)
            self._connected = True
            if "connected" not in reply and "authenticate" not in reply:
                raise SimulatorError(f"adb connect failed: {reply[:200]}")
            if self.wait:
                self.wait_for_state("device")
            elif self.device_server.auth_delay_s:
                self.wait_for_state("unauthorized", "device")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        try:
            if self._connected and _server_listening(self.adb_server.port):
                self.client().disconnect(self.serial)
        except Exception:  # best effort: the server may be gone already
            pass
        self.device_server.stop()
        if self._own_server:
            self.adb_server.stop()

    def __enter__(self) -> "SimulatedPhone":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
