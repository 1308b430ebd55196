"""What a configuration profile does: from its payload types when the source
lists them, otherwise judged from its name.

A backup keeps each profile whole (profile-*.stub, with PayloadContent), but
a connected iPhone's MCInstall GetProfileList answer carries only each
profile's metadata (display name, organisation, description, identifier,
UUID), not its payloads. pymobiledevice3 offers no read-only call that
returns an installed profile's payloads (GetStoredProfile only returns the
profile stored for device set-up), so for a live scan the kind is judged from
the words in the profile's names, and the finding says so. A profile whose
kind cannot be judged is still reported (medium), never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from techsafe.scanners.ios.facts import ConfigProfile

MDM = "mdm"
ROOT_CA = "root_ca"
OTHER = "other"

# Words in a profile's identifier, name or description that mean device
# management: the generic words and the MDM products seen in clinics.
_MDM_WORDS = (
    "mdm", "device management", "devicemanagement", "enrol", "enroll", "managed device", "management profile",
    "jamf", "intune", "airwatch", "workspace one", "workspaceone", "mobileiron", "ivanti", "meraki", "kandji",
    "mosyle", "hexnode", "miradore", "simplemdm", "addigy", "manageengine", "maas360", "scalefusion", "relution",
    "lightspeed", "filewave", "zuludesk", "jamfschool", "sophos mobile", "fleetsmith",
)
_ROOT_CA_WORDS = ("root ca", "root certificate", "rootca", "certificate authority", "trust certificate",
                  "ca certificate", ".ca.", "-ca-", " ca ")
_OTHER_WORDS = {
    "vpn": "VPN", "proxy": "proxy", "wifi": "Wi-Fi", "wi-fi": "Wi-Fi", "restriction": "restrictions",
    "notification": "notification settings", "filter": "web content filter", "dns": "DNS settings",
}


@dataclass(frozen=True)
class ProfileKind:
    kind: str  # mdm, root_ca, other
    judged_from: str  # "payload types" or "name"
    words: str = ""  # what it contains, in plain words ("" when unknown)


def _text(p: ConfigProfile) -> str:
    joined = " ".join((p.identifier, p.display_name, p.description, p.organization))
    return " " + re.sub(r"\s+", " ", joined.lower()) + " "


def from_name(p: ConfigProfile) -> ProfileKind:
    t = _text(p)
    if any(w in t for w in _MDM_WORDS):
        return ProfileKind(MDM, "name", "device management (MDM), judged from its name")
    if any(w in t for w in _ROOT_CA_WORDS):
        return ProfileKind(ROOT_CA, "name", "root certificate, judged from its name")
    found = [label for w, label in _OTHER_WORDS.items() if w in t]
    words = ", ".join(dict.fromkeys(found)) + ", judged from its name" if found else ""
    return ProfileKind(OTHER, "name", words)
