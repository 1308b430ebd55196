"""`techsafe report -o` never writes over the evidence inside the case."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("rel", ["findings.json", "case.json", "artifacts/android/getprop.txt", "new.html", "reports/../x.md"])
def test_report_refuses_output_inside_the_case_outside_reports(sample_case, run_cli, rel):
    target = sample_case.root / rel
    before = {p: p.read_bytes() for p in sample_case.root.rglob("*") if p.is_file()}
    result = run_cli("report", sample_case.root, "--format", "md", "-o", target)
    assert result.exit_code == 1
    assert result.output == (
        f"techsafe: {target}: inside the case folder; write the report under {sample_case.root / 'reports'}/ "
        "or outside the case\n"
    )
    after = {p: p.read_bytes() for p in sample_case.root.rglob("*") if p.is_file()}
    assert after == before  # nothing written, nothing re-sealed
    assert run_cli("case", "verify", sample_case.root).exit_code == 0


def test_report_under_reports_or_outside_is_allowed(sample_case, run_cli, tmp_path):
    inside = sample_case.root / "reports" / "for-police.md"
    assert run_cli("report", sample_case.root, "--format", "md", "-o", inside).exit_code == 0
    assert inside.is_file()
    outside = tmp_path / "copy.md"
    assert run_cli("report", sample_case.root, "--format", "md", "-o", outside).exit_code == 0
    assert outside.is_file()


def test_csv_is_documented_as_the_timeline_only(run_cli):
    from pathlib import Path

    help_text = " ".join(run_cli("report", "--help").output.split())
    assert "CSV is the timeline only (time, event, subject, detail), without the findings." in help_text
    assert "csv: the timeline only (time, event, subject, detail), no findings." in help_text
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    (row,) = [line for line in readme.splitlines() if line.startswith("| `techsafe report CASE")]
    assert row.endswith("`csv` is the timeline only (time, event, subject, detail), without the findings |")
