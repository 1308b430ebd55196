"""The steps every command shares after artifacts exist: analyze, record, seal."""

from __future__ import annotations

from typing import TYPE_CHECKING

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


def analyze_and_seal(case: "Case", indicators: "IndicatorSet", extra_gaps: tuple[NotChecked, ...] = ()) -> Analysis:
    """Analyze every artifact in the case, write findings.json, record the
    signature sources used, and write the manifest (signed when possible)."""
    import time

    t0 = time.monotonic()
    analysis = pipeline.analyze_case(case, indicators)
    if extra_gaps:
        analysis = pipeline.merge([analysis, Analysis((), extra_gaps)])
    case.update_info(signature_sources=[f.to_json() for f in indicators.feeds])
    case.write_findings(analysis)
    case.log("analyze", findings=len(analysis.findings), not_checked=len(analysis.not_checked), duration_s=round(time.monotonic() - t0, 3))
    seal(case)
    return analysis


def seal(case: "Case") -> None:
    try:
        from techsafe.report.sign import seal_case
    except ImportError:
        case.write_manifest()
        return
    seal_case(case)
