"""Split a multi-service text dump into its `DUMP OF ...` sections.

Formats (all produced by frameworks/native/cmds/dumpsys/dumpsys.cpp, which
prints a dashed line, then `DUMP OF SERVICE <name>:`, the service's output,
and since Android 8 a trailer `--------- 0.004s was the duration of dumpsys
<name>, ending at: <time>`):

- ISDi dump (shared captures/android/isdi/android7-full-dump.txt, Android 7):
  bare `DUMP OF SERVICE <name>` headers, no colon, no separators, then
  `DUMP OF SETTINGS <namespace>` headers followed by `settings list` output.
- androidqf dumpsys.txt (shared captures/android/mvt/androidqf/dumpsys.txt):
  `DUMP OF SERVICE <name>:` framed by dashed lines and duration trailers;
  contains binary bytes (callers decode with errors="replace").
- bugreport dumpstate.txt (shared captures/android/mvt/bugreport/dumpstate.txt,
  and AOSP frameworks/native/cmds/dumpstate): the same service blocks nested
  in `------ DUMPSYS (/system/bin/dumpsys) ------` sections; since Android 9
  headers may carry a priority, `DUMP OF SERVICE CRITICAL <name>:`. A
  `------ <title> ------` line ends the current service block.

A section runs from the line after its header to the next header, a duration
trailer or a bugreport `------ ... ------` line, whichever comes first;
trailing blank and all-dash lines are dropped. Sections are returned in
order, duplicates included: a hostile app that prints a fake `DUMP OF
SERVICE x` line into some other service's output creates an extra section,
so callers should parse *every* section of a name (see `sections_named`)
and merge, never pick just one.
"""

from __future__ import annotations

from dataclasses import dataclass

from techsafe.scanners.android.parsers._text import split_lines

_SERVICE = "DUMP OF SERVICE "
_SETTINGS = "DUMP OF SETTINGS "
_PRIORITIES = frozenset({"CRITICAL", "HIGH", "NORMAL"})
_NAME_MAX = 200


@dataclass(frozen=True)
class DumpSection:
    kind: str  # "service" or "settings"
    name: str  # service name ("package") or settings namespace ("secure")
    text: str  # body, without header and trailer
    first_line: int  # 1-based line (in the whole dump) where the body starts


def _header(line: str) -> tuple[str, str] | None:
    if line.startswith(_SERVICE):
        kind, rest = "service", line[len(_SERVICE):]
    elif line.startswith(_SETTINGS):
        kind, rest = "settings", line[len(_SETTINGS):]
    else:
        return None
    rest = rest.strip()
    if rest.endswith(":"):
        rest = rest[:-1].rstrip()
    words = rest.split()
    if len(words) == 2 and words[0] in _PRIORITIES:
        words = words[1:]
    if len(words) != 1 or len(words[0]) > _NAME_MAX:
        return None
    return kind, words[0]


def _ends_section(line: str) -> bool:
    if line.startswith("--------- ") and "was the duration of dumpsys" in line:
        return True
    # bugreport section markers: "------ TITLE (cmd) ------"
    return line.startswith("------ ") and line.endswith(" ------")


def _is_separator(line: str) -> bool:
    s = line.strip()
    return not s or (len(s) >= 10 and s.strip("-") == "")


def split_dump(text: str) -> list[DumpSection]:
    """Every `DUMP OF SERVICE` / `DUMP OF SETTINGS` section, in order.
    Text without any header gives an empty list (it is not a dump)."""
    lines = split_lines(text)
    sections: list[DumpSection] = []
    current: tuple[str, str, int] | None = None  # kind, name, index of first body line

    def close(end: int) -> None:
        assert current is not None
        kind, name, start = current
        while end > start and _is_separator(lines[end - 1]):
            end -= 1
        sections.append(DumpSection(kind, name, "\n".join(lines[start:end]), start + 1))

    for i, line in enumerate(lines):
        head = _header(line) if line.startswith("DUMP OF ") else None
        if head is not None:
            if current is not None:
                close(i)
            current = (head[0], head[1], i + 1)
        elif current is not None and line.startswith("------") and _ends_section(line):
            close(i)
            current = None
    if current is not None:
        close(len(lines))
    return sections


def sections_named(sections: list[DumpSection], kind: str, name: str) -> list[DumpSection]:
    return [s for s in sections if s.kind == kind and s.name == name]
