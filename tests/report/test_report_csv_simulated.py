"""The CSV timeline of a `techsafe demo` case says it is practice: the CSV is
often handed on alone, without the HTML/Markdown banner."""

from __future__ import annotations

import csv
import io

import pytest

from techsafe.case import Case
from techsafe.model import Analysis, TimelineEvent
from techsafe.report.sign import seal_case  # cases made by hand are sealed, as every command leaves them

NOTE = ["", "note", "", "PRACTICE SCAN OF A SIMULATED PHONE (techsafe demo): not evidence about a real phone"]
EVENTS = [
    ["2024-02-03T10:11:12Z", "installed", "com.example.spy", "sideloaded"],
    ["2024-02-04T08:00:00Z", "updated", "com.example.spy", "version 7.2"],
]


def _case(root, simulated):
    case = Case.create(root)
    if simulated is not None:
        case.update_info(simulated=simulated)
    case.write_findings(
        Analysis((), (), timeline=tuple(TimelineEvent(*e) for e in EVENTS), checked=("android.apps.signatures",))
    )
    seal_case(case)
    return case


def _rows(run_cli, case, *extra):
    result = run_cli("report", case.root, "--format", "csv", "-o", "-", *extra)
    assert result.exit_code == 0, result.output
    return list(csv.reader(io.StringIO(result.output)))


@pytest.mark.parametrize("extra", [(), ("--redact",)], ids=["plain", "redacted"])
def test_simulated_case_csv_starts_with_the_practice_note(tmp_path, techsafe_home, run_cli, extra):
    rows = _rows(run_cli, _case(tmp_path / "demo", True), *extra)
    assert rows == [["time", "event", "subject", "detail"], NOTE, *EVENTS]


@pytest.mark.parametrize("simulated", [None, False, "true"], ids=["unset", "false", "not-a-bool"])
def test_real_case_csv_is_unchanged(tmp_path, techsafe_home, run_cli, simulated):
    rows = _rows(run_cli, _case(tmp_path / "real", simulated))
    assert rows == [["time", "event", "subject", "detail"], *EVENTS]


def test_demo_case_csv(tmp_path, techsafe_home, run_cli):
    """The real `techsafe demo` case, end to end."""
    result = run_cli("demo", "--case", tmp_path / "demo")
    assert result.exit_code == 0, result.output
    rows = _rows(run_cli, Case.open(tmp_path / "demo"))
    assert rows[0] == ["time", "event", "subject", "detail"]
    assert rows[1] == NOTE
    assert len(rows) > 2 and all(r[1] != "note" for r in rows[2:])
