"""The case folder: raw artifacts, their index, the log, findings, manifest.

Layout (DESIGN.md):

    CASE/
      case.json        id, created, operator, tool version, signature sources
      log.jsonl        append-only: commands run, durations, errors
      artifacts.jsonl  append-only index: one ArtifactRecord per stored artifact
      artifacts/<source>/...   raw outputs exactly as received
      findings.json    schema-versioned Analysis
      manifest.sha256  `sha256sum -c` compatible, every file above

Every whole-file write is atomic (temp file, fsync, rename) so that a scan
killed at any moment leaves a case that can still be opened and analyzed.
Append-only files tolerate a torn last line for the same reason.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import hashlib
import json
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from techsafe import __version__
from techsafe.model import Analysis, ArtifactRecord

CASE_SCHEMA = "techsafe.case/1"
_SAFE_COMPONENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")
MANIFEST = "manifest.sha256"
MANIFEST_SIG = "manifest.sig"


class CaseError(Exception):
    """A case folder that cannot be used, with a one-line reason."""


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def safe_component(name: str) -> str:
    """A path component from untrusted text (package names come from the device).

    Names that are plain stay readable; anything else becomes a hash so it can
    never climb out of the case or collide with our own files.
    """
    if _SAFE_COMPONENT.match(name) and name not in (".", ".."):
        return name
    return "x-" + hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:24]


def private_dirs(path: Path) -> None:
    """mkdir -p with 0700 for every folder it creates: mkdir(parents=True) gives
    the intermediate ones (artifacts/) the umask's default, usually 0755."""
    if path.is_dir():
        return
    private_dirs(path.parent)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        return
    os.chmod(path, 0o700)


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    atomic_write_blocks(path, [data], mode)


def atomic_write_blocks(path: Path, blocks: Iterable[bytes], mode: int = 0o600) -> tuple[str, int]:
    """Write blocks to a temp file beside `path`, fsync, rename; returns (sha256, size)."""
    private_dirs(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.name[:40])
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as fh:
            for block in blocks:
                digest.update(block)
                size += len(block)
                fh.write(block)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(path.parent)
    return digest.hexdigest(), size


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _append_line(path: Path, obj: dict[str, Any]) -> None:
    line = (json.dumps(obj, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_jsonl(path: Path, strict: bool = False) -> Iterator[dict[str, Any]]:
    """Lines of an append-only file. Only the last line may be torn (a crash
    mid-write); with `strict`, any other bad line is an error, never skipped."""
    if not path.exists():
        return
    lines = path.read_bytes().splitlines()
    for number, raw in enumerate(lines, 1):
        try:
            obj = json.loads(raw)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            yield obj
        elif strict and number != len(lines):
            raise CaseError(f"{path}: line {number} is damaged; the case index cannot be trusted")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class Case:
    root: Path

    # ---- creation -----------------------------------------------------
    @classmethod
    def create(cls, root: Path | None = None, operator: str | None = None, parent: Path = Path("cases")) -> "Case":
        if root is None:
            stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
            root = parent / f"case-{stamp}-{secrets.token_hex(2)}"
        root = Path(root)
        if root.exists() and any(root.iterdir()):
            if (root / "case.json").exists():
                return cls.open(root)
            raise CaseError(f"{root}: folder exists and is not a techsafe case; choose another --case")
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(root, 0o700)  # survivors' data: readable by the operator only
        case = cls(root)
        info = {
            "schema": CASE_SCHEMA,
            "case_id": root.name,
            "created": utc_now(),
            "operator": operator if operator is not None else _operator(),
            "tool_version": __version__,
            "signature_sources": [],
        }
        atomic_write(root / "case.json", _dumps(info))
        return case

    @classmethod
    def open(cls, root: Path) -> "Case":
        root = Path(root)
        info_path = root / "case.json"
        if not info_path.is_file():
            raise CaseError(f"{root}: not a techsafe case folder (no case.json)")
        try:
            info = json.loads(info_path.read_text("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise CaseError(f"{info_path}: not valid JSON ({exc})") from None
        if not isinstance(info, dict) or info.get("schema") != CASE_SCHEMA:
            raise CaseError(f"{info_path}: unknown case schema {info.get('schema') if isinstance(info, dict) else None!r}")
        return cls(root)

    @staticmethod
    def is_case(path: Path) -> bool:
        return (Path(path) / "case.json").is_file()

    # ---- case.json ----------------------------------------------------
    @property
    def info(self) -> dict[str, Any]:
        return json.loads((self.root / "case.json").read_text("utf-8"))

    def update_info(self, **changes: Any) -> None:
        info = self.info
        info.update(changes)
        atomic_write(self.root / "case.json", _dumps(info))

    # ---- artifacts ----------------------------------------------------
    def add_artifact(
        self,
        source: str,
        name: str,
        data: bytes,
        *,
        command: str,
        started: str | None = None,
        duration_s: float = 0.0,
        exit_status: int | None = None,
        error: str = "",
        complete: bool = True,
        meta: dict[str, Any] | None = None,
    ) -> ArtifactRecord:
        """Store raw bytes under artifacts/<source>/<name>; `name` may hold '/'
        separators, each component is made safe."""
        return self._store(source, name, [data], command=command, started=started, duration_s=duration_s,
                           exit_status=exit_status, error=error, complete=complete, meta=meta)

    def add_artifact_file(
        self, source: str, name: str, src: Path, *, command: str, meta: dict[str, Any] | None = None
    ) -> ArtifactRecord:
        """Like add_artifact, but copies a file in blocks: captures can be larger than memory."""
        with open(src, "rb") as fh:
            return self._store(source, name, iter(lambda: fh.read(1 << 20), b""), command=command, meta=meta)

    def _store(self, source: str, name: str, blocks: Iterable[bytes], *, command: str, started: str | None = None,
               duration_s: float = 0.0, exit_status: int | None = None, error: str = "", complete: bool = True,
               meta: dict[str, Any] | None = None) -> ArtifactRecord:
        parts = [safe_component(source)] + [safe_component(p) for p in name.split("/") if p]
        rel = Path("artifacts", *parts)
        started = started or utc_now()
        sha256, size = atomic_write_blocks(self.root / rel, blocks)
        record = ArtifactRecord(
            path=rel.as_posix(),
            sha256=sha256,
            size=size,
            source=source,
            command=command,
            started=started,
            duration_s=duration_s,
            exit_status=exit_status,
            error=error,
            complete=complete,
            meta=dict(meta or {}),
        )
        from techsafe import ledger

        # Remembered outside the case before it is indexed, so a crash in
        # between never makes an indexed artifact look foreign.
        ledger.record_arrival(self.info, record.to_json())
        # The index line is written only once the bytes are safely on disk.
        _append_line(self.root / "artifacts.jsonl", record.to_json())
        return record

    def artifacts(self, source: str | None = None) -> list[ArtifactRecord]:
        """Latest record per path, in the order first stored."""
        return [r for r in self._records()
                if (self.root / r.path).is_file() and (source is None or r.source == source)]

    def read_artifact(self, rel: str) -> bytes:
        path = (self.root / rel).resolve()
        if self.root.resolve() not in path.parents:
            raise CaseError(f"{rel}: artifact path leaves the case folder")
        return path.read_bytes()

    def index_problems(self) -> tuple[list[str], list[str]]:
        """Compare artifacts/ with artifacts.jsonl: (changed or missing
        artifacts, files present but never indexed). An unindexed file is what
        a crash between writing an artifact and indexing it leaves — or a
        planted file; either way analysis never reads it."""
        changed: list[str] = []
        indexed: set[str] = set()
        for rec in self._records():
            indexed.add(rec.path)
            path = self.root / rec.path
            if not path.is_file() or path.is_symlink():
                changed.append(f"missing artifact: {rec.path} is in artifacts.jsonl but not in the case")
            elif sha256_file(path) != rec.sha256:
                changed.append(f"changed artifact: {rec.path} does not match its SHA-256 in artifacts.jsonl")
        unindexed = sorted(
            p.relative_to(self.root).as_posix()
            for p in (self.root / "artifacts").rglob("*")
            if (p.is_file() or p.is_symlink()) and not p.name.startswith(".tmp-")
            and p.relative_to(self.root).as_posix() not in indexed
        ) if (self.root / "artifacts").is_dir() else []
        return changed, unindexed

    def _records(self) -> list[ArtifactRecord]:
        latest: dict[str, ArtifactRecord] = {}
        for rec in self.index_lines():
            latest[rec.path] = rec
        return list(latest.values())

    def index_lines(self) -> list[ArtifactRecord]:
        """Every record of artifacts.jsonl, in order (a later one for the same path wins)."""
        out = []
        for obj in _read_jsonl(self.root / "artifacts.jsonl", strict=True):
            try:
                out.append(ArtifactRecord.from_json(obj))
            except (KeyError, TypeError, ValueError):
                raise CaseError(f"{self.root / 'artifacts.jsonl'}: an entry is not an artifact record") from None
        return out

    @contextlib.contextmanager
    def lock(self) -> Iterator["Case"]:
        """One command at a time per case (a lock on the folder itself, so no
        extra file enters the manifest)."""
        fd = self.acquire_lock()
        try:
            yield self
        finally:
            os.close(fd)

    def acquire_lock(self) -> int:
        """Take the case's lock; it is held until the returned fd is closed
        (at the latest when the process ends)."""
        import fcntl

        fd = os.open(self.root, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise CaseError(f"{self.root}: another techsafe command is using this case; wait for it to finish") from None
        return fd

    def archive_previous_results(self) -> str | None:
        """Before a re-analysis overwrites them, move findings.json and reports/
        to history/<time>/ so earlier results stay part of the record, with
        copies of case.json (which feeds produced them) and of the seal
        (manifest and signature: who vouched for them)."""
        old = [p for p in (self.root / "findings.json", self.root / "reports") if p.exists()]
        if not old:
            return None
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        dest = self.root / "history" / stamp
        private_dirs(dest)
        for name in ("case.json", MANIFEST, MANIFEST_SIG):  # which feeds, and who sealed the earlier results
            if (self.root / name).is_file():
                atomic_write(dest / name, (self.root / name).read_bytes())
        for p in old:
            os.replace(p, dest / p.name)
        _fsync_dir(self.root)
        return dest.relative_to(self.root).as_posix()

    # ---- log ----------------------------------------------------------
    def log(self, event: str, **fields: Any) -> None:
        """Append to log.jsonl. Callers pass no personal data (DESIGN.md)."""
        _append_line(self.root / "log.jsonl", {"time": utc_now(), "event": event, **fields})

    def log_entries(self) -> list[dict[str, Any]]:
        return list(_read_jsonl(self.root / "log.jsonl"))

    # ---- findings -----------------------------------------------------
    def write_findings(self, analysis: Analysis) -> None:
        atomic_write(self.root / "findings.json", _dumps(analysis.to_json()))

    def read_findings(self) -> Analysis | None:
        path = self.root / "findings.json"
        if not path.exists():
            return None
        try:
            return Analysis.from_json(json.loads(path.read_text("utf-8")))
        except (ValueError, KeyError, TypeError) as exc:
            raise CaseError(f"{path}: unreadable findings ({exc})") from None

    # ---- manifest -----------------------------------------------------
    def files(self) -> list[str]:
        """Every file the manifest covers, sorted, relative to the case."""
        out = []
        for path in self.root.rglob("*"):
            rel = path.relative_to(self.root).as_posix()
            if path.is_symlink() or not path.is_file():
                continue
            if rel in (MANIFEST, MANIFEST_SIG) or path.name.startswith(".tmp-"):
                continue
            out.append(rel)
        return sorted(out)

    def write_manifest(self) -> Path:
        lines = [f"{sha256_file(self.root / rel)}  {rel}\n" for rel in self.files()]
        path = self.root / MANIFEST
        atomic_write(path, "".join(lines).encode("utf-8"))
        return path


def _operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


def _dumps(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2, sort_keys=False, ensure_ascii=False) + "\n").encode("utf-8")
