"""--redact keeps generic product words ("iPhone", "Galaxy"...) that a phone
reports as its name: they are not personal, and redacting them garbles the
report ("This [device-name-1] runs iOS 14.3", "[device-name-1]9,3")."""

from __future__ import annotations

import json

import pytest

from techsafe.report.redact import Redactor, redact_report


def test_mvt_backup_named_iphone_reads_normally_when_redacted(shared, techsafe_home, tmp_path, run_cli):
    case = tmp_path / "mvt-case"
    result = run_cli("analyze", shared / "captures/ios/mvt-backup", "--case", case)
    assert result.exit_code in (0, 3), result.output
    plain = json.loads(run_cli("report", case, "--format", "json", "-o", "-").output)
    device = {d["name"]: d["value"] for d in plain["device"]}
    assert device["name"] == "iPhone" and device["model"] == "iPhone9,3"

    md = run_cli("report", case, "--format", "md", "--redact", "-o", "-").output
    assert "device-name" not in md
    assert "This iPhone runs iOS 14.3" in md
    assert "| model | iPhone9,3 |" in md and "| name | iPhone |" in md
    assert "- **Model:** iPhone9,3" in md
    # what is personal is still redacted
    assert device["udid"] not in md and "| udid | \\[udid-1\\] |" in md


@pytest.mark.parametrize("name", ["iPhone", "iPad", "Android", "Galaxy", "Pixel", "Galaxy S21 Ultra", "Pixel 7a", "My iPhone"])
def test_generic_device_names_are_kept(name):
    out = redact_report({"device": [{"name": "name", "value": name}], "findings": [{"title": f"This {name} is old"}]})
    assert out["device"] == [{"name": "name", "value": name}]
    assert out["findings"][0]["title"] == f"This {name} is old"


@pytest.mark.parametrize("name", ["Janes Galaxy", "Jane's iPhone", "iPhone Jane87", "Pixel of Jane"])
def test_personal_device_names_are_still_redacted(name):
    out = redact_report({"device": [{"name": "name", "value": name}], "findings": [{"title": f"{name} was seen"}]})
    assert out["device"] == [{"name": "name", "value": "[device-name-1]"}]
    assert out["findings"][0]["title"] == "[device-name-1] was seen"
    assert Redactor().token("device-name", name) == "[device-name-1]"
