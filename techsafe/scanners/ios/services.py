"""The allow-list: every request techsafe may send to an iPhone, in one place.

All are read-only queries. acquire.py sends nothing that is not built here,
and the simulated iPhone's tests assert that a scan sent nothing else. Each
response is stored byte-for-byte under artifacts/ios/<artifact>.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# lockdownd GetValue domains (None = the default domain: model, version, name...).
LOCKDOWN_DOMAINS: tuple[tuple[str | None, str], ...] = (
    (None, "lockdown/values.plist"),
    ("com.apple.security.mac.amfi", "lockdown/com.apple.security.mac.amfi.plist"),  # DeveloperModeStatus
    ("com.apple.mobile.backup", "lockdown/com.apple.mobile.backup.plist"),  # WillEncrypt
)


@dataclass(frozen=True)
class ServiceRequest:
    service: str  # lockdown service name
    artifact: str  # artifacts/ios/<artifact> (multi-frame replies get -NNNN before .plist)
    request: dict[str, Any] = field(default_factory=dict)
    multi_frame: bool = False  # installation_proxy streams Browse results until Status=Complete
    description: str = ""


# Attributes the checks read; asking only for these keeps the reply small.
BROWSE_ATTRIBUTES = [
    "CFBundleIdentifier", "CFBundleDisplayName", "CFBundleName", "CFBundleShortVersionString", "CFBundleVersion",
    "ApplicationType", "SignerIdentity", "ProfileValidated", "Path", "ApplicationDistributor", "IsAppClip",
]

SERVICE_REQUESTS: tuple[ServiceRequest, ...] = (
    ServiceRequest("com.apple.mobile.installation_proxy", "installation_proxy/browse.plist",
                   {"Command": "Browse", "ClientOptions": {"ApplicationType": "Any", "ReturnAttributes": BROWSE_ATTRIBUTES}},
                   multi_frame=True, description="installed apps"),
    ServiceRequest("com.apple.mobile.MCInstall", "mcinstall/profile_list.plist", {"RequestType": "GetProfileList"},
                   description="configuration profiles"),
    ServiceRequest("com.apple.mobile.MCInstall", "mcinstall/cloud_configuration.plist",
                   {"RequestType": "GetCloudConfiguration"}, description="supervision and device management"),
    ServiceRequest("com.apple.misagent", "misagent/copy_all.plist", {"MessageType": "CopyAll", "ProfileType": "Provisioning"},
                   description="provisioning profiles"),
)

# Services only a jailbreak adds: we ask lockdownd whether it would start one
# (StartService) and never connect to it.
PROBE_SERVICES: tuple[str, ...] = ("com.apple.afc2",)

# ---- opt-in: --backup only -------------------------------------------------
# A backup is not a plain query. Like Finder/iTunes, pymobiledevice3's
# Mobilebackup2Service.backup() takes the phone's sync lock (an AFC lock on the
# file /com.apple.itunes.lock_sync) and posts the iTunes sync notifications, so
# the phone shows "syncing" while it sends its files to the laptop. Nothing on
# the phone is written, moved or deleted (the host side of DeviceLink writes
# only into our private temp folder). That is why it runs only when the
# caseworker asks for --backup. Each service it starts, and what for:
BACKUP_SERVICES: dict[str, str] = {
    "com.apple.mobilebackup2": "the backup itself (DeviceLink: the phone sends its files to us)",
    "com.apple.mobile.notification_proxy": "the sync notifications (syncWillStart, syncLockRequest, syncDidStart, syncDidFinish)",
    "com.apple.afc": "the sync lock (/com.apple.itunes.lock_sync) and iTunes_Control files for Info.plist",
    "com.apple.mobile.installation_proxy": "the user apps Info.plist lists",
    "com.apple.springboardservices": "app icons Info.plist keeps (App Store apps with iTunes metadata only)",
}
BACKUP_SERVICE = "com.apple.mobilebackup2"

# Requests the backup flow sends on those services, as (service, command) -
# the command being the DeviceLink message, AFC operation or notification verb.
BACKUP_REQUESTS: frozenset[tuple[str, str]] = frozenset({
    ("com.apple.mobilebackup2", c) for c in (
        "DLMessageVersionExchange", "Hello", "Backup", "DLMessageStatusResponse", "DLMessageDownloadFiles",
        "DLMessageDisconnect")
} | {
    ("com.apple.mobile.notification_proxy", c) for c in ("ObserveNotification", "PostNotification")
} | {
    ("com.apple.afc", c) for c in ("GetFileInfo", "FileRefOpen", "FileRefLock", "FileRefClose")
} | {
    ("com.apple.mobile.installation_proxy", "Browse"), ("com.apple.springboardservices", "getIconPNGData"),
})

# A normal scan starts only these; --backup adds BACKUP_SERVICES.
ALLOWED_SERVICES: frozenset[str] = frozenset({r.service for r in SERVICE_REQUESTS} | set(PROBE_SERVICES))
ALLOWED_BACKUP_SERVICES: frozenset[str] = ALLOWED_SERVICES | frozenset(BACKUP_SERVICES)
# lockdownd requests acquire sends itself (pairing and session set-up are pymobiledevice3's).
ALLOWED_LOCKDOWN_REQUESTS: frozenset[str] = frozenset(
    {"QueryType", "GetValue", "StartSession", "StopSession", "StartService", "Pair", "ValidatePair"}
)
