"""Backup and app-list analysis on real third-party data (../shared/captures/ios)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from techsafe.pipeline import InputError
from techsafe.scanners.ios import analyze, parsers, sources
from techsafe.scanners.ios.backup import file_id


def _tree_hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _analysis(path: Path, case, indicators):
    sources.ingest(path, case)
    return analyze.analyze(case, indicators)


def test_mvt_backup_device_facts_and_findings(shared, new_case, indicators):
    backup = shared / "captures/ios/mvt-backup"
    before = _tree_hashes(backup)
    assert sources.detect(backup) == "iPhone backup"
    a = _analysis(backup, new_case(), indicators)
    dev = dict(a.device)
    assert dev == {
        "platform": "ios", "model": "iPhone9,3", "ios_version": "14.3", "build": "18C66", "name": "iPhone",
        "udid": "1CB128EAFA77C5BE74283E9A3A2130AF36A3C059", "source": "backup", "backup_date": "2021-12-03T19:33:13Z",
        "backup_encrypted": "no", "lockdown_mode": "on", "locale": "en_FR", "apps_total": "107", "apps_user": "6",
    }
    assert [(f.kind, f.severity.label, f.subject) for f in a.findings] == [
        ("ios.os.outdated", "medium", "iOS version"),
        ("ios.backup.not_encrypted", "low", "Backup encryption"),
        ("ios.app.permissions", "info", "net.whatsapp.WhatsApp"),
    ]
    assert a.findings[2].title == "The app net.whatsapp.WhatsApp is allowed to use: iCloud Drive."
    # Files Manifest.db lists but this trimmed backup lacks are said out loud.
    gaps = {n.area: n.reason for n in a.not_checked}
    assert gaps["ios.accounts"] == "accounts (Accounts3.sqlite): listed in Manifest.db but missing from the backup folder"
    assert gaps["ios.location"].startswith("location permissions (clients.plist): listed in Manifest.db but missing")
    assert "ios.profiles" in gaps and "ios.management" in gaps
    assert set(a.checked) == {"ios.apps", "ios.jailbreak", "ios.os", "ios.backup", "ios.permissions"}
    # Nothing in the backup folder changed (SQLite opened read-only on a copy).
    assert _tree_hashes(backup) == before


def test_mvt_backup_tcc_permissions_per_app(shared):
    fid = file_id("HomeDomain", "Library/TCC/TCC.db")
    data = (shared / "captures/ios/mvt-backup" / fid[:2] / fid).read_bytes()
    grants = parsers.tcc_grants(data)
    per_app: dict[str, set[str]] = {}
    for g in grants:
        assert g.allowed
        per_app.setdefault(g.client, set()).add(g.service)
    assert per_app == {
        "com.apple.Preferences": {"kTCCServiceUbiquity"},
        "net.whatsapp.WhatsApp": {"kTCCServiceUbiquity"},
        "org.mozilla.ios.Firefox": {"kTCCServiceWebKitIntelligentTrackingPrevention"},
        "com.apple.mobilesafari": {"kTCCServiceWebKitIntelligentTrackingPrevention"},
        "com.apple.shortcuts": {"kTCCServiceLiverpool"},
        "com.apple.Health": {"kTCCServiceMotion", "kTCCServiceLiverpool"},
        "com.google.chrome.ios": {"kTCCServiceWebKitIntelligentTrackingPrevention"},
        "com.apple.upload-request-proxy.com.apple.photos.cloud": {"kTCCServiceLiverpool"},
        "com.apple.VoiceShortcuts": {"kTCCServiceLiverpool"},
        "Launch": {"kTCCServiceLiverpool"},
    }


def test_isdi_app_list_counts_and_findings(shared, new_case, indicators):
    path = shared / "captures/ios/isdi/ios_apps.plist"
    assert sources.detect(path) == "iOS app list (installation_proxy)"
    apps = parsers.apps_from_installation_proxy(path.read_bytes(), path.name)
    assert len(apps) == 96
    assert sum(a.app_type == "System" for a in apps) == 85
    assert sum(a.app_type == "User" for a in apps) == 11
    assert sorted(a.bundle_id for a in apps if a.app_store is False) == [
        "com.nianticlabs.pokemongo", "com.tweakmo.TwekMo-Silver", "org.coolstar.electra"]
    a = _analysis(path, new_case(), indicators)
    assert dict(a.device)["apps_total"] == "96" and dict(a.device)["apps_user"] == "11"
    assert [(f.kind, f.severity.label, f.subject) for f in a.findings] == [
        ("ios.jailbreak", "high", "Electra (org.coolstar.electra)"),
        ("ios.app.not_app_store", "medium", "Pokémon GO (com.nianticlabs.pokemongo)"),
        ("ios.app.not_app_store", "medium", "TwekMo Silver (com.tweakmo.TwekMo-Silver)"),
    ]
    assert a.findings[0].title == "This iPhone shows signs of a jailbreak: the Electra app is installed."
    # An app list is neither a phone nor a backup: each gap says so, in its own words.
    gaps = {n.area: n.reason for n in a.not_checked}
    tail = " (scan the iPhone itself, `techsafe scan --device --backup`, to check this)"
    assert gaps == {
        "ios.profiles": "an app list does not include configuration profiles: it holds only the installed apps" + tail,
        "ios.provisioning": "an app list does not include provisioning profiles: it holds only the installed apps" + tail,
        "ios.management": "an app list does not include device management (supervision): it holds only the installed apps" + tail,
        "ios.os": "an app list does not include the iOS version: it holds only the installed apps" + tail,
        "ios.developer": "an app list does not include developer mode: it holds only the installed apps" + tail,
        "ios.backup": "an app list does not include backup encryption: it holds only the installed apps" + tail,
        "ios.accounts": "an app list does not include accounts (Accounts3.sqlite): it holds only the installed apps" + tail,
        "ios.location": "an app list does not include location permissions (clients.plist): it holds only the installed apps" + tail,
        "ios.permissions": "an app list does not include app permissions (TCC.db): it holds only the installed apps" + tail,
        "ios.findmy": "an app list does not include Find My state (FMIPStateInfo.plist): it holds only the installed apps" + tail,
        "ios.location.sharing": "an app list does not include location sharing (com.apple.icloud.fmfd.plist): it holds "
                                "only the installed apps" + tail + "; check Find My > People on the iPhone",
        "ios.location.significant": "an app list does not include the Significant Locations setting (in clients.plist): "
                                    "it holds only the installed apps" + tail,
    }
    assert not [r for r in gaps.values() if "has no Info.plist" in r or "use --backup" in r]


# ---------------------------------------------------------------- hostile input


def _copy_backup(shared, tmp_path) -> Path:
    dst = tmp_path / "backup"
    shutil.copytree(shared / "captures/ios/mvt-backup", dst)
    for p in dst.rglob("*"):
        p.chmod(0o700 if p.is_dir() else 0o600)
    return dst


def test_info_plist_not_a_plist(shared, tmp_path, new_case):
    b = _copy_backup(shared, tmp_path)
    (b / "Info.plist").write_bytes(b"<plist><dict><key>x</key>")
    with pytest.raises(InputError) as exc:
        sources.ingest(b, new_case())
    assert str(exc.value) == f"{b / 'Info.plist'}: Info.plist is not a valid property list"


def test_manifest_db_not_sqlite(shared, tmp_path, new_case):
    b = _copy_backup(shared, tmp_path)
    (b / "Manifest.db").write_bytes(b"this is not a database\x00" * 10)
    with pytest.raises(InputError) as exc:
        sources.ingest(b, new_case())
    assert str(exc.value).startswith(f"{b / 'Manifest.db'}: not a SQLite database")


def test_missing_manifest_db_is_not_detected(shared, tmp_path):
    b = _copy_backup(shared, tmp_path)
    (b / "Manifest.db").unlink()
    assert sources.detect(b) is None


def test_damaged_tcc_db_becomes_not_checked(shared, tmp_path, new_case, indicators):
    b = _copy_backup(shared, tmp_path)
    fid = file_id("HomeDomain", "Library/TCC/TCC.db")
    (b / fid[:2] / fid).write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    a = _analysis(b, new_case(), indicators)
    gaps = {n.area: n.reason for n in a.not_checked}
    assert gaps["ios.permissions"].startswith("app permissions (TCC.db) could not be read")
    assert not [f for f in a.findings if f.kind == "ios.app.permissions"]


def test_hostile_global_preferences_and_strings(shared, tmp_path, new_case, indicators):
    b = _copy_backup(shared, tmp_path)
    fid = file_id("HomeDomain", "Library/Preferences/.GlobalPreferences.plist")
    (b / fid[:2] / fid).write_bytes(b"bplist00" + b"\x00" * 50)
    import plistlib

    info = plistlib.loads((b / "Info.plist").read_bytes())
    info["Product Version"] = "14.3\x1b[31m<script>"
    info["Device Name"] = "x" * 5000
    (b / "Info.plist").write_bytes(plistlib.dumps(info, fmt=plistlib.FMT_BINARY))  # binary plists may hold control characters
    a = _analysis(b, new_case(), indicators)
    dev = dict(a.device)
    assert "lockdown_mode" not in dev  # unreadable -> not claimed either way
    assert dev["ios_version"] == "14.3 [31m<script>"  # control characters removed; never rendered as markup here
    assert len(dev["name"]) == 128


def test_app_list_not_a_plist(tmp_path, new_case):
    p = tmp_path / "apps.plist"
    p.write_bytes(b"<array><dict><key>CFBundleIdentifier</key>")
    with pytest.raises(InputError) as exc:
        sources.ingest(p, new_case())
    assert str(exc.value) == f"{p}: apps.plist is not a valid property list"


def test_app_list_wrong_shape_and_types(tmp_path, new_case, indicators):
    import plistlib

    p = tmp_path / "apps.plist"
    p.write_bytes(plistlib.dumps([{"CFBundleIdentifier": 5}, "x", {"CFBundleIdentifier": "com.ok.app",
                                  "ApplicationType": ["User"], "SignerIdentity": {"a": 1}}]))
    sources.ingest(p, new_case())
    p2 = tmp_path / "dict.plist"
    p2.write_bytes(plistlib.dumps({"hello": "world"}))
    with pytest.raises(InputError) as exc:
        sources.ingest(p2, new_case())
    assert str(exc.value) == f"{p2}: dict.plist is not an app list"
