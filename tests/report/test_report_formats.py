"""`techsafe report`: the same content in HTML, Markdown, JSON; timeline as CSV."""

from __future__ import annotations

import csv
import io
import json

from report_case import HOSTILE_TITLE, load_json

from techsafe.report.sign import public_key_text, seal_case  # hand-made cases are sealed, as commands leave them


def test_json_report_carries_everything(sample_case, run_cli, sample_analysis):
    out = sample_case.root / "reports" / "r.json"
    result = run_cli("report", sample_case.root, "--format", "json", "-o", out)
    assert result.exit_code == 0, result.output
    r = load_json(out)
    assert r["schema"] == "techsafe.report/1"
    assert r["summary"]["headline"] == "4 things need attention"
    assert r["summary"]["counts"] == {"critical": 1, "high": 2, "medium": 1, "low": 1, "info": 0}
    assert any("1 area could not be checked" in line for line in r["summary"]["lines"])
    # most urgent first, each with its meaning and its dedicated guide
    assert [f["severity"] for f in r["findings"]] == ["critical", "high", "high", "medium", "low"]
    assert {f["title"] for f in r["findings"]} == {f.title for f in sample_analysis.findings}
    for f in r["findings"]:
        assert f["playbook_id"] == f["kind"] and not f["playbook_is_fallback"]
        assert f["meaning"] and f["evidence"]
        assert f["playbook_id"] in r["playbooks"]
    stalker = r["findings"][0]
    assert stalker["indicator"]["source"] == "echap" and stalker["indicator"]["field"] == "package"
    assert r["not_checked"] == [
        {
            "area": "android.notification_listeners",
            "reason": "the phone refused `dumpsys notification`",
            "artifact": "artifacts/android/dumpsys_notification.txt",
        }
    ]
    assert r["case"]["operator"] == "caseworker-7"
    assert r["case"]["created"]["utc"].endswith(" UTC") and r["generated"]["local"]
    assert r["signature_sources"][0]["name"] == "echap" and len(r["signature_sources"][0]["sha256"]) == 64
    assert r["signing"]["public_key"] == public_key_text()
    assert r["signing"]["fingerprint"].startswith("SHA256:")
    assert r["integrity"]["status"].startswith("passed (")
    assert [a["path"] for a in r["artifacts"]] == [
        "artifacts/android/dumpsys_accessibility.txt",
        "artifacts/android/getprop.txt",
        "artifacts/android/dumpsys_account.txt",
    ]
    assert len(r["timeline"]) == 4


def test_markdown_has_same_content(sample_case, run_cli, sample_analysis):
    result = run_cli("report", sample_case.root, "--format", "md", "-o", "-")
    assert result.exit_code == 0
    md = result.output
    assert md.index("## Summary: 4 things need attention") < md.index("## Findings")
    for f in sample_analysis.findings:
        if f.title != HOSTILE_TITLE:
            assert f.title in md
    # device strings cannot inject Markdown/HTML
    assert "<script>" not in md and "\\<script\\>" in md
    for section in ("## Device", "## Timeline", "## What was checked", "## What could not be checked",
                    "## About this report", "### Signature sources", "## Guides"):
        assert section in md
    assert public_key_text() in md
    assert "the phone refused" in md
    # each guide: safety before document-first before steps
    guide = md[md.index("### Stalkerware is installed on this phone"):]
    assert guide.index("Safety first") < guide.index("Document first") < guide.index("Steps: Pixel")
    assert "**The abuser may notice:**" in guide


def test_csv_is_the_timeline_and_neutralises_formulas(sample_case, run_cli):
    result = run_cli("report", sample_case.root, "--format", "csv", "-o", "-")
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == ["time", "event", "subject", "detail"]
    assert len(rows) == 5
    assert rows[1][:2] == ["2024-02-03T10:11:12Z", "installed"]
    assert rows[3][2] == "'=HYPERLINK(\"http://evil\")"


def test_default_output_goes_into_the_case_and_is_sealed(sample_case, run_cli):
    result = run_cli("report", sample_case.root)
    assert result.exit_code == 0, result.output
    report = sample_case.root / "reports" / "report.html"
    assert report.is_file() and (report.stat().st_mode & 0o777) == 0o600
    manifest = (sample_case.root / "manifest.sha256").read_text()
    assert "  reports/report.html\n" in manifest
    assert run_cli("case", "verify", sample_case.root).exit_code == 0


def test_unanalyzed_case_is_a_clear_error(tmp_path, techsafe_home, run_cli):
    from techsafe.case import Case

    case = Case.create(tmp_path / "empty")
    result = run_cli("report", case.root, "--format", "json", "-o", "-")
    assert result.exit_code == 1
    assert "no findings.json yet" in result.output and str(case.root) in result.output


def test_not_a_case_is_a_clear_error(tmp_path, techsafe_home, run_cli):
    result = run_cli("report", tmp_path)
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == f"techsafe: {tmp_path}: not a techsafe case folder (no case.json)"


def test_no_findings_is_not_an_all_clear(tmp_path, techsafe_home, run_cli):
    from techsafe.case import Case
    from techsafe.model import Analysis, NotChecked

    case = Case.create(tmp_path / "c")
    case.write_findings(
        Analysis((), (NotChecked("android.accessibility", "output not readable"),), checked=("android.device_admin",))
    )
    seal_case(case)
    r = json.loads(run_cli("report", case.root, "--format", "json", "-o", "-").output)
    assert r["summary"]["headline"] == "No problems found in the areas that were checked"
    assert r["summary"]["lines"][0].startswith("1 area could not be checked. This is not an all clear")
    assert "No tool finds everything" in r["summary"]["lines"][-1]


def test_unknown_kind_gets_the_nearest_guide(tmp_path, techsafe_home, run_cli):
    from techsafe.case import Case
    from techsafe.model import Analysis, Finding, Severity

    case = Case.create(tmp_path / "c")
    case.write_findings(Analysis((Finding("android.app.brand_new_kind", Severity.MEDIUM, "A new thing.", "x.y"),)))
    seal_case(case)
    r = json.loads(run_cli("report", case.root, "--format", "json", "-o", "-").output)
    assert r["findings"][0]["playbook_id"] == "android.app"
    assert r["findings"][0]["playbook_is_fallback"] is True
