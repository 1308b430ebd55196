"""Write an iTunes/Finder backup folder (unencrypted) from (domain, path) -> bytes.

The layout is the one Apple's MobileBackup2 writes and the real iOS 14.3
backup in ../shared/captures/ios/mvt-backup has: Info.plist, Manifest.plist,
Status.plist, Manifest.db (`Files(fileID, domain, relativePath, flags, file)`
+ `Properties`), and each file at <id[0:2]>/<id>, id = SHA-1("domain-path").
`file` is the NSKeyedArchiver MBFile record (size, mode, times), flags 1 for
a file and 2 for a folder. Used by tests (a simulated mobilebackup2 service
could serve the same folders).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import plistlib
import sqlite3
from pathlib import Path
from typing import Any, Mapping


def file_id(domain: str, relative_path: str) -> str:
    return hashlib.sha1(f"{domain}-{relative_path}".encode()).hexdigest()


def _mbfile(relative_path: str, size: int, is_dir: bool) -> bytes:
    uid = plistlib.UID
    root = {"$class": uid(2), "RelativePath": uid(3), "Size": size, "Mode": 0o40755 if is_dir else 0o100644,
            "UserID": 501, "GroupID": 501, "InodeNumber": 0, "Flags": 0, "ProtectionClass": 0 if is_dir else 3,
            "Birth": 1700000000, "LastModified": 1700000000, "LastStatusChange": 1700000000}
    archive = {"$version": 100000, "$archiver": "NSKeyedArchiver", "$top": {"root": uid(1)},
               "$objects": ["$null", root, {"$classname": "MBFile", "$classes": ["MBFile", "NSObject"]}, relative_path]}
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY)


def write_backup(root: Path, files: Mapping[tuple[str, str], bytes], info: Mapping[str, Any]) -> Path:
    """Write the backup into `root` (created). Folders of every file are listed too, as a phone does."""
    root.mkdir(parents=True, exist_ok=True)
    now = dt.datetime(2024, 3, 10, 12, 0, 0)
    info = dict(info)
    info.setdefault("Last Backup Date", now)
    (root / "Info.plist").write_bytes(plistlib.dumps(info))
    (root / "Manifest.plist").write_bytes(plistlib.dumps({
        "IsEncrypted": False, "Version": "10.0", "Date": now, "WasPasscodeSet": True,
        "Lockdown": {k: info[k] for k in ("Product Version", "Build Version", "Device Name") if k in info},
        "Applications": {}}))
    (root / "Status.plist").write_bytes(plistlib.dumps({
        "BackupState": "new", "IsFullBackup": True, "Version": "3.3", "SnapshotState": "finished", "Date": now,
        "UUID": "7A3C1B2E-0000-4000-8000-000000000001"}, fmt=plistlib.FMT_BINARY))
    db = sqlite3.connect(root / "Manifest.db")
    try:
        db.executescript(
            "CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, flags INTEGER, file BLOB);"
            "CREATE INDEX FilesDomainIdx ON Files(domain);"
            "CREATE INDEX FilesRelativePathIdx ON Files(relativePath);"
            "CREATE INDEX FilesFlagsIdx ON Files(flags);"
            "CREATE TABLE Properties (key TEXT PRIMARY KEY, value BLOB);")
        folders: set[tuple[str, str]] = set()
        for (domain, rel), data in files.items():
            fid = file_id(domain, rel)
            (root / fid[:2]).mkdir(exist_ok=True)
            (root / fid[:2] / fid).write_bytes(data)
            db.execute("INSERT INTO Files VALUES (?,?,?,1,?)", (fid, domain, rel, _mbfile(rel, len(data), False)))
            parts = rel.split("/")[:-1]
            for i in range(len(parts) + 1):
                folders.add((domain, "/".join(parts[:i])))
        for domain, rel in sorted(folders):
            db.execute("INSERT OR IGNORE INTO Files VALUES (?,?,?,2,?)",
                       (file_id(domain, rel), domain, rel, _mbfile(rel, 0, True)))
        db.commit()
    finally:
        db.close()
    return root
