"""Copy app files (APKs) from the phone into the case, over the adb sync protocol.

Read-only: only the sync STAT, LIST and RECV requests are sent (what `adb
pull` does); no shell command is involved, so a path read from the phone is
never pasted into a shell. Paths come from the parsed package facts and are
validated (absolute, under the app folders, no `..`, plain characters). Each
APK is stored byte-for-byte as artifacts/android/apks/<package>/<file>.apk
with meta {"format": "apk", "package": ...}; a file larger than the size cap,
a timeout or a vanished phone skips that app and is recorded in
apks/pull.json ({"format": "apk-pull"}), which the analyzer turns into a
visible "not checked" line.

Modes: none; suspicious (default: every app not installed by a known store,
plus any app a check or indicator flagged); all.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import stat
import struct
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Mapping

from techsafe.scanners.android.apk_facts import PULL_LOG_NAME
from techsafe.scanners.android.context import KNOWN_STORES

if TYPE_CHECKING:
    from techsafe.case import Case
    from techsafe.scanners.android.facts import PackageInfo
    from techsafe.signatures import IndicatorSet

MB = 1024 * 1024
PULL_MODES = ("none", "suspicious", "all")
DEFAULT_SIZE_CAP = 300 * MB  # per APK; the largest store apps are ~250 MB
DEFAULT_TIMEOUT_S = 60.0  # per file, for the socket and the whole transfer
MAX_FILES_PER_APP = 32  # base.apk + splits
SYNC_DATA_MAX = 64 * 1024  # adbd never sends bigger DATA chunks
ALLOWED_ROOTS = ("/data/app/", "/system/", "/product/", "/vendor/", "/system_ext/", "/apex/")
_PATH = re.compile(r"^/[A-Za-z0-9._~=+,@\-/]{1,1000}$")
_APK_NAME = re.compile(r"^[A-Za-z0-9._~=+,@\-]{1,200}\.apk$")

Progress = Callable[[str, str], None]  # (package, "start" | "done" | "failed" | "skipped")


class PullError(Exception):
    """One file could not be copied; the message is plain and has no personal data."""


def valid_device_path(path: str) -> bool:
    """An app path (APK file or app folder) from the phone we are willing to ask for."""
    if not isinstance(path, str) or not _PATH.match(path) or not path.startswith(ALLOWED_ROOTS):
        return False
    parts = path.split("/")[1:]
    return all(p not in ("", ".", "..") for p in parts)


def valid_apk_path(path: str) -> bool:
    return valid_device_path(path) and path.endswith(".apk")


def select_packages(packages: Mapping[str, "PackageInfo"], mode: str, flagged: Iterable[str] = ()) -> list[str]:
    """Which apps to copy for `mode`, sorted."""
    if mode not in PULL_MODES:
        raise ValueError(f"--pull-apks must be one of {', '.join(PULL_MODES)}")
    if mode == "none":
        return []
    if mode == "all":
        return sorted(packages)
    flagged = set(flagged)
    chosen = []
    for name, pkg in packages.items():
        outside_store = pkg.system is not True and pkg.installer not in KNOWN_STORES
        if outside_store or name in flagged:
            chosen.append(name)
    return sorted(chosen)


def pull_apks(
    case: "Case",
    device,
    packages: Mapping[str, "PackageInfo"],
    mode: str,
    progress: Progress | None = None,
    size_cap: int = DEFAULT_SIZE_CAP,
    *,
    flagged: Iterable[str] = (),
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> list[str]:
    """Copy the APKs of the selected apps into the case; returns the artifact
    paths stored. Never raises for one app's failure: it is recorded."""
    chosen = select_packages(packages, mode, flagged)
    if mode == "none":
        return []
    started = time.monotonic()
    case.log("apks.start", mode=mode, apps=len(chosen), size_cap=size_cap)
    stored: list[str] = []
    log: list[dict] = []
    lost = False
    for name in chosen:
        if progress:
            progress(name, "start")
        entry: dict = {"package": name, "status": "pulled", "reason": "", "files": []}
        log.append(entry)
        apk_path = packages[name].apk_path
        if lost:
            entry.update(status="failed", reason="the phone was disconnected")
        elif not apk_path:
            entry.update(status="skipped", reason="the phone did not say where the app file is")
        elif not valid_device_path(apk_path):
            entry.update(status="skipped", reason="the app file path is unusual and was not requested")
        else:
            try:
                for device_path in _app_files(device, apk_path, timeout_s):
                    rec = _pull_one(case, device, name, device_path, size_cap, timeout_s)
                    stored.append(rec.path)
                    entry["files"].append({"device_path": device_path, "artifact": rec.path,
                                           "size": rec.size, "sha256": rec.sha256})
            except PullError as exc:
                entry.update(status="failed", reason=str(exc))
                lost = lost or _gone(device)
        case.log("apk", package=name, status=entry["status"], reason=entry["reason"],
                 files=len(entry["files"]))
        if progress:
            progress(name, {"pulled": "done", "failed": "failed", "skipped": "skipped"}[entry["status"]])
    body = {"mode": mode, "size_cap": size_cap, "packages": log}
    case.add_artifact("android", PULL_LOG_NAME, json.dumps(body, indent=1, sort_keys=True).encode(),
                      command=f"techsafe pull-apks {mode}", duration_s=time.monotonic() - started,
                      meta={"format": "apk-pull"})
    case.log("apks.end", stored=len(stored), duration_s=round(time.monotonic() - started, 3))
    return stored


def pull_after_first_analysis(case: "Case", device, indicators: "IndicatorSet", mode: str,
                              progress: Progress | None = None, size_cap: int = DEFAULT_SIZE_CAP) -> list[str]:
    """For the scan: a first analysis names the flagged apps, then their APKs
    (and, for `suspicious`, every app from outside the stores) are copied."""
    if mode == "none":
        return []
    from techsafe.checks import Unavailable
    from techsafe.scanners.android.analyze import analyze
    from techsafe.scanners.android.context import AndroidContext
    from techsafe.scanners.android.inputs import android_inputs

    try:
        packages = AndroidContext(android_inputs(case), indicators).packages
    except Unavailable:
        case.log("apks.skipped", reason="no list of apps")
        return []
    flagged = {f.subject for f in analyze(case, indicators).findings}
    return pull_apks(case, device, packages, mode, progress, size_cap, flagged=flagged)


# --------------------------------------------------------------------------- sync protocol


def _app_files(device, apk_path: str, timeout_s: float) -> list[str]:
    """base.apk and its split APKs. `apk_path` is the APK (pm list -f) or its
    folder (dumpsys codePath); the folder is listed for splits, and when it
    cannot be listed the APK path alone (or the usual base.apk) is asked for."""
    is_file = apk_path.endswith(".apk")
    folder = posixpath.dirname(apk_path) if is_file else apk_path.rstrip("/")
    names: list[str] = []
    try:
        names = sorted(n for n, mode in _sync_list(device, folder, timeout_s)
                       if stat.S_ISREG(mode) and _APK_NAME.match(n))
    except PullError:
        names = []
    paths = [f"{folder}/{n}" for n in names[:MAX_FILES_PER_APP]]
    if is_file and apk_path not in paths:
        paths.insert(0, apk_path)
    if not paths:  # AOSP layout: /data/app/<..>/base.apk, /system/app/<Name>/<Name>.apk
        base = "base" if folder.startswith("/data/app/") else posixpath.basename(folder)
        paths = [f"{folder}/{base}.apk"]
    return [p for p in paths if valid_apk_path(p)]


def _open_sync(device, timeout_s: float):
    try:
        conn = device.open_transport(timeout=timeout_s)
        conn.send_command("sync:")
        conn.check_okay()
    except Exception as exc:
        raise PullError(_reason(exc)) from None
    return conn


def _request(conn, ident: bytes, path: str) -> None:
    raw = path.encode("utf-8")
    conn.conn.sendall(ident + struct.pack("<I", len(raw)) + raw)


def _sync_list(device, folder: str, timeout_s: float) -> list[tuple[str, int]]:
    conn = _open_sync(device, timeout_s)
    out: list[tuple[str, int]] = []
    try:
        _request(conn, b"LIST", folder)
        while len(out) < 10_000:
            head = conn.read_exact(4)
            if head == b"DONE":
                break
            if head != b"DENT":
                raise PullError("the phone answered the folder listing in an unknown way")
            mode, _size, _mtime, namelen = struct.unpack("<IIII", conn.read_exact(16))
            if namelen > 1024:
                raise PullError("the phone sent an implausible file name")
            name = conn.read_exact(namelen).decode("utf-8", "replace")
            out.append((name, mode))
    except PullError:
        raise
    except Exception as exc:
        raise PullError(_reason(exc)) from None
    finally:
        conn.close()
    return out


def _pull_one(case: "Case", device, package: str, device_path: str, size_cap: int, timeout_s: float):
    conn = _open_sync(device, timeout_s)
    deadline = time.monotonic() + max(timeout_s, 1.0) * 10  # the socket timeout is per read
    fd, tmp = tempfile.mkstemp(dir=case.root, prefix=".tmp-apk-")
    try:
        with os.fdopen(fd, "wb") as out:
            _request(conn, b"STAT", device_path)
            head = conn.read_exact(16)
            if head[:4] != b"STAT":
                raise PullError("the phone answered in an unknown way")
            mode, size, _mtime = struct.unpack("<III", head[4:])
            if mode == 0:
                raise PullError("the app file is not on the phone (or cannot be read)")
            if not stat.S_ISREG(mode):
                raise PullError("the app path is not a file")
            if size > size_cap:
                raise PullError(f"the app file is larger than the {_size(size_cap)} limit")
            _request(conn, b"RECV", device_path)
            total = 0
            while True:
                ident = conn.read_exact(4)
                (n,) = struct.unpack("<I", conn.read_exact(4))
                if ident == b"DONE":
                    break
                if ident == b"FAIL":
                    conn.read_exact(min(n, 1024))
                    raise PullError("the phone refused to send the app file")
                if ident != b"DATA" or n > SYNC_DATA_MAX:
                    raise PullError("the phone sent the app file in an unknown way")
                total += n
                if total > size_cap:
                    raise PullError(f"the app file is larger than the {_size(size_cap)} limit")
                if time.monotonic() > deadline:
                    raise PullError("copying the app file took too long")
                out.write(conn.read_exact(n))
        try:
            conn.conn.sendall(b"QUIT" + bytes(4))
        except OSError:
            pass
        rel = f"apks/{package}/{posixpath.basename(device_path)}"
        return case.add_artifact_file("android", rel, Path(tmp), command=f"adb sync RECV {device_path}",
                                      meta={"format": "apk", "package": package, "device_path": device_path})
    except PullError:
        raise
    except Exception as exc:
        raise PullError(_reason(exc)) from None
    finally:
        conn.close()
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


def _size(n: int) -> str:
    return f"{n // MB} MB" if n >= MB else f"{max(1, n // 1024)} KB"


def _gone(device) -> bool:
    try:
        return device.get_state() != "device"
    except Exception:
        return True


def _reason(exc: Exception) -> str:
    name = type(exc).__name__
    text = str(exc).lower()
    if "timeout" in name.lower() or "timed out" in text:
        return "the phone did not answer in time"
    if isinstance(exc, (ConnectionError, EOFError)) or "closed" in text or "not found" in text or "offline" in text:
        return "the phone was disconnected"
    return f"the copy failed ({name})"
