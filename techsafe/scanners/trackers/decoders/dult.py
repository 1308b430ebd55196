"""IETF DULT accessory advertisements (service data UUID 0xFCB2).

draft-ietf-dult-accessory-protocol, "Accessory advertising / payload":
  byte 0      network id (0x01 Apple, 0x02 Google)
  byte 1      bit 0: near-owner bit (1 = near owner, 0 = separated)
  bytes 2-    network-specific payload (22 bytes)
"""

from __future__ import annotations

from techsafe.scanners.trackers.decoders.base import NEAR_OWNER, SEPARATED, Identity
from techsafe.scanners.trackers.sighting import Sighting

DULT_UUID = "fcb2"
NETWORKS = {0x01: "Apple Find My", 0x02: "Google Find Hub"}


def decode(s: Sighting) -> Identity | None:
    data = s.service(DULT_UUID)
    if data is None:
        return None
    if len(data) < 2:
        return Identity("dult", tracker=True, detail="short frame")
    state = NEAR_OWNER if data[1] & 0x01 else SEPARATED
    network = NETWORKS.get(data[0], f"network 0x{data[0]:02x}")
    return Identity("dult", tracker=True, state=state, rotating_id=data[2:].hex(), detail=network)
