"""androidqf `packages.json` -> PackageInfo per app.

Format (androidqf acquisition/packages.go `Package` / `PackageFile`; shared
capture mvt/androidqf/packages.json): a JSON list of

    {"name": "com.whatsapp", "installer": "null", "uid": 10271,
     "disabled": false, "system": false, "third_party": true,
     "files": [{"path": ".../base.apk", "sha256": "744e...",
                "certificate": {"Sha1": "38a0...", "Sha256": "3987..."}, ...}]}

`installer` is the string "null" when none is recorded (-> ""), absent ->
None (unknown). Certificate hashes become upper-case hex (the Echap feed's
form), APK SHA-256 stays lower-case (samples.csv's form). Entries that are not
objects or lack a valid package name are skipped; anything that is not a JSON
list of entries raises ParseError.
"""

from __future__ import annotations

import json

from techsafe.scanners.android.facts import PackageInfo, ParseError
from techsafe.scanners.android.parsers.package_list import valid_name

MAX_BYTES = 256 * 1024 * 1024
MAX_FILES = 64


def _text(value: object, limit: int = 1024) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def _hex(value: object, length: int) -> str | None:
    # validated whole, never cut: a 41-digit string is not a SHA-1
    if isinstance(value, str) and len(value) == length and all(c in "0123456789abcdefABCDEF" for c in value):
        return value
    return None


def _bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _entry(obj: object) -> PackageInfo | None:
    if not isinstance(obj, dict):
        return None
    name = obj.get("name")
    if not isinstance(name, str) or not valid_name(name):
        return None
    installer = _text(obj.get("installer"), 256)
    if installer is not None and installer.strip() in ("", "null"):
        installer = ""
    uid = obj.get("uid")
    uid = uid if isinstance(uid, int) and not isinstance(uid, bool) and 0 <= uid < 2**31 else None
    system = _bool(obj.get("system"))
    if system is None and isinstance(obj.get("third_party"), bool):
        system = not obj["third_party"]
    disabled = _bool(obj.get("disabled"))
    sha1: dict[str, None] = {}
    sha256: dict[str, None] = {}
    apk: dict[str, None] = {}
    path = ""
    files = obj.get("files")
    for f in files[:MAX_FILES] if isinstance(files, list) else ():
        if not isinstance(f, dict):
            continue
        if not path:
            path = _text(f.get("path")) or ""
        digest = _hex(f.get("sha256"), 64)
        if digest:
            apk.setdefault(digest.lower(), None)
        cert = f.get("certificate")
        if isinstance(cert, dict):
            c1 = _hex(cert.get("Sha1"), 40)
            c256 = _hex(cert.get("Sha256"), 64)
            if c1:
                sha1.setdefault(c1.upper(), None)
            if c256:
                sha256.setdefault(c256.upper(), None)
    return PackageInfo(
        name=name,
        apk_path=path,
        uid=uid,
        installer=installer,
        system=system,
        enabled=None if disabled is None else not disabled,
        cert_sha1=tuple(sha1),
        cert_sha256=tuple(sha256),
        apk_sha256=tuple(apk),
    )


def parse_androidqf_packages(text: str) -> tuple[PackageInfo, ...]:
    if not isinstance(text, str) or not text.strip():
        raise ParseError("packages.json: empty file")
    if len(text) > MAX_BYTES:
        raise ParseError("packages.json: file is too large")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"packages.json: not valid JSON at line {exc.lineno}") from None
    except (ValueError, RecursionError) as exc:
        # over-long integers, nesting too deep for the parser
        raise ParseError(f"packages.json: not valid JSON ({type(exc).__name__})") from None
    if isinstance(data, dict):
        # some androidqf versions wrap the list; accept {"packages": [...]}
        data = data.get("packages")
    if not isinstance(data, list):
        raise ParseError("packages.json: expected a list of packages")
    if not data:
        # a phone always has apps: an empty list is a failed acquisition
        raise ParseError("packages.json: the list of packages is empty")
    seen: dict[str, PackageInfo] = {}
    for obj in data:
        info = _entry(obj)
        if info is not None:
            seen.setdefault(info.name, info)
    if not seen:
        raise ParseError(f"packages.json: none of its {len(data)} entries has a valid package name")
    return tuple(seen.values())
