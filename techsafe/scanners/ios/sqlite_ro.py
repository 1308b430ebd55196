"""Open a SQLite file from a phone or backup: read-only, on a private copy.

The original (a backup folder, a case artifact) is never opened by SQLite:
SQLite may create -wal/-shm files or rewrite a hot journal next to what it
opens. The copy lives in a private temporary folder and is deleted after use.
A progress handler caps the work a crafted database can make a query do.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Iterator

from techsafe.scanners.ios.plists import ParseError

SQLITE_MAGIC = b"SQLite format 3\x00"
_MAX_STEPS = 50_000_000  # VM instructions per connection; plenty for our small queries


def is_sqlite(data: bytes) -> bool:
    return data[:16] == SQLITE_MAGIC


@contextlib.contextmanager
def open_copy(data: bytes, what: str = "database") -> Iterator[sqlite3.Connection]:
    if not is_sqlite(data):
        raise ParseError(f"{what} is not a SQLite database")
    with tempfile.TemporaryDirectory(prefix="techsafe-sqlite-") as tmp:
        path = Path(tmp) / "copy.db"
        path.write_bytes(data)
        path.chmod(0o400)
        conn = _connect(path, what)
        try:
            yield conn
        finally:
            conn.close()


@contextlib.contextmanager
def open_file_copy(src: Path, what: str = "database") -> Iterator[sqlite3.Connection]:
    with open(src, "rb") as fh:
        head = fh.read(16)
    if head != SQLITE_MAGIC:
        raise ParseError(f"{what} is not a SQLite database")
    with tempfile.TemporaryDirectory(prefix="techsafe-sqlite-") as tmp:
        path = Path(tmp) / "copy.db"
        shutil.copyfile(src, path)
        path.chmod(0o400)
        conn = _connect(path, what)
        try:
            yield conn
        finally:
            conn.close()


def _connect(path: Path, what: str) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as exc:
        raise ParseError(f"{what} cannot be opened ({type(exc).__name__})") from None
    steps = {"n": 0}

    def budget() -> int:
        steps["n"] += 1000
        return 1 if steps["n"] > _MAX_STEPS else 0

    conn.set_progress_handler(budget, 1000)
    conn.text_factory = lambda b: b.decode("utf-8", "replace")
    return conn


def query(conn: sqlite3.Connection, sql: str, params: tuple = (), what: str = "database") -> list[tuple]:
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.Error as exc:
        raise ParseError(f"{what} could not be read ({type(exc).__name__}: {str(exc)[:80]})") from None
    except UnicodeDecodeError:  # sqlite3 decodes a corrupt schema's error text as UTF-8 and fails
        raise ParseError(f"{what} could not be read (corrupt schema)") from None
    except MemoryError:  # SQLite reports some corrupt files as out of memory (SQLITE_NOMEM); found by fuzzing
        raise ParseError(f"{what} could not be read (corrupt database)") from None


def tables(conn: sqlite3.Connection, what: str = "database") -> set[str]:
    return {r[0] for r in query(conn, "SELECT name FROM sqlite_master WHERE type='table'", what=what)}
