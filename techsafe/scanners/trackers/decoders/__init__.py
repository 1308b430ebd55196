"""identify(sighting) -> Identity: which family an advertisement belongs to.

Decoders are tried most specific first: the DULT and FMDN standards can be
carried by tags of any brand, so they win over brand UUIDs; an Apple
advertisement that is not offline finding is only an Apple device.
Decoders never raise on hostile bytes (checked by tests with random input).
"""

from __future__ import annotations

from techsafe.scanners.trackers.decoders import apple, dult, google, samsung, static
from techsafe.scanners.trackers.decoders.base import NEAR_OWNER, SEPARATED, UNKNOWN, UNKNOWN_DEVICE, Identity
from techsafe.scanners.trackers.sighting import Sighting

__all__ = ["identify", "Identity", "SEPARATED", "NEAR_OWNER", "UNKNOWN"]

_ORDER = (dult.decode, google.decode, samsung.decode, static.decode, apple.decode)


def identify(s: Sighting) -> Identity:
    fallback: Identity | None = None
    for decode in _ORDER:
        found = decode(s)
        if found is None:
            continue
        if found.tracker:
            return found
        fallback = fallback or found  # e.g. an Eddystone beacon that also carries a Tile UUID
    return fallback or UNKNOWN_DEVICE
