"""Find My, location sharing and Significant Locations: what an iPhone
backup shows, and what it cannot show.

Researched on the real iOS 14.3 Manifest.db in ../shared/captures/ios/mvt-backup
(which lists every file below, most of them as small binary plists), iLEAPP's
`appleLocationd` artifact, published key listings of local backups, and
Apple's own binaries (decompiled class and key names). Files techsafe reads:

HomeDomain  Library/Preferences/com.apple.locationd.plist
    `LocationServicesEnabledIn8.0` (bool): the Location Services master
    switch (iLEAPP "Location Services Enabled").

RootDomain  Library/Caches/locationd/clients.plist
    One entry per app or system service that asked for location.
    `Authorization` is CLAuthorizationStatus (3 always, 4 when in use,
    2 never, 0 ask). The entry
    `com.apple.locationd.bundle-/System/Library/LocationBundles/Routine.bundle`
    is Significant Locations: Apple's own code treats it as on exactly when
    its authorization is 3 (`isSignificantLocationEnabled = status == 3`).

SysSharedContainerDomain-systemgroup.com.apple.icloud.findmydevice.managed
            Library/Preferences/FMIPStateInfo.plist
    `fmipActive` (bool): Find My iPhone on or off; `fmipLostModeType` (int):
    a Lost Mode state whose values Apple does not document (kept as a fact).

HomeDomain  Library/Preferences/com.apple.icloud.searchpartyd.plist
    `FMIPStateManager.fmipState` (bool): the same Find My iPhone state as the
    Find My network daemon saw it (used when FMIPStateInfo.plist is absent).

HomeDomain  Library/Preferences/com.apple.icloud.fmfd.plist
    `numberOfFriendsFollowersKey` (int): how many people the Find My Friends
    daemon knows as friends (whose location this phone sees) or followers
    (who see this phone's location), cached by fmfd (`FMFLazyInitController
    numberOfFriendsAndFollowers`). The two directions are not kept apart.

What a backup cannot tell (say so, never an "all clear"):
  - who the people sharing location are (names, Apple IDs), and in which
    direction: that list lives on Apple's servers and in caches that are not
    backed up (fmipcore/searchpartyd databases, encrypted since iOS 16);
  - the "Share My Location" switch itself, temporary shares from Messages,
    Family Sharing location, and sharing inside other apps (Life360, Google
    Maps...: those apps are found by the app checks);
  - on iOS versions without com.apple.icloud.fmfd.plist, any sharing count:
    the check then says "not checked" and asks the caseworker to look at
    Find My > People on the phone;
  - AirTags or other Find My items registered to this phone's Apple ID.
Files listed for completeness but not used: com.apple.findmy.plist (map/tab
UI state), com.apple.icloud.findmydeviced.plist (command ids and versions),
*.notbackedup.plist (limited-precision flags), PublicInfo/MCMeta.plist
(only LastMigratedBuild).
"""

from __future__ import annotations

from dataclasses import dataclass

from techsafe.scanners.ios.facts import LocationClient
from techsafe.scanners.ios.plists import ParseError, load_dict

FINDMY_DOMAIN = "SysSharedContainerDomain-systemgroup.com.apple.icloud.findmydevice.managed"
FMIP_STATE = (FINDMY_DOMAIN, "Library/Preferences/FMIPStateInfo.plist")
SEARCHPARTYD_PREFS = ("HomeDomain", "Library/Preferences/com.apple.icloud.searchpartyd.plist")
FMFD_PREFS = ("HomeDomain", "Library/Preferences/com.apple.icloud.fmfd.plist")
LOCATIOND_PREFS = ("HomeDomain", "Library/Preferences/com.apple.locationd.plist")

SIGNIFICANT_LOCATIONS_BUNDLE = "/System/Library/LocationBundles/Routine.bundle"
_ALWAYS = 3  # CLAuthorizationStatus authorizedAlways


@dataclass(frozen=True)
class FindMyState:
    enabled: bool
    source: str  # which key said so, for the evidence line
    lost_mode_type: int | None = None


def fmip_state(data: bytes, what: str = "FMIPStateInfo.plist") -> FindMyState:
    value = load_dict(data, what)
    active = value.get("fmipActive")
    if not isinstance(active, bool):
        raise ParseError(f"{what} does not say whether Find My is on")
    lost = value.get("fmipLostModeType")
    return FindMyState(active, "fmipActive", lost if isinstance(lost, int) and not isinstance(lost, bool) else None)


def searchpartyd_state(data: bytes, what: str = "com.apple.icloud.searchpartyd.plist") -> FindMyState:
    value = load_dict(data, what)
    state = value.get("FMIPStateManager.fmipState")
    if not isinstance(state, bool):
        raise ParseError(f"{what} does not say whether Find My is on")
    return FindMyState(state, "FMIPStateManager.fmipState")


def people_count(data: bytes, what: str = "com.apple.icloud.fmfd.plist") -> int:
    """Friends + followers known to Find My Friends (both directions together)."""
    value = load_dict(data, what)
    n = value.get("numberOfFriendsFollowersKey")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ParseError(f"{what} does not hold the number of people sharing location")
    return n


def location_services(data: bytes, what: str = "com.apple.locationd.plist") -> bool:
    value = load_dict(data, what)
    on = value.get("LocationServicesEnabledIn8.0")
    if isinstance(on, bool):
        return on
    if isinstance(on, int):  # older phones store 0/1
        return on != 0
    raise ParseError(f"{what} does not say whether Location Services are on")


def significant_locations(clients: list[LocationClient]) -> bool | None:
    """On, off, or None when clients.plist has no entry for it."""
    for c in clients:
        if c.client.endswith(SIGNIFICANT_LOCATIONS_BUNDLE):
            return c.raw == _ALWAYS
    return None
