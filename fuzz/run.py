"""Bounded fuzzing of techsafe's parsers (not run in CI).

    python fuzz/run.py --minutes 10 --parser ios          # a family: split over its targets
    python fuzz/run.py --minutes 2 --parser network.mdns  # one target
    python fuzz/run.py --minutes 10 --parser network.ssdp,network.upnp_xml  # a group
    python fuzz/run.py --list

Engine: atheris (coverage-guided libFuzzer) when installed (`pip install
atheris`), else a seeded random-mutation loop (`--engine random`). Each
target starts from real or format-built seeds (tests/reliability/
reliability_targets.py). Results: one JSON line per target on stdout and in
fuzz/results/ (executions, crashes, coverage); crashing inputs are kept in
fuzz/results/<target>/ so they can become regression tests.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "reliability"))

from reliability_targets import FAMILIES, all_targets  # noqa: E402

RESULTS = HERE / "results"


def pick(parsers: str):
    """Targets named by a comma-separated list of families and target names."""
    targets = all_targets()
    chosen = []
    for parser in parsers.split(","):
        found = [t for t in targets if t.family == parser or t.name == parser]
        if not found:
            raise SystemExit(f"fuzz: unknown parser {parser!r}; families: {', '.join(FAMILIES)} or a target from --list")
        chosen += [t for t in found if t not in chosen]
    return chosen


def run_atheris(target, seconds: int, out: Path) -> dict:
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for i, seed in enumerate(target.seeds()):
        (corpus / f"seed-{i}").write_bytes(seed)
    cmd = [sys.executable, str(HERE / "target.py"), target.name, str(corpus),
           f"-max_total_time={seconds}", "-timeout=10", "-rss_limit_mb=2048", "-max_len=1048576",
           f"-artifact_prefix={out}/", "-print_final_stats=1"]
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", cwd=REPO)
    log = proc.stderr
    (out / "atheris.log").write_text(log[-200_000:])
    stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", log, re.M))
    cov = re.findall(r"cov: (\d+) ft: (\d+)", log)
    crashes = sorted(p.name for p in out.iterdir() if p.name.startswith(("crash-", "timeout-", "oom-", "leak-")))
    return {
        "target": target.name, "engine": "atheris", "seconds": round(time.monotonic() - started, 1),
        "executions": int(stats.get("number_of_executed_units", 0)),
        "coverage_edges": int(cov[-1][0]) if cov else None, "features": int(cov[-1][1]) if cov else None,
        "crashes": crashes, "exit": proc.returncode,
    }


def mutate(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(7)
        pos = rng.randrange(len(b) + 1)
        if op == 0 and b:
            b[min(pos, len(b) - 1)] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif op == 2 and b:
            del b[pos:pos + rng.randint(1, 64)]
        elif op == 3 and b:
            chunk = b[pos:pos + rng.randint(1, 256)]
            b[pos:pos] = chunk * rng.randint(1, 64)  # repetition: catastrophic regexes, deep nesting
        elif op == 4:
            b[pos:pos] = rng.choice((b"\x00", b"\xff", b"\n", b"<", b"{", b"[", b"'", b"\\", b"\x7f\xff\xff\xff"))
        elif op == 5 and pool:
            other = rng.choice(pool)
            cut = rng.randrange(len(other) + 1)
            b[pos:] = other[cut:]
        elif op == 6:
            del b[pos:]  # truncation
    return bytes(b[: 1 << 20])


def run_random(target, seconds: int, out: Path, seed: int) -> dict:
    rng = random.Random(seed)
    pool = [s for s in target.seeds() if s] or [b""]
    execs, crashes, slowest = 0, [], 0.0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        data = mutate(rng, rng.choice(pool), pool)
        t0 = time.perf_counter()
        try:
            target.fn(data)
        except target.allowed:
            pass
        except Exception:
            name = f"crash-{execs}"
            (out / name).write_bytes(data)
            (out / f"{name}.txt").write_text(traceback.format_exc())
            crashes.append(name)
        dt = time.perf_counter() - t0
        if dt > slowest:
            slowest = dt
        if dt > 5:
            (out / f"slow-{execs}").write_bytes(data)
            crashes.append(f"slow-{execs}")
        execs += 1
        if execs % 50 == 0 and len(pool) < 64:
            pool.append(data)
    return {"target": target.name, "engine": "random", "seconds": seconds, "executions": execs,
            "coverage_edges": None, "crashes": crashes, "slowest_s": round(slowest, 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=1.0, help="total time for the family or target")
    ap.add_argument("--parser", default="", help=f"families ({', '.join(FAMILIES)}) or target names, comma-separated")
    ap.add_argument("--engine", choices=("auto", "atheris", "random"), default="auto")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    if args.list or not args.parser:
        for t in all_targets():
            print(f"{t.family:9} {t.name}")
        return 0
    engine = args.engine
    if engine == "auto":
        try:
            import atheris  # noqa: F401
            engine = "atheris"
        except ImportError:
            engine = "random"
    targets = pick(args.parser)
    per = max(10, int(args.minutes * 60 / len(targets)))
    failed = False
    for t in targets:
        out = RESULTS / t.name
        out.mkdir(parents=True, exist_ok=True)
        res = run_atheris(t, per, out) if engine == "atheris" else run_random(t, per, out, args.seed)
        failed |= bool(res["crashes"])
        line = json.dumps(res)
        print(line, flush=True)
        with open(RESULTS / "results.jsonl", "a") as fh:
            fh.write(line + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
