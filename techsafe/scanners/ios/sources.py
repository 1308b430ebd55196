"""Offline iOS inputs: an iTunes/Finder backup folder, or a saved
installation_proxy app list (a plist array, as ISDi keeps it).

detect(path) says what it is (cheaply, never trusting the content);
ingest(path, case) stores it as artifacts under artifacts/ios/.
"""

from __future__ import annotations

import time
from pathlib import Path

from techsafe.case import Case, utc_now
from techsafe.pipeline import InputError
from techsafe.scanners.ios import backup as bk
from techsafe.scanners.ios import sqlite_ro
from techsafe.scanners.ios.parsers import apps_from_installation_proxy
from techsafe.scanners.ios.plists import ParseError

APP_LIST_ARTIFACT = "installation_proxy/app_list.plist"
_MAX_APP_LIST = 64 * 1024 * 1024


def detect(path: Path) -> str | None:
    path = Path(path)
    try:
        if bk.looks_like_backup(path):
            return "iPhone backup"
        if path.is_file() and path.suffix.lower() == ".plist":
            with open(path, "rb") as fh:
                head = fh.read(4096)
            if head.startswith(b"bplist00") or b"CFBundleIdentifier" in head or b"<array>" in head:
                return "iOS app list (installation_proxy)"
    except OSError:
        return None
    return None


def ingest(path: Path, case: Case, *, password: str | None = None) -> None:
    path = Path(path)
    if path.is_dir():
        ingest_backup(path, case, password=password)
    else:
        ingest_app_list(path, case)


def ingest_app_list(path: Path, case: Case) -> None:
    try:
        with open(path, "rb") as fh:
            data = fh.read(_MAX_APP_LIST + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    if len(data) > _MAX_APP_LIST:
        raise InputError(f"{path}: too large for an app list")
    try:
        apps = apps_from_installation_proxy(data, path.name)
    except ParseError as exc:
        raise InputError(f"{path}: {exc}") from None
    case.add_artifact("ios", APP_LIST_ARTIFACT, data, command=f"import {path.name}", meta={"apps": len(apps)})


def ingest_backup(path: Path, case: Case, *, password: str | None = None, origin: str = "import backup") -> None:
    """Store a backup folder's metadata and the files analysis reads. `origin` starts each
    artifact's command: "import backup" for a folder given to us, "mobilebackup2 backup" for one
    the iPhone just made on a live scan."""
    start = time.monotonic()
    try:
        backup = bk.open_backup(path)
    except ParseError as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None

    def store(name: str, data: bytes, command: str, **meta) -> None:
        case.add_artifact("ios", f"backup/{name}", data, command=command, started=utc_now(), meta=meta)

    for name in ("Info.plist", "Manifest.plist"):
        p = path / name
        if p.is_file():
            store(name, p.read_bytes(), f"{origin} {name}")
    manifest_db = (path / "Manifest.db").read_bytes()
    store("Manifest.db", manifest_db, f"{origin} Manifest.db")

    decrypt = None
    if backup.encrypted:
        from techsafe.scanners.ios import backup_crypto

        if not password:
            raise InputError(f"{path}: this iPhone backup is encrypted; give its password (--password)")
        try:
            decrypt = backup_crypto.BackupDecryptor.open(backup.manifest or {}, password)
            plain_db = decrypt.manifest_db(manifest_db)
        except backup_crypto.WrongPassword:
            raise InputError(f"{path}: wrong backup password (the backup could not be unlocked)") from None
        except backup_crypto.CryptoError as exc:
            raise InputError(f"{path}: encrypted backup cannot be read ({exc})") from None
        store("Manifest.decrypted.db", plain_db, "decrypt backup Manifest.db with the backup password")
        manifest_db = plain_db
    elif not sqlite_ro.is_sqlite(manifest_db):
        raise InputError(
            f"{path / 'Manifest.db'}: not a SQLite database (the backup is damaged, or encrypted and its Manifest.plist is missing)"
        )

    sql, params = bk.wanted_sql()
    try:
        with sqlite_ro.open_copy(manifest_db, "Manifest.db") as conn:
            rows = sqlite_ro.query(conn, sql, params, "Manifest.db")
    except ParseError as exc:
        raise InputError(f"{path / 'Manifest.db'}: {exc}") from None
    copied = missing = 0
    for fid, domain, rel, _flags, blob in rows:
        if not isinstance(fid, str):
            continue
        data = bk.read_content(backup, fid)
        if data is None:
            missing += 1
            continue
        command = f"{origin} file {fid}"
        if decrypt is not None:
            try:
                data = decrypt.file(blob, data)
            except Exception:
                missing += 1
                case.log("ios.backup.decrypt_failed", file_id=fid)
                continue
            command = f"decrypt backup file {fid} with the backup password"
        store(f"files/{fid}", data, command, domain=str(domain), relativePath=str(rel))
        copied += 1
    case.log("ios.backup.ingest", files_copied=copied, files_missing=missing, encrypted=backup.encrypted,
             duration_s=round(time.monotonic() - start, 3))
