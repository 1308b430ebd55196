"""Benchmark 4: start-up of `techsafe --help` / `--version` against a bare
`python -c pass`, and which heavy libraries the CLI pulls in at start."""

from __future__ import annotations

import json
import subprocess
import time

from measure import Stats, python, repeat, run_process, techsafe_argv
from report import Section, table

HEAVY = ("scapy", "pymobiledevice3", "yara", "bleak", "zeroconf", "adbutils", "cryptography", "jinja2", "rich")
RUNS = 15


def _imported_at_start() -> list[str]:
    code = ("import sys, json\nsys.argv=['techsafe','--help']\nfrom techsafe import cli\n"
            "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
            f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]), file=sys.stderr)")
    out = subprocess.run([python(), "-c", code], capture_output=True, text=True, timeout=60)
    try:
        return json.loads(out.stderr.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return ["(could not tell: " + out.stderr.strip()[-200:] + ")"]


def _importtime_top(n: int = 8) -> str:
    out = subprocess.run([python(), "-X", "importtime", "-m", "techsafe", "--help"], capture_output=True, text=True, timeout=60)
    rows = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        try:
            self_us, cum_us, name = line[len("import time:"):].split("|")
            rows.append((int(cum_us), int(self_us), name.rstrip()))
        except ValueError:
            continue
    top = sorted((r for r in rows if not r[2].startswith("  ")), reverse=True)[:n]  # top level: one space
    lines = ["python -X importtime -m techsafe --help, top-level imports by cumulative time:"]
    lines += [f"  {cum / 1000:7.1f} ms  {name.strip()}" for cum, _, name in top]
    return "\n".join(lines)


def run() -> Section:
    t0 = time.monotonic()
    cases = [
        ("`python -c pass` (bare interpreter)", [python(), "-c", "pass"]),
        ("`techsafe --version`", techsafe_argv("--version")),
        ("`techsafe --help`", techsafe_argv("--help")),
    ]
    stats: dict[str, Stats] = {}
    for label, argv in cases:
        stats[label] = repeat(lambda i, a=argv: run_process(a), RUNS, warmup=2)
    base = stats[cases[0][0]].median_s
    rows = []
    for label, _ in cases:
        s = stats[label]
        over = s.median_s - base
        rows.append((label, s.time_text(), s.rss_text(), "—" if s is stats[cases[0][0]] else f"+{over * 1000:.0f} ms ({s.median_s / base:.1f}x python)"))
    heavy = _imported_at_start()
    help_s = stats[cases[2][0]].median_s
    verdict = ("met: no heavy library imported at start" if not heavy else f"not met: {', '.join(heavy)} imported at start")
    return Section(
        title="Start-up",
        workload=(f"`techsafe --help` and `techsafe --version` through the installed console script, {RUNS} runs each after "
                  "two warm-up runs (compiled .pyc files in place), against a bare `python -c pass` on the same interpreter. "
                  f"Heavy libraries checked in `sys.modules` after `--help`: {', '.join(HEAVY)}."),
        table=table(("command", "median (spread)", "peak RSS", "over bare python"), rows),
        goal="heavy libraries (scapy, pymobiledevice3, yara, bleak) not imported until a command needs them; start-up close to bare Python",
        verdict=f"{verdict}; `--help` is {help_s * 1000:.0f} ms ({help_s / base:.1f}x bare python)",
        notes=(f"Imported at start among the heavy/optional libraries: {', '.join(heavy) if heavy else 'none'} "
               "(tests/cli/test_startup.py asserts this in CI).",),
        profile=_importtime_top(),
        duration_s=time.monotonic() - t0,
    )


if __name__ == "__main__":
    from measure import prepare_environment

    prepare_environment()
    s = run()
    print(s.table)
    print(s.verdict)
    print(s.profile)
