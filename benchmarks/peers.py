"""The peer tools, installed into throwaway places when missing.

- MVT (mvt-android) from PyPI into a venv under benchmarks/.work/ (gitignored).
- Debian `yara` and `tshark` through apt-get when running as root.

Nothing here touches the caseworker's own Python or home folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from measure import REPO

WORK = REPO / "benchmarks" / ".work"
MVT_VENV = WORK / "mvt-venv"


class PeerMissing(RuntimeError):
    """A peer tool could not be installed; the benchmark says so instead of a number."""


def _log(message: str) -> None:
    print(f"[benchmarks] {message}", file=sys.stderr, flush=True)


def mvt_android() -> Path:
    exe = MVT_VENV / "bin" / "mvt-android"
    if exe.exists():
        return exe
    _log("installing MVT from PyPI into benchmarks/.work/mvt-venv (once)")
    WORK.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(MVT_VENV)], check=True, capture_output=True, timeout=300)
        subprocess.run([str(MVT_VENV / "bin" / "pip"), "install", "-q", "mvt"], check=True, capture_output=True, timeout=900)
    except (OSError, subprocess.SubprocessError) as exc:
        raise PeerMissing(f"MVT could not be installed ({type(exc).__name__})") from None
    if not exe.exists():
        raise PeerMissing("MVT installed but mvt-android is missing")
    return exe


def mvt_version() -> str:
    try:
        out = subprocess.run([str(mvt_android()), "version"], capture_output=True, text=True, timeout=60,
                             env=mvt_env(WORK / "mvt-home"))
        for line in out.stdout.splitlines():
            if "Version" in line:
                return "MVT " + line.split(":", 1)[-1].strip()
    except (OSError, subprocess.SubprocessError, PeerMissing):
        pass
    return "MVT (version unknown)"


def mvt_env(home: Path) -> dict[str, str]:
    """MVT with its own empty HOME: no downloaded indicators, no cached state."""
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["HOME"] = str(home)
    env.pop("MVT_STIX2", None)
    return env


def debian_tool(binary: str, package: str) -> str:
    found = shutil.which(binary)
    if found:
        return found
    if os.geteuid() != 0:
        raise PeerMissing(f"`{binary}` is missing; install the Debian package {package} (needs root)")
    _log(f"installing Debian package {package}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True, timeout=600, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", package], check=True,
                       capture_output=True, timeout=900, env=env)
    except (OSError, subprocess.SubprocessError) as exc:
        raise PeerMissing(f"apt-get install {package} failed ({type(exc).__name__})") from None
    found = shutil.which(binary)
    if not found:
        raise PeerMissing(f"{package} installed but `{binary}` is not on PATH")
    return found


def tool_version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        return (out.stdout or out.stderr).strip().splitlines()[0][:80]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "unknown"
