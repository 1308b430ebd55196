"""`cmd package query-activities|query-services --brief ...` -> component names.

Format: frameworks/base/services/core/java/com/android/server/pm/
PackageManagerShellCommand.java `runQueryIntentActivities` / `printResolveInfo`
(Android 7.0-15, unchanged in shape):

    3 activities found:
      Activity #0:
        priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=false
        com.android.settings/.Settings
      Activity #1:
        ...

`--components` prints the bare `pkg/cls` lines only; nothing found prints
`No activities found` (`No services found`). Android 7.1 and 14 print the same
layout (checked against both sources). Disabled components are not matched
by the query, so an app whose launcher alias was turned off is absent.

A list shorter than its announced count (an interrupted read) raises
ParseError: a cut list would make visible apps look hidden.
"""

from __future__ import annotations

from techsafe.scanners.android.facts import ParseError
from techsafe.scanners.android.parsers._text import require_lines, unrecognised
from techsafe.scanners.android.parsers.package_list import valid_name

_NONE = ("No activities found", "No services found", "No receivers found", "No activity found")
_ITEMS = ("Activity #", "Service #", "Receiver #")


def component(text: str) -> str | None:
    """'com.x/.Main' or 'com.x/com.x.Main' when well formed, else None."""
    pkg, slash, cls = text.partition("/")
    if not slash or not valid_name(pkg) or not cls or len(cls) > 512:
        return None
    body = cls[1:] if cls.startswith(".") else cls
    if not body or not all(part.isidentifier() for part in body.replace("$", "_").split(".")):
        return None
    return f"{pkg}/{cls}"


def parse_intent_query(text: str, what: str = "package query") -> tuple[str, ...]:
    lines = require_lines(text, what)
    found: dict[str, None] = {}
    announced: int | None = None
    known = False
    for raw in lines:
        s = raw.strip()
        if not s:
            continue
        if s in _NONE:
            known = True
            continue
        head, _, tail = s.partition(" ")
        if head.isdigit() and tail in ("activities found:", "services found:", "receivers found:"):
            announced, known = int(head), True
            continue
        if s.startswith(_ITEMS) or s.startswith("priority="):
            known = True
            continue
        comp = component(s)
        if comp is not None:
            found.setdefault(comp, None)
            known = True
    if not known:
        raise unrecognised(what, lines)
    if announced is not None and len(found) < announced and announced - len(found) > _duplicates_allowed(announced):
        raise ParseError(f"{what}: output is incomplete ({len(found)} of {announced} entries)")
    return tuple(found)


def _duplicates_allowed(announced: int) -> int:
    # The same component can match twice (two filters); never more than a few.
    return max(2, announced // 20)


def packages_of(components: tuple[str, ...]) -> frozenset[str]:
    return frozenset(c.split("/", 1)[0] for c in components)
