"""`techsafe report -o` never replaces a file by surprise, never writes into
another case, and trusts another laptop's signature only when told its key."""

from __future__ import annotations

import shutil


def test_existing_output_is_kept_unless_force(sample_case, run_cli, tmp_path):
    target = tmp_path / "capture.pcap"
    target.write_bytes(b"evidence handed in by the survivor")
    result = run_cli("report", sample_case.root, "--format", "md", "-o", target)
    assert result.exit_code == 1
    assert result.output.endswith(f"{target}: already exists; choose another -o file, or add --force to replace it\n")
    assert target.read_bytes() == b"evidence handed in by the survivor"
    assert run_cli("report", sample_case.root, "--format", "md", "-o", target, "--force").exit_code == 0
    assert target.read_text().startswith("# techsafe evidence report")


def test_output_inside_another_case_is_refused_even_with_force(sample_case, run_cli, tmp_path):
    other = tmp_path / "other-case"
    shutil.copytree(sample_case.root, other)
    before = (other / "findings.json").read_bytes()
    for target in (other / "findings.json", other / "reports" / "r.md"):
        result = run_cli("report", sample_case.root, "--format", "md", "-o", target, "--force")
        assert result.exit_code == 1
        assert result.output.endswith(f"{target}: inside another case folder ({other}); write the report outside it\n")
    assert (other / "findings.json").read_bytes() == before
    assert not (other / "reports" / "r.md").exists()


def test_another_laptops_signature_is_trusted_with_its_public_key(sample_case, run_cli, tmp_path, monkeypatch):
    from techsafe.report.sign import public_key_text

    key = public_key_text()
    monkeypatch.setenv("TECHSAFE_HOME", str(tmp_path / "another-laptop"))
    unknown = run_cli("report", sample_case.root, "--format", "md", "-o", "-")
    assert unknown.exit_code == 1
    assert "**Warning: this case failed its integrity check before this report was written.**" in unknown.output
    assert "unknown signer: manifest.sig was made by key" in unknown.output
    trusted = run_cli("report", sample_case.root, "--format", "md", "-o", "-", "--public-key", key)
    assert trusted.exit_code == 0
    assert "Warning" not in trusted.output and "PRACTICE SCAN" not in trusted.output  # a real case
    assert "- **Integrity check:** passed (" in trusted.output
