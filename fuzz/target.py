"""Fuzz one parser target with atheris (libFuzzer) — run by fuzz/run.py.

    python fuzz/target.py NAME [libFuzzer args...]

The target table lives in tests/reliability/reliability_targets.py (shared
with the property tests). An exception outside the target's documented
error types is a crash; libFuzzer also reports hangs (-timeout) and memory
blow-ups (-rss_limit_mb) and saves the input that caused them.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "reliability"))

import atheris  # noqa: E402

with atheris.instrument_imports(include=["techsafe"]):
    import techsafe.scanners.android.parsers  # noqa: F401
    import techsafe.scanners.ios.parsers  # noqa: F401
    import techsafe.scanners.network.parse  # noqa: F401
    import techsafe.scanners.network.pcapfile  # noqa: F401
    import techsafe.scanners.trackers.captures  # noqa: F401
    import techsafe.scanners.trackers.decoders  # noqa: F401
    import techsafe.signatures.echap  # noqa: F401
    import techsafe.signatures.stix2  # noqa: F401

from reliability_targets import targets_by_name  # noqa: E402


def main() -> None:
    name = sys.argv.pop(1)
    target = targets_by_name()[name]

    def one_input(data: bytes) -> None:
        try:
            target.fn(data)
        except target.allowed:
            pass

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
