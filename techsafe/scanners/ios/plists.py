"""Reading plists that came from a phone or a backup: hostile input.

plistlib never executes anything, but a crafted file can still be huge, deeply
nested or of the wrong shape. Every reader here caps the size, turns every
parse failure into ParseError with a one-line reason, and returns only the
plain Python types plistlib produces.
"""

from __future__ import annotations

import plistlib
from typing import Any

# Generous for an installation_proxy listing of hundreds of apps; a plist
# bigger than this from a phone is not one we should hold in memory.
MAX_PLIST_BYTES = 64 * 1024 * 1024


class ParseError(ValueError):
    """Input that is not in the expected format: the area becomes "not checked"."""


def load_plist(data: bytes, what: str = "plist") -> Any:
    if len(data) > MAX_PLIST_BYTES:
        raise ParseError(f"{what} is too large to read ({len(data)} bytes)")
    if not data.strip():
        raise ParseError(f"{what} is empty")
    try:
        return plistlib.loads(data)
    except RecursionError:
        raise ParseError(f"{what} is nested too deeply") from None
    except Exception:  # plistlib raises several types (InvalidFileException, ExpatError, ValueError...)
        raise ParseError(f"{what} is not a valid property list") from None


def load_dict(data: bytes, what: str = "plist") -> dict[str, Any]:
    value = load_plist(data, what)
    if not isinstance(value, dict):
        raise ParseError(f"{what} holds a {type(value).__name__}, expected a dictionary")
    return value


def text(value: Any, limit: int = 512) -> str:
    """A display string from a device value: str only, control characters and
    overlong text removed (device strings are data, never markup or paths)."""
    if not isinstance(value, str):
        return ""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in value).strip()
    return cleaned[:limit]


def flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def keyed_archive_root(data: bytes | Any, what: str = "archive") -> dict[str, Any]:
    """Resolve an NSKeyedArchiver plist (Manifest.db file records) into a flat
    dict of its root object, following UID references one level deep."""
    obj = load_dict(data, what) if isinstance(data, (bytes, bytearray)) else data
    objects = obj.get("$objects")
    top = obj.get("$top")
    if not isinstance(objects, list) or not isinstance(top, dict):
        raise ParseError(f"{what} is not a keyed archive")

    def deref(v: Any) -> Any:
        if isinstance(v, plistlib.UID):
            if 0 <= v.data < len(objects):
                return objects[v.data]
            raise ParseError(f"{what} has a dangling reference")
        return v

    root = deref(top.get("root"))
    if not isinstance(root, dict):
        raise ParseError(f"{what} has no root object")
    out: dict[str, Any] = {}
    for k, v in root.items():
        if k == "$class":
            continue
        v = deref(v)
        if isinstance(v, dict) and "NS.data" in v:
            v = v["NS.data"]
        out[k] = v
    return out
