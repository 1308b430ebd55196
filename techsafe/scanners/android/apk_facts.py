"""APK facts for the analyzer: what the pulled app files say about each app.

Reads the case's APK artifacts ({"format": "apk", "package": ...}) and the
pull log ({"format": "apk-pull"}) written by apks.py, and turns each APK into
ApkFacts: hash, signing certificates, YARA hits on its code. Pure with respect
to the phone: everything comes from the case, so `techsafe analyze CASE`
re-runs it with new rules and certificates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from techsafe.scanners.android.apk_identity import ApkError, ApkIdentity, iter_code_files, read_identity
from techsafe.scanners.android.yara_scan import YaraHit

if TYPE_CHECKING:
    from techsafe.case import Case
    from techsafe.signatures import IndicatorSet

PULL_LOG_NAME = "apks/pull.json"
YARA_TIMEOUT_S = 10


@dataclass(frozen=True)
class ApkInput:
    package: str
    artifact: str  # case-relative path
    sha256: str  # as recorded when stored
    size: int
    read: Callable[[], bytes] = field(compare=False, repr=False, default=lambda: b"")


@dataclass(frozen=True)
class NotPulled:
    package: str
    reason: str  # plain words, no personal data


@dataclass(frozen=True)
class ApkInputs:
    apks: tuple[ApkInput, ...] = ()
    not_pulled: tuple[NotPulled, ...] = ()
    pull_log: str = ""  # artifact path of the pull log, "" when no pull was recorded
    mode: str = ""  # none | suspicious | all, from the pull log


@dataclass(frozen=True)
class ApkFacts:
    package: str
    artifact: str
    identity: ApkIdentity | None  # None when the file is not a readable APK
    yara: tuple[YaraHit, ...] = ()
    problems: tuple[str, ...] = ()  # what could not be examined in this file


@dataclass(frozen=True)
class ApkFactSet:
    """Everything the identity checks read, computed once per analysis."""

    by_package: dict[str, tuple[ApkFacts, ...]] = field(default_factory=dict, hash=False)
    not_pulled: tuple[NotPulled, ...] = ()
    rules_problem: str = ""  # the YARA rules could not be used
    recorded: bool = False  # the case records an APK pull (or holds APKs)
    mode: str = ""

    @classmethod
    def build(cls, inputs: "ApkInputs | None", indicators: "IndicatorSet") -> "ApkFactSet":
        if inputs is None:
            return cls()
        facts, problem = read_apk_facts(inputs, indicators)
        by_package: dict[str, tuple[ApkFacts, ...]] = {}
        for f in facts:
            by_package[f.package] = by_package.get(f.package, ()) + (f,)
        return cls(by_package, inputs.not_pulled, problem, bool(inputs.pull_log or inputs.apks), inputs.mode)


def apk_inputs(case: "Case") -> ApkInputs:
    """The APK artifacts and pull log in a case (nothing is read yet)."""
    apks: list[ApkInput] = []
    not_pulled: list[NotPulled] = []
    log_path, mode = "", ""
    for rec in case.artifacts("android"):
        fmt = rec.meta.get("format")
        if fmt == "apk" and isinstance(rec.meta.get("package"), str) and rec.complete:
            apks.append(ApkInput(rec.meta["package"], rec.path, rec.sha256, rec.size,
                                 read=lambda path=rec.path: case.read_artifact(path)))
        elif fmt == "apk-pull":
            log_path = rec.path
            try:
                log = json.loads(case.read_artifact(rec.path))
                mode = str(log.get("mode", ""))
                for item in log.get("packages", ()):
                    if item.get("status") != "pulled":
                        not_pulled.append(NotPulled(str(item.get("package", "?"))[:255], str(item.get("reason", "not copied"))[:200]))
            except (ValueError, AttributeError, TypeError):
                not_pulled.append(NotPulled("?", "the record of which app files were copied is unreadable"))
    return ApkInputs(tuple(apks), tuple(not_pulled), log_path, mode)


def read_apk_facts(inputs: ApkInputs, indicators: "IndicatorSet") -> tuple[tuple[ApkFacts, ...], str]:
    """(facts for every APK, a problem with the YARA rules or "")."""
    from techsafe.scanners.android import yara_scan

    rules, sources, rules_problem = None, (), ""
    if inputs.apks:
        sources = yara_scan.rule_sources(indicators)
        try:
            rules = yara_scan.compiled_rules(sources)
        except yara_scan.RulesUnavailable as exc:
            rules_problem = str(exc)
    return tuple(_one(apk, rules, sources) for apk in inputs.apks), rules_problem


def _one(apk: ApkInput, rules, sources) -> ApkFacts:
    try:
        data = apk.read()
    except OSError:
        return ApkFacts(apk.package, apk.artifact, None, (), ("the stored app file cannot be read",))
    try:
        identity = read_identity(data)
    except ApkError as exc:
        return ApkFacts(apk.package, apk.artifact, None, (), (f"not a readable APK: {exc}",))
    problems = list(identity.problems)
    hits: list[YaraHit] = []
    if rules is not None:
        hits, more = _yara(rules, sources, data)
        problems += more
    return ApkFacts(apk.package, apk.artifact, identity, tuple(hits), tuple(problems))


def _yara(rules, sources, data: bytes) -> tuple[list[YaraHit], list[str]]:
    import yara

    from techsafe.scanners.android.yara_scan import scan_bytes

    hits: list[YaraHit] = []
    problems: list[str] = []
    try:
        for name, raw, problem in iter_code_files(data):
            if raw is None:
                problems.append(f"{name[:80]}: {problem}")
                continue
            try:
                hits += scan_bytes(rules, sources, raw, name, YARA_TIMEOUT_S)
            except yara.TimeoutError:
                problems.append(f"{name[:80]}: the code scan took too long")
            except yara.Error as exc:
                problems.append(f"{name[:80]}: the code scan failed ({str(exc)[:80]})")
    except ApkError as exc:
        problems.append(f"the app's code could not be read ({exc})")
    return hits, problems
