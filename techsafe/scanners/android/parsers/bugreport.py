"""Blocks of a bugreport's main text file that are not `DUMP OF SERVICE`.

Format: frameworks/native/cmds/dumpstate/dumpstate.cpp (Android 7-15) runs
each step under a title line

    ------ SYSTEM PROPERTIES (getprop) ------
    [ro.build.version.sdk]: [34]
    ...
    ------ 0.083s was the duration of 'SYSTEM PROPERTIES' ------

so a block runs from the line after its title to the next `------ ... ------`
line. `main_entry.txt` in the zip names this file (bugreport-<device>-<date>.txt).
"""

from __future__ import annotations

from techsafe.scanners.android.parsers._text import split_lines


def titled_block(text: str, title: str) -> tuple[str, int] | None:
    """(body, 1-based first line) of the first `------ TITLE (...) ------` block."""
    lines = split_lines(text)
    start: int | None = None
    for i, line in enumerate(lines):
        if not (line.startswith("------ ") and line.endswith(" ------")):
            continue
        if start is not None:
            return "\n".join(lines[start:i]), start + 1
        inner = line[len("------ "):-len(" ------")]
        if inner == title or inner.startswith(title + " ("):
            start = i + 1
    if start is not None:
        return "\n".join(lines[start:]), start + 1
    return None


def system_properties(text: str) -> tuple[str, int] | None:
    return titled_block(text, "SYSTEM PROPERTIES")
