"""What the iOS parsers return: plain frozen facts about one iPhone.

Parsers (parsers.py, backup_files.py) turn raw plists and databases into
these; checks (checks.py) read only these. Strings from the phone are kept as
data, cleaned of control characters.
"""

from __future__ import annotations

from dataclasses import dataclass

# Signer of apps Apple distributes through the App Store (installation_proxy
# SignerIdentity); anything else is developer, enterprise or ad-hoc signed.
APP_STORE_SIGNERS = ("Apple iPhone OS Application Signing",)


@dataclass(frozen=True)
class IosApp:
    bundle_id: str
    name: str = ""
    version: str = ""
    app_type: str = ""  # "User", "System", "Internal", or "" when the source did not say
    signer: str = ""  # SignerIdentity, e.g. "Apple iPhone OS Application Signing", "iPhone Distribution: ACME"
    profile_validated: bool | None = None  # ProvisioningProfile trusted by the user (enterprise/dev apps)
    app_store: bool | None = None  # True: from the App Store; False: known not to be; None: unknown
    source: str = ""  # where the app list came from: installation_proxy, backup
    distributor: str = ""  # alternative marketplace id (iOS 17.4+ EU), when given
    path: str = ""

    @property
    def is_system(self) -> bool:
        return self.app_type == "System" or (self.app_type == "" and self.bundle_id.startswith("com.apple."))

    @property
    def display(self) -> str:
        return self.name or self.bundle_id


@dataclass(frozen=True)
class ProfilePayload:
    payload_type: str  # e.g. com.apple.mdm, com.apple.security.root
    display_name: str = ""


@dataclass(frozen=True)
class ConfigProfile:
    identifier: str
    display_name: str = ""
    organization: str = ""
    description: str = ""
    uuid: str = ""
    removal_disallowed: bool | None = None
    installed: str = ""  # ISO 8601 when known
    payloads: tuple[ProfilePayload, ...] = ()
    active: bool | None = None
    source: str = ""

    @property
    def payload_types(self) -> tuple[str, ...]:
        return tuple(p.payload_type for p in self.payloads)


@dataclass(frozen=True)
class ProvisioningProfile:
    name: str
    uuid: str = ""
    team: str = ""
    app_id: str = ""
    created: str = ""
    expires: str = ""
    provisions_all_devices: bool = False  # enterprise (in-house) distribution
    devices: int = 0  # development/ad-hoc profiles list device UDIDs


@dataclass(frozen=True)
class ProfileEvent:
    identifier: str
    operation: str  # install / remove
    time: str
    process: str = ""


@dataclass(frozen=True)
class TccGrant:
    service: str  # kTCCServiceCamera...
    client: str  # bundle id
    allowed: bool
    last_modified: str = ""


@dataclass(frozen=True)
class LocationClient:
    client: str  # bundle id (or path for system daemons)
    authorization: str  # always / when_in_use / never / ask / unknown
    raw: int | None = None


@dataclass(frozen=True)
class Account:
    account_type: str  # e.g. iCloud, Gmail, Exchange
    username: str = ""
    description: str = ""
    active: bool | None = None  # ZACTIVE: turned on in Settings (None when the store does not say)
