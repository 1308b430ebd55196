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


def ensure_intact(case: "Case", trusted_keys: tuple[str, ...] = ()) -> tuple[NotChecked, ...]:
    """Before re-analysing a saved case or adding to it: never analyse or
    re-seal changed evidence.

    A sealed case must match its manifest, signed by this laptop or by a key
    the operator vouches for (`--public-key`, the key printed in the case's
    report): re-sealing replaces the signature, so an unknown signer is never
    silently taken over. An unsealed case (a scan cut short) may hold only
    index records this laptop wrote for it (see techsafe/ledger.py). Any
    case's artifacts must match the SHA-256 each had when stored. A sealed
    case that changed in any way is refused, even when the change looks like
    an import killed half-way: that is exactly what a forger would imitate.
    Files written but never indexed are not read, and are said so.
    """
    from techsafe.case import MANIFEST, CaseError
    from techsafe.report.sign import fingerprint, verify_case

    check = verify_case(case.root, trusted_keys)
    unsealed = not (case.root / MANIFEST).exists()
    problems = [p for p in check.problems if not (unsealed and p.kind == "manifest")]
    if [p.kind for p in problems] == ["untrusted"]:
        raise CaseError(
            f"{case.root}: sealed by another laptop's key {fingerprint(check.signer)}, which this laptop does not "
            "know; techsafe will not re-seal it with its own key unless you vouch for that key: compare it with the "
            "key printed in the case's report, then add --public-key KEY"
        )
    messages = [p.message for p in problems]
    changed, unindexed = case.index_problems()
    messages += changed
    if messages:
        more = f" (and {len(messages) - 1} more)" if len(messages) > 1 else ""
        raise CaseError(
            f"{case.root}: {messages[0]}{more}. The case changed after it was recorded, so techsafe will not "
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
