"""Google Find Hub / Find My Device Network (FMDN) and plain Eddystone.

FMDN frames ride in Eddystone service data (UUID 0xFEAA); only frame types
0x40 and 0x41 are FMDN. Google "Find Hub Network Accessory Specification"
(developers.google.com/nearby/fast-pair/specifications/extensions/fmdn),
"Advertised frames":
  byte 0       frame type: 0x40, or 0x41 = unwanted-tracking protection
               mode on
  bytes 1-20   ephemeral identifier (SECP160R1; 32 bytes with SECP256R1)
  next byte    hashed flags (optional here)
AirGuard (seemoo-lab/AirGuard, GoogleFindMyNetwork.kt) treats both frame
types as offline (separated): bit 0 set = last contact with the owner more
than 4 hours ago.

Eddystone UID 0x00, URL 0x10, TLM 0x20, EID 0x30 (google/eddystone
protocol-specification.md) are ordinary beacons: listed, never trackers.
"""

from __future__ import annotations

from techsafe.scanners.trackers.decoders.base import SEPARATED, Identity
from techsafe.scanners.trackers.sighting import Sighting

EDDYSTONE_UUID = "feaa"
FMDN_FRAMES = (0x40, 0x41)
EID_LENGTHS = (32, 20)  # longest first


def decode(s: Sighting) -> Identity | None:
    data = s.service(EDDYSTONE_UUID)
    if data is None:
        return None
    if not data or data[0] not in FMDN_FRAMES:
        return Identity("eddystone", tracker=False)
    body = data[1:]
    eid_len = next((n for n in EID_LENGTHS if len(body) >= n), 0)
    if not eid_len:
        return Identity("eddystone", tracker=False, detail="short FMDN frame")
    utp = data[0] == 0x41
    return Identity(
        "fmdn",
        tracker=True,
        state=SEPARATED,
        rotating_id=body[:eid_len].hex(),
        detail="unwanted-tracking protection on" if utp else "",
    )
