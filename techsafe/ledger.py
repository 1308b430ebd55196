"""What this laptop remembers about the cases it made, kept outside the cases.

A case folder alone cannot prove that its evidence is what the phone sent:
whoever deletes the manifest can edit artifacts, fix their hashes in
artifacts.jsonl and ask for a fresh seal. So techsafe records, in the user's
data folder (0600, append-only, hashes and case ids only, no personal data):

  arrivals.jsonl  every artifact index line it wrote (path, SHA-256, meta), per case, as a hash
  seals.jsonl     every manifest it sealed, per case

and refuses to seal an unsealed case holding an artifact it never stored for
that case (edited, or taken from another case; a case is its id and creation time),
reports a deleted manifest of a case it sealed as tampering, and tells an
older sealed copy from the latest one. Someone with the operator's login can
rewrite these files too (SECURITY.md says so).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable

ARRIVALS = "arrivals.jsonl"
SEALS = "seals.jsonl"


def _path(name: str) -> Path:
    from techsafe.paths import data_dir

    return data_dir() / name


def _append(name: str, entries: Iterable[dict[str, Any]]) -> None:
    data = "".join(json.dumps(e, sort_keys=True) + "\n" for e in entries).encode("utf-8")
    fd = os.open(_path(name), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)  # a crash right after storing an artifact must not make it look foreign
    finally:
        os.close(fd)


def _entries(name: str) -> Iterable[dict[str, Any]]:
    path = _path(name)
    if not path.is_file():
        return
    for raw in path.read_bytes().splitlines():
        try:
            entry = json.loads(raw)
        except ValueError:
            continue  # a torn last line after a crash
        if isinstance(entry, dict):
            yield entry


def case_key(info: dict[str, Any]) -> str:
    return f"{info.get('case_id', '')}|{info.get('created', '')}"


# ---- artifacts ------------------------------------------------------------------


def record_digest(record: dict[str, Any]) -> str:
    """SHA-256 of an artifacts.jsonl record (path, file hash, source, meta...):
    the index line is remembered whole, so no field of it can be changed."""
    import hashlib

    return hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def record_arrival(info: dict[str, Any], record: dict[str, Any]) -> None:
    _append(ARRIVALS, [{"case": case_key(info), "record": record_digest(record)}])


def foreign(info: dict[str, Any], records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The artifacts.jsonl records this laptop never wrote for this case: an
    edited line, a file taken from elsewhere, or a case renamed."""
    pending = {record_digest(r): r for r in records}
    key = case_key(info)
    for entry in _entries(ARRIVALS):
        if not pending:
            break
        if entry.get("case") == key:
            pending.pop(entry.get("record"), None)
    return list(pending.values())


# ---- seals ----------------------------------------------------------------------


def record_seal(info: dict[str, Any], manifest_sha256: str, sealed_at: str) -> None:
    _append(SEALS, [{"case": case_key(info), "manifest_sha256": manifest_sha256, "sealed_at": sealed_at}])


def seals_of(info: dict[str, Any]) -> list[tuple[str, str]]:
    """(manifest SHA-256, sealed at) of every seal this laptop made of the case, oldest first."""
    key = case_key(info)
    return [(str(e.get("manifest_sha256", "")), str(e.get("sealed_at", "")))
            for e in _entries(SEALS) if e.get("case") == key]
