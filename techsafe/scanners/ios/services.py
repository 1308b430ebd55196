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

# For the opt-in --backup: the phone writes a backup to us. Like Finder/iTunes,
# pymobiledevice3's backup also takes the sync lock (a lock file over AFC) and
# posts sync notifications, so the phone shows "syncing"; nothing else changes.
BACKUP_SERVICE = "com.apple.mobilebackup2"

ALLOWED_SERVICES: frozenset[str] = frozenset({r.service for r in SERVICE_REQUESTS} | set(PROBE_SERVICES) | {BACKUP_SERVICE})
# lockdownd requests acquire sends itself (pairing and session set-up are pymobiledevice3's).
ALLOWED_LOCKDOWN_REQUESTS: frozenset[str] = frozenset(
    {"QueryType", "GetValue", "StartSession", "StopSession", "StartService", "Pair", "ValidatePair"}
)
