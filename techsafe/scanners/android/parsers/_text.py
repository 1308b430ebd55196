"""Line handling shared by the Android parsers.

Device output is hostile input, so every parser goes through these helpers:
lines are split on '\\n' only (so line numbers match what a text editor shows
for the stored artifact), a trailing '\\r' from old adb ptys is dropped, and
each line is cut to MAX_LINE characters so no single line can make per-line
work expensive. Reasons given in ParseError never quote device text (it may
carry personal data).
"""

from __future__ import annotations

from techsafe.scanners.android.facts import ParseError

# Longest line any parser looks at; longer lines are cut (real lines are < 4 KiB,
# JSON settings values rarely reach 20 KiB).
MAX_LINE = 64 * 1024


def split_lines(text: str) -> list[str]:
    if not isinstance(text, str):
        raise ParseError("input is not text")
    lines = text.split("\n")
    # Whole-list passes only when needed: a per-line Python loop here cost
    # more than the parsing itself on a 20 MB dumpsys.
    if lines and max(map(len, lines)) > MAX_LINE:
        lines = [line[:MAX_LINE] for line in lines]
    if "\r" in text:
        lines = [line.rstrip("\r") for line in lines]
    return lines


def require_lines(text: str, what: str) -> list[str]:
    """Lines of `text`, or ParseError when there is nothing to parse."""
    lines = split_lines(text)
    if not any(line.strip() for line in lines):
        raise ParseError(f"{what}: empty output")
    return lines


def unrecognised(what: str, lines: list[str]) -> ParseError:
    """A one-line reason for output in no known format, naming common phone
    errors without echoing the text itself."""
    head = " ".join(line.strip() for line in lines[:3] if line.strip())[:200].lower()
    if head.startswith("can't find service") or "service not found" in head:
        reason = "the service does not exist on this phone"
    elif "permission denial" in head or "securityexception" in head or "permission denied" in head:
        reason = "the phone refused the command (permission denied)"
    elif "not found" in head or "inaccessible" in head or "unknown command" in head:
        reason = "the command is not available on this phone"
    else:
        reason = "output is not in a known format"
    return ParseError(f"{what}: {reason}")


def indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))
