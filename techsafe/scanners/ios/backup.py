"""iTunes/Finder backup folders: what is in one and which files techsafe keeps.

Layout (documented by Apple's MobileBackup2 and libimobiledevice):
  Info.plist        device name, model, iOS version, installed apps
  Manifest.plist    IsEncrypted, BackupKeyBag, ManifestKey, Applications
  Manifest.db       SQLite: Files(fileID, domain, relativePath, flags, file)
  <id[0:2]>/<id>    file contents, id = SHA-1("<domain>-<relativePath>")

The backup folder is only read: SQLite opens a private copy (sqlite_ro).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from techsafe.scanners.ios.plists import ParseError, load_dict

MAX_FILE_BYTES = 512 * 1024 * 1024  # one backup file we copy into the case

CONFIG_PROFILES_DOMAIN = "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles"

# (area, domain, relativePath): the files analysis reads. A relativePath
# ending in "/" takes every file under that folder.
WANTED: tuple[tuple[str, str, str], ...] = (
    ("ios.permissions", "HomeDomain", "Library/TCC/TCC.db"),
    ("ios.device", "HomeDomain", "Library/Preferences/.GlobalPreferences.plist"),
    ("ios.location", "RootDomain", "Library/Caches/locationd/clients.plist"),
    ("ios.accounts", "HomeDomain", "Library/Accounts/Accounts3.sqlite"),
    ("ios.profiles", CONFIG_PROFILES_DOMAIN, "Library/ConfigurationProfiles/"),
    # Find My and location sharing: what each file shows is documented in findmy.py.
    ("ios.location", "HomeDomain", "Library/Preferences/com.apple.locationd.plist"),
    ("ios.location.sharing", "HomeDomain", "Library/Preferences/com.apple.icloud.fmfd.plist"),
    ("ios.findmy", "HomeDomain", "Library/Preferences/com.apple.icloud.searchpartyd.plist"),
    ("ios.findmy", "SysSharedContainerDomain-systemgroup.com.apple.icloud.findmydevice.managed",
     "Library/Preferences/FMIPStateInfo.plist"),
)


def file_id(domain: str, relative_path: str) -> str:
    return hashlib.sha1(f"{domain}-{relative_path}".encode("utf-8", "surrogateescape")).hexdigest()


def wanted_area(domain: str, relative_path: str) -> str | None:
    for area, d, p in WANTED:
        if d == domain and (relative_path == p or (p.endswith("/") and relative_path.startswith(p))):
            return area
    return None


def wanted_sql() -> tuple[str, tuple[str, ...]]:
    """A query for the Files rows analysis reads (files only: flags == 1)."""
    clauses, params = [], []
    for _, d, p in WANTED:
        if p.endswith("/"):
            clauses.append("(domain = ? AND relativePath LIKE ? ESCAPE '\\')")
            params += [d, p.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"]
        else:
            clauses.append("(domain = ? AND relativePath = ?)")
            params += [d, p]
    sql = "SELECT fileID, domain, relativePath, flags, file FROM Files WHERE flags = 1 AND (" + " OR ".join(clauses) + ")"
    return sql, tuple(params)


@dataclass(frozen=True)
class BackupFolder:
    root: Path
    info: dict[str, Any]  # Info.plist ({} when absent)
    manifest: dict[str, Any] | None  # Manifest.plist

    @property
    def encrypted(self) -> bool:
        return bool(self.manifest and self.manifest.get("IsEncrypted") is True)

    def content_path(self, fid: str) -> Path:
        return self.root / fid[:2] / fid


def looks_like_backup(path: Path) -> bool:
    return path.is_dir() and (path / "Manifest.db").is_file() and (
        (path / "Info.plist").is_file() or (path / "Manifest.plist").is_file()
    )


def open_backup(path: Path) -> BackupFolder:
    """Read the small plists; raise ParseError naming the file and the problem."""
    if not (path / "Manifest.db").is_file():
        raise ParseError(f"{path}: no Manifest.db, not an iPhone backup folder")
    info: dict[str, Any] = {}
    manifest = None
    for name in ("Info.plist", "Manifest.plist"):
        p = path / name
        if not p.is_file():
            continue
        try:
            value = load_dict(_read_capped(p, 16 * 1024 * 1024), name)
        except ParseError as exc:
            raise ParseError(f"{p}: {exc}") from None
        if name == "Info.plist":
            info = value
        else:
            manifest = value
    if not info and manifest is None:
        raise ParseError(f"{path}: neither Info.plist nor Manifest.plist, not an iPhone backup folder")
    return BackupFolder(path, info, manifest)


def _read_capped(path: Path, limit: int) -> bytes:
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ParseError(f"{path.name} is too large ({path.stat().st_size} bytes)")
    return data


def read_content(backup: BackupFolder, fid: str) -> bytes | None:
    """Bytes of one backed-up file, None when the backup does not hold it."""
    if len(fid) != 40 or any(c not in "0123456789abcdef" for c in fid):
        return None  # a fileID from the database is data: never a path
    p = backup.content_path(fid)
    if not p.is_file() or p.is_symlink():
        return None
    return _read_capped(p, MAX_FILE_BYTES)
