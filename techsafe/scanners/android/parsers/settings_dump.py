"""`dumpsys settings` (as found in bugreports) -> {namespace: {key: value}}.

Format: frameworks/base/packages/SettingsProvider/src/com/android/providers/
settings/SettingsProvider.java `dumpSettingsLocked` (Android 8-15):

    GLOBAL SETTINGS (user 0)
    version: 193
    _id:38 name:adb_enabled pkg:android value:1 default:1 defaultSystemSet:true
    SECURE SETTINGS (user 0)
    _id:12 name:enabled_accessibility_services pkg:com.android.settings value:a/.B:c/.D
    SYSTEM SETTINGS (user 0)

Values are printed raw; a value is read up to ` default:` / ` tag:` (the
fields printed after it) or the end of the line. Only user 0 is read (the
person in front of the caseworker); `null` values become empty. No shared
capture holds this section; tests build it from the source above.
"""

from __future__ import annotations

from techsafe.scanners.android.parsers._text import require_lines, unrecognised

_HEADERS = {"GLOBAL SETTINGS": "global", "SECURE SETTINGS": "secure", "SYSTEM SETTINGS": "system"}
MAX_KEYS = 20000


def _entry(s: str) -> tuple[str, str] | None:
    if not s.startswith("_id:"):
        return None
    _, sep, rest = s.partition(" name:")
    if not sep:
        return None
    name, _, rest = rest.partition(" ")
    _, sep, value = (" " + rest).partition(" value:")
    if not sep or not name:
        return None
    for marker in (" default:", " tag:"):
        cut = value.find(marker)
        if cut >= 0:
            value = value[:cut]
    return name[:256], "" if value == "null" else value


def parse_dumpsys_settings(text: str) -> dict[str, dict[str, str]]:
    lines = require_lines(text, "dumpsys settings")
    out: dict[str, dict[str, str]] = {}
    namespace: str | None = None
    count = 0
    for raw in lines:
        s = raw.strip()
        head = s.split(" (", 1)[0]
        if head in _HEADERS:
            namespace = _HEADERS[head] if s.endswith("(user 0)") or "(user" not in s else None
            if namespace:
                out.setdefault(namespace, {})
            continue
        if namespace is None or head.isupper() and head.endswith("SETTINGS"):
            namespace = None if head.endswith("SETTINGS") else namespace
            continue
        entry = _entry(s)
        if entry is not None and count < MAX_KEYS:
            out[namespace].setdefault(entry[0], entry[1])
            count += 1
    if not out:
        raise unrecognised("dumpsys settings", lines)
    return out
