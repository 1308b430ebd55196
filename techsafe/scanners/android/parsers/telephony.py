"""`dumpsys telephony.registry` -> CallForwarding per phone (SIM slot).

Format: frameworks/base/services/core/java/com/android/server/
TelephonyRegistry.java `dump`. Since Android 5.1 one block per phone:

    last known state:
      Phone Id=0
        mCallState=0
        ...
        mCallForwarding=false          (Android 10-15: indented under Phone Id)
      Phone Id=1
      mCallForwarding=true             (Android 7-9: same indent as Phone Id)

Older single-SIM builds print one `mCallForwarding=` with no `Phone Id`.
Only whole lines `mCallForwarding=true|false` count: the local-log lines
(`notifyCallForwardingChanged... cfi=true`) are history, not state.
"""

from __future__ import annotations

from techsafe.scanners.android.device_facts import CallForwarding
from techsafe.scanners.android.parsers._text import require_lines, unrecognised

MAX_PHONES = 16


def parse_telephony_registry(text: str) -> tuple[CallForwarding, ...]:
    lines = require_lines(text, "dumpsys telephony.registry")
    phone = 0
    found: dict[int, CallForwarding] = {}
    for i, raw in enumerate(lines, 1):
        s = raw.strip()
        if s.startswith("Phone Id="):
            value = s[len("Phone Id="):].split()[0] if s[len("Phone Id="):].strip() else ""
            if value.isdigit() and len(value) <= 3:
                phone = int(value)
            continue
        if s in ("mCallForwarding=true", "mCallForwarding=false") and phone not in found and len(found) < MAX_PHONES:
            found[phone] = CallForwarding(phone, s.endswith("true"), i)
    if not found:
        raise unrecognised("dumpsys telephony.registry", lines)
    return tuple(found.values())
