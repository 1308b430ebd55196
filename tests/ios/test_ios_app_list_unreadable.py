"""An installation_proxy app list with no readable entry is not an iPhone
without risky apps: ios.apps is not checked, with the reason."""

from __future__ import annotations

import json
import plistlib

import pytest
from click.testing import CliRunner

from techsafe.cli import cli

REASON = "the app list has no entry with a readable bundle id (CFBundleIdentifier)"
ARTIFACT = "artifacts/ios/installation_proxy/app_list.plist"


@pytest.mark.parametrize(
    "entries",
    [
        [{"CFBundleIdentifier": 5, "CFBundleName": "x"}, {"CFBundleIdentifier": ["com.a"]}, {"Path": "/x"}, "text", 7],
        [],
    ],
    ids=["wrong-types", "empty"],
)
def test_app_list_without_a_readable_app_is_not_checked(tmp_path, techsafe_home, entries):
    path = tmp_path / "apps.plist"
    path.write_bytes(plistlib.dumps(entries, fmt=plistlib.FMT_BINARY))
    result = CliRunner().invoke(cli, ["analyze", str(path), "--case", str(tmp_path / "c"), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["findings"] == [] and out["checked"] == []
    assert out["device"] == {"source": "app list"}  # no "apps_total": 0
    gaps = {n["area"]: (n["reason"], n["artifact"]) for n in out["not_checked"]}
    assert gaps["ios.apps"] == (REASON, ARTIFACT)
    assert gaps["ios.jailbreak"] == (REASON, ARTIFACT)
    again = CliRunner().invoke(cli, ["analyze", str(tmp_path / "c")])
    assert again.exit_code == 0
    assert "Nothing could be checked" in again.stdout and "Nothing risky found" not in again.stdout


def test_the_good_app_list_is_still_checked(shared, tmp_path, techsafe_home):
    result = CliRunner().invoke(
        cli, ["analyze", str(shared / "captures/ios/isdi/ios_apps.plist"), "--case", str(tmp_path / "c"), "--json"])
    out = json.loads(result.stdout)
    assert out["checked"] == ["ios.apps", "ios.jailbreak"]
    assert out["device"]["apps_total"] == "96"


def test_a_malformed_entry_beside_readable_ones_is_said_and_findings_stand(shared, tmp_path, techsafe_home):
    """An app could hide behind an entry with no readable bundle id: the apps
    that could be read still give their findings, and the area says what was missed."""
    runner = CliRunner()
    assert runner.invoke(cli, ["signatures", "import", str(shared / "indicators/echap")]).exit_code == 0
    entries = [{"CFBundleIdentifier": "com.wheremychildren.ios", "CFBundleName": "Tips"},
               {"CFBundleIdentifier": 5, "CFBundleName": "Hidden"}, "text"]
    path = tmp_path / "apps.plist"
    path.write_bytes(plistlib.dumps(entries, fmt=plistlib.FMT_BINARY))
    result = runner.invoke(cli, ["analyze", str(path), "--case", str(tmp_path / "c"), "--json"])
    out = json.loads(result.stdout)
    assert [(f["kind"], f["subject"]) for f in out["findings"]] == [("ios.app.watchware", "Tips (com.wheremychildren.ios)")]
    gaps = {n["area"]: (n["reason"], n["artifact"]) for n in out["not_checked"]}
    partial = "2 entries of the app list could not be read (no readable bundle id, CFBundleIdentifier)"
    assert gaps["ios.apps"] == gaps["ios.jailbreak"] == (partial, ARTIFACT)
    assert "ios.apps" not in out["checked"]
