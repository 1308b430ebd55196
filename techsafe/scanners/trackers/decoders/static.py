"""Trackers whose advertisements carry no owner state and keep a static
address (AirGuard: Tile.kt, Chipolo.kt, PebbleBee.kt, all matched on the
16-bit service UUID alone; assigned to the companies in the Bluetooth SIG
Assigned Numbers, 16-bit UUIDs for members):
  Tile        0xFEED, 0xFEEC (Tile, Inc.)
  Chipolo     0xFE33 (CHIPOLO d.o.o.)
  Pebblebee   0xFA25 (Pebblebee)
"""

from __future__ import annotations

from techsafe.scanners.trackers.decoders.base import UNKNOWN, Identity
from techsafe.scanners.trackers.sighting import Sighting

STATIC_FAMILIES = (("tile", ("feed", "feec")), ("chipolo", ("fe33",)), ("pebblebee", ("fa25",)))


def decode(s: Sighting) -> Identity | None:
    for family, uuids in STATIC_FAMILIES:
        if any(s.advertises(u) for u in uuids):
            return Identity(family, tracker=True, state=UNKNOWN)
    return None
