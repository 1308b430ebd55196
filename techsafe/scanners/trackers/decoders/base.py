"""What a decoder says about one advertisement."""

from __future__ import annotations

from dataclasses import dataclass

SEPARATED = "separated"
NEAR_OWNER = "near_owner"
UNKNOWN = "unknown"  # the family's advertisement carries no owner state


@dataclass(frozen=True)
class Identity:
    """family: key into techsafe.scanners.trackers.families.FAMILIES.
    tracker: True only for families documented as location trackers; other
    devices (phones, earbuds cases, beacons, unknown) are listed, never
    called trackers.
    rotating_id: the family's rotating identifier (public-key bytes, privacy
    id, ephemeral id), hex; "" when the family has none.
    aging_counter: SmartTag only (15-minute counter, links rotated ids).
    """

    family: str
    tracker: bool
    state: str = UNKNOWN
    rotating_id: str = ""
    aging_counter: int | None = None
    battery: str = ""
    detail: str = ""  # plain words for the table, e.g. "unwanted-tracking protection on"


UNKNOWN_DEVICE = Identity(family="unknown", tracker=False)
