"""`ls -l /data/misc/user/0/cacerts-added 2>&1` -> user-added CA certificates.

Android (7+) keeps certificates a user (or an app with device-admin help)
added as `<subject-hash>.<n>` files in that folder (frameworks/base
keystore / TrustedCertificateStore). The adb shell usually may not read it:

    ls: /data/misc/user/0/cacerts-added: Permission denied   -> ParseError (not checked)
    ls: /data/misc/user/0/cacerts-added: No such file or directory -> () none ever added
    total 0                                                   -> ()
    -rw-r--r-- 1 system system 1322 2024-10-30 22:10 9a5ba575.0 -> ("9a5ba575.0",)
"""

from __future__ import annotations

from techsafe.scanners.android.facts import ParseError
from techsafe.scanners.android.parsers._text import require_lines, unrecognised

MAX_CERTS = 1024


def parse_user_ca_listing(text: str) -> tuple[str, ...]:
    lines = require_lines(text, "user certificates")
    names: list[str] = []
    known = False
    for raw in lines:
        s = raw.strip()
        if not s:
            continue
        if s.endswith("Permission denied"):
            raise ParseError("user certificates: the phone does not let a computer read them (permission denied)")
        if s.endswith("No such file or directory"):
            known = True
            continue
        if s.startswith("total "):
            known = True
            continue
        if s[:1] == "-" and " " in s:
            name = s.rsplit(" ", 1)[-1]
            stem, dot, num = name.partition(".")
            if dot and num.isdigit() and len(stem) == 8 and all(c in "0123456789abcdef" for c in stem):
                if len(names) < MAX_CERTS:
                    names.append(name)
                known = True
    if not known:
        raise unrecognised("user certificates", lines)
    return tuple(names)
