"""Decoders against the documented layouts (see decoders/*.py for sources)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tracker_frames as F
from techsafe.scanners.trackers.decoders import NEAR_OWNER, SEPARATED, UNKNOWN, identify
from techsafe.scanners.trackers.sighting import parse_ad, sighting_from_ad


def who(data: bytes):
    return identify(sighting_from_ad(0, "AA:BB:CC:DD:EE:FF", "random", -60, data, "test"))


@pytest.mark.parametrize(
    "frame, family, tracker, state",
    [
        (F.AIRTAG_SEPARATED, "airtag", True, SEPARATED),
        (F.AIRTAG_NEAR_OWNER, "airtag", True, NEAR_OWNER),
        (F.FINDMY_ACCESSORY, "findmy_accessory", True, SEPARATED),
        (F.AIRPODS_SEPARATED, "airpods", True, SEPARATED),
        # OpenHaystack's public frame: status 0x00 = "Apple device" type, but
        # separated -> a tracker (home-made tags use exactly this frame).
        (F.OPENHAYSTACK, "apple_device", True, SEPARATED),
        (F.findmy_near_owner(0x00), "apple_device", False, NEAR_OWNER),
        (F.APPLE_NEARBY_INFO, "apple_other", False, UNKNOWN),
        (F.APPLE_TRUNCATED_OF, "apple_other", False, UNKNOWN),
        (F.smarttag(1, 5, bytes(8)), "smarttag", True, SEPARATED),
        (F.smarttag(2, 5, bytes(8)), "smarttag", True, SEPARATED),
        (F.smarttag(3, 5, bytes(8)), "smarttag", True, SEPARATED),
        (F.smarttag(5, 5, bytes(8)), "smarttag", True, NEAR_OWNER),
        (F.SAMSUNG_PHONE, "samsung_device", False, UNKNOWN),
        (F.fmdn(0x40), "fmdn", True, SEPARATED),
        (F.fmdn(0x41, eid=bytes(32)), "fmdn", True, SEPARATED),
        (F.EDDYSTONE_UID, "eddystone", False, UNKNOWN),
        (F.EDDYSTONE_URL, "eddystone", False, UNKNOWN),
        (F.EDDYSTONE_EID, "eddystone", False, UNKNOWN),
        (F.FMDN_SHORT, "eddystone", False, UNKNOWN),
        (F.dult(0x01, near_owner=False), "dult", True, SEPARATED),
        (F.dult(0x02, near_owner=True), "dult", True, NEAR_OWNER),
        (F.TILE, "tile", True, UNKNOWN),
        (F.CHIPOLO, "chipolo", True, UNKNOWN),
        (F.PEBBLEBEE, "pebblebee", True, UNKNOWN),
        (F.UNKNOWN, "unknown", False, UNKNOWN),
        (b"", "unknown", False, UNKNOWN),
    ],
)
def test_family_and_state(frame, family, tracker, state):
    got = who(F.FLAGS + frame)
    assert (got.family, got.tracker, got.state) == (family, tracker, state)


def test_apple_status_byte_fields():
    got = who(F.FINDMY_ACCESSORY)
    assert got.battery == "low"
    assert got.rotating_id == F.KEY22.hex()
    assert who(F.OPENHAYSTACK).rotating_id == bytes(range(1, 23)).hex()
    assert who(F.AIRTAG_NEAR_OWNER).rotating_id == ""  # near-owner keys rotate every 15 min: never linked on


def test_smarttag_fields():
    got = who(F.smarttag(2, 0x012345, bytes.fromhex("1122334455667788"), flags=0x06))
    assert got.aging_counter == 0x012345
    assert got.rotating_id == "1122334455667788"
    assert got.battery == "medium"
    assert got.detail == "offline, UWB"
    short = who(F.svc16(0xFD5A, b"\x11\x01"))  # state only: still a separated SmartTag
    assert (short.family, short.state, short.aging_counter) == ("smarttag", SEPARATED, None)


def test_fmdn_fields():
    got = who(F.fmdn(0x41))
    assert got.rotating_id == bytes(range(0xA0, 0xB4)).hex()
    assert got.detail == "unwanted-tracking protection on"


def test_ad_parsing_boundaries():
    assert parse_ad(b"\x05\xff\x4c\x00").malformed  # length runs past the end
    assert parse_ad(F.TILE + b"\x00\x00\x00").service_uuids == ("feed",)  # zero padding ends the data
    assert parse_ad(b"\x01\xff").manufacturer_data == ()  # too short for a company id
    assert parse_ad(F.ad(0x09, "Tag\u00e9".encode())).name == "Tag\u00e9"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_hostile_bytes_never_raise(data):
    who(data)
    who(F.ad(0x16, b"\x5a\xfd" + data[:20]))
    who(F.ad(0xFF, b"\x4c\x00" + data[:27]))
    who(F.ad(0x16, b"\xaa\xfe" + data[:26]))
