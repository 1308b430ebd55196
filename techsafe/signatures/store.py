"""Installed feeds on this laptop: paths.data_dir()/feeds/<name>/.

    feeds/<name>/
      feed.json     FeedInfo: kind, version, source, imported_at, per-file SHA-256, counts
      index.json    the parsed FeedIndex, keyed by the combined SHA-256 of the files
      ioc.yaml ...  the feed's files exactly as imported/downloaded

A feed is installed by writing a complete new folder next to the old one and
renaming it into place, so an import or update that fails at any point leaves
the previous copy untouched. Loading re-hashes the files (a few ms) and uses
index.json only when it was built from exactly those bytes; otherwise it
parses again (and refreshes the cache when it can).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from techsafe import paths
from techsafe.case import atomic_write, utc_now
from techsafe.signatures.index import FeedIndex, ParsedFeed
from techsafe.signatures.records import FeedError, FeedInfo

FEED_JSON = "feed.json"
INDEX_JSON = "index.json"
FEED_SCHEMA = "techsafe.feed/1"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_RESERVED = {FEED_JSON, INDEX_JSON}


@dataclass(frozen=True)
class InstalledFeed:
    info: FeedInfo
    folder: Path


def feeds_root() -> Path:
    root = paths.data_dir() / "feeds"
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def check_name(name: str) -> str:
    if not _NAME.match(name) or name in (".", ".."):
        raise FeedError(f"feed name {name!r}: use lower-case letters, digits, '.', '-' or '_' (at most 64)")
    return name


def combined_sha256(file_hashes: dict[str, str]) -> str:
    """One digest for a feed: SHA-256 over `sha256sum`-style lines, sorted by name."""
    lines = "".join(f"{file_hashes[n]}  {n}\n" for n in sorted(file_hashes))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def parse_files(kind: str, files: dict[str, bytes]) -> ParsedFeed:
    """The one place that knows which parser reads which kind of feed.

    Every feed (import, update, re-read) is also validated here: one whose
    spying entries list core platform apps, or that lists a bare TLD or a huge
    shared domain such as google.com, is refused (validation.py)."""
    from techsafe.signatures.validation import check_no_core_apps, check_no_shared_domains

    if kind == "echap":
        from techsafe.signatures.echap import parse_echap

        parsed = parse_echap(files)
    elif kind == "stix2":
        from techsafe.signatures.stix2 import parse_stix2

        if len(files) != 1:
            raise FeedError("a STIX 2 feed is exactly one bundle file")
        (filename, data), = files.items()
        parsed = parse_stix2(data, filename)
    else:
        raise FeedError(f"unknown feed kind {kind!r}")
    check_no_core_apps(parsed.index, files)
    check_no_shared_domains(parsed.index, files)
    return parsed


def install(name: str, kind: str, files: dict[str, bytes], parsed: ParsedFeed, source: str) -> FeedInfo:
    """Write the feed into place atomically and return what was installed."""
    check_name(name)
    for filename in files:
        if filename in _RESERVED or "/" in filename or "\\" in filename or filename.startswith("."):
            raise FeedError(f"{filename}: not an acceptable file name inside a feed")
    hashes = {n: hashlib.sha256(b).hexdigest() for n, b in files.items()}
    digest = combined_sha256(hashes)
    info = FeedInfo(
        name=name,
        kind=kind,
        version=parsed.version or digest[:12],
        sha256=digest,
        imported_at=utc_now(),
        source=source,
        counts=dict(parsed.counts),
        data_date=parsed.data_date,
        files=tuple(sorted(hashes.items())),
        warnings=tuple(parsed.warnings),
    )
    root = feeds_root()
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".tmp-{name}-"))
    try:
        for filename, data in files.items():
            atomic_write(tmp / filename, data)
        atomic_write(tmp / INDEX_JSON, _index_bytes(digest, parsed.index))
        atomic_write(tmp / FEED_JSON, json.dumps({"schema": FEED_SCHEMA, **info.to_json()}, indent=2).encode())
        _swap_into_place(tmp, root / name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return info


def _swap_into_place(new: Path, final: Path) -> None:
    old = None
    if final.exists():
        old = final.with_name(f".old-{final.name}-{secrets.token_hex(4)}")
        os.rename(final, old)
    try:
        os.rename(new, final)
    except BaseException:
        if old is not None:
            os.rename(old, final)  # put the previous copy back
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def remove(name: str) -> bool:
    folder = feeds_root() / check_name(name)
    if not folder.is_dir():
        return False
    trash = folder.with_name(f".old-{name}-{secrets.token_hex(4)}")
    os.rename(folder, trash)
    shutil.rmtree(trash, ignore_errors=True)
    return True


def installed() -> tuple[list[InstalledFeed], list[str]]:
    """Installed feeds (sorted by name) and one-line problems for unreadable ones."""
    root = feeds_root()
    _recover_interrupted_swaps(root)
    feeds: list[InstalledFeed] = []
    problems: list[str] = []
    for folder in sorted(root.iterdir()):
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        try:
            data = json.loads((folder / FEED_JSON).read_text("utf-8"))
            if data.get("schema") != FEED_SCHEMA:
                raise ValueError("unknown schema")
            info = FeedInfo.from_json(data)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"feed '{folder.name}': {FEED_JSON} is unreadable ({exc.__class__.__name__}); re-import it")
            continue
        feeds.append(InstalledFeed(info=info, folder=folder))
    return feeds, problems


def _recover_interrupted_swaps(root: Path) -> None:
    """A crash between the two renames of an install leaves only .old-<name>-*: restore it."""
    for leftover in root.glob(".old-*"):
        name = leftover.name[len(".old-") :].rsplit("-", 1)[0]
        if _NAME.match(name) and not (root / name).exists():
            try:
                os.rename(leftover, root / name)
            except OSError:
                pass


def read_files(feed: InstalledFeed) -> dict[str, bytes]:
    return {n: (feed.folder / n).read_bytes() for n, _ in feed.info.files}


def load_index(feed: InstalledFeed) -> FeedIndex:
    """The feed's index, from cache when the files are byte-for-byte what it was built from."""
    try:
        files = read_files(feed)
    except OSError as exc:
        raise FeedError(f"feed '{feed.info.name}': a file is missing ({exc.filename and Path(exc.filename).name})") from None
    hashes = {n: hashlib.sha256(b).hexdigest() for n, b in files.items()}
    expected = dict(feed.info.files)
    if hashes != expected:
        changed = sorted(n for n in expected if hashes.get(n) != expected[n])
        raise FeedError(f"feed '{feed.info.name}': {', '.join(changed)} changed since import; re-import it")
    key = combined_sha256(hashes)
    try:
        cached = json.loads((feed.folder / INDEX_JSON).read_bytes())
        if cached.get("key") == key:
            return FeedIndex.from_json(cached["index"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    index = parse_files(feed.info.kind, files).index
    try:
        atomic_write(feed.folder / INDEX_JSON, _index_bytes(key, index))
    except OSError:
        pass  # read-only data dir: still usable, just slower
    return index


def _index_bytes(key: str, index: FeedIndex) -> bytes:
    return json.dumps({"key": key, "index": index.to_json()}, separators=(",", ":")).encode("utf-8")
