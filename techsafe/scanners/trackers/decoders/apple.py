"""Apple Find My ("offline finding") advertisements.

Layout sources:
- Manufacturer-specific data, company id 0x004C (Apple), Continuity TLVs
  (type, length, value); offline finding is type 0x12.
  Heinrich, Stute, Kornhuber, Hollick, "Who Can Find My Devices? Security
  and Privacy of Apple's Crowd-Sourced Bluetooth Location Tracking System",
  PoPETs 2021(3), §6.2 / Fig. 5; the same layout is what OpenHaystack
  (seemoo-lab/openhaystack, Firmware/.../main.c) broadcasts:
    0x12 0x19 | status | public key bytes 6..27 (22 B) | key bits 0-1 | hint
  Separated ("lost"/"wild") mode sends the full 25-byte payload with the
  public key, which is kept for 24 h; near-owner mode sends only 2 bytes
  (0x12 0x02 | status | key bits), with a key that rotates every 15 min.
- Status byte: bits 4-5 device type (0 Apple device, 1 AirTag, 2 Find My
  network accessory, 3 AirPods) as used by AirGuard
  (seemoo-lab/AirGuard, DeviceManager.getDeviceType, statusByte & 0x30);
  bits 6-7 battery (0 full, 1 medium, 2 low, 3 critically low) per the Find
  My Network Accessory Specification and AirGuard AppleFindMy.getBatteryState;
  bit 2 "maintained" (Apple patent US11889302B2, near-owner status flag).
"""

from __future__ import annotations

from techsafe.scanners.trackers.decoders.base import NEAR_OWNER, SEPARATED, Identity
from techsafe.scanners.trackers.sighting import Sighting

APPLE_COMPANY_ID = 0x004C
TYPE_OFFLINE_FINDING = 0x12
LEN_SEPARATED = 0x19
LEN_NEAR_OWNER = 0x02

DEVICE_TYPES = {0: "apple_device", 1: "airtag", 2: "findmy_accessory", 3: "airpods"}
TRACKER_TYPES = {"airtag", "findmy_accessory", "airpods"}  # Apple's own unwanted-tracking alerts cover these
BATTERY = {0: "full", 1: "medium", 2: "low", 3: "critically low"}


def continuity_tlvs(data: bytes) -> list[tuple[int, int, bytes]]:
    """(type, declared length, value as present). Stops at a truncated TLV."""
    out = []
    i = 0
    while i + 2 <= len(data):
        t, n = data[i], data[i + 1]
        out.append((t, n, bytes(data[i + 2 : i + 2 + n])))
        i += 2 + n
    return out


def decode(s: Sighting) -> Identity | None:
    data = s.manufacturer(APPLE_COMPANY_ID)
    if data is None:
        return None
    for t, declared, value in continuity_tlvs(data):
        if t != TYPE_OFFLINE_FINDING:
            continue
        if declared not in (LEN_SEPARATED, LEN_NEAR_OWNER) or not value:
            return Identity("apple_other", tracker=False, detail="unreadable Find My frame")
        status = value[0]
        family = DEVICE_TYPES[(status >> 4) & 0x03]
        state = SEPARATED if declared == LEN_SEPARATED else NEAR_OWNER
        key = value[1:23].hex() if state == SEPARATED else ""
        return Identity(
            family=family,
            # A separated type-0 frame is a lost iPhone/iPad/Mac or a home-made
            # OpenHaystack tag (its firmware sends status 0x00): treat as a tracker.
            tracker=family in TRACKER_TYPES or state == SEPARATED,
            state=state,
            rotating_id=key,
            battery=BATTERY[(status >> 6) & 0x03],
            detail="truncated frame" if declared == LEN_SEPARATED and len(value) < LEN_SEPARATED else "",
        )
    # Other Continuity messages (Nearby Info 0x10, Handoff 0x0C, proximity
    # pairing 0x07, ...): an Apple device, not a tracker.
    return Identity("apple_other", tracker=False)
