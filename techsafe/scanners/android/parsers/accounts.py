"""`dumpsys account` -> Account per (user, name, type).

Format (frameworks/base/services/core/java/com/android/server/accounts/
AccountManagerService.java `dump`/`dumpUser`, Android 5-15): one block per
user, then the accounts as Account.toString():

    User UserInfo{0:Owner:13}:
      Accounts: 2
        Account {name=someone@gmail.com, type=com.google}
        Account {name=+15550100, type=com.whatsapp}

      Active Sessions: 0
      RegisteredServicesCache: 12 services
        ServiceInfo: AuthenticatorDescription {type=com.google}, ...

Account names are personal data (they stay in the returned facts, never in
error messages) and may contain ', type=' themselves, so the type is read
after the LAST ', type='. Only lines under an `Accounts:` line count, so
authenticator descriptions are not taken for accounts. Output without any
`Accounts:` line raises ParseError. Accounts are deduplicated per user. No
shared capture exists; tests build outputs from this source.
"""

from __future__ import annotations

from techsafe.scanners.android.facts import Account
from techsafe.scanners.android.parsers._text import indent_of, require_lines, unrecognised
from techsafe.scanners.android.parsers.users import _user_info

MAX_ACCOUNTS = 4096


def _account(stripped: str) -> tuple[str, str] | None:
    # "Account {name=x, type=y}"
    if not stripped.startswith("Account {name=") or not stripped.endswith("}"):
        return None
    inner = stripped[len("Account {name="):-1]
    name, sep, typ = inner.rpartition(", type=")
    if not sep or not typ or len(typ) > 256 or " " in typ:
        return None
    return name[:1024], typ


def parse_accounts(text: str) -> tuple[Account, ...]:
    lines = require_lines(text, "dumpsys account")
    found: dict[tuple[int | None, str, str], None] = {}
    user: int | None = None
    in_accounts = False
    accounts_indent = 0
    saw_accounts = False
    for raw in lines:
        stripped = raw.strip()
        if not stripped:
            continue
        indent = indent_of(raw)
        if stripped.startswith("User UserInfo{") and stripped.endswith(":"):
            parsed = _user_info(stripped[len("User "):-1])
            user = parsed[0].id if parsed else None
            in_accounts = False
            continue
        if stripped.startswith("Accounts:"):
            in_accounts, accounts_indent, saw_accounts = True, indent, True
            continue
        if in_accounts and indent <= accounts_indent:
            in_accounts = False
        if in_accounts:
            acc = _account(stripped)
            if acc is not None and len(found) < MAX_ACCOUNTS:
                found.setdefault((user, acc[0], acc[1]), None)
    if not saw_accounts:
        raise unrecognised("dumpsys account", lines)
    return tuple(Account(name=n, type=t, user=u) for u, n, t in found)
