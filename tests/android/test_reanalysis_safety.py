"""Re-analysing a saved case never hides tampering or loses earlier results
(found by a caseworker-style review: an edited artifact used to be analysed
and re-sealed, making `case verify` pass)."""

from __future__ import annotations

import json
import shutil
import zipfile

import pytest
from click.testing import CliRunner

from techsafe.case import Case
from techsafe.cli import cli


def run(*args):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def sealed_case(techsafe_home, shared, tmp_path):
    """A sealed case from a real capture (the ISDi Android 7 dump)."""
    case = tmp_path / "case"
    result = run("analyze", str(shared / "captures/android/isdi/android7-full-dump.txt"), "--case", str(case), "--json")
    assert result.exit_code == 0
    assert run("case", "verify", str(case)).exit_code == 0
    return case


def test_edited_artifact_is_refused_not_resealed(sealed_case):
    dump = next((sealed_case / "artifacts/android/dump").iterdir())
    dump.write_bytes(dump.read_bytes().replace(b"com.andrwq.recorder", b"com.harmless.thing"))
    findings_before = (sealed_case / "findings.json").read_bytes()
    result = run("analyze", str(sealed_case))
    assert result.exit_code == 1
    assert "does not match its SHA-256" in result.stderr and "will not analyze or re-seal" in result.stderr
    assert (sealed_case / "findings.json").read_bytes() == findings_before
    assert run("case", "verify", str(sealed_case)).exit_code == 1  # still caught afterwards


@pytest.mark.parametrize("change", ["delete", "add"])
def test_deleted_or_added_file_is_refused(sealed_case, change):
    if change == "delete":
        (sealed_case / "artifacts.jsonl").unlink()
        expected = "missing file: artifacts.jsonl"
    else:
        (sealed_case / "artifacts/android/extra.txt").write_text("planted")
        expected = "added file: artifacts/android/extra.txt"
    result = run("analyze", str(sealed_case))
    assert result.exit_code == 1 and expected in result.stderr


def test_damaged_index_is_an_error_not_an_all_clear(sealed_case):
    (sealed_case / "artifacts.jsonl").write_text('{garbage\n{"also": "bad"\n' + (sealed_case / "artifacts.jsonl").read_text())
    (sealed_case / "manifest.sha256").unlink()  # even an unsealed case must not read as empty
    (sealed_case / "manifest.sig").unlink()
    before = (sealed_case / "findings.json").read_bytes()
    result = run("analyze", str(sealed_case))
    assert result.exit_code == 1
    assert "artifacts.jsonl: line 1 is damaged" in result.stderr
    assert (sealed_case / "findings.json").read_bytes() == before


def test_unindexed_file_in_an_interrupted_case_is_not_used_and_said(techsafe_home, shared, tmp_path):
    # A scan killed before sealing: artifacts stored and indexed, no manifest.
    case = Case.create(tmp_path / "case")
    dump = (shared / "captures/android/isdi/android7-full-dump.txt").read_bytes()
    case.add_artifact("android", "dump/android7.txt", dump, command="import", meta={"format": "dumpsys"})
    (case.root / "artifacts/android/half-written.txt").write_text("DUMP OF SERVICE package:\n")
    result = run("analyze", str(case.root), "--json")
    assert result.exit_code == 0, result.stderr
    gaps = json.loads(result.stdout)["not_checked"]
    assert {"area": "case", "artifact": "artifacts/android/half-written.txt",
            "reason": "artifacts/android/half-written.txt was written but never recorded (an interrupted scan?); "
                      "it was not used"} in gaps


def test_reanalysis_keeps_earlier_findings_and_reports(sealed_case):
    first = (sealed_case / "findings.json").read_bytes()
    assert run("report", str(sealed_case), "--format", "md").exit_code == 0
    assert run("analyze", str(sealed_case)).exit_code == 0
    (history,) = (sealed_case / "history").iterdir()
    assert (history / "findings.json").read_bytes() == first
    assert (history / "reports" / "report.md").is_file()
    assert not (sealed_case / "reports").exists()  # no stale report left beside new findings
    assert run("case", "verify", str(sealed_case)).exit_code == 0


def test_a_busy_case_is_refused(sealed_case):
    case = Case.open(sealed_case)
    with case.lock():
        result = run("analyze", str(sealed_case))
    assert result.exit_code == 1
    assert "another techsafe command is using this case" in result.stderr


def test_truncated_zip_is_refused_not_read_as_text(techsafe_home, shared, tmp_path):
    archive = tmp_path / "acq.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zf:
        for p in sorted((shared / "captures/android/mvt/androidqf").iterdir()):
            zf.write(p, p.name)
    data = archive.read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[: len(data) // 2])
    result = run("analyze", str(cut), "--case", str(tmp_path / "c"))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"techsafe: {cut}: damaged or incomplete zip (its table of contents is missing); copy it again"
    assert not (tmp_path / "c").exists()


def test_empty_path_is_not_the_current_folder(techsafe_home):
    result = run("analyze", "")
    assert result.exit_code == 1 and "no such file or folder" in result.stderr


def test_deleting_the_seal_does_not_bless_edited_evidence(sealed_case):
    """Found by review: edit an artifact, fix its hash in artifacts.jsonl,
    delete manifest.sha256 and manifest.sig — this laptop remembers it sealed the case."""
    import hashlib

    dump = next((sealed_case / "artifacts/android/dump").iterdir())
    data = dump.read_bytes().replace(b"com.andrwq.recorder", b"com.harmless.thing")
    dump.write_bytes(data)
    index = sealed_case / "artifacts.jsonl"
    lines = [json.loads(line) for line in index.read_text().splitlines()]
    for entry in lines:
        if entry["path"] == dump.relative_to(sealed_case).as_posix():
            entry["sha256"], entry["size"] = hashlib.sha256(data).hexdigest(), len(data)
    index.write_text("".join(json.dumps(e) + "\n" for e in lines))
    (sealed_case / "manifest.sha256").unlink()
    (sealed_case / "manifest.sig").unlink()
    for args in (("analyze", str(sealed_case)), ("case", "verify", str(sealed_case))):
        result = run(*args)
        assert result.exit_code == 1, args
        assert "manifest.sha256 was deleted: this laptop sealed this case at" in (result.stderr + result.stdout)
    report = run("report", str(sealed_case), "--format", "md", "-o", "-")
    assert report.exit_code == 1 and not (sealed_case / "manifest.sha256").exists()



def _edit_dump_and_fix_its_hash(case) -> str:
    import hashlib

    dump = next((case / "artifacts/android/dump").iterdir())
    data = dump.read_bytes().replace(b"com.andrwq.recorder", b"com.harmless.thing")
    dump.write_bytes(data)
    rel = dump.relative_to(case).as_posix()
    index = case / "artifacts.jsonl"
    lines = [json.loads(line) for line in index.read_text().splitlines()]
    for entry in lines:
        if entry["path"] == rel:
            entry["sha256"], entry["size"] = hashlib.sha256(data).hexdigest(), len(data)
    index.write_text("".join(json.dumps(e) + "\n" for e in lines))
    return rel


def test_a_case_renamed_to_dodge_the_seal_ledger_is_still_not_blessed(sealed_case):
    """Found by a caseworker test: also change case.json's 'created' so the
    seal ledger does not know the case. This laptop never stored the edited
    artifact (arrivals ledger), so the unsealed case is refused, not sealed."""
    rel = _edit_dump_and_fix_its_hash(sealed_case)
    info = json.loads((sealed_case / "case.json").read_text())
    info["created"] = info["created"].replace("Z", "1Z")
    (sealed_case / "case.json").write_text(json.dumps(info))
    (sealed_case / "manifest.sha256").unlink()
    (sealed_case / "manifest.sig").unlink()
    unknown = (f"unknown origin: the record of {rel} in artifacts.jsonl was not written for this case by techsafe on "
               "this laptop, and the case has no signed manifest (finish the case on the laptop that collected it)")
    analyze = run("analyze", str(sealed_case))
    assert analyze.exit_code == 1 and unknown in analyze.stderr
    verify = run("case", "verify", str(sealed_case))
    assert verify.exit_code == 1 and unknown in verify.stdout
    report = run("report", str(sealed_case), "--format", "md", "-o", "-")
    assert report.exit_code == 1 and not (sealed_case / "manifest.sha256").exists()
    from techsafe.playbooks import md_escape

    assert md_escape(f"Warning: this case has no signed manifest, so nothing shows that these findings match what was "
                     f"collected. To re-check the evidence and seal it, run: techsafe analyze {sealed_case}") in report.stdout
    assert f"- {md_escape(unknown)}" in report.stdout


def test_an_unsealed_case_is_reported_as_such_and_not_sealed_by_the_report(sealed_case, tmp_path, monkeypatch):
    """Stripping the signature must not make a case look better than a sealed
    one, on a laptop that has never seen the case."""
    (sealed_case / "manifest.sha256").unlink()
    (sealed_case / "manifest.sig").unlink()
    monkeypatch.setenv("TECHSAFE_HOME", str(tmp_path / "another-laptop"))
    result = run("report", str(sealed_case), "--format", "md", "-o", str(sealed_case / "reports" / "r.md"))
    assert result.exit_code == 1
    assert "this case has no signed manifest" in (sealed_case / "reports" / "r.md").read_text()
    assert not (sealed_case / "manifest.sha256").exists()


def test_an_older_sealed_copy_is_told_from_the_latest(sealed_case, tmp_path):
    """Rolling a case back to an earlier sealed state passes the manifest and
    signature checks; this laptop remembers it sealed a newer version."""
    snapshot = tmp_path / "snapshot"
    shutil.copytree(sealed_case, snapshot)
    assert run("analyze", str(sealed_case)).exit_code == 0
    shutil.rmtree(sealed_case)
    shutil.copytree(snapshot, sealed_case)
    verify = run("case", "verify", str(sealed_case))
    assert verify.exit_code == 1
    assert "an older version of this case: this laptop sealed a newer one at" in verify.stdout
    assert run("analyze", str(sealed_case)).exit_code == 1


def test_reanalysis_keeps_which_feeds_made_the_earlier_findings(sealed_case):
    before = (sealed_case / "case.json").read_bytes()
    assert run("analyze", str(sealed_case)).exit_code == 0
    (archived,) = (sealed_case / "history").iterdir()
    assert (archived / "case.json").read_bytes() == before


def test_a_case_holds_one_phone(sealed_case, shared):
    """Found by review: an Android dump added to an iPhone case read as
    'stalkerware is installed on this phone' under the iPhone's device facts."""
    before = sorted(p.relative_to(sealed_case).as_posix() for p in sealed_case.rglob("*"))
    result = run("analyze", str(shared / "captures/ios/isdi/ios_apps.plist"), "--case", str(sealed_case))
    assert result.exit_code == 1
    assert "already holds a phone's data (android); use a new case folder for each phone" in result.stderr
    assert sorted(p.relative_to(sealed_case).as_posix() for p in sealed_case.rglob("*")) == before
    assert run("case", "verify", str(sealed_case)).exit_code == 0  # the refusal wrote nothing into it


def test_case_option_naming_a_file(techsafe_home, shared, tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("x")
    result = run("analyze", str(shared / "captures/android/isdi/android7-full-dump.txt"), "--case", str(target))
    assert result.exit_code == 1 and result.stderr.strip().endswith("--case must be a folder (this is a file)")


def test_a_case_resealed_with_an_unknown_key_is_not_taken_over(sealed_case, tmp_path, monkeypatch):
    """Found by a caseworker test: edit an artifact, fix artifacts.jsonl, re-make
    the manifest and sign it with a new key. Re-sealing would replace that
    signature with this laptop's, so analyze refuses until the operator vouches
    for the key (which would not match the one printed in the case's report)."""
    from techsafe.report.sign import fingerprint, public_key_text, seal_case

    _edit_dump_and_fix_its_hash(sealed_case)
    home = tmp_path / "techsafe-home"
    monkeypatch.setenv("TECHSAFE_HOME", str(tmp_path / "forger"))
    seal_case(Case(sealed_case))
    forger = public_key_text()
    monkeypatch.setenv("TECHSAFE_HOME", str(home))
    result = run("analyze", str(sealed_case))
    assert result.exit_code == 1
    assert result.stderr == (
        f"techsafe: {sealed_case}: sealed by another laptop's key {fingerprint(forger)}, which this laptop does not "
        "know; techsafe will not re-seal it with its own key unless you vouch for that key: compare it with the key "
        "printed in the case's report, then add --public-key KEY\n")
    assert "manifest.sig" in {p.name for p in sealed_case.iterdir()}
    assert run("case", "verify", str(sealed_case)).exit_code == 1  # still not this laptop's seal


def test_evidence_of_a_renamed_case_is_foreign_to_it(sealed_case):
    """Deleting artifacts and renaming the case (new id and date) to dodge the
    seal ledger: what is left was stored for another case."""
    info = json.loads((sealed_case / "case.json").read_text())
    info["case_id"], info["created"] = "case-z", "2026-01-01T00:00:00.000Z"
    (sealed_case / "case.json").write_text(json.dumps(info))
    (sealed_case / "manifest.sha256").unlink()
    (sealed_case / "manifest.sig").unlink()
    result = run("analyze", str(sealed_case))
    assert result.exit_code == 1
    assert "was not written for this case by techsafe on this laptop" in result.stderr


def test_a_report_never_replaces_a_vouched_signature(sealed_case, tmp_path, monkeypatch):
    monkeypatch.setenv("TECHSAFE_HOME", str(tmp_path / "police-laptop"))
    from techsafe.report.sign import verify_case

    key = verify_case(sealed_case).signer  # made on the laptop that collected it
    result = run("report", str(sealed_case), "--public-key", key)
    assert result.exit_code == 1
    assert result.stderr == f"techsafe: {sealed_case}: sealed on another laptop; write the report outside the case with -o FILE\n"
    assert run("report", str(sealed_case), "--public-key", key, "-o", str(tmp_path / "r.html")).exit_code == 0
    assert run("case", "verify", str(sealed_case), "--public-key", key).exit_code == 0


def test_a_sealed_case_that_grew_is_refused_even_when_it_looks_like_a_killed_import(sealed_case):
    """Found by a caseworker test: appended artifacts.jsonl lines can re-label
    sealed artifacts while every hash still matches, so growth after the seal
    is never accepted (a forger would imitate a killed import)."""
    lines = [json.loads(line) for line in (sealed_case / "artifacts.jsonl").read_text().splitlines()]
    relabelled = dict(lines[0], meta={**lines[0]["meta"], "key": "zz"}, source="zzz")
    with open(sealed_case / "artifacts.jsonl", "a") as fh:
        fh.write(json.dumps(relabelled) + "\n")
    result = run("analyze", str(sealed_case))
    assert result.exit_code == 1
    assert "changed file: artifacts.jsonl does not match its SHA-256 in the manifest" in result.stderr


def _killed_scan(tmp_path) -> Case:
    """What a scan killed before sealing leaves: indexed artifacts, no manifest."""
    case = Case.create(tmp_path / "killed")
    case.add_artifact("android", "getprop.txt", b"[ro.product.model]: [Pixel 7]\n", command="getprop",
                      meta={"format": "command", "key": "getprop"})
    case.add_artifact("android", "settings_global.txt", b"adb_enabled=1\n", command="settings list global",
                      meta={"format": "command", "key": "settings_global"})
    return case


def test_a_killed_scan_is_finished_when_untouched(tmp_path):
    case = _killed_scan(tmp_path)
    assert run("analyze", str(case.root)).exit_code == 0
    assert run("case", "verify", str(case.root)).exit_code == 0


@pytest.mark.parametrize("doctor", ["relabel", "swap"])
def test_a_killed_scan_with_a_doctored_index_is_refused(tmp_path, doctor):
    """Found by a caseworker test: re-label a record (its hash still matches),
    or copy one artifact over another of the same case and fix its hash."""
    import hashlib

    case = _killed_scan(tmp_path)
    index = case.root / "artifacts.jsonl"
    lines = [json.loads(line) for line in index.read_text().splitlines()]
    if doctor == "relabel":
        lines.append(dict(lines[1], meta={"format": "command", "key": "zz"}))
    else:
        data = (case.root / lines[1]["path"]).read_bytes()
        (case.root / lines[0]["path"]).write_bytes(data)
        lines[0].update(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    index.write_text("".join(json.dumps(e) + "\n" for e in lines))
    result = run("analyze", str(case.root))
    assert result.exit_code == 1
    rel = lines[-1]["path"] if doctor == "relabel" else lines[0]["path"]
    assert f"unknown origin: the record of {rel} in artifacts.jsonl was not written for this case" in result.stderr
    assert not (case.root / "manifest.sha256").exists()


def test_a_planted_file_is_not_taken_for_a_killed_import(sealed_case):
    (sealed_case / "artifacts/network").mkdir()
    (sealed_case / "artifacts/network/capture-9.pcap").write_bytes(b"planted")
    result = run("analyze", str(sealed_case))
    assert result.exit_code == 1 and "added file: artifacts/network/capture-9.pcap" in result.stderr
