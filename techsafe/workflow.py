"""The steps every command shares after artifacts exist: analyze, record, seal."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from techsafe import pipeline
from techsafe.model import Analysis, NotChecked

if TYPE_CHECKING:
    from techsafe.case import Case
    from techsafe.signatures import IndicatorSet


def load_indicators() -> "IndicatorSet":
    from techsafe.signatures import load_indicators as load

    return load()


def feed_warning(indicators: "IndicatorSet") -> str | None:
    ok, message = indicators.stalkerware_feed_status()
    return None if ok else message


def ensure_intact(case: "Case") -> tuple[NotChecked, ...]:
    """Before re-analysing a saved case: never analyse or re-seal changed evidence.

    A sealed case must match its manifest (another laptop's signature is fine:
    cases are handed over). Any case's artifacts must match the SHA-256 each
    had when stored. Files written but never indexed (a scan killed at that
    instant, or planted) are not read, and are said so.
    """
    from techsafe.case import MANIFEST, CaseError
    from techsafe.report.sign import verify_case

    # Acceptable: no manifest at all (a scan interrupted before sealing) and a
    # signature by another laptop (cases are handed over). A manifest deleted
    # from a case sealed on this laptop is reported as tampering by verify_case.
    unsealed = not (case.root / MANIFEST).exists()
    problems = [p.message for p in verify_case(case.root).problems
                if p.kind != "untrusted" and not (unsealed and p.kind == "manifest")]
    changed, unindexed = case.index_problems()
    problems += changed
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise CaseError(
            f"{case.root}: {problems[0]}{more}. The case changed after it was recorded, so techsafe will not "
            f"analyze or re-seal it; `techsafe case verify {case.root}` lists every change."
        )
    return tuple(NotChecked("case", f"{rel} was written but never recorded (an interrupted scan?); it was not used", rel)
                 for rel in unindexed)


def analyze_and_seal(case: "Case", indicators: "IndicatorSet", extra_gaps: tuple[NotChecked, ...] = ()) -> Analysis:
    """Analyze every artifact in the case, write findings.json (earlier
    results move to history/), record the signature sources used, and write
    the manifest (signed when possible)."""
    import time

    t0 = time.monotonic()
    analysis = pipeline.analyze_case(case, indicators)  # reads only: a Ctrl-C up to here changes nothing
    if extra_gaps:
        analysis = pipeline.merge([analysis, Analysis((), extra_gaps)])
    with _finish_before_ctrl_c():  # from the first write to the seal: a case half re-written would not match its seal
        previous = case.archive_previous_results()
        if previous:
            case.log("reanalyze.archived", to=previous)
        case.update_info(signature_sources=[f.to_json() for f in indicators.feeds])
        case.write_findings(analysis)
        case.log("analyze", findings=len(analysis.findings), not_checked=len(analysis.not_checked),
                 duration_s=round(time.monotonic() - t0, 3))
        seal(case)
    return analysis


@contextmanager
def _finish_before_ctrl_c() -> Iterator[None]:
    """Ignore Ctrl-C (SIGINT) while the block runs (milliseconds): once it is
    done the case is complete and sealed, so there is nothing left to stop."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def seal(case: "Case") -> None:
    try:
        from techsafe.report.sign import seal_case
    except ImportError:
        case.write_manifest()
        return
    seal_case(case)
