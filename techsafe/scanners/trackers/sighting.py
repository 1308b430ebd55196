"""One received BLE advertisement, the same whatever captured it.

Every capture path (bleak live scan, pcap/pcapng in any BLE link type,
btsnoop, techsafe's own JSON-lines file) is reduced to `Sighting`s, so the
decoders and the decision logic never know where bytes came from.

AD structures follow the Bluetooth Core Specification Supplement, Part A §1
(length, type, data); type numbers are from the Bluetooth SIG "Assigned
Numbers" document §2.3 (Common Data Types).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Assigned Numbers §2.3 Common Data Types.
AD_UUID16_INCOMPLETE = 0x02
AD_UUID16_COMPLETE = 0x03
AD_NAME_SHORT = 0x08
AD_NAME_COMPLETE = 0x09
AD_TX_POWER = 0x0A
AD_SERVICE_DATA_16 = 0x16
AD_SERVICE_DATA_32 = 0x20
AD_SERVICE_DATA_128 = 0x21
AD_MANUFACTURER = 0xFF

BASE_UUID_SUFFIX = "-0000-1000-8000-00805f9b34fb"
MAX_NAME = 64  # names come from strangers' devices: keep them short in the case


@dataclass(frozen=True)
class Sighting:
    """An advertisement as received, plus where it was recorded.

    time_us: microseconds since the Unix epoch (UTC), exact so that every
    container format gives identical sightings.
    rssi: dBm, None when the capture format carries no signal strength.
    service_data keys: 4 hex digits for 16-bit UUIDs ("fd5a"), else the full
    lower-case 128-bit UUID.
    """

    time_us: int
    address: str  # "AA:BB:CC:DD:EE:FF"
    address_type: str = ""  # "public", "random" or "" when unknown
    rssi: int | None = None
    manufacturer_data: tuple[tuple[int, bytes], ...] = ()
    service_data: tuple[tuple[str, bytes], ...] = ()
    service_uuids: tuple[str, ...] = ()
    name: str = ""
    origin: str = field(default="", compare=False)  # "line 12", "packet 7": evidence pointer

    @property
    def iso_time(self) -> str:
        return iso_from_us(self.time_us)

    def manufacturer(self, company: int) -> bytes | None:
        for cid, data in self.manufacturer_data:
            if cid == company:
                return data
        return None

    def service(self, uuid16: str) -> bytes | None:
        for key, data in self.service_data:
            if key == uuid16:
                return data
        return None

    def advertises(self, uuid16: str) -> bool:
        return uuid16 in self.service_uuids or self.service(uuid16) is not None


def iso_from_us(time_us: int) -> str:
    stamp = dt.datetime.fromtimestamp(time_us // 1_000_000, dt.timezone.utc).replace(microsecond=time_us % 1_000_000)
    return stamp.isoformat(timespec="microseconds").replace("+00:00", "Z")


def us_from_iso(text: str) -> int:
    stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.timezone.utc)
    delta = stamp - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def short_uuid(uuid: str) -> str:
    """'0000fd5a-0000-1000-8000-00805f9b34fb' -> 'fd5a'; other UUIDs lower-cased."""
    u = uuid.strip().lower()
    if len(u) == 36 and u.startswith("0000") and u.endswith(BASE_UUID_SUFFIX):
        return u[4:8]
    if len(u) == 4:
        return u
    return u


def format_address(raw_le: bytes) -> str:
    """HCI and the link layer carry BD_ADDR least-significant byte first."""
    return ":".join(f"{b:02X}" for b in reversed(raw_le))


def _uuid128_le(raw: bytes) -> str:
    h = raw[::-1].hex()
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


@dataclass(frozen=True)
class AdFields:
    manufacturer_data: tuple[tuple[int, bytes], ...]
    service_data: tuple[tuple[str, bytes], ...]
    service_uuids: tuple[str, ...]
    name: str
    malformed: bool  # a length ran past the end: the rest was ignored


def parse_ad(data: bytes) -> AdFields:
    """Split raw advertising data into the fields techsafe uses. Never raises."""
    mfg: list[tuple[int, bytes]] = []
    svc: list[tuple[str, bytes]] = []
    uuids: list[str] = []
    name = ""
    malformed = False
    i = 0
    while i < len(data):
        length = data[i]
        if length == 0:  # early termination / zero padding (Core Supplement Part A §1)
            break
        if i + 1 + length > len(data):
            malformed = True
            break
        ad_type = data[i + 1]
        value = bytes(data[i + 2 : i + 1 + length])
        i += 1 + length
        if ad_type == AD_MANUFACTURER and len(value) >= 2:
            mfg.append((int.from_bytes(value[:2], "little"), value[2:]))
        elif ad_type == AD_SERVICE_DATA_16 and len(value) >= 2:
            svc.append((f"{int.from_bytes(value[:2], 'little'):04x}", value[2:]))
        elif ad_type == AD_SERVICE_DATA_32 and len(value) >= 4:
            svc.append((f"{int.from_bytes(value[:4], 'little'):08x}{BASE_UUID_SUFFIX}", value[4:]))
        elif ad_type == AD_SERVICE_DATA_128 and len(value) >= 16:
            svc.append((_uuid128_le(value[:16]), value[16:]))
        elif ad_type in (AD_UUID16_INCOMPLETE, AD_UUID16_COMPLETE):
            uuids.extend(f"{int.from_bytes(value[j:j + 2], 'little'):04x}" for j in range(0, len(value) - 1, 2))
        elif ad_type in (AD_NAME_SHORT, AD_NAME_COMPLETE):
            name = value.decode("utf-8", "replace")[:MAX_NAME]
    return AdFields(tuple(mfg), tuple(svc), tuple(dict.fromkeys(uuids)), name, malformed)


def sighting_from_ad(time_us: int, address: str, address_type: str, rssi: int | None, data: bytes, origin: str) -> Sighting:
    ad = parse_ad(data)
    return Sighting(
        time_us=time_us,
        address=address,
        address_type=address_type,
        rssi=rssi,
        manufacturer_data=ad.manufacturer_data,
        service_data=ad.service_data,
        service_uuids=ad.service_uuids,
        name=ad.name,
        origin=origin,
    )
