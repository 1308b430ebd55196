"""Advertising data (AD structures) for every family, built from the
documented byte layouts cited in techsafe/scanners/trackers/decoders/, plus
one public example frame:

- OPENHAYSTACK: the advertisement template of OpenHaystack's ESP32 firmware
  (seemoo-lab/openhaystack, Firmware/ESP32/main/openhaystack_main.c,
  `adv_data`): 0x1e 0xff 0x4c 0x00 0x12 0x19 <state 0x00> <22 key bytes>
  <key bits> <hint 0x00>, here with a non-zero example key.
"""

from __future__ import annotations


def ad(ad_type: int, value: bytes) -> bytes:
    return bytes([len(value) + 1, ad_type]) + value


def apple(tlv_type: int, value: bytes, declared: int | None = None) -> bytes:
    n = len(value) if declared is None else declared
    return ad(0xFF, b"\x4c\x00" + bytes([tlv_type, n]) + value)


def svc16(uuid16: int, value: bytes) -> bytes:
    return ad(0x16, uuid16.to_bytes(2, "little") + value)


FLAGS = ad(0x01, b"\x06")
KEY22 = bytes(range(0x30, 0x30 + 22))


def findmy_separated(status: int, key: bytes = KEY22) -> bytes:
    return apple(0x12, bytes([status]) + key + b"\x01\x00")


def findmy_near_owner(status: int) -> bytes:
    return apple(0x12, bytes([status, 0x02]))


OPENHAYSTACK = bytes([0x1E, 0xFF, 0x4C, 0x00, 0x12, 0x19, 0x00]) + bytes(range(1, 23)) + b"\x00\x00"
AIRTAG_SEPARATED = findmy_separated(0x10)  # status: device type 1 (AirTag), battery full
AIRTAG_NEAR_OWNER = findmy_near_owner(0x10)
FINDMY_ACCESSORY = findmy_separated(0x20 | 0x80)  # type 2, battery low (bits 6-7 = 2)
AIRPODS_SEPARATED = findmy_separated(0x30)
APPLE_NEARBY_INFO = apple(0x10, bytes.fromhex("0b1c7e2a1f"))  # Continuity Nearby Info: an iPhone, not a tracker
APPLE_TRUNCATED_OF = apple(0x12, b"", declared=0x19)  # declares 25 bytes, carries none


def smarttag(state: int, counter: int, privacy_id: bytes, flags: int = 0x03) -> bytes:
    return svc16(0xFD5A, bytes([0x10 | state]) + counter.to_bytes(3, "little") + privacy_id + bytes([flags]) + b"\xaa" * 4)


SAMSUNG_PHONE = svc16(0xFD69, bytes(range(20)))


def fmdn(frame: int, eid: bytes = bytes(range(0xA0, 0xB4)), flags: bytes = b"\x80") -> bytes:
    return svc16(0xFEAA, bytes([frame]) + eid + flags)


EDDYSTONE_UID = svc16(0xFEAA, b"\x00\xe7" + bytes(16) + b"\x00\x00")
EDDYSTONE_URL = svc16(0xFEAA, b"\x10\xeb\x03example\x07")
EDDYSTONE_EID = svc16(0xFEAA, b"\x30\xeb" + bytes(8))
FMDN_SHORT = svc16(0xFEAA, b"\x40" + bytes(10))


def dult(network: int, near_owner: bool) -> bytes:
    return svc16(0xFCB2, bytes([network, 1 if near_owner else 0]) + bytes(22))


TILE = ad(0x03, b"\xed\xfe") + svc16(0xFEED, bytes.fromhex("0200112233445566"))
CHIPOLO = svc16(0xFE33, bytes(8))
PEBBLEBEE = ad(0x03, b"\x25\xfa")
UNKNOWN = ad(0xFF, b"\x59\x00" + b"\x01\x02\x03")  # Nordic company id: some gadget
