"""What techsafe knows about each device family: names, how identifiers
rotate (which decides how sightings are linked across sweeps), whether a
non-owner can make it ring and what the owner may learn, and the disable /
serial-lookup steps a finding points to.

Ring protocols (GATT writes) are those AirGuard uses
(seemoo-lab/AirGuard, AppleFindMy.kt, PebbleBee.kt, GoogleFindMyNetwork.kt);
the DULT ones are also in draft-ietf-dult-accessory-protocol ("Non-owner
controls": Sound_Start 0x0300, Sound_Stop 0x0301, little-endian).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RingProtocol:
    service: str
    characteristic: str
    start: bytes
    stop: bytes = b""  # empty: the tag stops by itself


@dataclass(frozen=True)
class Family:
    key: str
    label: str
    tracker: bool
    has_owner_state: bool  # advertises separated / near-owner
    rotation: str  # how its address / identifier changes (plain words)
    link: str  # "address", "address_or_id", "aging_counter"
    ring: tuple[RingProtocol, ...] = ()
    owner_learns: str = ""  # what the owner is documented to learn when it is found or rung
    disable: str = ""
    lookup: str = ""


DULT_RING = RingProtocol(
    "15190001-12f4-c226-88ed-2ac5579f2a85", "8e0c0001-1d68-fb92-bf61-48377421680e", b"\x00\x03", b"\x01\x03"
)
FINDMY_RING = RingProtocol(
    "0000fd44-0000-1000-8000-00805f9b34fb", "4f860003-943b-49ef-bed4-2f730304427a", b"\x01\x00\x03", b"\x01\x01\x03"
)
AIRTAG_RING = RingProtocol("7dfc9000-7d1c-4951-86aa-8d9728f8d66c", "7dfc9001-7d1c-4951-86aa-8d9728f8d66c", b"\xaf")
PEBBLEBEE_RING = RingProtocol(
    "0000fa25-0000-1000-8000-00805f9b34fb", "00002c02-0000-1000-8000-00805f9b34fb", b"\x01", b"\x02"
)
FMDN_RING = RingProtocol(
    "000012f4-0000-1000-8000-00805f9b34fb", "8e0c0001-1d68-fb92-bf61-48377421680e", b"\x00\x03", b"\x01\x03"
)

_APPLE_OWNER = (
    "Apple does not document that the owner is told when someone else plays the sound; while the tag is with "
    "the survivor, the owner can keep seeing its location in Find My, including this place."
)
_APPLE_LOOKUP = (
    "Hold the top of an iPhone or an NFC Android phone to the white side: a web page shows the serial number "
    "and part of the owner's phone number (keep a screenshot for the police)."
)

FAMILIES: dict[str, Family] = {
    f.key: f
    for f in (
        Family(
            "airtag", "AirTag", True, True,
            "separated: address and key kept about 24 h; near owner: rotate every 15 min", "address_or_id",
            (DULT_RING, FINDMY_RING, AIRTAG_RING), _APPLE_OWNER,
            "Twist the battery cover anticlockwise and remove the CR2032 battery.", _APPLE_LOOKUP,
        ),
        Family(
            "findmy_accessory", "Find My accessory (third-party tag)", True, True,
            "separated: address and key kept about 24 h; near owner: rotate every 15 min", "address_or_id",
            (DULT_RING, FINDMY_RING), _APPLE_OWNER,
            "Remove the battery, or follow the maker's instructions to switch it off.",
            "Use Find My > Identify Found Item on an iPhone, or the maker's app, to read the serial.",
        ),
        Family(
            "airpods", "AirPods", True, True,
            "separated: address and key kept about 24 h; near owner: rotate every 15 min", "address_or_id",
            (DULT_RING, FINDMY_RING), _APPLE_OWNER,
            "Put the earbuds in their case and close it, or let the battery run down.",
            "Find My > Identify Found Item on an iPhone shows the serial.",
        ),
        Family(
            "smarttag", "Samsung Galaxy SmartTag", True, True,
            "privacy id and address rotate every 15 min; linked by the aging counter", "aging_counter",
            (), "Samsung documents that SmartThings' Unknown Tag Search can ring a tag; techsafe cannot (protocol not public).",
            "Open the back cover and remove the CR2032 battery.",
            "SmartThings app > Find > Unknown tag search shows the tag; report it to Samsung or the police.",
        ),
        Family(
            "fmdn", "Google Find Hub tag", True, True,
            "ephemeral id rotates about every 17 min; slower with unwanted-tracking protection on", "address_or_id",
            (FMDN_RING, DULT_RING), "The DULT and Find Hub specifications define no owner notification for a non-owner ringing.",
            "Remove the battery or follow the maker's instructions.",
            "Android: Settings > Safety & emergency > Unknown tracker alerts > Scan now shows it and its identifier.",
        ),
        Family(
            "dult", "DULT-compatible tracker", True, True,
            "depends on the network (Apple or Google)", "address_or_id",
            (DULT_RING,), "The DULT specification defines no owner notification for a non-owner ringing.",
            "Follow the maker's instructions to remove the battery.",
            "A phone's unknown-tracker scan can show its identifier (DULT 'get identifier').",
        ),
        Family(
            "tile", "Tile", True, False, "static address", "address",
            (), "Tile cannot be rung by a non-owner; Tile's Anti-Theft Mode hides it from Tile's own Scan and Secure.",
            "Most Tiles: remove the battery (Mate/Pro) — sealed models need to be kept away or handed to police.",
            "Tile app > Scan and Secure lists it and its Tile ID for a police request.",
        ),
        Family(
            "chipolo", "Chipolo", True, False, "static address", "address",
            (), "Chipolo does not document non-owner ringing.",
            "Twist open and remove the battery.", "Chipolo app shows the device; ask the police to request owner data.",
        ),
        Family(
            "pebblebee", "Pebblebee", True, False, "static address", "address",
            (PEBBLEBEE_RING,), "Pebblebee does not document whether the owner learns that the tag rang.",
            "Hold the button to switch off, or let it discharge.", "Pebblebee app; ask the police to request owner data.",
        ),
        Family(
            "apple_device", "Apple device or home-made tag in Find My mode", True, True,
            "separated: address and key kept about 24 h", "address_or_id",
            (), _APPLE_OWNER, "Look for a phone, tablet or a small home-made device; switch it off or remove its battery.",
            "A real Apple device shows its owner in Find My only to them; hand it to the police.",
        ),
        Family("apple_other", "Apple device", False, False, "", "address"),
        Family("samsung_device", "Samsung phone, earbuds or watch", False, False, "", "address"),
        Family("eddystone", "Eddystone beacon", False, False, "", "address"),
        Family("unknown", "Unidentified device", False, False, "", "address"),
    )
}


def family(key: str) -> Family:
    return FAMILIES.get(key, FAMILIES["unknown"])


RING_SAFETY_NOTE = (
    "Before you ring a tracker: the sound is heard by everyone nearby, so do it where the survivor is safe and "
    "the person who placed the tracker is not around. Ringing only works while the tag is separated from its "
    "owner. What the owner can learn differs by family: {owner}"
)
