"""`techsafe scan` options that need no phone: nothing to scan, and a tracker
sweep on a machine without Bluetooth (this CI machine has no controller, so
the real bleak path ends at "no adapter"; the decoders and decisions are
tested on captures in tests/trackers)."""

import json

from click.testing import CliRunner

from techsafe.case import Case
from techsafe.cli import cli


def test_nothing_to_scan(techsafe_home):
    result = CliRunner().invoke(cli, ["scan"])
    assert result.exit_code == 2
    assert "--device" in result.stderr and "--trackers" in result.stderr and "--network" in result.stderr


def test_tracker_sweep_without_bluetooth_says_so_and_keeps_a_valid_case(techsafe_home, tmp_path):
    case_dir = tmp_path / "case"
    result = CliRunner().invoke(cli, ["scan", "--trackers", "--duration", "1", "--case", str(case_dir), "--json"])
    assert result.exit_code == 3
    assert "tracker sweep: no Bluetooth adapter is available" in result.stderr
    out = json.loads(result.stdout)
    assert out["findings"] == []
    assert any(n["area"] == "scan" and "Bluetooth" in n["reason"] for n in out["not_checked"])
    assert Case.open(case_dir).read_findings() is not None
