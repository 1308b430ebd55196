"""Benchmark 5: the YARA and traffic benchmarks other parts of techsafe
ship (benchmarks/yara_apks.py, benchmarks/network_traffic.py), run as they
are and collected into RESULTS.md.

Contract with those scripts: `python benchmarks/<name>.py` with no
arguments runs the benchmark with its own defaults and prints its result on
stdout (Markdown, or plain lines); a non-zero exit is a failure. Their
output is copied into RESULTS.md as printed (Markdown headings demoted under
this report's own), plain text in a code block.
"""

from __future__ import annotations

import subprocess
import sys
import time

import peers
from measure import REPO
from report import Section

TIMEOUT_S = 480


def _as_markdown(stdout: str) -> str:
    text = stdout.strip()
    if not text:
        return "_(no output)_"
    if "|---" in text or text.lstrip().startswith("#"):
        return "\n".join("##" + line if line.startswith("#") else line for line in text.splitlines())
    return "```\n" + text + "\n```"


def collect(script: str, title: str, goal: str, needs: tuple[tuple[str, str], ...], judge) -> Section:
    t0 = time.monotonic()
    path = REPO / "benchmarks" / script
    if not path.exists():
        return Section(title, f"`benchmarks/{script}` is not in this checkout yet.", "", goal, "not run (script missing)")
    for binary, package in needs:
        try:
            peers.debian_tool(binary, package)
        except peers.PeerMissing as exc:
            return Section(title, f"`python benchmarks/{script}`", "", goal, f"not run ({exc})")
    try:
        proc = subprocess.run([sys.executable, str(path)], cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return Section(title, f"`python benchmarks/{script}`", "", goal, f"not run (took longer than {TIMEOUT_S} s)",
                       duration_s=time.monotonic() - t0)
    body = _as_markdown(proc.stdout)
    if proc.returncode != 0:
        err = " | ".join(proc.stderr.strip().splitlines()[-3:])[:400]
        verdict = f"failed (exit {proc.returncode}: {err or 'no message'})"
    else:
        verdict = judge(proc.stdout)
    return Section(title, f"`python benchmarks/{script}` (its own defaults; output below as it printed it).", body, goal,
                   verdict, duration_s=time.monotonic() - t0)


def _judge_yara(out: str) -> str:
    import re

    m = re.search(r"CLI / techsafe\): ([0-9.]+)x", out)
    if not m:
        return "ran (no ratio found in its output)"
    return f"reported: `yara` CLI / techsafe = {float(m.group(1)):.2f}x per APK (no target set)"


def _judge_traffic(out: str) -> str:
    import re

    rates = dict(re.findall(r"^(techsafe|tshark):\s+([0-9,]+) packets/s", out, re.M))
    if len(rates) != 2:
        return "ran (packet rates not found in its output)"
    ours, theirs = (float(rates[k].replace(",", "")) for k in ("techsafe", "tshark"))
    return f"{'met' if ours > theirs else 'not met'}: techsafe {ours:,.0f} vs tshark {theirs:,.0f} packets/s ({ours / theirs:.2f}x)"


def run_yara() -> Section:
    return collect("yara_apks.py", "YARA over APKs (techsafe vs `yara` CLI)",
                   "a ratio against the `yara` CLI on the same files and rules", (("yara", "yara"),), _judge_yara)


def run_traffic() -> Section:
    return collect("network_traffic.py", "Traffic matching, 1M packets (techsafe vs tshark)",
                   "faster than tshark on the same capture with the full Echap domain set", (("tshark", "tshark"),),
                   _judge_traffic)
