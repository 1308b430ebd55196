"""Realistic backup files for a fictional survivor's iPhone, built from their
documented formats (each builder names its source). Used with
techsafe.simulate.ios_backup.write_backup to make a whole backup folder.
"""

from __future__ import annotations

import datetime as dt
import plistlib
import sqlite3
import tempfile
from pathlib import Path

CONFIG = "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles"
FINDMY = "SysSharedContainerDomain-systemgroup.com.apple.icloud.findmydevice.managed"
ROUTINE = "com.apple.locationd.bundle-/System/Library/LocationBundles/Routine.bundle"

INFO = {"Device Name": "Sam's iPhone", "Display Name": "Sam's iPhone", "Product Type": "iPhone14,5",
        "Product Version": "17.4.1", "Build Version": "21E236", "Target Identifier": "00008110-0011223344556677",
        "Unique Identifier": "00008110-0011223344556677", "Target Type": "Device", "Serial Number": "F2LXXXXXXXXX",
        "Installed Applications": ["com.life360.safetymap", "com.google.Maps", "com.safewatch.agent"]}


def bplist(obj) -> bytes:
    return plistlib.dumps(obj, fmt=plistlib.FMT_BINARY)


# Accounts3.sqlite: the Core Data store accountsd keeps (Z-prefixed tables;
# layout as parsed by iLEAPP's accounts artifact and listed in public seeds of
# it). Account types are ACAccountType identifiers; an Apple ID's helper
# accounts (CloudKit, DeviceLocator = Find My iPhone, FindMyFriends...) point at
# it through ZPARENTACCOUNT.
ACCOUNTS_SCHEMA = """
CREATE TABLE ZACCOUNT ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZACTIVE INTEGER, ZAUTHENTICATED INTEGER,
  ZSUPPORTSAUTHENTICATION INTEGER, ZVISIBLE INTEGER, ZWARMINGUP INTEGER, ZACCOUNTTYPE INTEGER, ZPARENTACCOUNT INTEGER,
  ZDATE TIMESTAMP, ZLASTCREDENTIALRENEWALREJECTIONDATE TIMESTAMP, ZACCOUNTDESCRIPTION VARCHAR,
  ZAUTHENTICATIONTYPE VARCHAR, ZCREDENTIALTYPE VARCHAR, ZIDENTIFIER VARCHAR, ZMODIFICATIONID VARCHAR,
  ZOWNINGBUNDLEID VARCHAR, ZUSERNAME VARCHAR, ZDATACLASSPROPERTIES BLOB );
CREATE TABLE ZACCOUNTTYPE ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZENCRYPTACCOUNTPROPERTIES INTEGER,
  ZOBSOLETE INTEGER, ZSUPPORTSAUTHENTICATION INTEGER, ZSUPPORTSMULTIPLEACCOUNTS INTEGER, ZVISIBILITY INTEGER,
  ZACCOUNTTYPEDESCRIPTION VARCHAR, ZCREDENTIALPROTECTIONPOLICY VARCHAR, ZCREDENTIALTYPE VARCHAR, ZIDENTIFIER VARCHAR,
  ZOWNINGBUNDLEID VARCHAR );
CREATE TABLE ZACCOUNTPROPERTY ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZOWNER INTEGER, ZKEY VARCHAR,
  ZVALUE BLOB );
CREATE TABLE ZDATACLASS ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZIDENTIFIER VARCHAR );
CREATE TABLE Z_2ENABLEDDATACLASSES ( Z_2ACCOUNTS INTEGER, Z_4ENABLEDDATACLASSES INTEGER,
  PRIMARY KEY (Z_2ACCOUNTS, Z_4ENABLEDDATACLASSES) );
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);
CREATE TABLE Z_MODELCACHE (Z_CONTENT BLOB);
"""
ACCOUNT_TYPES = [
    (1, "iCloud", "com.apple.account.AppleAccount"), (2, "Find My iPhone", "com.apple.account.DeviceLocator"),
    (3, "Find My Friends", "com.apple.account.FindMyFriends"), (4, "CloudKit", "com.apple.account.CloudKit"),
    (5, "Gmail", "com.apple.account.Google"), (6, "Exchange", "com.apple.account.Exchange"),
    (7, "iTunes Store", "com.apple.account.iTunesStore"), (8, "IdentityServices", "com.apple.account.IdentityServices"),
]
# (Z_PK, type, parent, active, description, username)
ACCOUNTS = [
    (1, 1, None, 1, "iCloud", "sam.survivor@icloud.com"),
    (2, 2, 1, 1, "Find My iPhone", "sam.survivor@icloud.com"),
    (3, 3, 1, 1, "Find My Friends", "sam.survivor@icloud.com"),
    (4, 4, 1, 1, "CloudKit", "sam.survivor@icloud.com"),
    (5, 5, None, 1, "Gmail", "sam.s@gmail.com"),
    (6, 6, None, 0, "Work", "s.survivor@northwind.example"),
    (7, 7, None, 1, "iTunes Store", "pat.partner@icloud.com"),
    (8, 8, 1, 1, "IdentityServices", "sam.survivor@icloud.com"),
]


def accounts3_sqlite() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Accounts3.sqlite"
        db = sqlite3.connect(path)
        db.executescript(ACCOUNTS_SCHEMA)
        db.executemany("INSERT INTO ZACCOUNTTYPE (Z_PK, Z_ENT, Z_OPT, ZACCOUNTTYPEDESCRIPTION, ZIDENTIFIER) "
                       "VALUES (?, 3, 1, ?, ?)", ACCOUNT_TYPES)
        db.executemany("INSERT INTO ZACCOUNT (Z_PK, Z_ENT, Z_OPT, ZACCOUNTTYPE, ZPARENTACCOUNT, ZACTIVE, ZAUTHENTICATED, "
                       "ZVISIBLE, ZACCOUNTDESCRIPTION, ZUSERNAME, ZIDENTIFIER, ZDATE) "
                       "VALUES (?, 2, 1, ?, ?, ?, 1, 1, ?, ?, printf('ACC-%04d', ?), 700000000.0)",
                       [(pk, t, parent, active, desc, user, pk) for pk, t, parent, active, desc, user in ACCOUNTS])
        db.executemany("INSERT INTO Z_PRIMARYKEY VALUES (?, ?, 0, ?)",
                       [(2, "Account", 8), (3, "AccountType", 8), (1, "AccountProperty", 0), (4, "DataClass", 0)])
        db.commit()
        db.close()
        return path.read_bytes()


# clients.plist (RootDomain Library/Caches/locationd): one dictionary per
# client; app keys are "i<bundle id>:", system services
# "com.apple.locationd.bundle-<path>". `Authorization` is CLAuthorizationStatus
# (3 always, 4 when in use, 2 never); fields as listed by the forensic write-ups
# cited in techsafe/scanners/ios/findmy.py.
def clients_plist(significant_locations: bool = True) -> bytes:
    def app(bundle, auth, path):
        return {"BundleId": bundle, "Authorization": auth, "Executable": path, "Registered": path,
                "Whitelisted": False, "SupportedAuthorizationMask": 7, "LocationTimeStopped": 731000000.0}

    return bplist({
        "icom.life360.safetymap:": app("com.life360.safetymap", 3, "/private/var/containers/Bundle/Application/A/Life360.app/Life360"),
        "icom.google.Maps:": app("com.google.Maps", 4, "/private/var/containers/Bundle/Application/B/GoogleMaps.app/GoogleMaps"),
        "icom.safewatch.agent:": app("com.safewatch.agent", 3, "/private/var/containers/Bundle/Application/C/Agent.app/Agent"),
        "icom.apple.findmy:": app("com.apple.findmy", 3, "/Applications/FindMy.app/FindMy"),
        "icom.example.denied:": app("com.example.denied", 2, "/private/var/containers/Bundle/Application/D/X.app/X"),
        ROUTINE: {"Authorization": 3 if significant_locations else 2,
                  "BundlePath": "/System/Library/LocationBundles/Routine.bundle", "Whitelisted": False,
                  "FenceTimeStarted": 731000000.0},
    })


# A configuration profile as installed (profile-<hash>.stub): the profile's
# top-level dictionary with PayloadContent, as Apple's Configuration Profile
# Reference documents it and MVT's ConfigurationProfiles module reads it.
def profile_stub(ident, name, org, payloads, installed=dt.datetime(2024, 3, 2, 21, 14, 5), **extra) -> bytes:
    return plistlib.dumps(dict({
        "PayloadType": "Configuration", "PayloadVersion": 1, "PayloadIdentifier": ident, "PayloadDisplayName": name,
        "PayloadOrganization": org, "PayloadUUID": "6F1D0C52-3E1B-4F0A-9B43-2B4C7E8A1D11",
        "PayloadRemovalDisallowed": False, "InstallDate": installed,
        "PayloadContent": [{"PayloadType": t, "PayloadIdentifier": f"{ident}.{i}", "PayloadUUID": f"P-{i}",
                            "PayloadVersion": 1} for i, t in enumerate(payloads)],
    }, **extra))


def profile_events(*events) -> bytes:
    """MCProfileEvents.plist as MVT's ProfileEvents module reads it."""
    return plistlib.dumps({"ProfileEvents": [{ident: {"operation": op, "timestamp": when, "process": proc}}
                                             for ident, op, when, proc in events]})


def lever_files(*, fmip=True, people=2, location_on=True, significant=True) -> dict[tuple[str, str], bytes]:
    """Every file the lever checks read, for a phone with the given states."""
    return {
        ("HomeDomain", "Library/Accounts/Accounts3.sqlite"): accounts3_sqlite(),
        ("RootDomain", "Library/Caches/locationd/clients.plist"): clients_plist(significant),
        ("HomeDomain", "Library/Preferences/com.apple.locationd.plist"):
            bplist({"LocationServicesEnabledIn8.0": location_on, "LastSystemVersion": "iPhone OS17.4.1/21E236"}),
        (FINDMY, "Library/Preferences/FMIPStateInfo.plist"): bplist({"fmipActive": fmip, "fmipLostModeType": 0}),
        ("HomeDomain", "Library/Preferences/com.apple.icloud.fmfd.plist"):
            bplist({"numberOfFriendsFollowersKey": people, "lazyInitTimeSecsStoredKey": 543600.0,
                    "storedConfigKey": {"maxFollowers": 100, "maxFriends": 100}}),
        (CONFIG, "Library/ConfigurationProfiles/profile-3f2a9c.stub"):
            profile_stub("com.northwind-devices.mdm.enroll", "Device Management", "Northwind Device Services",
                         ["com.apple.mdm", "com.apple.security.pkcs12"]),
        (CONFIG, "Library/ConfigurationProfiles/profile-77b0e1.stub"):
            profile_stub("net.quietproxy.ca", "Secure Browsing", "QuietProxy", ["com.apple.security.root"],
                         installed=dt.datetime(2024, 3, 3, 8, 0, 0)),
        (CONFIG, "Library/ConfigurationProfiles/profile-0c11d4.stub"):
            profile_stub("com.example.quiet", "Quiet Hours", "", ["com.apple.notificationsettings"],
                         installed=dt.datetime(2024, 3, 4, 9, 30, 0)),
        (CONFIG, "Library/ConfigurationProfiles/MCProfileEvents.plist"): profile_events(
            ("com.northwind-devices.mdm.enroll", "install", dt.datetime(2024, 3, 2, 21, 14, 5), "profiled"),
            ("com.old.vpn", "remove", dt.datetime(2024, 2, 1, 10, 0, 0), "Preferences")),
        (CONFIG, "Library/ConfigurationProfiles/CloudConfigurationDetails.plist"):
            bplist({"IsSupervised": False, "CloudConfigUIComplete": True, "ConfigurationWasApplied": True}),
        (CONFIG, "Library/ConfigurationProfiles/PublicInfo/MCMeta.plist"): bplist({"LastMigratedBuild": "21E236"}),
    }
