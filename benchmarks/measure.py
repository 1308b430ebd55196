"""Timing and memory measurement shared by the benchmarks.

Wall time is time.perf_counter around the whole thing (process start
included when a process is measured). Peak memory is the peak resident set
size the kernel reports for the child process (getrusage via os.wait4,
ru_maxrss in KiB on Linux), so it covers everything the tool touched,
interpreter included.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SPAWNER = Path(__file__).resolve().parent / "spawn_measured.py"


def prepare_environment() -> None:
    """Every measured Python process runs as an installed tool would: with
    compiled bytecode cached (pip compiles on install; this environment
    may set PYTHONDONTWRITEBYTECODE), kept out of the source tree."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    # This checkout's techsafe, whatever `pip install -e` points at.
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    if str(REPO) not in sys.path[:1]:
        sys.path.insert(0, str(REPO))
    os.environ["PYTHONPYCACHEPREFIX"] = str(REPO / "benchmarks" / ".work" / "pycache")
    sys.dont_write_bytecode = False
    sys.pycache_prefix = os.environ["PYTHONPYCACHEPREFIX"]
    _techsafe_venv()


# techsafe gets its own venv with only its dependencies, as MVT does (peers.py):
# the host interpreter may carry site hooks (.pth files of other packages, or
# of the machine) that run at every start, for one tool and not the other.
TECHSAFE_VENV = REPO / "benchmarks" / ".work" / "techsafe-venv"


def _techsafe_venv() -> None:
    if (TECHSAFE_VENV / "bin" / "techsafe").exists():
        return
    import subprocess

    print("[benchmarks] installing techsafe into benchmarks/.work/techsafe-venv (once)", file=sys.stderr, flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(TECHSAFE_VENV)], check=True, capture_output=True, timeout=300)
        subprocess.run([str(TECHSAFE_VENV / "bin" / "pip"), "install", "-q", "-e", str(REPO)], check=True,
                       capture_output=True, timeout=1800)
    except (OSError, subprocess.SubprocessError) as exc:  # measured on the host interpreter instead, and said so
        print(f"[benchmarks] techsafe venv failed ({type(exc).__name__}); using {sys.executable}", file=sys.stderr)


@dataclass(frozen=True)
class Sample:
    wall_s: float
    peak_rss_mb: float | None = None
    returncode: int = 0


@dataclass(frozen=True)
class Stats:
    """Median and spread of repeated runs."""

    runs: int
    median_s: float
    min_s: float
    max_s: float
    peak_rss_mb: float | None  # the largest peak over the runs

    @classmethod
    def of(cls, samples: Sequence[Sample]) -> "Stats":
        walls = [s.wall_s for s in samples]
        rss = [s.peak_rss_mb for s in samples if s.peak_rss_mb is not None]
        return cls(len(walls), statistics.median(walls), min(walls), max(walls), max(rss) if rss else None)

    def time_text(self) -> str:
        return f"{fmt_s(self.median_s)} ({fmt_s(self.min_s)}–{fmt_s(self.max_s)}, n={self.runs})"

    def rss_text(self) -> str:
        return "—" if self.peak_rss_mb is None else f"{self.peak_rss_mb:.0f} MB"


def fmt_s(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def require_shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        raise SystemExit(f"benchmarks: {path} is missing (the shared data folder must sit beside the repository)")
    return path


class ProcessFailed(RuntimeError):
    pass


def run_process(argv: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None,
                timeout_s: float = 600, ok_codes: tuple[int, ...] = (0,), stdout_path: Path | None = None) -> Sample:
    """Run argv to completion (through spawn_measured.py); its wall time and
    peak RSS. Output goes to stdout_path (or is dropped); the end of stderr
    is kept for the error message."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        result = Path(tmp.name)
    out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    try:
        proc = subprocess.run([sys.executable, "-S", str(SPAWNER), str(result), str(timeout_s), *map(str, argv)],
                              env=dict(env) if env is not None else None, cwd=cwd, stdin=subprocess.DEVNULL,
                              stdout=out, stderr=subprocess.PIPE, timeout=timeout_s + 30)
        try:
            measured = json.loads(result.read_text())
        except (OSError, ValueError):
            raise ProcessFailed(f"{argv[0]}: could not be started ({proc.stderr.decode('utf-8', 'replace')[-300:]})") from None
    finally:
        if stdout_path:
            out.close()
        result.unlink(missing_ok=True)
    if measured["timed_out"]:
        raise ProcessFailed(f"{' '.join(map(str, argv[:4]))}... took longer than {timeout_s:.0f} s")
    if measured["code"] not in ok_codes:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise ProcessFailed(f"{' '.join(map(str, argv[:4]))}... exited {measured['code']}: {' | '.join(tail)}")
    return Sample(measured["wall_s"], measured["maxrss_kb"] / 1024, measured["code"])


def repeat(fn: Callable[[int], Sample], runs: int, warmup: int = 1) -> Stats:
    """fn(i) -> Sample, `warmup` unrecorded runs first (page cache, pyc files)."""
    for i in range(warmup):
        fn(-1 - i)
    return Stats.of([fn(i) for i in range(runs)])


def python() -> str:
    """The interpreter techsafe is measured with (its venv when it exists)."""
    exe = TECHSAFE_VENV / "bin" / "python"
    return str(exe) if exe.exists() else sys.executable


def techsafe_argv(*args: str) -> list[str]:
    """The installed `techsafe` console script, as a caseworker runs it."""
    import shutil

    exe = shutil.which("techsafe", path=str(Path(python()).parent) + os.pathsep + os.environ.get("PATH", ""))
    return [exe, *args] if exe else [python(), "-m", "techsafe", *args]


def ratio_text(peer_s: float, ours_s: float) -> str:
    if ours_s <= 0:
        return "—"
    r = peer_s / ours_s
    return f"{r:.1f}x faster" if r >= 1 else f"{1 / r:.1f}x slower"
