"""Traffic matcher vs tshark on the same capture of >= 1,000,000 packets.

    python benchmarks/network_traffic.py [--packets N] [--keep]

Writes benchmarks/.work/traffic-N.pcap (synthetic home traffic: ~30% DNS
queries/answers, TLS ClientHellos, HTTP requests, bulk TCP/UDP; 0.1% of names
are Echap C2 domains), then runs

  techsafe:  the streaming matcher with the full Echap feed (all indicators)
  tshark:    tshark -n -r FILE -Y 'dns.qry.name in {<every Echap C2 domain>}'

each in its own process, and prints packets per second and peak memory (max
RSS). tshark only matches exact DNS query names here; techsafe also matches
subdomains, answers, CNAMEs, TLS SNI, HTTP Host and C2 IPs, so it does more
work per packet. Needs Debian's `tshark` and ../shared beside the repository.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO / ".." / "shared"
ECHAP = SHARED / "indicators" / "echap"
WORK = REPO / "benchmarks" / ".work"


def echap_c2_domains() -> list[str]:
    import yaml

    out: set[str] = set()
    for name in ("ioc.yaml", "watchware.yaml"):
        for app in yaml.safe_load((ECHAP / name).read_text()) or ():
            c2 = app.get("c2") or {}
            out.update(d.lower() for d in c2.get("domains") or () if isinstance(d, str))
    return sorted(out)


def frames(c2: list[str], seed: int = 7) -> list[bytes]:
    """A pool of distinct frames to cycle through (built once with scapy)."""
    sys.path.insert(0, str(REPO / "tests" / "network"))
    from captures import PHONE_A, T0, client_hello, dns_answer, dns_query, tcp  # noqa: E402

    rnd = random.Random(seed)
    pool: list[bytes] = []
    for i in range(2000):
        name = c2[i % len(c2)] if i % 1000 == 0 else f"host{rnd.randrange(10**6)}.example{i % 50}.com"
        r = rnd.random()
        if r < 0.15:
            pool.append(bytes(dns_query(T0, PHONE_A, name, qid=i % 60000 + 1)))
        elif r < 0.30:
            pool.append(bytes(dns_answer(T0, PHONE_A, name, [(name, "A", f"198.51.100.{i % 250}")], qid=i % 60000 + 1)))
        elif r < 0.35:
            pool.append(bytes(tcp(T0, PHONE_A, f"198.51.100.{i % 250}", client_hello(name), sport=40000 + i % 20000)))
        elif r < 0.38:
            pool.append(bytes(tcp(T0, PHONE_A, "198.51.100.9", f"GET / HTTP/1.1\r\nHost: {name}\r\n\r\n".encode(), sport=30000 + i % 20000, dport=80)))
        else:
            pool.append(bytes(tcp(T0, PHONE_A, f"198.51.100.{i % 250}", b"\x17\x03\x03" + bytes(rnd.randrange(40, 1400)), sport=20000 + i % 20000)))
    return pool


def write_capture(path: Path, packets: int, pool: list[bytes]) -> None:
    head = struct.Struct("<IIII")
    with open(path, "wb", buffering=1 << 20) as fh:
        fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(packets):
            f = pool[i % len(pool)]
            fh.write(head.pack(1_700_000_000 + i // 1000, (i % 1000) * 1000, len(f), len(f)))
            fh.write(f)


def run_child(cmd: list[str]) -> tuple[float, int, bytes]:
    """(seconds, max RSS in KiB of that child alone, stdout), via wait4's rusage."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{cmd[0]} failed with status {proc.returncode}")
    return elapsed, usage.ru_maxrss, out


TECHSAFE_CHILD = """
import sys
from pathlib import Path
from techsafe.signatures import load_indicators
from techsafe.scanners.network.traffic import match_capture
ind = load_indicators([Path(sys.argv[2])], installed=False, catalogue=False)
with open(sys.argv[1], "rb") as fh:
    r = match_capture(fh, ind)
print(r.packets, len(r.contacts), sum(c.count for c in r.contacts))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--packets", type=int, default=1_000_000)
    ap.add_argument("--keep", action="store_true", help="keep the capture file")
    args = ap.parse_args()
    assert (ECHAP / "ioc.yaml").is_file(), f"Echap feed missing at {ECHAP}"
    tshark = shutil.which("tshark")
    assert tshark, "tshark not installed (Debian package tshark)"
    WORK.mkdir(parents=True, exist_ok=True)
    c2 = echap_c2_domains()
    path = WORK / f"traffic-{args.packets}.pcap"
    if not path.exists():
        write_capture(path, args.packets, frames(c2))
    size_mb = path.stat().st_size / 1e6
    print(f"capture: {path.name}, {args.packets} packets, {size_mb:.0f} MB; Echap C2 domains: {len(c2)}")

    t, rss, out = run_child([sys.executable, "-c", TECHSAFE_CHILD, str(path), str(ECHAP)])
    packets, contacts, hits = out.split()
    print(f"techsafe: {int(packets) / t:>10,.0f} packets/s  {t:6.1f} s  peak RSS {rss / 1024:6.0f} MiB  ({contacts.decode()} indicators, {hits.decode()} matching packets)")

    filt = "dns.qry.name in {" + ", ".join(f'"{d}"' for d in c2) + "}"
    t, rss, out = run_child([tshark, "-n", "-r", str(path), "-Y", filt, "-T", "fields", "-e", "dns.qry.name"])
    print(f"tshark:   {args.packets / t:>10,.0f} packets/s  {t:6.1f} s  peak RSS {rss / 1024:6.0f} MiB  ({len(out.splitlines())} matching packets, exact query names only)")
    if not args.keep:
        path.unlink()


if __name__ == "__main__":
    main()
