"""YARA over the code inside an APK: the feed's rules.yar plus the team's rules.

Rules are compiled once and the compiled form cached under
paths.data_dir()/yara-cache/, keyed by the SHA-256 of every rule file (and the
libyara version), so a scan does not pay the compile cost again and a changed
rule file is recompiled. Every file is matched in memory with a timeout.

Each rule file gets its own YARA namespace, so the team and a feed may reuse a
rule name. A rule names its family by `meta: family = "..."`; otherwise the
rule name is shown (with the Echap rule names spelled as Echap names the app).
Rules with `meta: heuristic = true` describe behaviour, not one family.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from techsafe.signatures import IndicatorSet

DEFAULT_TIMEOUT_S = 10
TEAM_SOURCE = "techsafe-yara"

# Echap's rules.yar names rules in lower case; the report names the family as
# Echap's ioc.yaml does (display only: matching never depends on this table).
ECHAP_FAMILY_NAMES = {
    "snoopza": "Snoopza",
    "mspy": "mSpy",
    "spyhide": "SpyHide",
    "onetopspy": "1TopSpy",
    "ikeymonitor": "iKeyMonitor",
    "cerberus": "Cerberus",
    "viptelefonprogrami": "VIP Telefon Programı",
    "viptelefonprogrami_jkl": "VIP Telefon Programı",
    "android_police": "AndroidPolice",
    "tracku": "Tracku",
    "italianstalkerware": "Italian stalkerware",
    "tispy": "TiSpy",
}


@dataclass(frozen=True)
class RuleSource:
    path: Path
    namespace: str
    source: str  # feed name, or techsafe-yara for the team's rules
    version: str
    sha256: str


@dataclass(frozen=True)
class YaraHit:
    rule: str
    family: str
    source: str
    version: str
    entry: str  # file inside the APK, e.g. classes2.dex
    heuristic: bool = False
    description: str = ""


class RulesUnavailable(Exception):
    """The rules could not be compiled or loaded; the message says which file."""


def rule_sources(indicators: "IndicatorSet") -> tuple[RuleSource, ...]:
    """Every rule file the indicator set offers, with the feed it came from."""
    from techsafe import paths

    team_dir = (paths.resource_dir("signatures") / "yara").resolve()
    by_hash = {}
    for feed in indicators.feeds:
        for name, digest in feed.files:
            if name == "rules.yar":
                by_hash[digest] = (feed.name, feed.version)
    out = []
    for i, path in enumerate(indicators.yara_rule_files()):
        try:
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError:
            continue
        if Path(path).resolve().parent == team_dir:
            source, version = TEAM_SOURCE, digest[:12]
            namespace = "team_" + re.sub(r"\W", "_", Path(path).stem)
        else:
            source, version = by_hash.get(digest, ("indicator feed", digest[:12]))
            namespace = f"feed{i}_" + re.sub(r"\W", "_", source)[:40]
        out.append(RuleSource(Path(path), namespace, source, version, digest))
    return tuple(out)


_MEMORY: dict[str, Any] = {}
_LOCK = threading.Lock()


def cache_key(sources: tuple[RuleSource, ...]) -> str:
    import yara

    h = hashlib.sha256(f"yara {yara.__version__}\n".encode())
    for s in sources:
        h.update(f"{s.namespace} {s.sha256}\n".encode())
    return h.hexdigest()


def compiled_rules(sources: tuple[RuleSource, ...], cache_dir: Path | None = None):
    """yara.Rules for `sources`: from memory, else the on-disk cache, else compiled."""
    import yara

    if not sources:
        raise RulesUnavailable("no YARA rules are installed")
    key = cache_key(sources)
    with _LOCK:
        if key in _MEMORY:
            return _MEMORY[key]
        if cache_dir is None:
            from techsafe import paths

            cache_dir = paths.data_dir() / "yara-cache"
        cached = cache_dir / f"{key}.yarc"
        rules = None
        if cached.is_file():
            try:
                rules = yara.load(str(cached))
            except yara.Error:
                rules = None  # stale or damaged cache: compile again
        if rules is None:
            try:
                rules = yara.compile(filepaths={s.namespace: str(s.path) for s in sources})
            except yara.SyntaxError as exc:
                raise RulesUnavailable(f"a YARA rule file does not compile ({str(exc)[:160]})") from None
            except yara.Error as exc:
                raise RulesUnavailable(f"the YARA rules could not be compiled ({str(exc)[:160]})") from None
            _save(rules, cache_dir, cached)
        _MEMORY[key] = rules
        return rules


def _save(rules, cache_dir: Path, target: Path) -> None:
    try:
        cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".tmp-", suffix=".yarc")
        os.close(fd)
        rules.save(tmp)
        os.replace(tmp, target)
    except Exception:  # a cache is an optimisation: never fail a scan for it
        try:
            os.unlink(tmp)  # type: ignore[possibly-undefined]
        except Exception:
            pass


def scan_bytes(rules, sources: tuple[RuleSource, ...], data: bytes, entry: str,
               timeout_s: int = DEFAULT_TIMEOUT_S) -> list[YaraHit]:
    """Matches of `rules` on one file's bytes. Raises yara.TimeoutError / yara.Error."""
    by_ns = {s.namespace: s for s in sources}
    hits = []
    for m in rules.match(data=data, timeout=max(1, int(timeout_s))):
        src = by_ns.get(m.namespace)
        meta = m.meta or {}
        family = str(meta.get("family") or ECHAP_FAMILY_NAMES.get(m.rule) or m.rule)
        hits.append(
            YaraHit(
                rule=m.rule,
                family=family[:100],
                source=src.source if src else m.namespace,
                version=src.version if src else "",
                entry=entry,
                heuristic=str(meta.get("heuristic", "")).lower() in ("true", "1", "yes"),
                description=str(meta.get("description", ""))[:300],
            )
        )
    return hits
