"""What one benchmark hands back, and how RESULTS.md is written from it."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from measure import REPO


@dataclass(frozen=True)
class Section:
    title: str
    workload: str  # markdown: what was run, on what input, with which figures
    table: str  # markdown table: tool, median (spread), peak RSS, ratio
    goal: str  # the goal from the issue
    verdict: str  # "met", "not met (gap ...)", "not run (...)"
    notes: tuple[str, ...] = ()
    profile: str = ""  # where the time goes (cProfile summary), when a goal is missed or for the record
    duration_s: float = 0.0


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu or platform.machine()}){mem}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def write_results(path: Path, sections: Sequence[Section], total_s: float, peers: Sequence[str]) -> None:
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# techsafe benchmarks",
        "",
        "Written by `benchmarks/run` — do not edit by hand; re-run it. Absolute times depend on the machine;",
        "the ratios (techsafe against the tool a clinic would otherwise use, on the same input in the same run) are the result.",
        "",
        f"- Run: {now}, techsafe commit {_commit()}, whole run {total_s / 60:.1f} min",
        f"- Machine: {_machine()}",
        f"- Peers: {'; '.join(peers) if peers else 'none'}",
        "- Times: median (fastest–slowest, n = runs) of wall time, process start included where a process is run;",
        "  peak memory is the largest peak resident set size (RSS) of the measured process over the runs.",
        "",
        "## Summary",
        "",
        table(("benchmark", "goal", "result"), [(s.title, s.goal, s.verdict) for s in sections]),
        "",
    ]
    for i, s in enumerate(sections, 1):
        out += [f"## {i}. {s.title}", "", s.workload.strip(), "", s.table.strip(), "",
                f"**Goal:** {s.goal} — **{s.verdict}**", ""]
        out += [f"- {n}" for n in s.notes]
        if s.notes:
            out.append("")
        if s.profile.strip():
            out += ["<details><summary>Profile (where the time goes)</summary>", "", "```", s.profile.strip(), "```",
                    "", "</details>", ""]
        out += [f"_This benchmark took {s.duration_s:.0f} s._", ""]
    path.write_text("\n".join(out))
