"""The check registry: a check is a small function registered once.

    @check("android", area="android.accessibility", kinds=("android.accessibility.enabled",))
    def enabled_accessibility(ctx): ...

A check reads a platform context (lazy parsed facts) and yields Findings. If
the facts it needs are missing or unparseable the context raises Unavailable
and the runner records a visible NotChecked for the check's area instead of
silence. A check that raises Unavailable after yielding keeps those findings (made
from what could be read) and its area is still listed as not checked. A check
that crashes on hostile input is reported as not checked too: one bad
section never loses the rest of the scan.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from techsafe.model import Finding, NotChecked

# Modules that register checks, imported on demand (keeps `techsafe --help` fast).
CHECK_MODULES: dict[str, tuple[str, ...]] = {
    "android": ("techsafe.scanners.android.checks",),
    "ios": ("techsafe.scanners.ios.checks",),
    "trackers": ("techsafe.scanners.trackers.checks",),
    "network": ("techsafe.scanners.network.checks",),
}


class Unavailable(Exception):
    """Raised by a context when the facts a check needs could not be read."""

    def __init__(self, reason: str, artifact: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.artifact = artifact


class NotApplicable(Exception):
    """Raised by a check whose subject is absent from this input (e.g. no app
    files were copied): its area is neither "checked" (nothing was read, so it
    must not count towards "something could be checked") nor listed again
    as not checked. Only for areas whose gap another area already reports."""


@dataclass(frozen=True)
class Check:
    platform: str
    area: str
    kinds: tuple[str, ...]
    func: Callable[[Any], Iterable[Finding]]

    @property
    def name(self) -> str:
        return self.func.__name__


_REGISTRY: list[Check] = []


def check(platform: str, *, area: str, kinds: tuple[str, ...]) -> Callable:
    def register(func: Callable[[Any], Iterable[Finding]]) -> Callable[[Any], Iterable[Finding]]:
        _REGISTRY.append(Check(platform, area, tuple(kinds), func))
        return func

    return register


def declare_kinds(platform: str, area: str, kinds: tuple[str, ...]) -> None:
    """For scanners whose findings are not produced by a per-context check
    (e.g. streaming traffic matching): the kinds still need playbooks."""
    _REGISTRY.append(Check(platform, area, tuple(kinds), lambda ctx: ()))


def load(platform: str | None = None) -> list[Check]:
    platforms = [platform] if platform else list(CHECK_MODULES)
    for p in platforms:
        for mod in CHECK_MODULES.get(p, ()):
            try:
                importlib.import_module(mod)
            except ModuleNotFoundError as exc:
                if exc.name != mod:
                    raise
    return [c for c in _REGISTRY if platform is None or c.platform == platform]


def registered_kinds() -> set[str]:
    return {k for c in load() for k in c.kinds}


def run_checks(platform: str, ctx: Any) -> tuple[list[Finding], list[NotChecked], list[str]]:
    findings: list[Finding] = []
    gaps: dict[tuple[str, str], NotChecked] = {}
    checked: dict[str, None] = {}
    for c in load(platform):
        produced: list[Finding] = []
        try:
            for f in c.func(ctx):
                produced.append(f)
        except Unavailable as exc:
            # Findings made from what was read before the gap stand; the area is not checked.
            gaps.setdefault((c.area, exc.reason), NotChecked(c.area, exc.reason, exc.artifact))
        except NotApplicable:
            continue
        except Exception as exc:  # hostile input must not end the scan
            gaps.setdefault(
                (c.area, c.name),
                NotChecked(c.area, f"check {c.name} failed on this input ({type(exc).__name__})"),
            )
            continue
        else:
            checked.setdefault(c.area, None)
        for f in produced:
            if f.kind not in c.kinds:
                raise AssertionError(f"check {c.name} emitted unregistered kind {f.kind}")
            findings.append(f)
    return findings, list(gaps.values()), [a for a in checked if all(g.area != a for g in gaps.values())]
