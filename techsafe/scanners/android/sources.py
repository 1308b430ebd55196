"""Offline Android inputs: androidqf folders and zips, text dumps, bugreports.

Each is stored byte-for-byte in the case (artifacts/android/<kind>/...) with a
meta "format" telling inputs.py how to read it; analysis is then identical to
a live scan. Archives are read in place: no extraction to disk, no path
traversal, no symlinks, and a cap on decompressed size.
"""

from __future__ import annotations

import re
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Iterator

from techsafe.pipeline import InputError
from techsafe.scanners.android.inputs import NOT_READ_EVENT

if TYPE_CHECKING:
    from techsafe.case import Case

MAX_MEMBER_BYTES = 512 << 20  # one file inside an archive
MAX_ARCHIVE_BYTES = 2 << 30  # everything inside an archive
_DUMP_MARK = re.compile(rb"^DUMP OF (SERVICE|SETTINGS) ", re.M)
# older layout (shared mvt/androidqf) and current androidqf (acquisition.json,
# processes.json, hashes.csv, apks/ beside the same text files)
ANDROIDQF_MARKERS = ("packages.json", "dumpsys.txt", "getprop.txt", "acquisition.json", "processes.json", "hashes.csv")
BUGREPORT_MARKERS = ("main_entry.txt",)


def _androidqf_meta(name: str) -> dict[str, Any]:
    """How to read one androidqf file (by its base name)."""
    base = PurePosixPath(name).name
    if base == "dumpsys.txt":
        return {"format": "dumpsys"}
    if base == "getprop.txt":
        return {"format": "text", "key": "getprop"}
    if base == "packages.json":
        return {"format": "androidqf-packages"}
    if base == "root_binaries.json":
        return {"format": "text", "key": "androidqf_root_binaries"}
    m = re.fullmatch(r"settings_([a-z]+)\.txt", base)
    if m:
        return {"format": "text", "key": f"settings_{m.group(1)}"}
    # One file per service, as MVT's adb acquisition writes them
    # (dumpsys_accessibility.txt, dumpsys_packages.txt for `dumpsys package`).
    m = re.fullmatch(r"dumpsys_([a-z_.]+)\.txt", base)
    if m:
        service = {"packages": "package"}.get(m.group(1), m.group(1))
        return {"format": "text", "key": f"dumpsys_{service}"}
    return {}  # kept as evidence; read by later checks (ps, files, root binaries...)


# ---- detection ---------------------------------------------------------------


def detect(path: Path) -> str | None:
    path = Path(path)
    if path.is_dir():
        names = {p.name for p in path.iterdir()}
        if any(m in names for m in BUGREPORT_MARKERS):
            return "Android bugreport folder"
        if any(m in names for m in ANDROIDQF_MARKERS):
            return "androidqf acquisition folder"
        return None
    if not path.is_file():
        return None
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as zf:
                names = {PurePosixPath(n).name for n in zf.namelist()}
        except (zipfile.BadZipFile, OSError):
            return None
        if names & set(BUGREPORT_MARKERS):
            return "Android bugreport zip"
        if names & set(ANDROIDQF_MARKERS):
            return "androidqf acquisition zip"
        return None
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    if _DUMP_MARK.search(head):
        return "Android text dump (DUMP OF SERVICE sections)"
    return None


# ---- ingest ------------------------------------------------------------------


def ingest(path: Path, case: "Case") -> None:
    path = Path(path)
    what = detect(path) or ""
    if path.is_dir():
        files = _folder_files(path)
    elif what.endswith("zip"):
        files = _zip_files(path)
    else:
        data = path.read_bytes()
        case.add_artifact("android", f"dump/{path.name}", data, command=f"import {path.name}", meta={"format": "dumpsys"})
        return
    bugreport = "bugreport" in what
    kind = "bugreport" if bugreport else "androidqf"
    main = _main_entry(path) if bugreport else None
    stored = 0
    for rel, data in files:
        meta = _bugreport_meta(rel, main) if bugreport else _androidqf_meta(rel)
        if data is None:
            # A symlink, never followed, nothing stored. When it stands where an
            # input would be, the log says so and the areas it feeds name it (inputs.py).
            if meta:
                case.log(NOT_READ_EVENT, platform="android", name=f"{kind}/{rel}", reason="symlink not followed", **meta)
            continue
        case.add_artifact("android", f"{kind}/{rel}", data, command=f"import {kind} {rel}", meta=meta)
        stored += 1
    if stored == 0:
        raise InputError(f"{path}: no readable files in this {what or 'input'}")


def _main_entry(path: Path) -> str | None:
    """The main text file a bugreport's main_entry.txt names (AOSP dumpstate
    writes `bugreport-<device>-<date>.txt` there), or None. An encrypted
    main_entry.txt is an InputError: the bugreport cannot be read."""
    raw = b""
    try:
        if path.is_dir():
            entry = path / "main_entry.txt"
            if entry.is_file() and not entry.is_symlink():
                with open(entry, "rb") as fh:
                    raw = fh.read(4096)
        else:
            with zipfile.ZipFile(path) as zf:
                names = [n for n in zf.namelist() if PurePosixPath(n).name == "main_entry.txt"]
                if names:
                    _refuse_encrypted(path, zf.getinfo(names[0]), names[0])
                    with zf.open(names[0]) as fh:
                        raw = fh.read(4096)
    except (OSError, zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError):
        return None
    name = raw.decode("utf-8", "replace").strip().splitlines()[0].strip() if raw.strip() else ""
    return name if name and _safe_member(name) else None


def _bugreport_meta(name: str, main: str | None = None) -> dict[str, Any]:
    base = PurePosixPath(name).name
    if main and (name == main or base == PurePosixPath(main).name):
        return {"format": "dumpsys"}
    if base.startswith("dumpstate") and base.endswith((".txt", ".log")) or base.startswith("bugreport-") and base.endswith(".txt"):
        return {"format": "dumpsys"}
    return {}


def _folder_files(root: Path) -> Iterator[tuple[str, bytes | None]]:
    """(relative path, bytes) of each file; bytes None for a symlink, never followed."""
    total = 0
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_symlink():
            yield rel, None  # never follow links out of the input
            continue
        if not p.is_file():
            continue
        size = p.stat().st_size
        if size > MAX_MEMBER_BYTES:
            raise InputError(f"{p}: larger than {MAX_MEMBER_BYTES >> 20} MiB; not an acquisition file")
        total += size
        if total > MAX_ARCHIVE_BYTES:
            raise InputError(f"{root}: more than {MAX_ARCHIVE_BYTES >> 30} GiB of files; refusing")
        yield rel, p.read_bytes()


def _safe_member(name: str) -> str | None:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not parts or name.startswith("/") or any(p in ("..", "") for p in parts) or ":" in parts[0]:
        return None
    return "/".join(parts)


# Bit 0 of a zip entry's general purpose flags: the entry is encrypted (APPNOTE 4.4.4).
_ZIP_ENCRYPTED = 0x1


def _refuse_encrypted(path: Path, info: zipfile.ZipInfo, rel: str) -> None:
    """A password-protected member: one plain line, never zipfile's repr of the entry."""
    if info.flag_bits & _ZIP_ENCRYPTED:
        raise InputError(f"{path}: {rel[:80]} is encrypted (a password-protected zip); techsafe cannot read it")


def _zip_files(path: Path) -> Iterator[tuple[str, bytes | None]]:
    """(member path, bytes) of each file; bytes None for a symlink entry."""
    total = 0
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{path}: not a readable zip ({exc})") from None
    seen: set[str] = set()
    with zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            mode = info.external_attr >> 16
            rel = _safe_member(info.filename)
            if stat.S_ISLNK(mode):  # a symlink entry could point anywhere: never followed
                if rel is not None:
                    yield rel, None
                continue
            if rel is None:
                raise InputError(f"{path}: archive member {info.filename[:80]!r} tries to leave the folder; refusing")
            if rel in seen:  # the later copy would silently replace the earlier one
                raise InputError(f"{path}: archive member {rel[:80]!r} appears twice; refusing")
            seen.add(rel)
            _refuse_encrypted(path, info, rel)
            chunks, size = [], 0
            try:
                with zf.open(info) as member:
                    while True:
                        block = member.read(1 << 20)
                        if not block:
                            break
                        size += len(block)
                        total += len(block)
                        if size > MAX_MEMBER_BYTES or total > MAX_ARCHIVE_BYTES:
                            raise InputError(
                                f"{path}: {rel} unpacks to more than allowed (possible zip bomb); refusing"
                            )
                        chunks.append(block)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
                # zlib.error: a damaged deflate stream (zipfile does not wrap it)
                raise InputError(f"{path}: {rel} cannot be read ({exc})") from None
            yield rel, b"".join(chunks)
