"""`dumpsys appops` -> AppOpsState (which app-ops each package holds).

Formats (frameworks/base/services/core/java/com/android/server/appop/
AppOpsService.java `dump`):

- Android 10-15 (shared mvt/android_data/dumpsys_appops.txt, Samsung
  Android 10; mvt/bugreport/dumpstate.txt):
      Uid u0a104:
        state=cch
          COARSE_LOCATION: mode=ignore          <- uid-wide mode
        Package org.mozilla.firefox:
          REQUEST_INSTALL_PACKAGES (allow):
- Android 7-9 (shared isdi/android7-full-dump.txt, Android 7.0 Huawei):
        Package com.whatsapp:                   (Huawei adds " isPrivileged: ")
          CAMERA: mode=0; time=+11h21m56s26ms ago; duration=+32s401ms
  with numeric modes (AppOpsManager.MODE_*: 0 allow, 1 ignore, 2 deny
  (errored), 3 default, 4 foreground); Android 9 prints the names.

Only `Package` blocks count (watchers and history are skipped). A package
listed under several uids (users) keeps the most permissive mode.
"""

from __future__ import annotations

from techsafe.scanners.android.device_facts import AppOpsState
from techsafe.scanners.android.parsers._text import indent_of, require_lines, unrecognised
from techsafe.scanners.android.parsers.package_list import valid_name

_NUMERIC = {"0": "allow", "1": "ignore", "2": "deny", "3": "default", "4": "foreground"}
_NAMES = {"allow", "ignore", "deny", "default", "foreground", "errored"}
_RANK = {"allow": 4, "foreground": 3, "default": 2, "ignore": 1, "deny": 0}
MAX_PACKAGES = 8192


def _mode(word: str) -> str | None:
    word = word.strip().rstrip(";,")
    if word in _NUMERIC:
        return _NUMERIC[word]
    if word in _NAMES:
        return "deny" if word == "errored" else word
    return None


def _op_line(s: str) -> tuple[str, str] | None:
    # "SYSTEM_ALERT_WINDOW (allow):"  or  "CAMERA: mode=0; time=..."
    name, sep, rest = s.partition(" (")
    if sep and rest.endswith("):") and name.replace("_", "").isalnum() and name.isupper():
        mode = _mode(rest[:-2])
        return (name, mode) if mode else None
    name, sep, rest = s.partition(":")
    rest = rest.strip()
    if sep and name.replace("_", "").isalnum() and name.isupper() and rest.startswith("mode="):
        mode = _mode(rest[5:].split(";", 1)[0].split()[0] if rest[5:].strip() else "")
        return (name, mode) if mode else None
    return None


def parse_appops(text: str) -> AppOpsState:
    lines = require_lines(text, "dumpsys appops")
    packages: dict[str, dict[str, str]] = {}
    current: str | None = None
    pkg_indent = 0
    saw_state = False
    for raw in lines:
        s = raw.strip()
        if not s:
            continue
        indent = indent_of(raw)
        if s.split(" ", 1)[0] in ("false", "true"):
            continue  # Huawei Android 7 splits "isPrivileged: false" over lines at column 0
        if s.startswith("Current AppOps Service state"):
            saw_state = True
            continue
        if current is not None and indent <= pkg_indent:
            current = None
        if s.startswith("Package ") and (s.endswith(":") or " isPrivileged:" in s):
            name = s[len("Package "):].split(" ", 1)[0].rstrip(":")
            if valid_name(name) and (name in packages or len(packages) < MAX_PACKAGES):
                current, pkg_indent = name, indent
                packages.setdefault(name, {})
            continue
        if current is None:
            continue
        op = _op_line(s)
        if op is not None:
            name, mode = op
            have = packages[current].get(name)
            if have is None or _RANK.get(mode, 0) > _RANK.get(have, 0):
                packages[current][name] = mode
    if not saw_state and not packages:
        raise unrecognised("dumpsys appops", lines)
    return AppOpsState(tuple((p, tuple(sorted(ops.items()))) for p, ops in sorted(packages.items())))
