"""`techsafe scan --device ios:UDID --backup` end to end: the real pymobiledevice3
client (Mobilebackup2Service.backup: DeviceLink, AFC sync lock, notification_proxy)
makes a backup of the simulated iPhone, which techsafe ingests and analyzes
together with the live scan.

Mocked: only the iPhone and usbmuxd (techsafe/simulate/ios_device.py and
ios_backup_service.py; they cannot exist on this machine). The phone's backup
files are built from the demo profile's `backup:` section in their documented
formats (techsafe/simulate/ios_backup_content.py).
"""

from __future__ import annotations

import gc
import json

import pytest
from click.testing import CliRunner

from techsafe.case import Case
from techsafe.cli import cli
from techsafe.paths import resource_dir
from techsafe.scanners.ios import analyze, services
from techsafe.scanners.ios.acquire import acquire_ios
from techsafe.scanners.ios.backup import file_id
from techsafe.simulate.ios_harness import SimulatedIPhone, load_ios_profile

DEMO = resource_dir("fixtures/devices") / "ios17-demo"
UNPLUGGED = "the iPhone stopped answering (unplugged or locked?)"

# Live scan + backup, most urgent first (model.sort_findings).
EXPECTED = [
    ("ios.location.sharing", "high", "Find My location sharing"),
    ("ios.jailbreak", "high", "Jailbreak service (com.apple.afc2)"),
    ("ios.profile.mdm", "high", 'Profile "Device Management"'),
    ("ios.jailbreak", "high", "Sileo (org.coolstar.SileoStore)"),
    ("ios.app.dual_use", "medium", "AnyDesk (com.philandro.anydesk)"),
    ("ios.account.signed_in", "medium", "App Store (Apple ID) account (jordan.k@icloud.com)"),
    ("ios.profile.provisioning", "medium", 'Developer profile "SafeWatch In-House"'),
    ("ios.app.dual_use", "medium", "Life360 (com.life360.safetymap)"),
    ("ios.app.not_app_store", "medium", "SafeWatch Agent (com.safewatch.agent)"),
    ("ios.account.signed_in", "medium", "iCloud account (alex.demo@icloud.com)"),
    ("ios.backup.not_encrypted", "low", "Backup encryption"),
    ("ios.findmy.enabled", "low", "Find My iPhone"),
    ("ios.app.connected_device", "low", "Google Home (com.google.Chromecast)"),
    ("ios.location.always", "low", "SafeWatch Agent (com.safewatch.agent)"),
    ("ios.location.significant_locations", "low", "Significant Locations"),
    ("ios.app.permissions", "info", "SafeWatch Agent (com.safewatch.agent)"),
]
# What the live scan alone finds on the demo phone (tests/ios/test_ios_live.py).
LIVE_ONLY = [e for e in EXPECTED if e[0] not in (
    "ios.location.sharing", "ios.account.signed_in", "ios.findmy.enabled", "ios.location.always",
    "ios.location.significant_locations", "ios.app.permissions")]
BACKUP_AREAS = {"ios.accounts", "ios.location", "ios.permissions", "ios.findmy", "ios.location.sharing",
                "ios.location.significant"}
SYNC_NOTIFICATIONS = ["com.apple.itunes-mobdev.syncWillStart", "com.apple.itunes-mobdev.syncLockRequest",
                      "com.apple.itunes-mobdev.syncDidStart", "com.apple.itunes-mobdev.syncDidFinish"]


@pytest.fixture(scope="module")
def demo_profile():
    return load_ios_profile(DEMO)


def _assert_only_allowed(requests) -> None:
    """The simulated phone's log: nothing outside the live allow-list and the backup's."""
    live = {(r.service, next(iter(r.request.values()))) for r in services.SERVICE_REQUESTS}
    for entry in requests:
        if entry[0] == "lockdown":
            assert entry[1] in services.ALLOWED_LOCKDOWN_REQUESTS, entry
            if entry[1] == "StartService":
                assert entry[2] in services.ALLOWED_BACKUP_SERVICES, entry
        elif entry[0] == "service":
            assert (entry[1], entry[2]) in live | services.BACKUP_REQUESTS, entry
            if entry[1] == "com.apple.afc" and entry[2] == "FileRefOpen":
                assert entry[3] == "/com.apple.itunes.lock_sync", entry  # the only file ever opened


def test_cli_scan_with_backup_exact_findings(demo_profile, tmp_path, indicators):
    case_dir = tmp_path / "case"
    with SimulatedIPhone(demo_profile) as phone:
        result = CliRunner().invoke(cli, ["scan", "--device", f"ios:{phone.udid}", "--backup", "--case", str(case_dir),
                                          "--json"])
        requests = phone.requests
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [(f["kind"], f["severity"], f["subject"]) for f in out["findings"]] == EXPECTED
    by = {(f["kind"], f["subject"]): f for f in out["findings"]}
    perms = by[("ios.app.permissions", "SafeWatch Agent (com.safewatch.agent)")]
    assert perms["title"] == "The app com.safewatch.agent is allowed to use: camera, microphone."
    sharing = by[("ios.location.sharing", "Find My location sharing")]
    assert sharing["title"] == ("Find My location sharing is set up with 1 person: someone may be able to see where "
                                "this iPhone is.")
    always = by[("ios.location.always", "SafeWatch Agent (com.safewatch.agent)")]
    assert always["evidence"][0]["excerpt"] == "com.safewatch.agent: Authorization = 3"
    fid = file_id("RootDomain", "Library/Caches/locationd/clients.plist")
    assert always["evidence"][0]["artifact"] == f"artifacts/ios/backup/files/{fid}"
    # Nothing is "not checked": the live part and the backup together cover every area.
    assert out["not_checked"] == []
    device = dict(out["device"]) if isinstance(out["device"], dict) else dict(map(tuple, out["device"]))
    assert {k: device[k] for k in ("source", "find_my_iphone", "location_services", "lockdown_mode", "backup_encrypted")} == {
        "source": "live and backup", "find_my_iphone": "on", "location_services": "on", "lockdown_mode": "off",
        "backup_encrypted": "no"}

    # The backup the real client wrote is kept in the case: its metadata and the files analysis reads.
    case = Case.open(case_dir)
    names = {r.path.removeprefix("artifacts/ios/") for r in case.artifacts("ios")}
    assert {"backup/Info.plist", "backup/Manifest.plist", "backup/Manifest.db"} <= names
    kept = {n for n in names if n.startswith("backup/files/")}
    assert len(kept) == 9  # Accounts3, clients.plist, locationd, TCC.db, FMIP, fmfd, global prefs, profile stub, cloud config
    assert all(r.complete for r in case.artifacts("ios"))
    commands = {r.path.removeprefix("artifacts/ios/"): r.command for r in case.artifacts("ios")}
    assert commands["backup/Manifest.db"] == "mobilebackup2 backup Manifest.db"
    assert commands[f"backup/files/{fid}"] == f"mobilebackup2 backup file {fid}"
    # Re-analysis of the saved case gives the same findings.
    again = analyze.analyze(case, indicators)
    assert [(f.kind, f.severity.label, f.subject) for f in again.findings] == EXPECTED

    # The phone was asked for nothing outside the allow-lists; the sync lock was taken and given back.
    _assert_only_allowed(requests)
    started = [e[2] for e in requests if e[:2] == ("lockdown", "StartService")]
    assert set(started) == services.ALLOWED_BACKUP_SERVICES  # each one needed, none other
    posted = [e[3] for e in requests if e[1:3] == ("com.apple.mobile.notification_proxy", "PostNotification")]
    assert posted == SYNC_NOTIFICATIONS
    afc = [e[2:] for e in requests if e[:2] == ("service", "com.apple.afc") and e[2] != "GetFileInfo"]
    assert afc == [("FileRefOpen", "/com.apple.itunes.lock_sync"), ("FileRefLock", "exclusive"),
                   ("FileRefLock", "unlock"), ("FileRefClose", "")]
    backup_msgs = [e[2] for e in requests if e[:2] == ("service", "com.apple.mobilebackup2")]
    assert backup_msgs[:3] == ["DLMessageVersionExchange", "Hello", "Backup"]
    assert backup_msgs[-1] == "DLMessageDisconnect"


def test_phone_unplugged_mid_backup_keeps_the_live_part(demo_profile, tmp_path, indicators, caplog):
    case_dir = tmp_path / "case"
    with SimulatedIPhone(demo_profile, unplug_mid_backup=True) as phone:
        result = CliRunner().invoke(cli, ["scan", "--device", f"ios:{phone.udid}", "--backup", "--case", str(case_dir),
                                          "--json"])
        _assert_only_allowed(phone.requests)
    gc.collect()  # pymobiledevice3's orphaned background readers: no traceback printed at the caseworker
    assert not [r for r in caplog.records if r.name == "asyncio"]
    assert result.exit_code != 0
    assert "not everything could be collected: iPhone: backup." in " ".join(result.stderr.split())
    out = json.loads(result.stdout)
    assert [(f["kind"], f["severity"], f["subject"]) for f in out["findings"]] == LIVE_ONLY
    gaps = {n["area"]: n["reason"] for n in out["not_checked"]}
    assert BACKUP_AREAS <= set(gaps)
    assert gaps["ios.findmy"] == f"Find My state (FMIPStateInfo.plist) was not read: the backup did not complete ({UNPLUGGED})"
    assert gaps["ios.accounts"] == f"accounts (Accounts3.sqlite) was not read: the backup did not complete ({UNPLUGGED})"
    assert gaps["scan"] == "iPhone: backup"
    # The half-made backup is not kept as if it were a backup; the failure is.
    case = Case.open(case_dir)
    backup = [r for r in case.artifacts("ios") if r.path.startswith("artifacts/ios/backup/")]
    assert [(r.path, r.complete, r.error) for r in backup] == [("artifacts/ios/backup/status", False, UNPLUGGED)]


def test_phone_unplugged_as_the_backup_starts(demo_profile, new_case, indicators):
    case = new_case()
    with SimulatedIPhone(demo_profile, unplug_on_service="com.apple.mobilebackup2") as phone:
        assert acquire_ios(case, phone.udid, usbmux_address=phone.usbmux_address, backup=True) == ["backup"]
    a = analyze.analyze(case, indicators)
    assert [(f.kind, f.severity.label, f.subject) for f in a.findings] == LIVE_ONLY
    gaps = {n.area: n.reason for n in a.not_checked}
    assert set(gaps) == BACKUP_AREAS
    assert gaps["ios.location"] == (f"location permissions (clients.plist) was not read: the backup did not complete "
                                    f"({UNPLUGGED})")


def test_backup_never_starts_a_service_outside_the_allow_list(demo_profile, new_case, monkeypatch):
    """If pymobiledevice3's backup flow ever needs another service, techsafe refuses it before
    lockdownd is asked, and says so."""
    monkeypatch.setattr(services, "ALLOWED_BACKUP_SERVICES", services.ALLOWED_BACKUP_SERVICES - {"com.apple.afc"})
    case = new_case()
    with SimulatedIPhone(demo_profile) as phone:
        assert acquire_ios(case, phone.udid, usbmux_address=phone.usbmux_address, backup=True) == ["backup"]
        started = [e[2] for e in phone.requests if e[:2] == ("lockdown", "StartService")]
        locked = [e for e in phone.requests if e[1:3] == ("com.apple.afc", "FileRefLock")]
    assert "com.apple.afc" not in started and not locked
    rec = next(r for r in case.artifacts("ios") if r.path == "artifacts/ios/backup/status")
    assert rec.error == "the backup needed a service techsafe does not allow (com.apple.afc)"


def test_phone_without_backup_contents_says_what_the_backup_lacks(demo_profile, new_case, indicators):
    """A backup that holds none of the lever files: each area says so, never an all clear."""
    case = new_case()
    with SimulatedIPhone(demo_profile.with_(backup={})) as phone:
        assert acquire_ios(case, phone.udid, usbmux_address=phone.usbmux_address, backup=True) == []
    gaps = {n.area: n.reason for n in analyze.analyze(case, indicators).not_checked}
    assert gaps == {
        "ios.accounts": "accounts (Accounts3.sqlite): not in this backup",
        "ios.location": "location permissions (clients.plist): not in this backup",
        "ios.location.significant": "the Significant Locations setting (in clients.plist): not in this backup",
        "ios.permissions": "app permissions (TCC.db): not in this backup",
        "ios.findmy": "Find My state (FMIPStateInfo.plist): not in this backup",
        "ios.location.sharing": ("location sharing (com.apple.icloud.fmfd.plist): not in this backup; "
                                 "check Find My > People on the iPhone"),
    }


def test_hostile_phone_cannot_write_outside_the_backup_folder(demo_profile, new_case, monkeypatch, tmp_path):
    """A phone controls the file names it uploads: one that climbs out of the backup folder ends
    the backup (pymobiledevice3 refuses the path), nothing is written outside, the live part stays."""
    from techsafe.simulate import ios_backup_service

    escape = f"techsafe-escape-{tmp_path.name}"
    real_order = ios_backup_service._backup_order

    def hostile(folder, udid):
        files = real_order(folder, udid)
        device_name, _dest, path = files[0]
        return [(device_name, f"../{escape}", path)] + files[1:]

    monkeypatch.setattr(ios_backup_service, "_backup_order", hostile)
    case = new_case()
    with SimulatedIPhone(demo_profile) as phone:
        assert acquire_ios(case, phone.udid, usbmux_address=phone.usbmux_address, backup=True) == ["backup"]
    import tempfile
    from pathlib import Path

    assert not (Path(tempfile.gettempdir()) / escape).exists()
    rec = next(r for r in case.artifacts("ios") if r.path == "artifacts/ios/backup/status")
    assert rec.error == "the iPhone did not make a backup (DevicePathError)"
    assert any(r.path.startswith("artifacts/ios/installation_proxy/") for r in case.artifacts("ios"))
