"""The evidence report as one plain value (dict of lists/strings).

Every format is rendered from this value: JSON writes it as is, Markdown and
HTML lay it out, CSV writes its timeline. Redaction works on it once, so all
formats carry the same content and the same tokens.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from techsafe import __version__
from techsafe.case import Case, CaseError
from techsafe.model import Analysis, Severity, sort_findings
from techsafe.report.areas import area_name

REPORT_SCHEMA = "techsafe.report/1"
ATTENTION = Severity.MEDIUM  # this severity and above "needs attention"

SEVERITY_MEANING = {
    "critical": "Known spyware or a tracker travelling with the survivor. Plan before acting.",
    "high": "Lets someone else watch or control the phone.",
    "medium": "Could be used to watch; check whether the survivor knows about it.",
    "low": "Worth knowing; rarely a risk on its own.",
    "info": "Background information.",
}


NOTHING_CHECKED = "Nothing could be checked — see \"What could not be checked\""


class ReportError(Exception):
    """A case that cannot be reported on (one-line reason naming the case)."""


def build_report(
    case: Case,
    *,
    now: dt.datetime | None = None,
    integrity: dict[str, Any] | None = None,
    public_key: str | None = None,
) -> dict[str, Any]:
    """Collect everything the report shows. Reads only the case folder and playbooks.

    `integrity` is the result of verifying the case before this report
    (see commands/report.py); `public_key` defaults to this installation's.
    """
    from techsafe.playbooks import PlaybookError, load_playbook
    from techsafe.report.sign import fingerprint, public_key_text

    try:
        analysis = case.read_findings()
        info = case.info
    except (CaseError, ValueError, OSError) as exc:
        raise ReportError(str(exc).splitlines()[0] if str(exc) else f"{case.root}: unreadable case") from None
    if analysis is None:
        raise ReportError(f"{case.root}: no findings.json yet; run `techsafe analyze {case.root}` first")

    now = now or dt.datetime.now(dt.timezone.utc)
    public_key = public_key or public_key_text()

    playbooks: dict[str, Any] = {}
    findings = []
    for number, f in enumerate(sort_findings(analysis.findings), 1):
        try:
            pb = load_playbook(f.playbook or f.kind)
        except PlaybookError:
            pb = load_playbook("general")  # a finding is never shown without guidance
        playbooks.setdefault(pb.id, pb.to_json())
        findings.append(
            {
                "number": number,
                "kind": f.kind,
                "severity": f.severity.label,
                "title": f.title,
                "subject": f.subject,
                "meaning": pb.summary,
                "evidence": [e.to_json() for e in f.evidence],
                "indicator": f.indicator.to_json() if f.indicator else None,
                "facts": [{"name": k, "label": k.replace("_", " ").capitalize(), "value": v} for k, v in f.facts],
                "playbook_id": pb.id,
                "playbook_title": pb.title,
                "playbook_is_fallback": pb.id != (f.playbook or f.kind),
            }
        )

    case_id = str(info.get("case_id", case.root.name))
    created = _times(info.get("created", ""))
    return {
        "schema": REPORT_SCHEMA,
        "redacted": False,
        "simulated": info.get("simulated") is True,  # made by `techsafe demo`
        # The first lines of the HTML and Markdown report: which case, when, which device.
        "header": {"case_id": case_id, "date": created["utc"], "device": describe_device(analysis.device)},
        "summary": summarize(analysis),
        "findings": findings,
        "device": [{"name": k, "value": v} for k, v in analysis.device],
        "timeline": [t.to_json() for t in analysis.timeline],
        "checked": list(analysis.checked),
        "checked_areas": [{"area": a, "name": area_name(a)} for a in analysis.checked],
        "not_checked": [n.to_json() for n in analysis.not_checked],
        "case": {
            "case_id": case_id,
            "created": created,
            "operator": str(info.get("operator", "")),
            "tool_version": str(info.get("tool_version", "")),
        },
        "generated": {**_times(now), "tool": "techsafe", "tool_version": __version__},
        "signature_sources": [_source(s) for s in info.get("signature_sources") or () if isinstance(s, dict)],
        "signing": {"public_key": public_key, "fingerprint": fingerprint(public_key)},
        "integrity": integrity or {"status": "not verified", "problems": [], "warning": ""},
        "artifacts": [
            {
                "path": r.path,
                "sha256": r.sha256,
                "size": r.size,
                "command": r.command,
                "started": r.started,
                "complete": r.complete,
                "error": r.error,
            }
            for r in case.artifacts()
        ],
        "playbooks": playbooks,
    }


def summarize(analysis: Analysis) -> dict[str, Any]:
    attention = sum(1 for f in analysis.findings if f.severity >= ATTENTION)
    context = len(analysis.findings) - attention
    gaps = len(analysis.not_checked)
    nothing_checked = not analysis.checked
    if attention:
        headline = f"{attention} thing{'s' if attention != 1 else ''} need{'s' if attention == 1 else ''} attention"
    elif nothing_checked:
        # Never "no problems" when no area could be checked at all.
        headline = NOTHING_CHECKED
    elif context:
        headline = f"Nothing urgent found; {context} thing{'s' if context != 1 else ''} to know about"
    else:
        headline = "No problems found in the areas that were checked"
    lines = []
    if context and attention:
        lines.append(f"{context} more for context (low or info).")
    elif context and nothing_checked:
        lines.append(f"{context} thing{'s' if context != 1 else ''} to know about (low or info).")
    if gaps:
        lines.append(
            f"{gaps} area{'s' if gaps != 1 else ''} could not be checked. This is not an all clear: "
            "see \"What could not be checked\"."
        )
    elif nothing_checked:
        lines.append("No check ran on this case, so this report cannot say that anything is safe.")
    # Never let a report read as proof of safety.
    lines.append(
        "No tool finds everything. If the survivor still feels watched, trust that and keep safety planning."
    )
    return {
        "headline": headline,
        "nothing_checked": nothing_checked,
        "attention": attention,
        "context": context,
        "not_checked": gaps,
        "counts": analysis.counts,
        "lines": lines,
    }


def _times(value: dt.datetime | str) -> dict[str, str]:
    """UTC and the laptop's local time, both as text."""
    if isinstance(value, str):
        if not value:
            return {"utc": "", "local": ""}
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return {"utc": value, "local": ""}
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    utc = value.astimezone(dt.timezone.utc)
    local = value.astimezone()
    return {
        "utc": utc.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "local": local.strftime("%Y-%m-%d %H:%M:%S ") + (local.tzname() or local.strftime("%z")),
    }


def _source(s: dict[str, Any]) -> dict[str, str]:
    return {
        "name": str(s.get("name") or s.get("source") or s.get("id") or ""),
        "version": str(s.get("version", "")),
        "sha256": str(s.get("sha256", "")),
        "entries": _entries(s),
    }


# Counts a feed records that are not indicators (see signatures/records.py FeedInfo.counts).
_NOT_ENTRIES = frozenset({"indicators", "rejected_values", "unsupported_patterns", "network_rows", "families"})


def _entries(s: dict[str, Any]) -> str:
    """Indicator count of a signature source: `entries`/`count` when given, else
    counts["indicators"] (what `signatures status` shows), else the sum of its counts."""
    for key in ("entries", "count"):
        if s.get(key) not in (None, ""):
            return str(s[key])
    counts = s.get("counts")
    if not isinstance(counts, dict):
        return ""
    numbers = {k: v for k, v in counts.items() if isinstance(v, int) and not isinstance(v, bool)}
    if "indicators" in numbers:
        return str(numbers["indicators"])
    summed = [v for k, v in numbers.items() if k not in _NOT_ENTRIES]
    return str(sum(summed)) if summed else ""


def describe_device(device: tuple[tuple[str, str], ...]) -> str:
    """One line naming the scanned phone by make, model and system version (no
    personal name), e.g. "samsung SM-G991B, Android 13"; or what was scanned instead."""
    facts = {k: v for k, v in device if isinstance(v, str) and v.strip()}
    model = " ".join(facts[k] for k in ("manufacturer", "model") if k in facts)
    system = ""
    if "android_version" in facts:
        system = f"Android {facts['android_version']}"
    elif "ios_version" in facts:
        system = f"iOS {facts['ios_version']}"
    text = ", ".join(p for p in (model, system) if p)
    if text:
        return text
    if any(k.startswith("ble.") for k in facts):
        return "no phone (Bluetooth tracker sweep)"
    if any(k.startswith("network.") for k in facts):
        return "no phone (home network)"
    return "no phone details recorded"
