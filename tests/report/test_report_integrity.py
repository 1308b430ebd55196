"""Signed manifest: `techsafe case verify` catches every kind of tampering
with a specific message and a non-zero exit status."""

from __future__ import annotations

import os
import shutil

from techsafe.report.sign import fingerprint, key_path, public_key_text, verify_case


def test_sealed_case_verifies(sample_case, run_cli):
    result = run_cli("case", "verify", sample_case.root)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: 6 files match the signed manifest; signed by " + public_key_text())
    assert (key_path().stat().st_mode & 0o777) == 0o600
    assert (sample_case.root.stat().st_mode & 0o777) == 0o700
    # the manifest is `sha256sum -c` compatible
    lines = (sample_case.root / "manifest.sha256").read_text().splitlines()
    assert "artifacts/android/getprop.txt" in [line.split("  ", 1)[1] for line in lines]


def test_changed_byte(sample_case, run_cli):
    path = sample_case.root / "artifacts/android/getprop.txt"
    data = bytearray(path.read_bytes())
    data[3] ^= 0x01
    path.write_bytes(bytes(data))
    result = run_cli("case", "verify", sample_case.root)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "changed file: artifacts/android/getprop.txt does not match its SHA-256 in the manifest",
        "changed artifact: artifacts/android/getprop.txt does not match its SHA-256 in artifacts.jsonl",
        f"FAILED: 2 problem(s) in {sample_case.root}",
    ]


def test_added_file(sample_case, run_cli):
    (sample_case.root / "artifacts/android/planted.txt").write_text("x")
    result = run_cli("case", "verify", sample_case.root)
    assert result.exit_code == 1
    assert "added file: artifacts/android/planted.txt is not in the manifest" in result.output.splitlines()


def test_added_symlink(sample_case, run_cli):
    os.symlink("/etc/hostname", sample_case.root / "link.txt")
    result = run_cli("case", "verify", sample_case.root)
    assert result.exit_code == 1
    assert "added file: link.txt is not in the manifest" in result.output


def test_deleted_file(sample_case, run_cli):
    (sample_case.root / "findings.json").unlink()
    result = run_cli("case", "verify", sample_case.root)
    assert result.exit_code == 1
    assert "missing file: findings.json is in the manifest but not in the case" in result.output.splitlines()


def test_swapped_signature(sample_case, tmp_path, run_cli):
    from techsafe.case import Case
    from techsafe.report.sign import seal_case

    other = Case.create(tmp_path / "other-case")
    seal_case(other)
    shutil.copy(other.root / "manifest.sig", sample_case.root / "manifest.sig")
    result = run_cli("case", "verify", sample_case.root)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "bad signature: manifest.sig does not match manifest.sha256 (the manifest or the signature was changed)"
    )


def test_rewritten_manifest_breaks_the_signature(sample_case, run_cli):
    # An intruder who edits a file and fixes up the manifest still fails.
    (sample_case.root / "artifacts/android/getprop.txt").write_text("edited")
    sample_case.write_manifest()
    result = run_cli("case", "verify", sample_case.root)
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith("bad signature:")


def test_missing_or_garbage_signature(sample_case, run_cli):
    sig = sample_case.root / "manifest.sig"
    sig.write_bytes(b"\x00\xffnot a signature")
    assert "manifest.sig is malformed (not a techsafe signature)" in run_cli("case", "verify", sample_case.root).output
    sig.unlink()
    result = run_cli("case", "verify", sample_case.root)
    assert result.exit_code == 1
    assert "manifest.sig is missing: the manifest is not signed" in result.output


def test_resealed_with_another_key_is_an_unknown_signer(sample_case, run_cli, monkeypatch, tmp_path):
    from techsafe.report.sign import seal_case

    mine = public_key_text()
    monkeypatch.setenv("TECHSAFE_HOME", str(tmp_path / "intruder-home"))
    (sample_case.root / "artifacts/android/getprop.txt").write_text("edited")
    seal_case(sample_case)  # a valid signature, but by someone else's key
    intruder = public_key_text()
    monkeypatch.setenv("TECHSAFE_HOME", str(tmp_path / "techsafe-home"))
    result = run_cli("case", "verify", sample_case.root)
    assert result.exit_code == 1
    assert result.output.startswith(f"unknown signer: manifest.sig was made by key {fingerprint(intruder)}")
    # the key printed in the report decides: the original key does not vouch for it
    assert run_cli("case", "verify", sample_case.root, "--public-key", mine).exit_code == 1
    # vouching for the intruder's key passes the manifest, not the hashes recorded as the artifacts arrived
    vouched = run_cli("case", "verify", sample_case.root, "--public-key", intruder)
    assert vouched.exit_code == 1
    assert vouched.output.splitlines()[0] == (
        "changed artifact: artifacts/android/getprop.txt does not match its SHA-256 in artifacts.jsonl")


def test_other_laptop_verifies_with_the_printed_key(sample_case, run_cli, monkeypatch, tmp_path):
    key = public_key_text()
    monkeypatch.setenv("TECHSAFE_HOME", str(tmp_path / "police-laptop"))
    assert run_cli("case", "verify", sample_case.root).exit_code == 1
    result = run_cli("case", "verify", sample_case.root, "--public-key", key)
    assert result.exit_code == 0 and result.output.startswith("OK:")
    bad = run_cli("case", "verify", sample_case.root, "--public-key", "ed25519:abc")
    assert bad.exit_code == 1 and "--public-key: public key" in bad.output
    assert not (tmp_path / "police-laptop/config/signing-key.pem").exists()  # verify never creates a key


def test_log_written_after_sealing_is_caught(sample_case):
    sample_case.log("late", note="after seal")
    problems = verify_case(sample_case.root).problems
    assert [(p.kind, p.path) for p in problems] == [("added", "log.jsonl")]


def test_report_on_tampered_case_warns_and_does_not_reseal(sample_case, run_cli):
    (sample_case.root / "findings.json").write_text(
        (sample_case.root / "findings.json").read_text().replace("critical", "info", 1)
    )
    manifest_before = (sample_case.root / "manifest.sha256").read_bytes()
    result = run_cli("report", sample_case.root, "--format", "md")
    assert result.exit_code == 1
    assert "failed its integrity check" in result.output
    md = (sample_case.root / "reports/report.md").read_text()
    assert "**Warning: this case failed its integrity check" in md
    assert "changed file: findings.json" in md
    assert (sample_case.root / "manifest.sha256").read_bytes() == manifest_before
