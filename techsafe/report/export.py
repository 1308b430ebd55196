"""`case export`: the whole sealed case as one age-encrypted tar.gz.

The archive decrypts with the standard `age` tool (`age -d -i key.txt` or a
passphrase) and unpacks to CASE-NAME/..., where `techsafe case verify` checks
it against the signed manifest it carries.
"""

from __future__ import annotations

import os
import tarfile
import tempfile
from pathlib import Path
from typing import Sequence

from techsafe.case import MANIFEST, MANIFEST_SIG, Case, atomic_write


class ExportError(Exception):
    """One-line reason the export cannot be written."""


def parse_recipients(texts: Sequence[str]) -> list:
    import pyrage

    out = []
    for text in texts:
        text = text.strip()
        # A secret key pasted by mistake: refuse without ever echoing any of it.
        if text.upper().startswith("AGE-SECRET-KEY-"):
            raise ExportError("--encrypt-to: that is a secret key; give the public key (age1...)")
        if "PRIVATE KEY" in text.upper():
            raise ExportError("--encrypt-to: that is a private ssh key; give the public key (ssh-ed25519 ... or ssh-rsa ...)")
        try:
            if text.startswith("age1"):
                out.append(pyrage.x25519.Recipient.from_str(text))
            elif text.startswith(("ssh-ed25519 ", "ssh-rsa ")):
                out.append(pyrage.ssh.Recipient.from_str(text))
            else:
                raise ValueError
        except (ValueError, pyrage.RecipientError):
            shown = text[:12] + ("..." if len(text) > 12 else "")
            raise ExportError(f"--encrypt-to {shown!r}: not an age (age1...) or ssh public key") from None
    return out


def export_case(case: Case, target: Path, *, recipients: list | None = None, passphrase: str | None = None) -> None:
    """Verify (sealing a never-sealed case first), tar, encrypt, write `target` (0600)."""
    import pyrage

    from techsafe.report.sign import seal_case, verify_case

    if (recipients is None) == (passphrase is None):
        raise ExportError("give either recipients or a passphrase")
    check = verify_case(case.root)
    if not check.sealed:
        seal_case(case)
        check = verify_case(case.root)
    if not check.ok:
        # A case that no longer matches its manifest is not handed over silently.
        raise ExportError(
            f"{case.root}: failed verification ({len(check.problems)} problem(s)); "
            "run `techsafe case verify` to see them. Nothing was exported."
        )
    target = Path(target)
    if target.resolve() == case.root.resolve() or case.root.resolve() in target.resolve().parents:
        raise ExportError(f"{target}: write the archive outside the case folder")

    # The plaintext tar sits next to the (equally plaintext) case, never on
    # the export medium, and is removed whatever happens.
    fd, tmp_name = tempfile.mkstemp(dir=case.root.parent, prefix=".tmp-export-", suffix=".tar.gz")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, 0o600)
        with tarfile.open(tmp, "w:gz", format=tarfile.PAX_FORMAT) as tar:
            for rel in _members(case):
                tar.add(case.root / rel, arcname=f"{case.root.name}/{rel}", recursive=False, filter=_clean)
        try:
            if recipients is not None:
                out_fd, out_tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".age")
                try:
                    with open(tmp, "rb") as reader, os.fdopen(out_fd, "wb") as writer:
                        pyrage.encrypt_io(reader, writer, recipients)
                        writer.flush()
                        os.fsync(writer.fileno())
                    os.chmod(out_tmp, 0o600)
                    os.replace(out_tmp, target)
                except BaseException:
                    Path(out_tmp).unlink(missing_ok=True)
                    raise
            else:
                atomic_write(target, pyrage.passphrase.encrypt(tmp.read_bytes(), passphrase))
        except pyrage.EncryptError as exc:
            raise ExportError(f"{target}: encryption failed ({exc})") from None
        except OSError as exc:
            raise ExportError(f"{target}: cannot write ({exc.strerror})") from None
    finally:
        tmp.unlink(missing_ok=True)


def _members(case: Case) -> list[str]:
    names = list(case.files())
    names += [n for n in (MANIFEST, MANIFEST_SIG) if (case.root / n).is_file()]
    return sorted(names)


def _clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
    # No laptop user names or ids in the archive.
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600 if info.isfile() else 0o700
    return info
