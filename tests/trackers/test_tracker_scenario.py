"""Three sweeps on one day (home, clinic, shelter) with rotating identifiers:
an AirTag and a SmartTag travel with the survivor, another SmartTag and a
Tile are seen once, the survivor's own AirTag is near its owner."""

from __future__ import annotations

from click.testing import CliRunner

import tracker_frames as F
from techsafe.case import Case
from techsafe.scanners.trackers.analyze import analyze
from techsafe.scanners.trackers.live import store_sweep
from techsafe.scanners.trackers.sighting import sighting_from_ad, us_from_iso

AIRTAG = "C1:00:00:00:00:0A"


def adverts(start_us: int, address: str, data: bytes, rssi: int, n: int = 10):
    # A tag advertises about every 2 s; a sweep hears it several times.
    return [sighting_from_ad(start_us + k * 2_000_000, address, "random", rssi - k % 3, F.FLAGS + data, "") for k in range(n)]


def smarttag(counter: int, pid: str) -> bytes:
    return F.smarttag(2, counter, bytes.fromhex(pid))


def build_case(tmp_path) -> Case:
    case = Case.create(tmp_path / "case")
    plan = [
        ("2024-03-01T08:00:00Z", "home", [
            (AIRTAG, F.AIRTAG_SEPARATED, -58),
            ("D1:00:00:00:00:01", smarttag(1000, "1111111111111111"), -70),
            ("C9:00:00:00:00:99", F.AIRTAG_NEAR_OWNER, -40),  # the survivor's own AirTag, owner's phone nearby
            ("4A:00:00:00:00:07", F.APPLE_NEARBY_INFO, -65),  # an iPhone: listed, not a tracker
        ]),
        ("2024-03-01T10:00:00Z", "clinic", [
            (AIRTAG, F.AIRTAG_SEPARATED, -60),  # separated AirTags keep their address ~24 h
            ("D2:00:00:00:00:02", smarttag(1008, "2222222222222222"), -72),  # rotated: new address and id, +8 steps
            ("D7:00:00:00:00:77", smarttag(5000, "7777777777777777"), -85),  # someone else's tag at the clinic
            ("E1:00:00:00:00:0E", F.TILE, -80),
        ]),
        ("2024-03-01T14:00:00Z", "shelter", [
            (AIRTAG, F.AIRTAG_SEPARATED, -55),
            ("D3:00:00:00:00:03", smarttag(1024, "3333333333333333"), -69),
        ]),
    ]
    for when, place, tags in plan:
        start = us_from_iso(when)
        seen = sorted((s for addr, data, rssi in tags for s in adverts(start, addr, data, rssi)), key=lambda s: s.time_us)
        store_sweep(case, seen, start, 60.0, place, complete=True)
    return case


def test_three_sweeps_give_exactly_the_expected_findings(tmp_path, techsafe_home):
    result = analyze(build_case(tmp_path), None)
    assert [(f.kind, f.severity.label, f.subject) for f in result.findings] == [
        ("tracker.airtag.separated", "critical", "AirTag C1:00:00:00:00:0A"),
        ("tracker.smarttag.separated", "critical", "Samsung Galaxy SmartTag D1:00:00:00:00:01"),
        ("tracker.smarttag.separated", "high", "Samsung Galaxy SmartTag D7:00:00:00:00:77"),
        ("tracker.tile", "medium", "Tile E1:00:00:00:00:0E"),
        ("tracker.near_owner", "info", "AirTag C9:00:00:00:00:99"),
    ]
    airtag, smarttag = result.findings[0], result.findings[1]
    assert airtag.fact("places") == "home, clinic, shelter"
    assert airtag.fact("strongest_signal") == "-55 dBm"
    assert airtag.fact("ring") == f"techsafe trackers ring {AIRTAG}"
    assert smarttag.fact("addresses") == "D1:00:00:00:00:01 D2:00:00:00:00:02 D3:00:00:00:00:03"
    assert [e.line for e in airtag.evidence] == [2, 2, 2]  # first advertisement line of each sweep file
    assert len([t for t in result.timeline if t.subject.startswith("AirTag C1")]) == 3
    assert dict(result.device) == {"ble.sweeps": "3", "ble.trackers_seen": "5", "ble.other_devices_seen": "1"}
    assert result.not_checked == ()
    assert result.checked == ("trackers.separated", "trackers.stateless", "trackers.near_owner")


def test_same_tracker_twice_in_quick_succession_is_not_following(tmp_path, techsafe_home):
    case = Case.create(tmp_path / "case")
    for minute in (0, 10):
        start = us_from_iso(f"2024-03-01T08:{minute:02d}:00Z")
        store_sweep(case, adverts(start, AIRTAG, F.AIRTAG_SEPARATED, -60), start, 60.0, "clinic", complete=True)
    [finding] = analyze(case, None).findings
    assert (finding.severity.label, finding.fact("sweeps")) == ("high", "2")


def test_interrupted_sweep_says_so(tmp_path, techsafe_home):
    case = Case.create(tmp_path / "case")
    start = us_from_iso("2024-03-01T08:00:00Z")
    path = store_sweep(case, [], start, 3.0, None, complete=False)
    result = analyze(case, None)
    assert result.findings == ()
    assert [(n.area, n.artifact) for n in result.not_checked] == [("trackers.capture", path)]
    assert "interrupted" in result.not_checked[0].reason


def test_history_command_shows_what_keeps_coming_back(tmp_path, techsafe_home):
    from techsafe.cli import cli

    case = build_case(tmp_path)
    out = CliRunner().invoke(cli, ["trackers", "history", str(case.root)], env={"COLUMNS": "220"})
    assert out.exit_code == 0, out.output
    rows = [line for line in out.output.splitlines() if "C1:00:00:00:00:0A" in line]
    assert len(rows) == 1 and "critical" in rows[0] and rows[0].count("●") == 3
    assert "home, clinic, shelter" in rows[0]
    assert "Other Bluetooth devices (not trackers): 1 Apple device." in out.output


def test_history_of_a_case_without_sweeps_is_exit_1(tmp_path, techsafe_home):
    from techsafe.case import Case
    from techsafe.cli import cli

    case = Case.create(tmp_path / "no-sweeps")
    out = CliRunner().invoke(cli, ["trackers", "history", str(case.root)])
    assert out.exit_code == 1  # EXIT_ERROR: bad input; 2 (EXIT_NO_DEVICE) means nothing to scan
    assert out.output == f"techsafe: {case.root}: no tracker sweeps or Bluetooth captures in this case\n"


def test_sweep_duration_is_a_sensible_range(tmp_path, techsafe_home):
    from techsafe.cli import cli

    for bad in ("0", "0.5", "3601", "-5"):
        out = CliRunner().invoke(cli, ["trackers", "sweep", "--duration", bad, "--case", str(tmp_path / "c")])
        assert out.exit_code == 2, (bad, out.output)
        assert "is not in the range 1<=x<=3600" in out.output
        assert not (tmp_path / "c").exists()
