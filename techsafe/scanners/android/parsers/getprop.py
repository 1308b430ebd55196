"""`getprop` output -> {property: value}.

Format (system/core/toolbox/getprop.cpp, unchanged from Android 4 to 15, and
shared captures mvt/android_data/getprop.txt, mvt/androidqf/getprop.txt):

    [ro.build.version.release]: [11]

A value may contain newlines; it then continues on the following lines until
one ends with ']'. A line that starts a new `[key]: [` entry while a value is
still open means the open value was cut: it is dropped. Continuations are
bounded (MAX_CONTINUATION lines) so one unterminated value cannot swallow the
rest. The first occurrence of a key wins. Blank and garbage lines are skipped.
"""

from __future__ import annotations

from techsafe.scanners.android.facts import ParseError
from techsafe.scanners.android.parsers._text import require_lines, unrecognised

MAX_CONTINUATION = 64
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:@+/")


def _entry_start(line: str) -> tuple[str, str] | None:
    """('key', rest-after-'[') for a line starting '[key]: [', else None."""
    if not line.startswith("["):
        return None
    close = line.find("]: [")
    if close <= 1:
        return None
    key = line[1:close]
    if len(key) > 256 or not set(key) <= _KEY_CHARS:
        return None
    return key, line[close + 4:]


def parse_getprop(text: str) -> dict[str, str]:
    lines = require_lines(text, "getprop")
    props: dict[str, str] = {}
    open_key: str | None = None
    open_parts: list[str] = []

    def commit(key: str, value: str) -> None:
        props.setdefault(key, value)

    for line in lines:
        start = _entry_start(line)
        if start is not None:
            open_key = None  # an unterminated previous value was cut: drop it
            key, rest = start
            if rest.endswith("]"):
                commit(key, rest[:-1])
            else:
                open_key, open_parts = key, [rest]
            continue
        if open_key is None:
            continue
        if line.endswith("]"):
            open_parts.append(line[:-1])
            commit(open_key, "\n".join(open_parts))
            open_key = None
        elif len(open_parts) >= MAX_CONTINUATION:
            open_key = None
        else:
            open_parts.append(line)
    if not props:
        raise unrecognised("getprop", lines)
    return props


__all__ = ["parse_getprop", "ParseError"]
