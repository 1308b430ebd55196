"""Run one command and report its wall time and peak RSS (a helper that
measure.run_process starts with `python -S`).

Why a helper: Linux keeps a process's peak RSS across exec, so a tool started
straight from the (large) benchmark process would report the benchmark's own
memory. Spawned from this small process instead, its peak is its own (or this
helper's ~10 MB, whichever is larger).

    python -S spawn_measured.py RESULT.json TIMEOUT_S ARGV...
"""

import json
import os
import signal
import sys
import time


def main() -> None:
    result, timeout_s, argv = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    t0 = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ)
    timed_out = []

    def kill(*_):
        timed_out.append(True)
        os.kill(pid, signal.SIGKILL)

    signal.signal(signal.SIGALRM, kill)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    signal.setitimer(signal.ITIMER_REAL, 0)
    with open(result, "w") as fh:
        json.dump({"wall_s": wall, "maxrss_kb": usage.ru_maxrss, "code": os.waitstatus_to_exitcode(status),
                   "timed_out": bool(timed_out)}, fh)


if __name__ == "__main__":
    main()
