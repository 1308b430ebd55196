#!/usr/bin/env python3
"""YARA over a set of APKs: techsafe's in-process scan vs the `yara` CLI.

    python benchmarks/yara_apks.py [--count 200] [--dex-mb 1.5]

Generates `count` APKs (deterministic) with realistic code sizes: each holds
classes.dex (and every 4th a classes2.dex and a native library), made of
DEX-like identifier strings and incompressible bytes, and every 20th carries
the strings of Echap's `mspy` rule so both sides must report the same hits.
Rules: ../shared/indicators/echap/rules.yar plus signatures/yara/*.yar.

Compared on the same code files and the same rules:
- techsafe: compiled rules (from its cache), then per APK: read the APK, open
  the ZIP in memory, scan every classes*.dex and lib/*/*.so (what `techsafe
  analyze` does for each pulled APK);
- yara CLI (Debian package `yara`): the same files extracted to disk, one
  `yara` process per APK (how a script would call it per pulled app), and
  one process over the whole folder (its best case).
Prints a Markdown section: median per-APK time of each, the ratio, totals,
peak RSS. Needs the `yara` program (apt-get install yara).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()
sys.path.insert(0, str(REPO))


def mspy_strings() -> list[str]:
    import re

    text = (SHARED / "indicators" / "echap" / "rules.yar").read_text("utf-8")
    block = re.search(r"^rule\s+mspy\b.*?^}", text, re.S | re.M).group(0)
    return re.findall(r'^\s*\$\w+\s*=\s*"((?:[^"\\]|\\.)*)"', block, re.M)


def dex_bytes(rng: random.Random, size: int, extra: list[str]) -> bytes:
    """DEX magic + header, then a string area and code-like random bytes."""
    out = bytearray(b"dex\n035\x00" + bytes(0x70 - 8))
    for s in extra:
        raw = s.encode()
        out += bytes([len(raw) & 0x7F]) + raw + b"\x00"
    while len(out) < size:
        # Half identifiers (as in a real string table), half opaque code.
        names = "".join(f"Lcom/vendor{rng.randrange(500)}/pkg/Class{rng.randrange(9999)};\x00m{rng.randrange(99)}\x00"
                        for _ in range(64))
        out += names.encode() + rng.randbytes(len(names))
    return bytes(out[:size])


def make_apks(folder: Path, count: int, dex_mb: float) -> list[Path]:
    rng = random.Random(1234)
    marker = mspy_strings()
    paths = []
    for i in range(count):
        files = {"AndroidManifest.xml": rng.randbytes(3000), "resources.arsc": rng.randbytes(200_000)}
        size = int(dex_mb * 1024 * 1024 * rng.uniform(0.6, 1.4))
        files["classes.dex"] = dex_bytes(rng, size, marker if i % 20 == 0 else [])
        if i % 4 == 0:
            files["classes2.dex"] = dex_bytes(rng, size // 3, [])
            files["lib/arm64-v8a/libnative.so"] = b"\x7fELF" + rng.randbytes(300_000)
        path = folder / f"app{i:04d}.apk"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            for name, data in files.items():
                z.writestr(name, data)
        paths.append(path)
    return paths


def extract_code(apks: list[Path], folder: Path) -> dict[Path, list[Path]]:
    from techsafe.scanners.android.apk_identity import iter_code_files

    out = {}
    for apk in apks:
        target = folder / apk.stem
        target.mkdir(parents=True)
        files = []
        for name, data, _problem in iter_code_files(apk.read_bytes()):
            dest = target / name.replace("/", "_")
            dest.write_bytes(data)
            files.append(dest)
        out[apk] = files
    return out


def bench_techsafe(apks: list[Path], rule_files: list[Path]) -> tuple[list[float], set, float]:
    from techsafe.scanners.android import yara_scan
    from techsafe.scanners.android.apk_identity import iter_code_files

    sources = tuple(yara_scan.RuleSource(p, f"ns{i}", p.parent.name, "", _sha(p)) for i, p in enumerate(rule_files))
    t0 = time.perf_counter()
    rules = yara_scan.compiled_rules(sources)
    compile_s = time.perf_counter() - t0
    times, hits = [], set()
    for apk in apks:
        t0 = time.perf_counter()
        data = apk.read_bytes()
        for name, raw, _problem in iter_code_files(data):
            for h in yara_scan.scan_bytes(rules, sources, raw, name):
                hits.add((apk.stem, name.replace("/", "_"), h.rule))
        times.append(time.perf_counter() - t0)
    return times, hits, compile_s


def bench_cli(code: dict[Path, list[Path]], rule_files: list[Path], root: Path) -> tuple[list[float], set, float]:
    yara = shutil.which("yara")
    rules = [f"ns{i}:{p}" for i, p in enumerate(rule_files)]
    times, hits = [], set()
    for apk, files in code.items():
        t0 = time.perf_counter()
        result = subprocess.run([yara, "-w", *rules, *map(str, files)] if len(files) == 1 else
                                [yara, "-w", "-r", *rules, str(files[0].parent)], capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        for line in result.stdout.splitlines():
            rule, _, path = line.partition(" ")
            hits.add((apk.stem, Path(path).name, rule))
    t0 = time.perf_counter()
    subprocess.run([yara, "-w", "-r", *rules, str(root)], capture_output=True, check=False)
    whole = time.perf_counter() - t0
    return times, hits, whole


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--dex-mb", type=float, default=1.5)
    args = ap.parse_args()
    if not shutil.which("yara"):
        print("the `yara` program is missing: apt-get install yara", file=sys.stderr)
        return 2
    feed_rules = SHARED / "indicators" / "echap" / "rules.yar"
    if not feed_rules.is_file():
        print(f"{feed_rules}: shared data missing", file=sys.stderr)
        return 2
    rule_files = [feed_rules] + sorted((REPO / "signatures" / "yara").glob("*.yar"))
    work = REPO / "benchmarks" / ".work"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        os.environ["TECHSAFE_HOME"] = str(Path(tmp) / "home")  # a fresh compiled-rules cache
        t0 = time.perf_counter()
        apks = make_apks(Path(tmp), args.count, args.dex_mb)
        gen_s = time.perf_counter() - t0
        code = extract_code(apks, Path(tmp) / "code")
        code_bytes = sum(f.stat().st_size for files in code.values() for f in files)
        ts_times, ts_hits, compile_s = bench_techsafe(apks, rule_files)
        rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        cli_times, cli_hits, cli_whole = bench_cli(code, rule_files, Path(tmp) / "code")
        rss_cli = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    ts_med, cli_med = statistics.median(ts_times), statistics.median(cli_times)
    print("## YARA over APKs: techsafe (yara-python, in process) vs `yara` CLI\n")
    print(f"{len(apks)} generated APKs, {code_bytes / 2**20:.0f} MiB of DEX/.so code in total "
          f"(generated in {gen_s:.1f} s); rules: Echap rules.yar + {len(rule_files) - 1} team file(s); "
          f"yara-python {__import__('yara').__version__}, "
          f"`{subprocess.run(['yara', '-v'], capture_output=True, text=True).stdout.strip()}` CLI.\n")
    print("| measure | techsafe in process | yara CLI |")
    print("|---|---|---|")
    print(f"| median per APK | {ts_med * 1000:.1f} ms | {cli_med * 1000:.1f} ms (one process per APK) |")
    print(f"| total, {len(apks)} APKs | {sum(ts_times):.2f} s (+ {compile_s * 1000:.0f} ms compile, cached after) "
          f"| {sum(cli_times):.2f} s per-APK processes; {cli_whole:.2f} s one process over the folder |")
    print(f"| peak RSS | {rss_self:.0f} MiB (whole benchmark process) | {rss_cli:.0f} MiB (largest yara process) |")
    print(f"| matches | {len(ts_hits)} | {len(cli_hits)} |")
    print(f"\n**Ratio (median per APK, CLI / techsafe): {cli_med / ts_med:.2f}x**; "
          f"whole set in one CLI process vs techsafe total: {cli_whole / sum(ts_times):.2f}x. "
          f"techsafe reads code straight from the APK in memory; the CLI figures exclude extraction.")
    if ts_hits != cli_hits:
        print(f"\nWARNING: the two sides disagree: only techsafe {sorted(ts_hits - cli_hits)[:5]}, "
              f"only CLI {sorted(cli_hits - ts_hits)[:5]}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
