"""Evidence integrity: the signed manifest of a case and its verification.

manifest.sha256 (`sha256sum -c` compatible) lists every file in the case;
manifest.sig is an Ed25519 signature over it made with this installation's
key (config_dir()/signing-key.pem, created on first use, 0600). The public key
is printed in every report so that someone else can later check that the case
they hold is the one that was reported.

seal_case() must be the last write to a case: anything written afterwards
(even a log line) shows up as a changed or added file, which is the point.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from techsafe.case import MANIFEST, MANIFEST_SIG, Case, atomic_write, sha256_file
from techsafe.paths import config_dir

KEY_FILE = "signing-key.pem"
SIG_HEADER = "techsafe-signature/1"
# Domain separation: this key signs case manifests and nothing else.
_SIGNED_PREFIX = b"techsafe-manifest/1\n"
_MANIFEST_LINE = re.compile(r"^([0-9a-f]{64})  (.+)$")
_MAX_MANIFEST_BYTES = 64 * 1024 * 1024


class SigningError(Exception):
    """The signing key cannot be read or created (one-line reason)."""


# ---- the installation key -------------------------------------------------------


def key_path() -> Path:
    return config_dir() / KEY_FILE


def load_key(create: bool = True):
    """This installation's Ed25519 private key; created (0600) on first use.

    Returns None when create=False and no key exists yet.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = key_path()
    if not path.exists():
        if not create:
            return None
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            # O_EXCL: two concurrent first uses must not end with two different keys.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_key(create=False)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        return key
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningError(f"{path}: not a usable signing key ({type(exc).__name__})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path}: not an Ed25519 key")
    return key


def public_key_text(key=None) -> str:
    """'ed25519:<base64 of the 32 raw bytes>' for this installation (creating the key)."""
    from cryptography.hazmat.primitives import serialization

    key = key or load_key()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + base64.b64encode(raw).decode("ascii")


def fingerprint(public_key: str) -> str:
    """Short, read-aloud form: SHA256 of the raw key, as grouped hex."""
    raw = _decode_public_key(public_key)
    digest = hashlib.sha256(raw).hexdigest()[:32]
    return "SHA256:" + ":".join(digest[i : i + 4] for i in range(0, 32, 4))


def _decode_public_key(text: str) -> bytes:
    text = text.strip()
    if text.startswith("ed25519:"):
        text = text[len("ed25519:") :]
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise ValueError("public key is not base64") from None
    if len(raw) != 32:
        raise ValueError("public key must be 32 bytes (ed25519:BASE64)")
    return raw


# ---- sealing --------------------------------------------------------------------


def seal_case(case: Case) -> None:
    """Write manifest.sha256 over every file of the case, then sign it."""
    key = load_key()
    manifest = case.write_manifest().read_bytes()
    signature = key.sign(_SIGNED_PREFIX + manifest)
    text = (
        f"{SIG_HEADER}\n"
        "algorithm: ed25519\n"
        f"public-key: {public_key_text(key)}\n"
        f"signature: {base64.b64encode(signature).decode('ascii')}\n"
    )
    atomic_write(case.root / MANIFEST_SIG, text.encode("ascii"))
    _record_seal(case, manifest)


# ---- the seal ledger (techsafe/ledger.py) ---------------------------------------


def _record_seal(case: Case, manifest: bytes) -> None:
    from techsafe import ledger
    from techsafe.case import utc_now

    ledger.record_seal(case.info, hashlib.sha256(manifest).hexdigest(), utc_now())


def _foreign_artifacts(root: Path) -> list[Problem]:
    """In an unsealed case, index records this laptop never wrote: nothing
    shows the files are what was collected (edited with their hashes fixed,
    a record re-pointed or re-labelled, taken from another case, or brought
    from another laptop before it was sealed)."""
    from techsafe import ledger
    from techsafe.case import CaseError

    try:
        case = Case.open(root)
        unknown = ledger.foreign(case.info, (r.to_json() for r in case.index_lines()))
    except (CaseError, OSError, ValueError):
        return []  # an unreadable index is reported by the index check
    return [Problem("foreign", str(r["path"]), f"unknown origin: the record of {r['path']} in artifacts.jsonl was not "
                    "written for this case by techsafe on this laptop, and the case has no signed manifest (finish the "
                    "case on the laptop that collected it)")
            for r in unknown]


def _seals(root: Path) -> list[tuple[str, str]]:
    from techsafe import ledger

    try:
        return ledger.seals_of(Case.open(root).info)
    except Exception:  # no readable case.json: nothing to look up
        return []


# ---- verification ---------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    kind: str  # added | missing | changed | manifest | deleted | superseded | signature | untrusted
    path: str
    message: str  # one plain line, names the file


@dataclass(frozen=True)
class Verification:
    problems: tuple[Problem, ...]
    files_checked: int
    signer: str = ""  # public key that made a valid signature, if any

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def sealed(self) -> bool:
        return not any(p.kind == "manifest" and p.path == MANIFEST for p in self.problems)


def case_files(root: Path) -> list[str]:
    """Every file or link now in the case (what an intruder could have added),
    except the manifest and its signature, and torn temporary files of an
    interrupted write (never read, never sealed: see Case.files)."""
    out = []
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if rel in (MANIFEST, MANIFEST_SIG) or path.name.startswith(".tmp-"):
            continue
        if path.is_symlink() or path.is_file():
            out.append(rel)
    return sorted(out)


def verify_case(root: Path, trusted_keys: Iterable[str] = ()) -> Verification:
    """Compare the case with its signed manifest. Never writes anything.

    A valid signature is trusted when it was made by this installation's key
    or by one of `trusted_keys` (e.g. the key printed in the report).
    """
    root = Path(root)
    problems: list[Problem] = []
    manifest_path = root / MANIFEST
    seals = _seals(root)
    if not manifest_path.is_file():
        if seals:
            problems.append(Problem("deleted", MANIFEST, f"{MANIFEST} was deleted: this laptop sealed this case at {seals[-1][1]}"))
        else:
            problems.append(Problem("manifest", MANIFEST, f"{MANIFEST} is missing: the case was never sealed or it was deleted"))
            problems += _foreign_artifacts(root)
        return Verification(tuple(problems), 0)
    if manifest_path.stat().st_size > _MAX_MANIFEST_BYTES:
        problems.append(Problem("manifest", MANIFEST, f"{MANIFEST} is too large to be a techsafe manifest"))
        return Verification(tuple(problems), 0)
    manifest = manifest_path.read_bytes()
    listed, malformed = _parse_manifest(manifest)
    problems += [Problem("manifest", MANIFEST, f"{MANIFEST} line {number} is malformed") for number in malformed]

    present = set(case_files(root))
    for rel, expected in listed.items():
        path = root / rel
        if rel not in present:
            problems.append(Problem("missing", rel, f"missing file: {rel} is in the manifest but not in the case"))
        elif path.is_symlink():
            problems.append(Problem("changed", rel, f"changed file: {rel} was replaced by a link"))
        elif sha256_file(path) != expected:
            problems.append(Problem("changed", rel, f"changed file: {rel} does not match its SHA-256 in the manifest"))
    for rel in sorted(present - set(listed)):
        problems.append(Problem("added", rel, f"added file: {rel} is not in the manifest"))

    current = hashlib.sha256(manifest).hexdigest()
    if seals and current != seals[-1][0] and current in {sha for sha, _ in seals[:-1]}:
        problems.append(Problem(
            "superseded", MANIFEST,
            f"an older version of this case: this laptop sealed a newer one at {seals[-1][1]} "
            "(if this folder is a copy that was analysed again, use the newer one)"))

    sig_problem, signer = _check_signature(root, manifest, trusted_keys)
    if sig_problem:
        problems.append(sig_problem)
    return Verification(tuple(problems), len(listed), signer)


def _parse_manifest(manifest: bytes) -> tuple[dict[str, str], list[int]]:
    """({path: SHA-256}, numbers of malformed lines)."""
    listed: dict[str, str] = {}
    malformed: list[int] = []
    for number, line in enumerate(manifest.decode("utf-8", "replace").splitlines(), 1):
        m = _MANIFEST_LINE.match(line)
        rel = m.group(2) if m else ""
        if not m or rel.startswith("/") or ".." in rel.split("/") or rel in listed:
            malformed.append(number)
            continue
        listed[rel] = m.group(1)
    return listed, malformed


def manifest_entries(root: Path) -> dict[str, str]:
    """{path: SHA-256} of the case's manifest ({} when there is none)."""
    path = Path(root) / MANIFEST
    if not path.is_file() or path.stat().st_size > _MAX_MANIFEST_BYTES:
        return {}
    return _parse_manifest(path.read_bytes())[0]


def _check_signature(root: Path, manifest: bytes, trusted_keys: Iterable[str]) -> tuple[Problem | None, str]:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    sig_path = root / MANIFEST_SIG
    if not sig_path.is_file():
        return Problem("signature", MANIFEST_SIG, f"{MANIFEST_SIG} is missing: the manifest is not signed"), ""
    fields = _parse_sig(sig_path)
    if fields is None:
        return Problem("signature", MANIFEST_SIG, f"{MANIFEST_SIG} is malformed (not a techsafe signature)"), ""
    try:
        public_raw = _decode_public_key(fields["public-key"])
        signature = base64.b64decode(fields["signature"], validate=True)
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, _SIGNED_PREFIX + manifest)
    except (ValueError, InvalidSignature):
        return (
            Problem(
                "signature",
                MANIFEST_SIG,
                f"bad signature: {MANIFEST_SIG} does not match {MANIFEST} (the manifest or the signature was changed)",
            ),
            "",
        )
    signer = "ed25519:" + base64.b64encode(public_raw).decode("ascii")
    trusted = {_normalise(k) for k in trusted_keys}
    local = load_key(create=False)
    if local is not None:
        trusted.add(_normalise(public_key_text(local)))
    if public_raw not in trusted:
        return (
            Problem(
                "untrusted",
                MANIFEST_SIG,
                f"unknown signer: {MANIFEST_SIG} was made by key {fingerprint(signer)}, which is not this "
                "installation's key; compare it with the public key printed in the report and pass it with --public-key",
            ),
            signer,
        )
    return None, signer


def _normalise(key: str) -> bytes:
    try:
        return _decode_public_key(key)
    except ValueError:
        return b""


def _parse_sig(path: Path) -> dict[str, str] | None:
    try:
        raw = path.read_bytes()[:4096].decode("ascii")
    except (OSError, UnicodeDecodeError):
        return None
    lines = raw.splitlines()
    if not lines or lines[0].strip() != SIG_HEADER:
        return None
    fields = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    if fields.get("algorithm") != "ed25519" or "public-key" not in fields or "signature" not in fields:
        return None
    return fields
