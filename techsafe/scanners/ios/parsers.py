"""Raw iOS responses and backup files -> facts (facts.py).

Every function takes bytes exactly as stored in the case and either returns
facts or raises ParseError. None of them trusts a type: a value of the wrong
type from the phone is skipped, never crashes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from techsafe.scanners.ios import sqlite_ro
from techsafe.scanners.ios.facts import (
    APP_STORE_SIGNERS,
    Account,
    ConfigProfile,
    IosApp,
    LocationClient,
    ProfileEvent,
    ProfilePayload,
    ProvisioningProfile,
    TccGrant,
)
from techsafe.scanners.ios.plists import ParseError, flag, load_dict, load_plist, text

# ---------------------------------------------------------------- apps


def app_from_info(info: dict[str, Any], source: str) -> IosApp | None:
    """One installation_proxy entry (Browse/Lookup) -> IosApp."""
    bundle = text(info.get("CFBundleIdentifier"), 256)
    if not bundle:
        return None
    signer = text(info.get("SignerIdentity"))
    app_type = text(info.get("ApplicationType"), 32)
    itunes = info.get("iTunesMetadata")
    distributor = ""
    dist = info.get("ApplicationDistributor") or info.get("DistributorID")
    if isinstance(dist, str):
        distributor = text(dist)
    if app_type == "System":
        app_store: bool | None = None
    elif distributor and distributor != "com.apple.AppStore":
        app_store = False
    elif signer:
        app_store = signer in APP_STORE_SIGNERS
    elif isinstance(itunes, (bytes, dict)):
        app_store = True
    else:
        app_store = None
    return IosApp(
        bundle_id=bundle,
        name=text(info.get("CFBundleDisplayName")) or text(info.get("CFBundleName")),
        version=text(info.get("CFBundleShortVersionString"), 64) or text(info.get("CFBundleVersion"), 64),
        app_type=app_type,
        signer=signer,
        profile_validated=flag(info.get("ProfileValidated")),
        app_store=app_store,
        source=source,
        distributor=distributor,
        path=text(info.get("Path")),
    )


def apps_from_installation_proxy(data: bytes, what: str) -> list[IosApp]:
    return read_app_list(data, what)[0]


def read_app_list(data: bytes, what: str) -> tuple[list[IosApp], int]:
    """(apps, entries that could not be read) of a Browse response frame
    ({"CurrentList": [...]}), a Lookup response ({"LookupResult": {...}}) or a
    saved app list (a plist array, as ISDi keeps)."""
    value = load_plist(data, what)
    if isinstance(value, list):
        entries: Iterable[Any] = value
    elif isinstance(value, dict):
        if "CurrentList" in value:
            entries = value.get("CurrentList") or []
        elif isinstance(value.get("LookupResult"), dict):
            entries = value["LookupResult"].values()
        elif value.get("Status") == "Complete" or "Error" in value:
            entries = []
            if "Error" in value:
                raise ParseError(f"{what}: the phone refused the app list ({text(value.get('Error'), 64)})")
        else:
            raise ParseError(f"{what} is not an app list")
    else:
        raise ParseError(f"{what} is not an app list")
    if not isinstance(entries, (list, type({}.values()))):
        raise ParseError(f"{what} is not an app list")
    apps, unreadable = [], 0
    for entry in entries:
        app = app_from_info(entry, "installation_proxy") if isinstance(entry, dict) else None
        if app:
            apps.append(app)
        else:
            unreadable += 1  # an app could hide behind a malformed entry: counted, never silently dropped
    return apps, unreadable


def apps_from_backup(info_plist: dict[str, Any], manifest_plist: dict[str, Any] | None, domains: Iterable[str]) -> list[IosApp]:
    """User apps a backup names: Manifest.plist "Applications", Info.plist
    "Installed Applications", and AppDomain-<bundle> domains in Manifest.db."""
    found: dict[str, IosApp] = {}
    applications = (manifest_plist or {}).get("Applications")
    if isinstance(applications, dict):
        for bundle, info in applications.items():
            b = text(bundle, 256)
            if not b:
                continue
            info = info if isinstance(info, dict) else {}
            found[b] = IosApp(
                bundle_id=b,
                version=text(info.get("CFBundleVersion"), 64),
                app_type="User",
                source="backup",
                path=text(info.get("Path")),
            )
    installed = info_plist.get("Installed Applications")
    if isinstance(installed, list):
        for bundle in installed:
            b = text(bundle, 256)
            if b and b not in found:
                found[b] = IosApp(bundle_id=b, app_type="User", source="backup")
    for domain in domains:
        if domain.startswith("AppDomain-"):
            b = text(domain[len("AppDomain-"):], 256)
            if b and b not in found:
                found[b] = IosApp(bundle_id=b, app_type="" if b.startswith("com.apple.") else "User", source="backup")
    return sorted(found.values(), key=lambda a: a.bundle_id)


# ---------------------------------------------------------------- profiles


def _payloads(content: Any) -> tuple[ProfilePayload, ...]:
    out = []
    if isinstance(content, list):
        for item in content:
            if isinstance(item, dict):
                t = text(item.get("PayloadType"), 128)
                if t:
                    out.append(ProfilePayload(t, text(item.get("PayloadDisplayName"))))
    return tuple(out)


def profiles_from_profile_list(data: bytes, what: str) -> list[ConfigProfile]:
    """MCInstall GetProfileList response: OrderedIdentifiers, ProfileManifest,
    ProfileMetadata. Payload types are read when the metadata carries
    PayloadContent (as the MDM ProfileList item documents); otherwise empty."""
    value = load_dict(data, what)
    if value.get("Status") not in (None, "Acknowledged"):
        raise ParseError(f"{what}: the phone refused the profile list ({text(value.get('Status'), 64)})")
    ids = value.get("OrderedIdentifiers")
    manifest = value.get("ProfileManifest") if isinstance(value.get("ProfileManifest"), dict) else {}
    metadata = value.get("ProfileMetadata") if isinstance(value.get("ProfileMetadata"), dict) else {}
    if not isinstance(ids, list):
        ids = list(metadata)
    out = []
    for ident in ids:
        if not isinstance(ident, str):
            continue
        meta = metadata.get(ident) if isinstance(metadata.get(ident), dict) else {}
        man = manifest.get(ident) if isinstance(manifest.get(ident), dict) else {}
        out.append(
            ConfigProfile(
                identifier=text(ident, 256),
                display_name=text(meta.get("PayloadDisplayName")),
                organization=text(meta.get("PayloadOrganization")),
                description=text(meta.get("PayloadDescription")) or text(man.get("Description")),
                uuid=text(meta.get("PayloadUUID"), 64),
                removal_disallowed=flag(meta.get("PayloadRemovalDisallowed")),
                installed=iso(meta.get("InstallDate")),
                payloads=_payloads(meta.get("PayloadContent")),
                active=flag(man.get("IsActive")),
                source="mcinstall",
            )
        )
    return out


def profile_from_stub(data: bytes, what: str) -> ConfigProfile:
    """A profile as stored on the phone (ConfigurationProfiles/profile-*.stub):
    the installed profile's top-level dictionary with its PayloadContent."""
    value = load_dict(data, what)
    ident = text(value.get("PayloadIdentifier"), 256)
    if not ident:
        raise ParseError(f"{what} is not a configuration profile")
    return ConfigProfile(
        identifier=ident,
        display_name=text(value.get("PayloadDisplayName")),
        organization=text(value.get("PayloadOrganization")),
        description=text(value.get("PayloadDescription")),
        uuid=text(value.get("PayloadUUID"), 64),
        removal_disallowed=flag(value.get("PayloadRemovalDisallowed")),
        installed=iso(value.get("InstallDate")),
        payloads=_payloads(value.get("PayloadContent")),
        source="backup",
    )


def profile_events(data: bytes, what: str) -> list[ProfileEvent]:
    """MCProfileEvents.plist: {"ProfileEvents": [{identifier: {operation, timestamp, process}}]}."""
    value = load_dict(data, what)
    events = value.get("ProfileEvents")
    if not isinstance(events, list):
        raise ParseError(f"{what} has no profile events list")
    out = []
    for item in events:
        if not isinstance(item, dict):
            continue
        for ident, ev in item.items():
            if isinstance(ident, str) and isinstance(ev, dict):
                out.append(
                    ProfileEvent(
                        identifier=text(ident, 256),
                        operation=text(ev.get("operation"), 32),
                        time=iso(ev.get("timestamp")),
                        process=text(ev.get("process"), 128),
                    )
                )
    return out




def _plist_in_cms(blob: bytes) -> bytes | None:
    """The first `<?xml ... </plist>` span. Two finds, linear: the lazy regex
    this replaces was quadratic on a blob of repeated "<?xml" from the phone."""
    start = blob.find(b"<?xml")
    if start < 0:
        return None
    end = blob.find(b"</plist>", start)
    return None if end < 0 else blob[start:end + len(b"</plist>")]


def provisioning_profiles(data: bytes, what: str) -> list[ProvisioningProfile]:
    """misagent CopyAll response: {"Payload": [<CMS-signed .mobileprovision>...]}.
    The signed content is a plain XML plist inside the CMS envelope."""
    value = load_dict(data, what)
    if value.get("Status") not in (None, 0):
        raise ParseError(f"{what}: the phone refused the provisioning profile list")
    payload = value.get("Payload")
    if not isinstance(payload, list):
        raise ParseError(f"{what} has no profile list")
    out = []
    for blob in payload:
        if not isinstance(blob, bytes):
            continue
        inner = _plist_in_cms(blob[:4 * 1024 * 1024])
        if inner is None:
            continue
        try:
            p = load_dict(inner, what)
        except ParseError:
            continue
        ent = p.get("Entitlements") if isinstance(p.get("Entitlements"), dict) else {}
        team = p.get("TeamName")
        devices = p.get("ProvisionedDevices")
        out.append(
            ProvisioningProfile(
                name=text(p.get("Name")),
                uuid=text(p.get("UUID"), 64),
                team=text(team),
                app_id=text(ent.get("application-identifier"), 256),
                created=iso(p.get("CreationDate")),
                expires=iso(p.get("ExpirationDate")),
                provisions_all_devices=p.get("ProvisionsAllDevices") is True,
                devices=len(devices) if isinstance(devices, list) else 0,
            )
        )
    return out


# ---------------------------------------------------------------- privacy

# TCC services a caseworker cares about, in plain words.
TCC_SERVICES: dict[str, str] = {
    "kTCCServiceCamera": "camera",
    "kTCCServiceMicrophone": "microphone",
    "kTCCServicePhotos": "photos",
    "kTCCServicePhotosAdd": "add photos",
    "kTCCServiceAddressBook": "contacts",
    "kTCCServiceCalendar": "calendar",
    "kTCCServiceReminders": "reminders",
    "kTCCServiceMediaLibrary": "media library",
    "kTCCServiceMotion": "motion and fitness",
    "kTCCServiceBluetoothAlways": "Bluetooth",
    "kTCCServiceBluetoothPeripheral": "Bluetooth",
    "kTCCServiceUbiquity": "iCloud Drive",
    "kTCCServiceWillow": "Home",
    "kTCCServiceSpeechRecognition": "speech recognition",
    "kTCCServiceFaceID": "Face ID",
    "kTCCServiceUserTracking": "tracking across apps",
    "kTCCServiceFocusStatus": "focus status",
    "kTCCServiceNearbyInteraction": "nearby interaction",
    "kTCCServiceExposureNotification": "exposure notifications",
    "kTCCServiceKeyboardNetwork": "keyboard full access",
}


def tcc_grants(data: bytes, what: str = "TCC.db") -> list[TccGrant]:
    """TCC.db `access` table. iOS 14+: auth_value (0 denied, 2 allowed, 3 limited);
    older: allowed (0/1)."""
    with sqlite_ro.open_copy(data, what) as conn:
        if "access" not in sqlite_ro.tables(conn, what):
            raise ParseError(f"{what} has no access table")
        cols = {r[1] for r in sqlite_ro.query(conn, "PRAGMA table_info(access)", what=what)}
        if "auth_value" in cols:
            value_col = "auth_value"
        elif "allowed" in cols:
            value_col = "allowed"
        else:
            raise ParseError(f"{what}: unknown access table layout")
        mod = "last_modified" if "last_modified" in cols else "NULL"
        rows = sqlite_ro.query(conn, f"SELECT service, client, {value_col}, {mod} FROM access", what=what)
    out = []
    for service, client, value, modified in rows:
        if not isinstance(service, str) or not isinstance(client, str):
            continue
        allowed = value in (2, 3) if value_col == "auth_value" else value == 1
        out.append(TccGrant(text(service, 128), text(client, 256), allowed, unix_iso(modified)))
    return out


# CLAuthorizationStatus as locationd stores it in clients.plist.
_LOCATION_AUTH = {0: "ask", 1: "restricted", 2: "never", 3: "always", 4: "when_in_use"}


def location_clients(data: bytes, what: str = "clients.plist") -> list[LocationClient]:
    value = load_dict(data, what)
    out = []
    for key, entry in value.items():
        if not isinstance(entry, dict):
            continue
        client = text(entry.get("BundleId"), 256)
        if not client and isinstance(key, str):
            # keys look like "icom.example.app:" (bundle) or "/usr/libexec/..." (daemon)
            client = text(key[1:].rstrip(":") if key.startswith("i") else key, 256)
        auth = entry.get("Authorization")
        out.append(
            LocationClient(client, _LOCATION_AUTH.get(auth, "unknown") if isinstance(auth, int) else "unknown",
                           auth if isinstance(auth, int) else None)
        )
    return out


def global_preferences(data: bytes, what: str = ".GlobalPreferences.plist") -> dict[str, str]:
    """Device facts from the user's global preferences: Lockdown Mode
    (LDMGlobalEnabled, iOS 16+), locale."""
    value = load_dict(data, what)
    facts = {}
    ldm = value.get("LDMGlobalEnabled")
    facts["lockdown_mode"] = "on" if ldm is True else "off"
    locale = text(value.get("AppleLocale"), 32)
    if locale:
        facts["locale"] = locale
    return facts


# Account types (ACAccountType identifiers) that are just internal plumbing of
# an Apple ID; the Apple ID itself shows as com.apple.account.AppleAccount.
_ACCOUNT_NAMES = {
    "com.apple.account.AppleAccount": "iCloud",
    "com.apple.account.Google": "Google",
    "com.apple.account.Exchange": "Exchange",
    "com.apple.account.IMAP": "Mail (IMAP)",
    "com.apple.account.Yahoo": "Yahoo",
    "com.apple.account.Aol": "AOL",
    "com.apple.account.Outlook": "Outlook",
    "com.apple.account.Hotmail": "Outlook",
    "com.apple.account.CardDAV": "Contacts (CardDAV)",
    "com.apple.account.CalDAV": "Calendar (CalDAV)",
    "com.apple.account.Facebook": "Facebook",
    "com.apple.account.Twitter": "Twitter",
    # The Apple ID used for the App Store can differ from the iCloud one.
    "com.apple.account.iTunesStore": "App Store (Apple ID)",
}


def accounts(data: bytes, what: str = "Accounts3.sqlite") -> list[Account]:
    with sqlite_ro.open_copy(data, what) as conn:
        have = sqlite_ro.tables(conn, what)
        if not {"ZACCOUNT", "ZACCOUNTTYPE"} <= have:
            raise ParseError(f"{what} has no account tables")
        cols = {r[1] for r in sqlite_ro.query(conn, "PRAGMA table_info(ZACCOUNT)", what=what)}
        active = "a.ZACTIVE" if "ZACTIVE" in cols else "NULL"
        # Core Data store (Accounts3.sqlite): each ZACCOUNT row points at its ZACCOUNTTYPE row;
        # an Apple ID's helper accounts (CloudKit, DeviceLocator...) are children of it and not listed.
        rows = sqlite_ro.query(
            conn,
            f"SELECT t.ZIDENTIFIER, a.ZUSERNAME, a.ZACCOUNTDESCRIPTION, {active} FROM ZACCOUNT a "
            "JOIN ZACCOUNTTYPE t ON a.ZACCOUNTTYPE = t.Z_PK ORDER BY a.Z_PK",
            what=what,
        )
    out = []
    for ident, user, desc, on in rows:
        if not isinstance(ident, str) or ident not in _ACCOUNT_NAMES:
            continue
        out.append(Account(_ACCOUNT_NAMES[ident], text(user, 256), text(desc, 256),
                           bool(on) if isinstance(on, int) else None))
    return out


# ---------------------------------------------------------------- helpers


def iso(value: Any) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)  # plistlib dates are UTC
        return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    return ""


def unix_iso(value: Any) -> str:
    if isinstance(value, (int, float)) and 0 < value < 4102444800:
        return dt.datetime.fromtimestamp(value, dt.timezone.utc).isoformat().replace("+00:00", "Z")
    return ""
