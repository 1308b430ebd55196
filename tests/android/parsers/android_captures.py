"""Helpers for the Android parser tests: read shared captures in place and
bound the time a parser may take."""

from __future__ import annotations

import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared"
CAPTURES = SHARED / "captures" / "android"


def read_capture(relative: str) -> str:
    path = CAPTURES / relative
    assert path.is_file(), f"shared capture missing: {path}"
    # androidqf's dumpsys.txt holds binary bytes: decode as the analyzer does
    return path.read_bytes().decode("utf-8", errors="replace")


class Timer:
    """`with Timer(0.5): ...` fails the test when the block is slower."""

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s
        self.elapsed = 0.0

    def __enter__(self) -> "Timer":
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.elapsed = time.perf_counter() - self.start
        if exc[0] is None:
            assert self.elapsed < self.limit_s, f"took {self.elapsed:.3f}s, limit {self.limit_s}s"
