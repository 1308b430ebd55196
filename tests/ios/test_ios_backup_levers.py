"""Find My, location sharing, accounts, location "Always" and profiles from a
backup: backup folders built here (techsafe.simulate.ios_backup) holding the
files whose formats tests/ios/backup_files.py documents."""

from __future__ import annotations

import plistlib

import pytest
from backup_files import CONFIG, FINDMY, INFO, bplist, lever_files

from techsafe.scanners.ios import analyze, sources
from techsafe.simulate.ios_backup import write_backup


# Most urgent first, then by subject (model.sort_findings).
EXPECTED = [
    ("ios.location.sharing", "high", "Find My location sharing"),
    ("ios.profile.mdm", "high", 'Profile "Device Management"'),
    ("ios.profile.root_ca", "high", 'Profile "Secure Browsing"'),
    ("ios.account.signed_in", "medium", "App Store (Apple ID) account (pat.partner@icloud.com)"),
    ("ios.account.signed_in", "medium", "Exchange account (s.survivor@northwind.example)"),
    ("ios.account.signed_in", "medium", "Google account (sam.s@gmail.com)"),
    ("ios.profile.other", "medium", 'Profile "Quiet Hours"'),
    ("ios.app.dual_use", "medium", "com.life360.safetymap"),  # a backup's app list has no names
    ("ios.account.signed_in", "medium", "iCloud account (sam.survivor@icloud.com)"),
    ("ios.backup.not_encrypted", "low", "Backup encryption"),
    ("ios.findmy.enabled", "low", "Find My iPhone"),
    ("ios.location.significant_locations", "low", "Significant Locations"),
    ("ios.location.always", "low", "com.life360.safetymap"),
    ("ios.location.always", "low", "com.safewatch.agent"),
]


def _analyze(tmp_path, new_case, indicators, files):
    backup = write_backup(tmp_path / "backup", files, INFO)
    case = new_case()
    sources.ingest(backup, case)
    return analyze.analyze(case, indicators)


def test_all_levers_exact_findings(tmp_path, new_case, indicators):
    a = _analyze(tmp_path, new_case, indicators, lever_files())
    assert [(f.kind, f.severity.label, f.subject) for f in a.findings] == EXPECTED
    by = {(f.kind, f.subject): f for f in a.findings}
    sharing = by[("ios.location.sharing", "Find My location sharing")]
    assert sharing.title == "Find My location sharing is set up with 2 people: someone may be able to see where this iPhone is."
    assert sharing.evidence[0].excerpt == "numberOfFriendsFollowersKey = 2"
    assert sharing.fact("direction") == "not in the backup: sharing with them, seeing theirs, or both"
    assert by[("ios.findmy.enabled", "Find My iPhone")].title == (
        "Find My iPhone is on: anyone who knows this iPhone's Apple ID password can see where it is.")
    assert by[("ios.account.signed_in", "Exchange account (s.survivor@northwind.example)")].fact("turned_on") == "no"
    assert by[("ios.account.signed_in", "App Store (Apple ID) account (pat.partner@icloud.com)")].title == (
        "An App Store (Apple ID) account is signed in on this iPhone: check the survivor knows and controls it.")
    assert by[("ios.location.always", "com.safewatch.agent")].evidence[0].excerpt == "com.safewatch.agent: Authorization = 3"
    mdm = by[("ios.profile.mdm", 'Profile "Device Management"')]
    assert mdm.fact("identifier") == "com.northwind-devices.mdm.enroll"  # the raw id, kept as a fact
    assert (mdm.fact("payloads"), mdm.fact("installed")) == ("device management (MDM), identity certificate",
                                                              "2024-03-02T21:14:05Z")
    assert by[("ios.profile.other", 'Profile "Quiet Hours"')].title == (
        'A configuration profile "Quiet Hours" from an unnamed organisation is installed (notification settings): '
        "check the survivor knows it.")
    dev = dict(a.device)
    assert (dev["location_services"], dev["find_my_iphone"], dev["supervised"]) == ("on", "on", "no")
    events = [(t.time, t.event, t.subject) for t in a.timeline if t.event.startswith("profile")]
    assert events == [
        ("2024-02-01T10:00:00Z", "profile remove", "com.old.vpn"),
        ("2024-03-02T21:14:05Z", "profile install", "com.northwind-devices.mdm.enroll"),
        ("2024-03-02T21:14:05Z", "profile installed", "com.northwind-devices.mdm.enroll"),
        ("2024-03-03T08:00:00Z", "profile installed", "net.quietproxy.ca"),
        ("2024-03-04T09:30:00Z", "profile installed", "com.example.quiet"),
    ]
    assert {(n.area, n.reason) for n in a.not_checked} == {
        ("ios.provisioning", "provisioning profiles are only read from a connected iPhone"),
        ("ios.developer", "developer mode is only read from a connected iPhone"),
        ("ios.permissions", "app permissions (TCC.db): not in this backup"),
    }
    assert {"ios.findmy", "ios.location.sharing", "ios.location.significant", "ios.accounts", "ios.location",
            "ios.profiles", "ios.management"} <= set(a.checked)



def _levers(a):
    return {(f.kind, f.subject): f for f in a.findings
            if f.kind.startswith(("ios.findmy", "ios.location.sharing", "ios.location.significant"))}


def test_find_my_off_nobody_sharing_significant_locations_off(tmp_path, new_case, indicators):
    a = _analyze(tmp_path, new_case, indicators, lever_files(fmip=False, people=0, location_on=False, significant=False))
    assert [(f.kind, f.severity.label, f.title) for f in _levers(a).values()] == [
        ("ios.findmy.off", "low", "Find My iPhone is off: if this iPhone is lost or taken, it cannot be found, "
                                  "locked or erased from a distance.")]
    dev = dict(a.device)
    assert (dev["location_services"], dev["find_my_iphone"]) == ("off", "off")
    assert {"ios.location.sharing", "ios.location.significant"} <= set(a.checked)


def test_no_sharing_file_is_not_checked_never_all_clear(tmp_path, new_case, indicators):
    """Newer iOS keeps no fmfd preferences: the caseworker is told to look on the phone."""
    files = lever_files()
    del files[("HomeDomain", "Library/Preferences/com.apple.icloud.fmfd.plist")]
    a = _analyze(tmp_path, new_case, indicators, files)
    gaps = {n.area: n.reason for n in a.not_checked}
    assert gaps["ios.location.sharing"] == ("location sharing (com.apple.icloud.fmfd.plist): not in this backup; "
                                            "check Find My > People on the iPhone")
    assert ("ios.location.sharing", "Find My location sharing") not in _levers(a)


def test_find_my_state_from_searchpartyd_when_fmip_state_missing(tmp_path, new_case, indicators):
    files = lever_files()
    del files[(FINDMY, "Library/Preferences/FMIPStateInfo.plist")]
    files[("HomeDomain", "Library/Preferences/com.apple.icloud.searchpartyd.plist")] = bplist(
        {"FMIPStateManager.fmipState": False, "userHasAcknowledgedFindMy": True})
    f = _levers(_analyze(tmp_path, new_case, indicators, files))[("ios.findmy.off", "Find My iPhone")]
    assert f.evidence[0].excerpt == "FMIPStateManager.fmipState = false"
    assert f.evidence[0].artifact.startswith("artifacts/ios/backup/files/")


@pytest.mark.parametrize("bad", [b"", b"not a plist", bplist(["a list"]), bplist({"fmipActive": "yes"}),
                                 plistlib.dumps({"numberOfFriendsFollowersKey": "many"})],
                         ids=["empty", "text", "list", "fmip-string", "count-string"])
def test_hostile_find_my_files_are_not_checked(bad, tmp_path, new_case, indicators):
    files = lever_files()
    files[(FINDMY, "Library/Preferences/FMIPStateInfo.plist")] = bad
    files[("HomeDomain", "Library/Preferences/com.apple.icloud.fmfd.plist")] = bad
    files[("HomeDomain", "Library/Preferences/com.apple.locationd.plist")] = bad
    a = _analyze(tmp_path, new_case, indicators, files)
    gaps = {n.area for n in a.not_checked}
    assert {"ios.findmy", "ios.location.sharing"} <= gaps
    assert not _levers(a).get(("ios.findmy.enabled", "Find My iPhone"))
    assert "location_services" not in dict(a.device) and "find_my_iphone" not in dict(a.device)
    # the rest of the backup is still analyzed
    assert ("ios.profile.mdm", "com.northwind-devices.mdm.enroll") in {(f.kind, f.fact("identifier")) for f in a.findings}


def test_damaged_profile_stub_and_accounts_db(tmp_path, new_case, indicators):
    files = lever_files()
    files[(CONFIG, "Library/ConfigurationProfiles/profile-3f2a9c.stub")] = b"<plist><dict><key>PayloadContent"
    files[("HomeDomain", "Library/Accounts/Accounts3.sqlite")] = b"SQLite format 3\x00" + b"\x00" * 100
    a = _analyze(tmp_path, new_case, indicators, files)
    gaps = {n.area: n.reason for n in a.not_checked}
    assert gaps["ios.profiles"] == "profile-3f2a9c.stub is not a valid property list"
    assert gaps["ios.accounts"].startswith("accounts (Accounts3.sqlite) ")
    assert not [f for f in a.findings if f.kind.startswith(("ios.profile.m", "ios.profile.r", "ios.account"))]
    assert ("ios.location.sharing", "Find My location sharing") in _levers(a)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from techsafe.scanners.ios import findmy, profile_types  # noqa: E402
from techsafe.scanners.ios.facts import ConfigProfile  # noqa: E402
from techsafe.scanners.ios.plists import ParseError  # noqa: E402

_values = st.recursive(st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | st.text(max_size=20) | st.binary(max_size=20),
                       lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=30), kids, max_size=4),
                       max_leaves=20)
_keys = st.sampled_from(["fmipActive", "fmipLostModeType", "FMIPStateManager.fmipState", "numberOfFriendsFollowersKey",
                         "LocationServicesEnabledIn8.0", "x"])


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_keys, _values, max_size=5), st.binary(max_size=64))
def test_find_my_parsers_only_answer_or_raise_parse_error(doc, junk):
    for data in (bplist(doc), junk):
        for parse in (findmy.fmip_state, findmy.searchpartyd_state, findmy.people_count, findmy.location_services):
            try:
                parse(data, "x")
            except ParseError:
                pass


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80), st.text(max_size=80), st.text(max_size=80))
def test_profile_name_judgement_always_answers(ident, name, desc):
    kind = profile_types.from_name(ConfigProfile(identifier=ident, display_name=name, description=desc))
    assert kind.kind in (profile_types.MDM, profile_types.ROOT_CA, profile_types.OTHER) and kind.judged_from == "name"
