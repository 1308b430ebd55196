"""Live Android acquisition over adb (adbutils against the adb server).

Read-only by construction: every command goes through `run_allowed`, which
refuses anything not in commands.py. Commands run concurrently over several
adb streams, each with its own timeout; every raw output is stored as an
artifact the moment it arrives, so an unplugged phone loses nothing already
collected.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from techsafe.case import utc_now
from techsafe.scanners.android import commands as allow

if TYPE_CHECKING:
    from techsafe.case import Case

DEFAULT_ADB_PORT = 5037
Progress = Callable[[str, str], None]  # (command key, "start" | "done" | "failed")


class AdbUnavailable(Exception):
    """adb cannot be started or reached; the message says what to do."""


class DeviceLost(Exception):
    pass


@dataclass(frozen=True)
class AndroidDeviceRef:
    serial: str
    state: str  # device | unauthorized | offline | ...
    model: str = ""

    @property
    def spec(self) -> str:
        return f"android:{self.serial}"


@dataclass(frozen=True)
class AcquireReport:
    incomplete: tuple[str, ...]  # command keys that did not complete
    device_lost: bool
    duration_s: float


def adb_binary() -> str:
    """Debian's adb if on PATH, else the one shipped in the adbutils wheel."""
    found = shutil.which("adb")
    if found:
        return found
    try:
        import adbutils

        return adbutils.adb_path()
    except Exception as exc:
        raise AdbUnavailable(f"no adb program found ({exc}); reinstall techsafe or install Debian's adb") from None


def adb_port() -> int:
    try:
        return int(os.environ.get("ANDROID_ADB_SERVER_PORT", DEFAULT_ADB_PORT))
    except ValueError:
        return DEFAULT_ADB_PORT


def adb_client(port: int | None = None, start: bool = True):
    """An adbutils client for the adb server on `port`, starting it if needed."""
    import adbutils

    port = port or adb_port()
    client = adbutils.AdbClient(host="127.0.0.1", port=port, socket_timeout=10)
    try:
        client.server_version()
        return client
    except Exception:
        if not start:
            raise AdbUnavailable(f"the adb server is not running on port {port}") from None
    try:
        subprocess.run(
            [adb_binary(), "-P", str(port), "start-server"],
            check=True,
            capture_output=True,
            timeout=30,
        )
        client.server_version()
    except (OSError, subprocess.SubprocessError, Exception) as exc:
        raise AdbUnavailable(f"could not start the adb server on port {port} ({type(exc).__name__})") from None
    return client


def list_android_devices(client) -> list[AndroidDeviceRef]:
    refs = []
    for info in client.list(extended=True):  # extended: the model name, for choosing among several
        tags = getattr(info, "tags", {}) or {}
        refs.append(AndroidDeviceRef(info.serial, info.state, tags.get("model", "")))
    return refs


def wait_until_authorized(client, serial: str, timeout_s: float, on_wait: Callable[[str], None] | None = None) -> str:
    """Wait while the phone shows "Allow USB debugging?". Returns the final state."""
    deadline = time.monotonic() + timeout_s
    state = ""
    while True:
        states = {d.serial: d.state for d in list_android_devices(client)}
        state = states.get(serial, "gone")
        if state == "device" or time.monotonic() >= deadline:
            return state
        if on_wait:
            on_wait(state)
        time.sleep(0.25)


def run_allowed(device, shell: str, timeout_s: float) -> tuple[int, bytes, bytes]:
    """The one place a shell command reaches the phone."""
    if not allow.is_allowed(shell):
        raise PermissionError(f"refusing a command that is not on the read-only allow-list: {shell!r}")
    result = device.shell2(shell, timeout=timeout_s, encoding=None, v2=True)
    return result.returncode, bytes(result.stdout or b""), bytes(result.stderr or b"")


def _looks_unsupported(exit_status: int, stdout: bytes, stderr: bytes) -> bool:
    """Old Androids reject newer `pm` options; then the fallback is tried."""
    if exit_status != 0:
        return True
    text = (stdout[:400] + stderr[:400]).lower()
    return b"unknown option" in text or b"error: unknown" in text


def acquire_android(
    case: "Case",
    client,
    serial: str,
    *,
    workers: int = 4,
    progress: Progress | None = None,
    selection: tuple[allow.AndroidCommand, ...] = allow.COMMANDS,
) -> AcquireReport:
    device = client.device(serial)
    started = time.monotonic()
    case.log("acquire.start", platform="android", commands=len(selection))
    incomplete: list[str] = []
    lost = False

    failures: list[tuple[allow.AndroidCommand, str, str, float, str]] = []

    def collect(cmd: allow.AndroidCommand) -> str | None:
        if progress:
            progress(cmd.key, "start")
        for attempt, shell in enumerate(cmd.variants):
            t0, when = time.monotonic(), utc_now()
            try:
                status, out, err = run_allowed(device, shell, cmd.timeout_s)
            except Exception as exc:  # adb errors, timeouts, a vanished device
                # Recorded by the caller once it knows whether the phone is gone.
                failures.append((cmd, shell, when, time.monotonic() - t0, _reason(exc)))
                if progress:
                    progress(cmd.key, "failed")
                return failures[-1][4]
            last = attempt == len(cmd.variants) - 1
            unsupported = _looks_unsupported(status, out, err)
            name = f"{cmd.key}.txt" if (last or not unsupported) else f"{cmd.key}.attempt{attempt + 1}.txt"
            meta: dict[str, Any] = {"stderr": err[:4000].decode("utf-8", "replace")}
            if name == f"{cmd.key}.txt":
                meta.update({"format": "command", "key": cmd.key})
            case.add_artifact(
                "android",
                name,
                out,
                command=shell,
                started=when,
                duration_s=time.monotonic() - t0,
                exit_status=status,
                meta=meta,
            )
            case.log("command", key=cmd.key, command=shell, exit_status=status, bytes=len(out), duration_s=round(time.monotonic() - t0, 3))
            if not unsupported or last:
                if progress:
                    progress(cmd.key, "done")
                return None
        return None

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="adb")
    try:
        futures = {pool.submit(collect, cmd): cmd for cmd in selection}
        for fut in as_completed(futures):
            cmd = futures[fut]
            error = fut.result()
            if error is not None:
                incomplete.append(cmd.key)
    except KeyboardInterrupt:
        # Ctrl-C: send nothing more; commands already running finish (each
        # has its timeout) and are stored, so nothing received is lost.
        pool.shutdown(wait=False, cancel_futures=True)
        case.log("acquire.interrupted", platform="android")
        raise
    pool.shutdown(wait=True)
    if incomplete:
        lost = _device_gone(client, serial)
    for cmd, shell, when, took, reason in failures:
        # One plain reason when the phone vanished: the adb error each stream
        # saw (closed, offline, reset...) depends only on timing.
        reason = "the phone was disconnected" if lost else reason
        case.add_artifact("android", f"{cmd.key}.txt", b"", command=shell, started=when, duration_s=took,
                          error=reason, complete=False, meta={"format": "command", "key": cmd.key})
        case.log("command", key=cmd.key, command=shell, error=reason, duration_s=round(took, 3))
    duration = time.monotonic() - started
    case.log("acquire.end", platform="android", incomplete=sorted(incomplete), device_lost=lost, duration_s=round(duration, 3))
    return AcquireReport(tuple(sorted(incomplete)), lost, duration)


def _device_gone(client, serial: str, settle_s: float = 3.0) -> bool:
    """After failed commands: is the phone gone? The adb server notices a
    pulled cable a moment later, so ask again for a few seconds."""
    deadline = time.monotonic() + settle_s
    while True:
        try:
            present = any(d.serial == serial and d.state == "device" for d in list_android_devices(client))
        except Exception:
            return True
        if not present:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    if "timeout" in name.lower() or "timed out" in text.lower():
        return "the phone did not answer in time"
    if "offline" in text or "not found" in text or isinstance(exc, (ConnectionError, EOFError)):
        return "the phone was disconnected"
    if text == "closed":  # the stream ended before an answer: cable pulled, or the phone dropped it
        return "the phone was disconnected or closed the connection"
    return f"{name}: {text[:160]}" if text else name
