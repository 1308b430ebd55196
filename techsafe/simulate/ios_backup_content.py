"""The files a simulated iPhone's backup holds, built from its profile.

`backup_files(profile)` -> {(domain, relativePath): bytes}, the file set
techsafe.simulate.ios_backup.write_backup lays out as a real backup folder
and the simulated mobilebackup2 service sends to the client. Formats (the
same ones tests/ios/backup_files.py documents with their sources):

  Library/Accounts/Accounts3.sqlite       accountsd's Core Data store (ZACCOUNT, ZACCOUNTTYPE)
  Library/Caches/locationd/clients.plist  locationd clients, Authorization = CLAuthorizationStatus
  Library/TCC/TCC.db                      `access` table, iOS 14+ layout (as in the real
                                          ../shared/captures/ios/mvt-backup TCC.db)
  FMIPStateInfo.plist, com.apple.icloud.fmfd.plist, com.apple.locationd.plist: see
                                          techsafe/scanners/ios/findmy.py
  ConfigurationProfiles/profile-<h>.stub  the installed profiles (from the profile's `profiles`)

The profile's `backup:` section (all optional):
  accounts: [{type: <ACAccountType id>, description, username, active: true, parent: <index>}]
  location: {services_on: true, significant_locations: false, clients: {<bundle id>: <0..4>}}
  tcc:      [{service: kTCCService..., client: <bundle id>, auth_value: 2, last_modified: <unix>}]
  findmy:   {active: true, people: 0}
  global_preferences: {<key>: <value>}  (.GlobalPreferences.plist, e.g. LDMGlobalEnabled)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import plistlib
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from techsafe.simulate.ios_profile import IosProfile

CONFIG = "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles"
FINDMY = "SysSharedContainerDomain-systemgroup.com.apple.icloud.findmydevice.managed"
ROUTINE = "com.apple.locationd.bundle-/System/Library/LocationBundles/Routine.bundle"
_APPLE_EPOCH = 978307200  # Core Data / CFAbsoluteTime seconds start at 2001-01-01


def _bplist(obj: Any) -> bytes:
    return plistlib.dumps(obj, fmt=plistlib.FMT_BINARY)


def _sqlite(schema: str, fill) -> bytes:
    with tempfile.TemporaryDirectory(prefix="techsafe-sim-db-") as tmp:
        path = Path(tmp) / "db.sqlite"
        db = sqlite3.connect(path)
        try:
            db.executescript(schema)
            fill(db)
            db.commit()
        finally:
            db.close()
        return path.read_bytes()


_ACCOUNTS_SCHEMA = """
CREATE TABLE ZACCOUNT ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZACTIVE INTEGER, ZAUTHENTICATED INTEGER,
  ZVISIBLE INTEGER, ZACCOUNTTYPE INTEGER, ZPARENTACCOUNT INTEGER, ZDATE TIMESTAMP, ZACCOUNTDESCRIPTION VARCHAR,
  ZIDENTIFIER VARCHAR, ZOWNINGBUNDLEID VARCHAR, ZUSERNAME VARCHAR );
CREATE TABLE ZACCOUNTTYPE ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZACCOUNTTYPEDESCRIPTION VARCHAR,
  ZIDENTIFIER VARCHAR );
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
"""


def accounts3_sqlite(accounts: list[dict[str, Any]]) -> bytes:
    types = list(dict.fromkeys(str(a["type"]) for a in accounts))

    def fill(db: sqlite3.Connection) -> None:
        db.executemany("INSERT INTO ZACCOUNTTYPE VALUES (?, 3, 1, ?, ?)",
                       [(i + 1, t.rsplit(".", 1)[-1], t) for i, t in enumerate(types)])
        for pk, a in enumerate(accounts, 1):
            parent = a.get("parent")
            db.execute("INSERT INTO ZACCOUNT VALUES (?, 2, 1, ?, 1, 1, ?, ?, ?, ?, ?, NULL, ?)",
                       (pk, 1 if a.get("active", True) else 0, types.index(str(a["type"])) + 1,
                        int(parent) + 1 if parent is not None else None, 700000000.0, a.get("description", ""),
                        hashlib.sha1(f"account-{pk}".encode()).hexdigest()[:8].upper(), a.get("username")))
        db.executemany("INSERT INTO Z_PRIMARYKEY VALUES (?, ?, 0, ?)",
                       [(2, "Account", len(accounts)), (3, "AccountType", len(types))])

    return _sqlite(_ACCOUNTS_SCHEMA, fill)


def clients_plist(clients: dict[str, int], significant_locations: bool) -> bytes:
    out: dict[str, Any] = {}
    for bundle, auth in clients.items():
        path = f"/private/var/containers/Bundle/Application/{hashlib.sha1(bundle.encode()).hexdigest()[:8].upper()}/App.app/App"
        out[f"i{bundle}:"] = {"BundleId": bundle, "Authorization": int(auth), "Executable": path, "Registered": path,
                              "Whitelisted": False, "SupportedAuthorizationMask": 7, "LocationTimeStopped": 731000000.0}
    out[ROUTINE] = {"Authorization": 3 if significant_locations else 2, "Whitelisted": False,
                    "BundlePath": "/System/Library/LocationBundles/Routine.bundle", "FenceTimeStarted": 731000000.0}
    return _bplist(out)


# The real iOS 14.3 TCC.db's access table (../shared/captures/ios/mvt-backup).
_TCC_SCHEMA = """
CREATE TABLE admin (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);
CREATE TABLE access ( service TEXT NOT NULL, client TEXT NOT NULL, client_type INTEGER NOT NULL,
  auth_value INTEGER NOT NULL, auth_reason INTEGER NOT NULL, auth_version INTEGER NOT NULL, csreq BLOB,
  policy_id INTEGER, indirect_object_identifier_type INTEGER, indirect_object_identifier TEXT NOT NULL DEFAULT 'UNUSED',
  indirect_object_code_identity BLOB, flags INTEGER, last_modified INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (service, client, client_type, indirect_object_identifier));
"""


def tcc_db(grants: list[dict[str, Any]]) -> bytes:
    def fill(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO admin VALUES ('version', 18)")
        db.executemany(
            "INSERT INTO access (service, client, client_type, auth_value, auth_reason, auth_version, flags, last_modified) "
            "VALUES (?, ?, 0, ?, 2, 1, 0, ?)",
            [(g["service"], g["client"], int(g.get("auth_value", 2)), int(g.get("last_modified", 1709400000)))
             for g in grants])

    return _sqlite(_TCC_SCHEMA, fill)


def _profile_stub(p: dict[str, Any]) -> bytes:
    return plistlib.dumps(dict(p, PayloadType="Configuration", PayloadVersion=p.get("PayloadVersion", 1)))


def backup_files(profile: IosProfile) -> dict[tuple[str, str], bytes]:
    spec = profile.backup
    files: dict[tuple[str, str], bytes] = {}
    if spec.get("accounts"):
        files[("HomeDomain", "Library/Accounts/Accounts3.sqlite")] = accounts3_sqlite(list(spec["accounts"]))
    loc = spec.get("location")
    if isinstance(loc, dict):
        files[("RootDomain", "Library/Caches/locationd/clients.plist")] = clients_plist(
            dict(loc.get("clients") or {}), loc.get("significant_locations") is True)
        files[("HomeDomain", "Library/Preferences/com.apple.locationd.plist")] = _bplist(
            {"LocationServicesEnabledIn8.0": loc.get("services_on", True) is True,
             "LastSystemVersion": f"iPhone OS{profile.values.get('ProductVersion', '')}/{profile.values.get('BuildVersion', '')}"})
    if spec.get("tcc"):
        files[("HomeDomain", "Library/TCC/TCC.db")] = tcc_db(list(spec["tcc"]))
    fm = spec.get("findmy")
    if isinstance(fm, dict):
        files[(FINDMY, "Library/Preferences/FMIPStateInfo.plist")] = _bplist(
            {"fmipActive": fm.get("active", True) is True, "fmipLostModeType": 0})
        if "people" in fm:
            files[("HomeDomain", "Library/Preferences/com.apple.icloud.fmfd.plist")] = _bplist(
                {"numberOfFriendsFollowersKey": int(fm["people"]), "storedConfigKey": {"maxFollowers": 100, "maxFriends": 100}})
    if "global_preferences" in spec:
        files[("HomeDomain", "Library/Preferences/.GlobalPreferences.plist")] = _bplist(dict(spec["global_preferences"] or {}))
    for p in profile.profiles:
        h = hashlib.sha1(str(p.get("PayloadIdentifier")).encode()).hexdigest()[:6]
        files[(CONFIG, f"Library/ConfigurationProfiles/profile-{h}.stub")] = _profile_stub(p)
    files[(CONFIG, "Library/ConfigurationProfiles/CloudConfigurationDetails.plist")] = _bplist(
        dict(profile.cloud_configuration))
    return files


def backup_info(profile: IosProfile) -> dict[str, Any]:
    """The Info.plist keys write_backup uses for Manifest.plist (the client writes its own Info.plist)."""
    v = profile.values
    return {"Device Name": v.get("DeviceName", ""), "Product Type": v.get("ProductType", ""),
            "Product Version": v.get("ProductVersion", ""), "Build Version": v.get("BuildVersion", ""),
            "Unique Identifier": profile.udid, "Target Identifier": profile.udid,
            "Last Backup Date": dt.datetime(2024, 3, 10, 12, 0, 0)}
