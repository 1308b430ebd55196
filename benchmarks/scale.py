"""Benchmark 3: scale. Synthetic phones with 300, 1,000 and 3,000 apps (all
outputs scaled, see synthetic_phone.py) stored as a live scan would store
them (a case folder with one artifact per command), then Android analysis:
parse every artifact and run every check, with the Echap feed loaded.

Each measurement is a fresh process (benchmarks/scale.py --worker): a timed
run (wall time of analyze(), peak RSS of the process) and a separate
tracemalloc run (peak Python allocation of analyze(); tracemalloc slows
Python down, so it never shares a run with the timing).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import REPO, Sample, Stats, repeat, require_shared, run_process

SIZES = (300, 1000, 3000)
RSS_LIMIT_MB = 300
LINEAR_SLACK = 1.3  # per-app cost at the largest size may exceed the next size's by this much (noise)


def build_case(phone, folder: Path) -> Path:
    """The phone's outputs as artifacts of a case, exactly as acquire_android stores them."""
    from techsafe.case import Case
    from techsafe.scanners.android.commands import COMMANDS

    case = Case.create(folder)
    for cmd in COMMANDS:
        out = phone.outputs.get(cmd.shell)
        if out is None:
            continue
        case.add_artifact("android", f"{cmd.key}.txt", out, command=cmd.shell, exit_status=0,
                          meta={"format": "command", "key": cmd.key, "stderr": ""})
    return folder


def worker(case_dir: Path, mode: str, result: Path) -> None:
    from techsafe.case import Case
    from techsafe.scanners.android.analyze import analyze
    from techsafe.signatures import load_indicators

    indicators = load_indicators()
    case = Case.open(case_dir)
    if mode == "memory":
        import tracemalloc

        tracemalloc.start()
    t0 = time.perf_counter()
    analysis = analyze(case, indicators)
    wall = time.perf_counter() - t0
    peak = 0
    if mode == "memory":
        import tracemalloc

        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    stalker = [f.subject for f in analysis.findings if f.kind == "android.app.stalkerware"]
    result.write_text(json.dumps({"analyze_s": wall, "tracemalloc_peak_mb": peak / 2**20, "findings": len(analysis.findings),
                                  "not_checked": len(analysis.not_checked), "stalkerware": stalker}))


def _profile(case_dir: Path, scratch: Path) -> str:
    from androidqf_analysis import summarize_profile

    prof = scratch / "scale.prof"
    code = ("import cProfile, sys\nsys.argv=['x']\nfrom techsafe.case import Case\nfrom techsafe.scanners.android.analyze import analyze\n"
            "from techsafe.signatures import load_indicators\nind=load_indicators()\ncase=Case.open(sys.argv_case)\n")
    code = code.replace("sys.argv_case", repr(str(case_dir)))
    code += f"cProfile.run('analyze(case, ind)', {str(prof)!r})\n"
    subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=600)
    return summarize_profile(prof, 25)


def run(runs: int = 5) -> "Section":
    from report import Section, table
    from synthetic_phone import make_phone

    t0 = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="bench-scale-", dir=REPO / "benchmarks" / ".work"))
    try:
        env = dict(os.environ, TECHSAFE_HOME=str(scratch / "home"))
        subprocess.run([sys.executable, "-m", "techsafe", "signatures", "import",
                        str(require_shared("indicators", "echap", "ioc.yaml"))], env=env, check=True, capture_output=True)
        results = []
        for n in SIZES:
            phone = make_phone(n)
            case_dir = build_case(phone, scratch / f"case-{n}")
            size = phone.total_bytes()
            del phone
            docs: list[dict] = []

            def timed(i: int, case_dir=case_dir, docs=docs) -> Sample:
                res = scratch / f"res-{n}-{i}.json"
                outer = run_process([sys.executable, __file__, "--worker", str(case_dir), "--mode", "time", "--result", str(res)],
                                    env=env)
                doc = json.loads(res.read_text())
                docs.append(doc)
                return Sample(doc["analyze_s"], outer.peak_rss_mb)

            stats: Stats = repeat(timed, runs, warmup=1)
            mem_res = scratch / f"mem-{n}.json"
            run_process([sys.executable, __file__, "--worker", str(case_dir), "--mode", "memory", "--result", str(mem_res)], env=env)
            mem = json.loads(mem_res.read_text())
            results.append((n, size, stats, mem, docs[-1], case_dir))

        rows = []
        for n, size, stats, mem, doc, _ in results:
            rows.append((f"{n:,}", f"{size / 1e6:.1f} MB", stats.time_text(), f"{stats.median_s / n * 1000:.2f} ms",
                         f"{mem['tracemalloc_peak_mb']:.0f} MB", stats.rss_text(),
                         f"{doc['findings']} findings, {doc['not_checked']} not checked; stalkerware: {', '.join(doc['stalkerware']) or 'MISSED'}"))
        # Growth between consecutive sizes: cost of each extra app.
        slopes_t, slopes_m = [], []
        for (n1, _, s1, m1, _, _), (n2, _, s2, m2, _, _) in zip(results, results[1:]):
            # Fastest runs: the least disturbed by other processes on a shared machine.
            slopes_t.append((s2.min_s - s1.min_s) / (n2 - n1))
            slopes_m.append((m2["tracemalloc_peak_mb"] - m1["tracemalloc_peak_mb"]) / (n2 - n1))
        linear_t = slopes_t[-1] <= slopes_t[0] * LINEAR_SLACK or slopes_t[-1] <= 0
        linear_m = slopes_m[-1] <= slopes_m[0] * LINEAR_SLACK or slopes_m[-1] <= 0
        biggest = results[-1][2].peak_rss_mb or 0
        missed = [f"{r[0]:,}" for r in results if not r[4]["stalkerware"]]
        ok = linear_t and linear_m and biggest < RSS_LIMIT_MB and not missed
        verdict = ("met" if ok else "not met") + (
            f": extra-app cost {slopes_t[0] * 1000:.2f} → {slopes_t[-1] * 1000:.2f} ms and "
            f"{slopes_m[0] * 1024:.0f} → {slopes_m[-1] * 1024:.0f} KB per app ({'linear' if linear_t and linear_m else 'worse than linear'}); "
            f"peak RSS {biggest:.0f} MB at {SIZES[-1]:,} apps (limit {RSS_LIMIT_MB} MB)"
            + (f"; stalkerware MISSED at {', '.join(missed)} apps" if missed else ""))
        profile = f"analyze() on the {SIZES[-1]:,}-app case:\n" + _profile(results[-1][5], scratch)
        return Section(
            title="Scale: 300, 1,000 and 3,000 apps through parse + checks",
            workload=("Synthetic phones (benchmarks/synthetic_phone.py: the demo Pixel 7 with TheTruthSpy planted, plus "
                      "Play Store apps; `dumpsys package` with resolver tables, providers and dexopt state, appops, "
                      "launcher query, pm lists scaled with the app count) stored as a case folder the way a live scan "
                      "stores them, then `techsafe.scanners.android.analyze.analyze(case, indicators)` with the Echap "
                      f"feed imported: every parser and every check. {runs} timed runs per size (after one warm-up), "
                      "each a fresh process, plus one tracemalloc run."),
            table=table(("apps", "phone output", "analyze median (spread)", "per app", "tracemalloc peak", "process peak RSS",
                         "result"), rows),
            goal=f"time and memory grow no worse than linearly; peak memory under {RSS_LIMIT_MB} MB at 3,000 apps",
            verdict=verdict,
            notes=("Extra-app cost = (fastest time or tracemalloc peak at the larger size − at the smaller) / extra apps, "
                   f"between 300→1,000 and 1,000→3,000; linear when the second is at most {LINEAR_SLACK}x the first.",
                   "Process peak RSS includes the interpreter, techsafe and the loaded Echap index, not only the phone data."),
            profile=profile,
            duration_s=time.monotonic() - t0,
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", type=Path)
    parser.add_argument("--mode", default="time")
    parser.add_argument("--result", type=Path)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.mode, args.result)
    else:
        from measure import prepare_environment

        prepare_environment()
        s = run(runs=2)
        print(s.table, s.verdict, *s.notes, s.profile, sep="\n")
