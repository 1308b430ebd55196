"""Remediation playbooks: one YAML guide per finding kind (playbooks/<kind>.yaml).

A playbook is written for a caseworker and a survivor, not an engineer. The
order of its sections is fixed on purpose: safety first (changing anything may
alert the abuser), then "document first", then numbered steps each marked if
the abuser could notice, then how to check it worked and what to do when a
menu is not where the guide says. Every renderer (terminal, Markdown, HTML)
reads the same Playbook value, so the three cannot drift apart.

Lookup falls back from a kind to its family (android.app.stalkerware ->
android.app -> android -> general) so a new kind is never shown without any
guidance; the playbook test still demands a dedicated guide for every
registered kind.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from techsafe.paths import resource_dir

PLAYBOOK_SCHEMA = "techsafe.playbook/1"
COMMON_SCHEMA = "techsafe.playbook-common/1"
COMMON_FILE = "_common.yaml"
GENERAL_ID = "general"  # the last fallback: safe, generic advice
KIND_PATTERN = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
_MAX_FILE_BYTES = 256 * 1024

_TOP_KEYS = {
    "schema": str,
    "id": str,
    "title": str,
    "platform": str,
    "summary": str,
    "what_it_lets_them_do": list,
    "safety": list,
    "options_besides_removal": list,
    "document_first": list,
    "variants": list,
    "check_it_worked": list,
    "if_not_found": list,
}
_OPTIONAL_TOP = {"options_besides_removal"}


class PlaybookError(Exception):
    """A playbook file that cannot be used: one line naming the file and the problem."""


@dataclass(frozen=True)
class Step:
    text: str
    abuser_may_notice: bool
    notice_note: str = ""  # why/how the abuser could notice; required when they may

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "abuser_may_notice": self.abuser_may_notice, "notice_note": self.notice_note}


@dataclass(frozen=True)
class Variant:
    """Steps for one platform/maker/version, e.g. 'Samsung (One UI), Android 11 and newer'."""

    applies_to: str
    steps: tuple[Step, ...]

    def to_json(self) -> dict[str, Any]:
        return {"applies_to": self.applies_to, "steps": [s.to_json() for s in self.steps]}


@dataclass(frozen=True)
class Playbook:
    id: str
    title: str
    platform: str
    summary: str  # what this is, in one or two plain sentences
    what_it_lets_them_do: tuple[str, ...]
    safety: tuple[str, ...]  # shared safety points first, then this guide's own
    options_besides_removal: tuple[str, ...]
    document_first: tuple[str, ...]
    variants: tuple[Variant, ...]
    check_it_worked: tuple[str, ...]
    if_not_found: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "platform": self.platform,
            "summary": self.summary,
            "what_it_lets_them_do": list(self.what_it_lets_them_do),
            "safety": list(self.safety),
            "options_besides_removal": list(self.options_besides_removal),
            "document_first": list(self.document_first),
            "variants": [v.to_json() for v in self.variants],
            "check_it_worked": list(self.check_it_worked),
            "if_not_found": list(self.if_not_found),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Playbook":
        return cls(
            id=data["id"],
            title=data["title"],
            platform=data["platform"],
            summary=data["summary"],
            what_it_lets_them_do=tuple(data["what_it_lets_them_do"]),
            safety=tuple(data["safety"]),
            options_besides_removal=tuple(data.get("options_besides_removal", ())),
            document_first=tuple(data["document_first"]),
            variants=tuple(
                Variant(v["applies_to"], tuple(Step(s["text"], s["abuser_may_notice"], s.get("notice_note", "")) for s in v["steps"]))
                for v in data["variants"]
            ),
            check_it_worked=tuple(data["check_it_worked"]),
            if_not_found=tuple(data["if_not_found"]),
        )


# ---- loading -----------------------------------------------------------------


def playbook_dir() -> Path:
    return resource_dir("playbooks")


def candidates(kind: str) -> tuple[str, ...]:
    """kind, then each parent family, then the general guide."""
    parts = kind.split(".")
    chain = [".".join(parts[:i]) for i in range(len(parts), 0, -1)]
    if GENERAL_ID not in chain:
        chain.append(GENERAL_ID)
    return tuple(chain)


def load_playbook(kind: str, directory: Path | None = None) -> Playbook:
    """The dedicated playbook for `kind`, or the nearest family one.

    Compare the result's .id with `kind` to know whether it was a fallback.
    """
    if not KIND_PATTERN.match(kind or ""):
        raise PlaybookError(f"{kind!r}: not a finding kind (expected e.g. android.app.stalkerware)")
    directory = directory or playbook_dir()
    for candidate in candidates(kind):
        path = directory / f"{candidate}.yaml"
        if path.is_file():
            return _load_file(path, _common(directory))
    raise PlaybookError(f"{directory}: no playbook for {kind} and no {GENERAL_ID}.yaml fallback")


def has_dedicated_playbook(kind: str, directory: Path | None = None) -> bool:
    return bool(KIND_PATTERN.match(kind)) and ((directory or playbook_dir()) / f"{kind}.yaml").is_file()


def available_ids(directory: Path | None = None) -> list[str]:
    directory = directory or playbook_dir()
    return sorted(p.stem for p in directory.glob("*.yaml") if not p.name.startswith("_"))


def load_all(directory: Path | None = None) -> dict[str, Playbook]:
    """Every playbook in the folder, validated (used by the schema test and --list)."""
    directory = directory or playbook_dir()
    common = _common(directory)
    return {pid: _load_file(directory / f"{pid}.yaml", common) for pid in available_ids(directory)}


@dataclass(frozen=True)
class _Common:
    safety: tuple[str, ...]
    document_first: tuple[str, ...]


def _common(directory: Path) -> _Common:
    return _load_common(directory / COMMON_FILE, _mtime(directory / COMMON_FILE))


@functools.lru_cache(maxsize=8)
def _load_common(path: Path, _mtime_key: float) -> _Common:
    if not path.is_file():
        return _Common((), ())
    data = _read_yaml(path)
    if data.get("schema") != COMMON_SCHEMA:
        raise PlaybookError(f"{path}: schema must be {COMMON_SCHEMA}")
    return _Common(_strings(path, data, "safety"), _strings(path, data, "document_first"))


def _load_file(path: Path, common: _Common) -> Playbook:
    return _load_cached(path, _mtime(path), common)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


@functools.lru_cache(maxsize=256)
def _load_cached(path: Path, _mtime_key: float, common: _Common) -> Playbook:
    return parse_playbook(_read_yaml(path), path, common)


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PlaybookError(f"{path}: cannot read ({exc.strerror})") from None
    if len(raw) > _MAX_FILE_BYTES:
        raise PlaybookError(f"{path}: larger than {_MAX_FILE_BYTES} bytes")
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PlaybookError(f"{path}: not valid YAML ({first})") from None
    if not isinstance(data, dict):
        raise PlaybookError(f"{path}: expected a mapping at the top level")
    return data


# ---- validation (the schema) ----------------------------------------------------


def parse_playbook(data: dict[str, Any], path: Path, common: _Common | None = None) -> Playbook:
    """Validate one playbook mapping; every problem is a one-line PlaybookError."""
    common = common or _Common((), ())
    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        raise PlaybookError(f"{path}: unknown key {unknown[0]!r}")
    for key, typ in _TOP_KEYS.items():
        if key not in data:
            if key in _OPTIONAL_TOP:
                continue
            raise PlaybookError(f"{path}: missing {key!r}")
        if not isinstance(data[key], typ):
            raise PlaybookError(f"{path}: {key!r} must be a {typ.__name__}")
    if data["schema"] != PLAYBOOK_SCHEMA:
        raise PlaybookError(f"{path}: schema must be {PLAYBOOK_SCHEMA}")
    pid = data["id"]
    if not KIND_PATTERN.match(pid) or path.stem != pid:
        raise PlaybookError(f"{path}: id {pid!r} must be a kind and match the file name")
    for key in ("title", "platform", "summary"):
        if not data[key].strip():
            raise PlaybookError(f"{path}: {key!r} is empty")
    variants = []
    for i, raw in enumerate(data["variants"], 1):
        variants.append(_variant(path, i, raw))
    if not variants:
        raise PlaybookError(f"{path}: 'variants' needs at least one set of steps")
    return Playbook(
        id=pid,
        title=data["title"].strip(),
        platform=data["platform"].strip(),
        summary=" ".join(data["summary"].split()),
        what_it_lets_them_do=_strings(path, data, "what_it_lets_them_do"),
        safety=common.safety + _strings(path, data, "safety"),
        options_besides_removal=_strings(path, data, "options_besides_removal", required=False),
        document_first=common.document_first + _strings(path, data, "document_first"),
        variants=tuple(variants),
        check_it_worked=_strings(path, data, "check_it_worked"),
        if_not_found=_strings(path, data, "if_not_found"),
    )


def _strings(path: Path, data: dict[str, Any], key: str, required: bool = True) -> tuple[str, ...]:
    value = data.get(key)
    if value is None and not required:
        return ()
    if not isinstance(value, list) or (required and not value):
        raise PlaybookError(f"{path}: {key!r} must be a non-empty list of sentences")
    out = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise PlaybookError(f"{path}: {key!r} holds an empty or non-text item")
        out.append(" ".join(item.split()))
    return tuple(out)


def _variant(path: Path, index: int, raw: Any) -> Variant:
    where = f"{path}: variants[{index}]"
    if not isinstance(raw, dict) or set(raw) - {"applies_to", "steps"}:
        raise PlaybookError(f"{where} must have only 'applies_to' and 'steps'")
    applies = raw.get("applies_to")
    if not isinstance(applies, str) or not applies.strip():
        raise PlaybookError(f"{where}: 'applies_to' is missing")
    steps_raw = raw.get("steps")
    if not isinstance(steps_raw, list) or not steps_raw:
        raise PlaybookError(f"{where}: 'steps' must be a non-empty list")
    steps = []
    for j, s in enumerate(steps_raw, 1):
        swhere = f"{where}.steps[{j}]"
        if not isinstance(s, dict) or set(s) - {"text", "abuser_may_notice", "notice_note"}:
            raise PlaybookError(f"{swhere} must have only text, abuser_may_notice, notice_note")
        text = s.get("text")
        if not isinstance(text, str) or not text.strip():
            raise PlaybookError(f"{swhere}: 'text' is missing")
        notice = s.get("abuser_may_notice")
        if not isinstance(notice, bool):
            # Forcing an explicit true/false makes every author think about it.
            raise PlaybookError(f"{swhere}: 'abuser_may_notice' must be true or false")
        note = s.get("notice_note", "")
        if notice and (not isinstance(note, str) or not note.strip()):
            raise PlaybookError(f"{swhere}: say how the abuser could notice ('notice_note')")
        steps.append(Step(" ".join(text.split()), notice, " ".join(str(note or "").split())))
    return Variant(" ".join(applies.split()), tuple(steps))


# ---- rendering -----------------------------------------------------------------

NOTICE_LABEL = "The abuser may notice"
QUIET_LABEL = "Unlikely to be noticed"


def render_markdown(playbook: Playbook, heading_level: int = 2) -> str:
    h = "#" * heading_level
    sub = "#" * (heading_level + 1)
    lines = [f"{h} {md_escape(playbook.title)}", "", md_escape(playbook.summary), ""]
    lines += [f"{sub} What it lets someone see or do", ""] + [f"- {md_escape(x)}" for x in playbook.what_it_lets_them_do]
    lines += ["", f"{sub} Safety first", ""] + [f"- {md_escape(x)}" for x in playbook.safety]
    if playbook.options_besides_removal:
        lines += ["", "Options besides removing it:", ""]
        lines += [f"- {md_escape(x)}" for x in playbook.options_besides_removal]
    lines += ["", f"{sub} Document first", ""] + [f"- {md_escape(x)}" for x in playbook.document_first]
    for variant in playbook.variants:
        lines += ["", f"{sub} Steps: {md_escape(variant.applies_to)}", ""]
        for n, step in enumerate(variant.steps, 1):
            mark = f"**{NOTICE_LABEL}:** {md_escape(step.notice_note)}" if step.abuser_may_notice else f"*{QUIET_LABEL}.*"
            lines.append(f"{n}. {md_escape(step.text)}  ")
            lines.append(f"   {mark}")
    lines += ["", f"{sub} Check it worked", ""] + [f"- {md_escape(x)}" for x in playbook.check_it_worked]
    lines += ["", f"{sub} If a step is not where described", ""] + [f"- {md_escape(x)}" for x in playbook.if_not_found]
    return "\n".join(lines) + "\n"


def md_escape(text: str) -> str:
    """Neutralise Markdown/HTML syntax in text (device strings are hostile too)."""
    text = text.replace("\\", "\\\\")
    text = re.sub(r"([`*_\[\]<>#|!])", r"\\\1", text)
    return text.replace("\n", " ")


def render_html(playbook: Playbook, heading_level: int = 2) -> str:
    """An HTML fragment (<section>), autoescaped; the report embeds it as is."""
    from techsafe.report.templating import environment

    return environment().get_template("playbook.html.j2").render(pb=playbook.to_json(), level=heading_level)


def render_html_page(playbook: Playbook) -> str:
    from techsafe.report.templating import environment

    return environment().get_template("playbook_page.html.j2").render(pb=playbook.to_json(), level=2)


def render_terminal(playbook: Playbook):
    """A rich renderable (print it with a rich Console)."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    parts: list[Any] = [Text(playbook.title, style="bold"), Text(playbook.summary), Text("")]

    def bullets(title: str, items: tuple[str, ...], style: str = "bold") -> None:
        parts.append(Text(title, style=style))
        for item in items:
            parts.append(Text("  • " + item))
        parts.append(Text(""))

    bullets("What it lets someone see or do", playbook.what_it_lets_them_do)
    safety = list(playbook.safety)
    if playbook.options_besides_removal:
        safety += ["Options besides removing it: " + " ".join(playbook.options_besides_removal)]
    parts.append(Panel(Group(*(Text("• " + s) for s in safety)), title="Safety first", border_style="red"))
    parts.append(Text(""))
    bullets("Document first", playbook.document_first)
    for variant in playbook.variants:
        parts.append(Text(f"Steps: {variant.applies_to}", style="bold"))
        for n, step in enumerate(variant.steps, 1):
            parts.append(Text(f"  {n}. {step.text}"))
            if step.abuser_may_notice:
                parts.append(Text(f"     ⚠ {NOTICE_LABEL}: {step.notice_note}", style="yellow"))
            else:
                parts.append(Text(f"     {QUIET_LABEL}.", style="dim"))
        parts.append(Text(""))
    bullets("Check it worked", playbook.check_it_worked)
    bullets("If a step is not where described", playbook.if_not_found)
    return Group(*parts)


def render_text(playbook: Playbook, width: int = 100) -> str:
    """Plain text of the terminal rendering (for tests and pipes)."""
    from rich.console import Console

    console = Console(width=width, record=True, color_system=None, file=_NullFile())
    console.print(render_terminal(playbook))
    return console.export_text()


class _NullFile:
    def write(self, _s: str) -> int:
        return 0

    def flush(self) -> None:
        pass
