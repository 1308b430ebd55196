"""`settings list <namespace>` output -> {key: value}.

Format (frameworks/base/packages/SettingsProvider/.../SettingsService.java,
`list`: one `name=value` line per setting, lines sorted; Android 4.2-15;
shared capture isdi/android7-full-dump.txt `DUMP OF SETTINGS` sections and
mvt/androidqf/settings_random.txt). Values are printed raw, so a value holding
newlines (JSON blobs on Android 12+, e.g. in the global namespace) spills over
several lines.

Continuation rule: a line starts a new setting only if it begins with a
settings-key-like token followed by '=' -- letters, digits and `_ . : - @ / +`,
first character a letter, digit or '_' (real keys include
`0_plmn_servicestate_to_settings`, `HW_WIFI_PRO_PORTAL_FLAG`,
`backup_enabled:com.android.calllogbackup`,
`bluetooth_a2dp_sink_priority_00:9E:C8:60:2C:E2`). Any other line -- no '=',
leading whitespace, a quote or brace, a space before the '=' -- continues the
previous value (joined with '\\n'). Lines before the first key are garbage and
skipped. A continuation line that itself looks like `key=value` cannot be told
apart from a real setting; only apps holding WRITE_SETTINGS (system
namespace) or the shell can write such values. If a key appears twice, the
first occurrence wins. Values longer than MAX_LINE per line are cut.
"""

from __future__ import annotations

from techsafe.scanners.android.parsers._text import require_lines, unrecognised

MAX_KEY = 256
# Bound on the lines one value may span, so a hostile value cannot make one
# setting hold the whole rest of the output in memory twice.
MAX_CONTINUATION = 4096

_FIRST = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_REST = _FIRST | frozenset(".:-@/+")


def _key_of(line: str) -> str | None:
    eq = line.find("=", 0, MAX_KEY + 1)
    if eq <= 0:
        return None
    key = line[:eq]
    if key[0] not in _FIRST or not set(key) <= _REST:
        return None
    return key


def parse_settings(text: str) -> dict[str, str]:
    lines = require_lines(text, "settings")
    values: dict[str, str] = {}
    key: str | None = None
    parts: list[str] = []

    def commit() -> None:
        if key is not None:
            values.setdefault(key, "\n".join(parts))

    for line in lines:
        new_key = _key_of(line)
        if new_key is not None:
            commit()
            key, parts = new_key, [line[len(new_key) + 1:]]
        elif key is not None and len(parts) < MAX_CONTINUATION:
            parts.append(line)
    commit()
    if not values:
        raise unrecognised("settings", lines)
    # The trailing newline of the output shows up as an empty continuation.
    return {k: v.rstrip("\n") if "\n" in v else v for k, v in values.items()}
