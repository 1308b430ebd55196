"""`pm list users` (and `dumpsys user`) -> AndroidUser per user / profile.

`pm list users` (PackageManagerShellCommand.runListUsers, Android 7-15; Pm.java
before): a `Users:` line, then one tab-indented line per user,

    Users:
    	UserInfo{0:Owner:c13} running
    	UserInfo{10:Work profile:1030} running

UserInfo.toString() is `UserInfo{<id>:<name>:<hex flags>}`. The name is
personal data and may itself contain ':' or '}', so the id is read up to the
first ':' and the flags after the last ':'. Flags (UserInfo.FLAG_*): 0x20
MANAGED_PROFILE (a work profile, possibly run by someone else's MDM),
0x1000 PROFILE (Android 11+), 0x4 GUEST, 0x1 PRIMARY.

`dumpsys user` (UserManagerService.dump) uses the same UserInfo{...} text
followed by ` serialNo=...` and an indented `State: RUNNING_UNLOCKED` line;
it is accepted too: a user counts as running when its State starts with RUNNING.
No shared capture exists; tests build both forms from these sources.
"""

from __future__ import annotations

from techsafe.scanners.android.facts import AndroidUser
from techsafe.scanners.android.parsers._text import require_lines, unrecognised

FLAG_GUEST = 0x4
FLAG_MANAGED_PROFILE = 0x20
FLAG_PROFILE = 0x1000


def _user_info(stripped: str) -> tuple[AndroidUser, str] | None:
    """(user, text after the closing brace) for a 'UserInfo{...}...' line."""
    if not stripped.startswith("UserInfo{"):
        return None
    # The flags are hex without ':' or '}', so the first ':<hex>}' from the
    # right closes the record even when the name contains braces.
    close = stripped.rfind("}")
    for _attempt in range(8):  # bounded: each try is linear in the line
        if close <= 0:
            break
        inner = stripped[len("UserInfo{"):close]
        ident, _, rest = inner.partition(":")
        name, sep, flags = rest.rpartition(":")
        if sep and ident.isdigit() and len(ident) <= 9 and flags and len(flags) <= 8 and all(
            c in "0123456789abcdefABCDEF" for c in flags
        ):
            return AndroidUser(id=int(ident), name=name[:200], flags=flags.lower()), stripped[close + 1:]
        close = stripped.rfind("}", 0, close)
    return None


def is_managed_profile(user: AndroidUser) -> bool:
    """True for a work profile (FLAG_MANAGED_PROFILE)."""
    try:
        return bool(int(user.flags, 16) & FLAG_MANAGED_PROFILE)
    except ValueError:
        return False


def parse_users(text: str) -> tuple[AndroidUser, ...]:
    lines = require_lines(text, "users")
    found: dict[int, AndroidUser] = {}
    last: int | None = None
    for raw in lines:
        stripped = raw.strip()
        parsed = _user_info(stripped)
        if parsed is not None:
            user, tail = parsed
            running = tail.split()[:1] == ["running"]
            if user.id not in found:
                found[user.id] = AndroidUser(user.id, user.name, user.flags, running)
                last = user.id
            else:
                last = None
            continue
        if last is not None and stripped.startswith("State:"):
            state = stripped[len("State:"):].strip()
            if state.startswith("RUNNING"):
                u = found[last]
                found[last] = AndroidUser(u.id, u.name, u.flags, True)
        elif raw and not raw[0].isspace():
            last = None
    if not found:
        raise unrecognised("users", lines)
    return tuple(found.values())
