"""`pm list packages` output -> PackageInfo / package names.

Format (frameworks/base/services/core/java/com/android/server/pm/
PackageManagerShellCommand.java `runListPackages`, Android 7-15; older
cmds/pm/src/com/android/commands/pm/Pm.java): one line per app,

    package:[<apk path>=]<name>[ versionCode:<n>][ installer=<pkg>][ uid:<uid>[,<uid>...]]

-f adds the apk path, -i the installer (`installer=null` when none is
recorded), -U (Android 8+) the uid, one uid per user with -u on multi-user
phones (`uid:10123,1010123`). An apk path may itself contain '=' (the
`/data/app/~~base64==/pkg-base64==/base.apk` layout of Android 11+), so the
name is what follows the LAST '=' before the first option. No shared capture
exists for this command; tests build lines from this documented format.
"""

from __future__ import annotations

import re

from techsafe.scanners.android.facts import PackageInfo
from techsafe.scanners.android.parsers._text import require_lines, unrecognised

# Android package names (PackageParser.validateName): dot-separated Java-ish
# segments; "android" itself has no dot. Linear-time pattern (no nested repeats
# that can overlap).
PACKAGE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*")
MAX_NAME = 255
_PER_USER_UID = 100_000  # UserHandle.PER_USER_RANGE


def valid_name(name: str) -> bool:
    return 0 < len(name) <= MAX_NAME and PACKAGE_NAME.fullmatch(name) is not None


def _is_option(token: str) -> bool:
    return token.startswith(("installer=", "uid:", "versionCode:"))


def _parse_line(line: str, lineno: int) -> PackageInfo | None:
    line = line.strip()
    if not line.startswith("package:"):
        return None
    tokens = line[len("package:"):].split()
    first = 0
    while first < len(tokens) and not _is_option(tokens[first]):
        first += 1
    if first == 0:
        return None
    head = " ".join(tokens[:first])
    path, sep, name = head.rpartition("=")
    if not sep:
        path = ""
    if not valid_name(name):
        return None
    installer: str | None = None
    uids: list[int] = []
    version = ""
    for token in tokens[first:]:
        if token.startswith("installer="):
            value = token[len("installer="):]
            installer = "" if value in ("null", "") else value
        elif token.startswith("uid:"):
            for part in token[4:].split(",")[:64]:
                if part.isdigit() and len(part) <= 10:
                    uids.append(int(part))
        elif token.startswith("versionCode:"):
            value = token[len("versionCode:"):]
            if value.isdigit():
                version = value
    users = tuple(sorted({u // _PER_USER_UID for u in uids}))
    return PackageInfo(
        name=name,
        apk_path=path,
        uid=(uids[0] % _PER_USER_UID) if uids else None,
        installer=installer,
        version_code=version,
        users=users,
        line=lineno,
    )


def parse_package_list(text: str, *, first_line: int = 1) -> tuple[PackageInfo, ...]:
    """Apps from `pm list packages [-f] [-i] [-U] [-u]`, in output order; a
    package listed twice keeps its first line. Garbage lines are skipped."""
    lines = require_lines(text, "package list")
    seen: dict[str, PackageInfo] = {}
    for i, line in enumerate(lines):
        info = _parse_line(line, first_line + i)
        if info is not None and info.name not in seen:
            seen[info.name] = info
    if not seen:
        raise unrecognised("package list", lines)
    return tuple(seen.values())


def parse_package_names(text: str) -> frozenset[str]:
    """Names from `pm list packages -s` (or any `pm list packages` form)."""
    return frozenset(p.name for p in parse_package_list(text))
