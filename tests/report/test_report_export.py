"""`techsafe case export`: one age-encrypted archive that the Debian `age`
tool decrypts, and that verifies after unpacking."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile

import pytest

AGE = shutil.which("age")


def _age() -> str:
    if AGE is None:
        pytest.fail("Debian package `age` is required for this test (apt-get install age)")
    return AGE


def _unpack(archive_bytes: bytes, dest):
    tar_path = dest / "case.tar.gz"
    tar_path.write_bytes(archive_bytes)
    with tarfile.open(tar_path) as tar:
        names = tar.getnames()
        assert all(not n.startswith("/") and ".." not in n.split("/") for n in names)
        assert all(m.uid == 0 and m.uname == "" for m in tar.getmembers())
        tar.extractall(dest / "out", filter="data")
    return names


def test_export_to_recipient_decrypts_with_age_and_verifies(sample_case, tmp_path, run_cli):
    identity = tmp_path / "advocate-key.txt"
    subprocess.run([_age() + "-keygen", "-o", str(identity)], check=True, capture_output=True)
    recipient = next(
        line.split(": ", 1)[1] for line in identity.read_text().splitlines() if line.startswith("# public key: ")
    )
    archive = tmp_path / "handover.tar.gz.age"
    result = run_cli("case", "export", sample_case.root, "--encrypt-to", recipient, "-o", archive)
    assert result.exit_code == 0, result.output
    assert (archive.stat().st_mode & 0o777) == 0o600
    assert archive.read_bytes().startswith(b"age-encryption.org/v1\n")
    assert b"TheTruthSpy" not in archive.read_bytes()

    plain = subprocess.run([_age(), "-d", "-i", str(identity), str(archive)], check=True, capture_output=True).stdout
    names = _unpack(plain, tmp_path)
    assert "case-test/manifest.sha256" in names and "case-test/manifest.sig" in names
    assert not list(tmp_path.glob(".tmp-export-*")) and not list(sample_case.root.parent.glob(".tmp-export-*"))
    verify = run_cli("case", "verify", tmp_path / "out" / "case-test")
    assert verify.exit_code == 0, verify.output
    assert verify.output.startswith("OK: 6 files match the signed manifest")


def test_export_with_passphrase_decrypts_with_age(sample_case, tmp_path, run_cli):
    archive = tmp_path / "case.age"
    secret = "correct horse battery staple"
    result = run_cli("case", "export", sample_case.root, "--passphrase", "-o", archive, input=f"{secret}\n{secret}\n")
    assert result.exit_code == 0, result.output
    assert secret not in result.output
    plain = _age_decrypt_with_passphrase(archive, secret, tmp_path)
    _unpack(plain, tmp_path)
    assert run_cli("case", "verify", tmp_path / "out" / "case-test").exit_code == 0


def _age_decrypt_with_passphrase(archive, secret, tmp_path) -> bytes:
    """`age -d` reads a passphrase only from a terminal: give it a pseudo-terminal."""
    import pty
    import select
    import time

    out = tmp_path / "plain.tar.gz"
    pid, fd = pty.fork()
    if pid == 0:  # child: the pty is its controlling terminal
        os.execv(_age(), [_age(), "-d", "-o", str(out), str(archive)])
    deadline = time.monotonic() + 30
    buf = b""
    sent = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            if not sent and b"passphrase" in buf.lower():
                os.write(fd, secret.encode() + b"\r")
                sent = True
        if os.waitpid(pid, os.WNOHANG)[0]:
            pid = 0  # reaped
            break
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail(f"age did not finish: {buf!r}")
    if pid:
        os.waitpid(pid, 0)
    assert out.is_file(), buf
    return out.read_bytes()


def test_tampered_case_is_not_exported(sample_case, tmp_path, run_cli):
    (sample_case.root / "artifacts/android/getprop.txt").write_text("edited")
    archive = tmp_path / "x.age"
    result = run_cli("case", "export", sample_case.root, "--passphrase", "-o", archive, input="longpassword\nlongpassword\n")
    assert result.exit_code == 1
    assert "failed verification (1 problem(s))" in result.output and "Nothing was exported" in result.output
    assert not archive.exists()


def test_export_needs_exactly_one_way_to_encrypt(sample_case, run_cli):
    result = run_cli("case", "export", sample_case.root)
    assert result.exit_code == 2 and "choose exactly one of --encrypt-to" in result.output
    bad = run_cli("case", "export", sample_case.root, "--encrypt-to", "age1notakey")
    assert bad.exit_code == 1 and "not an age (age1...) or ssh public key" in bad.output


def test_secret_key_is_refused_and_never_echoed(sample_case, tmp_path, run_cli):
    identity = tmp_path / "key.txt"
    subprocess.run([_age() + "-keygen", "-o", str(identity)], check=True, capture_output=True)
    secret = next(line for line in identity.read_text().splitlines() if line.startswith("AGE-SECRET-KEY-1"))
    result = run_cli("case", "export", sample_case.root, "--encrypt-to", secret, "-o", tmp_path / "x.age")
    assert result.exit_code == 1
    assert result.output == "techsafe: --encrypt-to: that is a secret key; give the public key (age1...)\n"
    assert secret[len("AGE-SECRET-KEY-1"):][:6] not in result.output
    assert not (tmp_path / "x.age").exists()


def test_re_export_does_not_overwrite_without_force(sample_case, tmp_path, run_cli):
    archive = tmp_path / "handover.age"
    args = ("case", "export", sample_case.root, "--passphrase", "-o", archive)
    assert run_cli(*args, input="longpassword\nlongpassword\n").exit_code == 0
    first = archive.read_bytes()
    again = run_cli(*args, input="longpassword\nlongpassword\n")
    assert again.exit_code == 1
    assert again.output == f"techsafe: {archive}: already exists; use --force to replace it, or -o another file\n"
    assert archive.read_bytes() == first
    forced = run_cli(*args, "--force", input="longpassword\nlongpassword\n")
    assert forced.exit_code == 0, forced.output
    assert archive.read_bytes() != first


def test_default_archive_name_is_not_overwritten_either(sample_case, run_cli):
    default = sample_case.root.parent / f"{sample_case.root.name}.tar.gz.age"
    default.write_bytes(b"the copy handed to the police")
    result = run_cli("case", "export", sample_case.root, "--passphrase", input="longpassword\nlongpassword\n")
    assert result.exit_code == 1 and "already exists; use --force" in result.output
    assert default.read_bytes() == b"the copy handed to the police"
