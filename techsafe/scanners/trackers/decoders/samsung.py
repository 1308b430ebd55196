"""Samsung SmartThings Find advertisements.

SmartTag, service data UUID 0xFD5A. Layout from Yu et al., "Privacy
Analysis of Samsung's Crowd-Sourced Bluetooth Location Tracking System"
(USENIX Security 2022, §4.2) as implemented by AirGuard
(seemoo-lab/AirGuard, SamsungTracker.kt):
  byte 0      bits 3-7 version, bits 0-2 state: 1 premature offline,
              2 offline, 3 overmature offline (all: separated from owner);
              other values: connected / near owner
  bytes 1-3   aging counter, little-endian (+1 every 15 min, the period
              at which the privacy id and the address rotate)
  bytes 4-11  privacy id
  byte 12     flags: bit 2 UWB, bits 0-1 battery (3 full, 2 medium,
              1 low, 0 very low)
  bytes 13-   signature (not used)

Samsung phones, buds and watches (SmartThings Find "offline finding"),
service data UUID 0xFD69 (AirGuard SamsungFindMyMobile.kt): listed as a
Samsung device, not a tracker.
"""

from __future__ import annotations

from techsafe.scanners.trackers.decoders.base import NEAR_OWNER, SEPARATED, Identity
from techsafe.scanners.trackers.sighting import Sighting

SMARTTAG_UUID = "fd5a"
SAMSUNG_DEVICE_UUID = "fd69"
SEPARATED_STATES = {1: "premature offline", 2: "offline", 3: "overmature offline"}
BATTERY = {3: "full", 2: "medium", 1: "low", 0: "very low"}


def decode(s: Sighting) -> Identity | None:
    data = s.service(SMARTTAG_UUID)
    if data is not None:
        if not data:
            return Identity("smarttag", tracker=True, detail="empty frame")
        code = data[0] & 0x07
        state = SEPARATED if code in SEPARATED_STATES else NEAR_OWNER
        counter = int.from_bytes(data[1:4], "little") if len(data) >= 4 else None
        privacy_id = data[4:12].hex() if len(data) >= 12 else ""
        battery = BATTERY[data[12] & 0x03] if len(data) >= 13 else ""
        detail = SEPARATED_STATES.get(code, "connected")
        if len(data) >= 13 and data[12] & 0x04:
            detail += ", UWB"
        return Identity("smarttag", True, state, privacy_id, counter, battery, detail)
    if s.advertises(SAMSUNG_DEVICE_UUID):
        return Identity("samsung_device", tracker=False)
    return None
