"""A report of a case where nothing could be checked says so plainly (never
"no problems"); "What was checked" uses plain names; the report starts with
case id, date and device; signature sources show their entry counts."""

from __future__ import annotations

import json

from techsafe.report.areas import AREA_NAMES, area_name
from techsafe.report.sign import seal_case  # cases made by hand are sealed, as every command leaves them

TRACKER_GAP = "trackers.capture"
GAP_REASON = "no Bluetooth adapter on this laptop"


def _tracker_case_without_bluetooth(tmp_path):
    """What `techsafe scan --trackers` leaves on a laptop without Bluetooth."""
    from techsafe.case import Case
    from techsafe.model import Analysis, NotChecked

    case = Case.create(tmp_path / "sweep", operator="caseworker-7")
    case.write_findings(Analysis((), (NotChecked(TRACKER_GAP, GAP_REASON),), device=(("ble.sweeps", "0"),)))
    seal_case(case)
    return case


def test_nothing_checked_is_never_no_problems(tmp_path, techsafe_home, run_cli):
    case = _tracker_case_without_bluetooth(tmp_path)
    r = json.loads(run_cli("report", case.root, "--format", "json", "-o", "-").output)
    assert r["summary"]["headline"] == 'Nothing could be checked \u2014 see "What could not be checked"'
    assert r["summary"]["nothing_checked"] is True
    assert r["checked_areas"] == []
    md = run_cli("report", case.root, "--format", "md", "-o", "-").output
    assert '## Summary: Nothing could be checked \u2014 see "What could not be checked"' in md
    assert "No problems" not in md and "No findings in the areas that were checked" not in md
    assert "## What was checked\n\n- Nothing could be checked.\n" in md
    assert 'No findings, because nothing could be checked (see "What could not be checked").\n\n## Device' in md
    html = run_cli("report", case.root, "--format", "html", "-o", "-").output
    assert "Nothing could be checked \u2014 see &#34;What could not be checked&#34;" in html
    assert "No problems" not in html and "No findings in the areas that were checked" not in html
    assert "<li>Nothing could be checked.</li>" in html


def test_nothing_checked_and_no_gaps_still_says_so(tmp_path, techsafe_home, run_cli):
    from techsafe.case import Case
    from techsafe.model import Analysis

    case = Case.create(tmp_path / "c")
    case.write_findings(Analysis(()))
    seal_case(case)
    r = json.loads(run_cli("report", case.root, "--format", "json", "-o", "-").output)
    assert r["summary"]["headline"].startswith("Nothing could be checked")
    assert r["summary"]["lines"][0] == "No check ran on this case, so this report cannot say that anything is safe."


def test_checked_areas_have_plain_names(sample_case, run_cli):
    md = run_cli("report", sample_case.root, "--format", "md", "-o", "-").output
    section = md[md.index("## What was checked"):md.index("## What could not be checked")]
    assert section == (
        "## What was checked\n\n"
        "- Apps compared with known stalkerware and spyware lists (`android.apps.signatures`)\n"
        "- Accessibility services (screen reading) (`android.accessibility`)\n"
        "- Device admin and device owner apps (`android.device_admin`)\n"
        "- USB debugging (`android.usb_debugging`)\n\n"
    )
    html = run_cli("report", sample_case.root, "--format", "html", "-o", "-").output
    assert "<li>USB debugging <code>android.usb_debugging</code></li>" in html


def test_every_registered_area_has_a_plain_name():
    from techsafe import checks

    areas = {c.area for c in checks.load()}
    assert areas - set(AREA_NAMES) == set()
    assert area_name("android.some_new_area") == "Some new area"


def test_report_starts_with_case_date_and_device(sample_case, run_cli):
    info = json.loads((sample_case.root / "case.json").read_text())
    md = run_cli("report", sample_case.root, "--format", "md", "-o", "-").output
    r = json.loads(run_cli("report", sample_case.root, "--format", "json", "-o", "-").output)
    date = r["case"]["created"]["utc"]
    assert r["header"] == {"case_id": info["case_id"], "date": date, "device": "SM-G991B, Android 13"}
    assert md.startswith(
        f"# techsafe evidence report\n\n**Case:** {info['case_id']}  \n**Date:** {date}  \n"
        "**Device:** SM-G991B, Android 13\n\n## Summary"
    )
    html = run_cli("report", sample_case.root, "--format", "html", "-o", "-").output
    top = html[: html.index('id="summary"')]
    assert f"<dt>Case</dt><dd>{info['case_id']}</dd>" in top
    assert f"<dt>Date</dt><dd>{date}</dd>" in top
    assert "<dt>Device</dt><dd>SM-G991B, Android 13</dd>" in top


def test_tracker_only_case_names_no_phone(tmp_path, techsafe_home, run_cli):
    case = _tracker_case_without_bluetooth(tmp_path)
    r = json.loads(run_cli("report", case.root, "--format", "json", "-o", "-").output)
    assert r["header"]["device"] == "no phone (Bluetooth tracker sweep)"


def test_signature_source_entries_come_from_counts(tmp_path, techsafe_home, run_cli):
    from techsafe.case import Case
    from techsafe.model import Analysis

    case = Case.create(tmp_path / "c")
    case.update_info(
        signature_sources=[
            {"name": "techsafe-catalogue", "version": "1", "sha256": "a" * 64,
             "counts": {"apps": 87, "packages": 122, "ios_bundles": 8, "domains": 19, "indicators": 149}},
            {"name": "old-feed", "version": "2", "sha256": "b" * 64, "counts": {"domains": 5, "ips": 2, "rejected_values": 9}},
        ]
    )  # fmt: skip
    case.write_findings(Analysis((), checked=("android.accessibility",)))
    seal_case(case)
    r = json.loads(run_cli("report", case.root, "--format", "json", "-o", "-").output)
    assert [s["entries"] for s in r["signature_sources"]] == ["149", "7"]
    md = run_cli("report", case.root, "--format", "md", "-o", "-").output
    assert f"| techsafe-catalogue | 1 | 149 | {'a' * 64} |" in md
    html = run_cli("report", case.root, "--format", "html", "-o", "-").output
    assert '<td data-label="Entries">149</td>' in html
