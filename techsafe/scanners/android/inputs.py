"""From the artifacts in a case to the keyed texts the Android analyzer reads.

Whatever the origin (live adb, androidqf folder, ISDi-style dump, bugreport)
the analyzer sees the same keys as in commands.py: `getprop`, `packages`,
`dumpsys_package`, `settings_secure`... Each artifact record says in its meta
how to read it:

  {"format": "command", "key": KEY}      one command's raw output
  {"format": "dumpsys"}                  a text holding many `DUMP OF ...` sections
  {"format": "androidqf-packages"}       androidqf packages.json
  {"format": "text", "key": KEY}         a file that is one input (getprop.txt, settings_x.txt)

A file that was collected but cannot be read becomes a TextInput with
`unreadable` set, so the areas it feeds say why instead of "not in what was
collected": a dump with no section in it, or an input file sources.py saw
but did not store (a symlink, never followed; a NOT_READ_EVENT log entry
with the meta the file would have had).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from techsafe.model import Evidence

if TYPE_CHECKING:
    from techsafe.case import Case

MAX_EXCERPT = 200
NOT_READ_EVENT = "ingest.not_read"
# Key of a dump in which no section could be read: it stands for every key a
# dump can hold (DUMP_KEYS) that no other artifact supplied.
UNREADABLE_DUMP = "dump*"
DUMP_KEYS = ("dumpsys_", "settings_", "getprop")


@dataclass(frozen=True)
class TextInput:
    key: str
    text: str
    artifact: str  # case-relative path of the artifact the text comes from
    first_line: int = 1  # line of the artifact where `text` starts
    complete: bool = True
    error: str = ""
    # When one key gathers several sections of the same artifact (a dump that
    # repeats a service), (lines in this part, artifact line it starts at)
    # for each part after the first, so evidence lines stay exact.
    more_parts: tuple[tuple[int, int], ...] = ()
    unreadable: str = ""  # why the collected artifact cannot be read (then `text` is "")

    def artifact_line(self, line: int) -> int:
        """Line in the artifact of `line` (1-based) of this text."""
        if not self.more_parts:
            return self.first_line + line - 1  # one part: no need to count a (20 MB) text's lines
        first, length = self.first_line, self.text.count("\n") + 1
        for count, start in self.more_parts:
            length -= count
        if line <= length or not self.more_parts:
            return first + line - 1
        line -= length
        for count, start in self.more_parts:
            if line <= count:
                return start + line - 1
            line -= count
        return first + line - 1

    def joined(self, other: "TextInput") -> "TextInput":
        text = self.text + "\n" + other.text
        parts = self.more_parts + ((other.text.count("\n") + 1, other.first_line),)
        return TextInput(self.key, text, self.artifact, self.first_line, self.complete and other.complete,
                         self.error or other.error, parts)

    def evidence(self, needle: str, *, line: int | None = None, focus: str = "") -> Evidence:
        """Evidence pointing at the first line containing `needle` (or at a
        line already known, relative to this text). A long line is cut to a
        window around `focus` (default: the needle), so the part that proves
        the finding is always shown."""
        excerpt = needle
        if line is None and needle:
            pos = self.text.find(needle)
            if pos >= 0:
                line = self.text.count("\n", 0, pos) + 1
                start = self.text.rfind("\n", 0, pos) + 1
                end = self.text.find("\n", pos)
                excerpt = self.text[start : end if end >= 0 else len(self.text)].strip()
        return Evidence(self.artifact, _window(excerpt, focus or needle), None if line is None else self.artifact_line(line))


def _window(text: str, focus: str) -> str:
    if len(text) <= MAX_EXCERPT:
        return text
    at = text.find(focus) if focus else -1
    if at < 0 or at + len(focus) <= MAX_EXCERPT - 1:
        return text[: MAX_EXCERPT - 1] + "…"
    start = max(0, min(at - MAX_EXCERPT // 4, len(text) - (MAX_EXCERPT - 2)))
    return "…" + text[start : start + MAX_EXCERPT - 2] + ("…" if start + MAX_EXCERPT - 2 < len(text) else "")


def _settings_key(namespace: str) -> str:
    return f"settings_{namespace.strip().lower()}"


def _dumpsys_key(service: str) -> str:
    return "dumpsys_" + service.strip().rstrip(":").lower()


def _key(meta: dict) -> str:
    """The input key an artifact's meta names ("" for none)."""
    fmt = meta.get("format")
    if fmt == "androidqf-packages":
        return "androidqf_packages"
    if fmt == "dumpsys":
        return UNREADABLE_DUMP  # only ever offered for a dump that could not be read
    key = meta.get("key") if fmt in ("command", "text") else None
    return key if isinstance(key, str) else ""


def android_inputs(case: "Case") -> dict[str, TextInput]:
    from techsafe.scanners.android.parsers.bugreport import system_properties
    from techsafe.scanners.android.parsers.dump_sections import split_dump

    inputs: dict[str, TextInput] = {}

    def offer(item: TextInput) -> None:
        # First complete source wins; a complete one replaces a partial one,
        # a readable one an unreadable one.
        have = inputs.get(item.key)
        if have is None or (not item.unreadable, item.complete) > (not have.unreadable, have.complete):
            inputs[item.key] = item

    for entry in case.log_entries():
        if entry.get("event") == NOT_READ_EVENT and entry.get("platform") == "android":
            key = _key(entry)
            if key:
                reason = f"{str(entry.get('reason', 'not read'))[:80]}: {PurePosixPath(str(entry.get('name', ''))).name[:120]}"
                offer(TextInput(key, "", "", unreadable=reason))
    dump_read = False
    for rec in case.artifacts("android"):
        fmt = rec.meta.get("format")
        if fmt is None or fmt in ("apk", "apk-pull"):
            continue  # pulled APKs and their pull log are read by apk_facts, not as text
        text = case.read_artifact(rec.path).decode("utf-8", errors="replace")
        if fmt in ("command", "text", "androidqf-packages"):
            key = _key(rec.meta)
            if key:
                offer(TextInput(key, text, rec.path, 1, rec.complete, rec.error))
        elif fmt == "dumpsys":
            # A section name may repeat (a hostile app can print a fake
            # header): every part is read, so injected text cannot hide the real one.
            from_dump: dict[str, TextInput] = {}
            for section in split_dump(text):
                key = _settings_key(section.name) if section.kind == "settings" else _dumpsys_key(section.name)
                part = TextInput(key, section.text, rec.path, section.first_line, rec.complete, rec.error)
                from_dump[key] = from_dump[key].joined(part) if key in from_dump else part
            for item in from_dump.values():
                offer(item)
            # a bugreport's main file also carries getprop output in a titled block
            props = system_properties(text) if "------ SYSTEM PROPERTIES" in text else None
            if props is not None:
                offer(TextInput("getprop", props[0], rec.path, props[1], rec.complete, rec.error))
            if from_dump or props is not None:
                dump_read = True
            else:
                why = f"collected but unreadable: {PurePosixPath(rec.path).name} (no DUMP OF SERVICE section in it)"
                offer(TextInput(UNREADABLE_DUMP, "", rec.path, unreadable=why))
    if dump_read:
        # another dump was read: a second file without sections (a bugreport's
        # dumpstate_log.txt) says nothing about the keys that dump lacks
        inputs.pop(UNREADABLE_DUMP, None)
    return inputs
