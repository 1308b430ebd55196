"""The one data model shared by every scanner, analyzer and report.

Everything here is a frozen dataclass: analysis is a pure function from
artifacts to these values, and reports only read them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Iterable

FINDINGS_SCHEMA = "techsafe.findings/1"


class Severity(enum.IntEnum):
    """DESIGN.md rubric. Higher value = more urgent, so max() and sorting work."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}") from None


@dataclass(frozen=True)
class Evidence:
    """Where a finding comes from: an artifact (path relative to the case) and
    the line or key in it that proves it."""

    artifact: str
    excerpt: str = ""
    line: int | None = None  # 1-based line in the artifact, when known

    def to_json(self) -> dict[str, Any]:
        return {"artifact": self.artifact, "line": self.line, "excerpt": self.excerpt}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Evidence":
        return cls(artifact=data["artifact"], excerpt=data.get("excerpt", ""), line=data.get("line"))


@dataclass(frozen=True)
class IndicatorMatch:
    """A signature entry that matched: which feed, its version, which entry."""

    source: str  # e.g. "echap", "stix2:cytrox.stix2", "techsafe-catalogue"
    version: str
    entry: str  # family / app name in the feed
    field: str  # what matched: package, certificate, sha256, domain, ip, yara...
    value: str

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "version": self.version,
            "entry": self.entry,
            "field": self.field,
            "value": self.value,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "IndicatorMatch":
        return cls(**{k: data[k] for k in ("source", "version", "entry", "field", "value")})


@dataclass(frozen=True)
class Finding:
    kind: str  # stable id, e.g. android.accessibility.enabled
    severity: Severity
    title: str  # one plain-language sentence a caseworker can read aloud
    subject: str  # package id, setting, tracker id, host
    evidence: tuple[Evidence, ...] = ()
    indicator: IndicatorMatch | None = None
    playbook: str = ""  # defaults to kind
    # Extra plain facts for reports (installer, install time, permissions...).
    facts: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.playbook:
            object.__setattr__(self, "playbook", self.kind)

    def fact(self, name: str, default: str = "") -> str:
        return dict(self.facts).get(name, default)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity.label,
            "title": self.title,
            "subject": self.subject,
            "evidence": [e.to_json() for e in self.evidence],
            "indicator": self.indicator.to_json() if self.indicator else None,
            "playbook": self.playbook,
            "facts": dict(self.facts),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Finding":
        return cls(
            kind=data["kind"],
            severity=Severity.parse(data["severity"]),
            title=data["title"],
            subject=data["subject"],
            evidence=tuple(Evidence.from_json(e) for e in data.get("evidence", ())),
            indicator=IndicatorMatch.from_json(data["indicator"]) if data.get("indicator") else None,
            playbook=data.get("playbook", ""),
            facts=tuple((str(k), str(v)) for k, v in (data.get("facts") or {}).items()),
        )


@dataclass(frozen=True)
class NotChecked:
    """A check that could not run, said out loud: never a silent 'all clear'."""

    area: str  # e.g. "android.accessibility"
    reason: str  # plain language
    artifact: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"area": self.area, "reason": self.reason, "artifact": self.artifact}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "NotChecked":
        return cls(area=data["area"], reason=data["reason"], artifact=data.get("artifact", ""))


@dataclass(frozen=True)
class TimelineEvent:
    """Something that happened at a known time (install, update, sighting, contact)."""

    time: str  # ISO 8601, UTC where known
    event: str  # e.g. "installed", "updated", "seen", "contacted"
    subject: str
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"time": self.time, "event": self.event, "subject": self.subject, "detail": self.detail}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TimelineEvent":
        return cls(time=data["time"], event=data["event"], subject=data["subject"], detail=data.get("detail", ""))


@dataclass(frozen=True)
class Analysis:
    """Everything analysis produced for one case: what findings.json holds."""

    findings: tuple[Finding, ...]
    not_checked: tuple[NotChecked, ...] = ()
    device: tuple[tuple[str, str], ...] = ()  # device facts: model, OS version...
    timeline: tuple[TimelineEvent, ...] = ()
    checked: tuple[str, ...] = ()  # areas that were checked

    @property
    def counts(self) -> dict[str, int]:
        out = {s.label: 0 for s in sorted(Severity, reverse=True)}
        for f in self.findings:
            out[f.severity.label] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": FINDINGS_SCHEMA,
            "device": dict(self.device),
            "counts": self.counts,
            "findings": [f.to_json() for f in self.findings],
            "not_checked": [n.to_json() for n in self.not_checked],
            "checked": list(self.checked),
            "timeline": [t.to_json() for t in self.timeline],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Analysis":
        schema = data.get("schema")
        if schema != FINDINGS_SCHEMA:
            raise ValueError(f"unsupported findings schema {schema!r} (expected {FINDINGS_SCHEMA})")
        return cls(
            findings=tuple(Finding.from_json(f) for f in data.get("findings", ())),
            not_checked=tuple(NotChecked.from_json(n) for n in data.get("not_checked", ())),
            device=tuple((str(k), str(v)) for k, v in (data.get("device") or {}).items()),
            timeline=tuple(TimelineEvent.from_json(t) for t in data.get("timeline", ())),
            checked=tuple(data.get("checked", ())),
        )


def sort_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Most urgent first, then stable by subject and kind (deterministic output)."""
    return tuple(sorted(findings, key=lambda f: (-f.severity, f.subject, f.kind, f.title)))


@dataclass(frozen=True)
class ArtifactRecord:
    """One raw output stored in the case, exactly as received."""

    path: str  # relative to the case folder, e.g. artifacts/android/getprop.txt
    sha256: str
    size: int
    source: str  # android, ios, trackers, network, import
    command: str  # the command or input that produced it
    started: str  # ISO 8601 UTC
    duration_s: float
    exit_status: int | None = None
    error: str = ""  # empty when complete
    complete: bool = True
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "size": self.size,
            "source": self.source,
            "command": self.command,
            "started": self.started,
            "duration_s": round(self.duration_s, 4),
            "exit_status": self.exit_status,
            "error": self.error,
            "complete": self.complete,
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ArtifactRecord":
        return cls(
            path=data["path"],
            sha256=data["sha256"],
            size=int(data["size"]),
            source=data.get("source", ""),
            command=data.get("command", ""),
            started=data.get("started", ""),
            duration_s=float(data.get("duration_s", 0.0)),
            exit_status=data.get("exit_status"),
            error=data.get("error", ""),
            complete=bool(data.get("complete", True)),
            meta=dict(data.get("meta") or {}),
        )
