"""Live Bluetooth: sweep, locate and ring through bleak (Linux BlueZ, macOS
CoreBluetooth, Windows WinRT). Deliberately thin: bleak gives advertisement
data, this module turns it into Sightings and stores them; everything else
(decoding, linking, deciding) is the same offline code.

bleak API used (bleak.readthedocs.io): BleakScanner(detection_callback,
scanning_mode="active") as an async context manager, callback(device,
AdvertisementData) with manufacturer_data {company: bytes}, service_data
{uuid128: bytes}, service_uuids, rssi, local_name; BleakClient(address) with
.services and write_gatt_char(uuid, data, response=True).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, Callable

from techsafe.scanners.trackers.captures import jsonl
from techsafe.scanners.trackers.sighting import MAX_NAME, Sighting, iso_from_us, short_uuid

if TYPE_CHECKING:
    from techsafe.case import Case

NO_ADAPTER = (
    "no Bluetooth adapter is available: check that this laptop has Bluetooth, that it is switched on, "
    "and on Linux that the bluetooth service (bluetoothd) is running"
)
Progress = Callable[[float, float, list[Sighting]], None]


class TrackersUnavailable(Exception):
    """No usable Bluetooth adapter; the message says what to check."""


def now_us() -> int:
    return time.time_ns() // 1000


def sighting_from_bleak(address: str, adv: Any, time_us: int | None = None) -> Sighting:
    """One bleak AdvertisementData -> Sighting (service-data keys shortened to 16-bit)."""
    return Sighting(
        time_us=now_us() if time_us is None else time_us,
        address=str(address).upper()[:17],
        address_type="",
        rssi=getattr(adv, "rssi", None),
        manufacturer_data=tuple((int(k), bytes(v)) for k, v in sorted((adv.manufacturer_data or {}).items())),
        service_data=tuple((short_uuid(k), bytes(v)) for k, v in sorted((adv.service_data or {}).items())),
        service_uuids=tuple(short_uuid(u) for u in (adv.service_uuids or ())),
        name=(adv.local_name or "")[:MAX_NAME],
    )


def _unavailable(exc: BaseException) -> TrackersUnavailable:
    # FileNotFoundError: no system D-Bus (BlueZ not installed or running);
    # BleakBluetoothNotAvailableError / BleakDBusError / BleakError: no adapter, powered off.
    return TrackersUnavailable(NO_ADAPTER)


UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (FileNotFoundError, PermissionError, ConnectionError)


async def _scan(duration_s: float, on_sighting: Callable[[Sighting], None], tick: Callable[[float], None] | None,
                on_started: Callable[[], None] | None = None) -> bool:
    """Listen for `duration_s`. Raises TrackersUnavailable when scanning cannot
    start; returns False when the adapter failed while scanning (the sightings
    so far are real, but trackers may have been missed)."""
    from bleak import BleakScanner
    from bleak.exc import BleakError

    def callback(device: Any, adv: Any) -> None:
        try:
            on_sighting(sighting_from_bleak(device.address, adv))
        except Exception:  # one odd advertisement must not end the sweep
            pass

    scanner = BleakScanner(callback, scanning_mode="active")
    try:
        await scanner.start()
    except (BleakError, *UNAVAILABLE_ERRORS) as exc:
        raise _unavailable(exc) from None
    stopped_cleanly = True
    try:
        if on_started:
            on_started()
        start = time.monotonic()
        while (elapsed := time.monotonic() - start) < duration_s:
            if tick:
                tick(elapsed)
            await asyncio.sleep(min(0.5, duration_s - elapsed))
    finally:
        try:
            await scanner.stop()
        except (BleakError, *UNAVAILABLE_ERRORS):  # e.g. a USB adapter pulled out mid-sweep
            stopped_cleanly = False
    return stopped_cleanly


def scan(duration_s: float, on_sighting: Callable[[Sighting], None], tick: Callable[[float], None] | None = None,
         on_started: Callable[[], None] | None = None) -> bool:
    return asyncio.run(_scan(duration_s, on_sighting, tick, on_started))


def store_sweep(case: "Case", sightings: list[Sighting], started_us: int, duration_s: float, place: str | None,
                complete: bool) -> str:
    header = {
        "started": iso_from_us(started_us),
        "place": place or None,
        "duration_s": round(duration_s, 3),
        "capture": "bleak",
        "complete": complete,
    }
    stamp = iso_from_us(started_us)[:19].replace("-", "").replace(":", "")
    rec = case.add_artifact(
        "trackers", f"sweeps/sweep-{stamp}.jsonl", jsonl.dumps(header, sightings),
        command=f"techsafe trackers sweep --duration {duration_s:g}", started=iso_from_us(started_us),
        duration_s=duration_s, complete=complete, error="" if complete else "interrupted",
        meta={"kind": "sweep", "place": place or ""},
    )
    return rec.path


ADAPTER_LOST = "the Bluetooth adapter stopped working during the sweep: trackers may have been missed"


def sweep(case: "Case | Callable[[], Case]", duration_s: float, place: str | None,
          progress: Progress | None = None) -> list[str]:
    """Scan for `duration_s`, store every advertisement as one sweep artifact
    (source "trackers"); return what did not complete (empty when all went well).

    `case` may be a function that creates the case: it is called only once
    the adapter is scanning, so a laptop without Bluetooth leaves no empty
    case folder behind. Raises TrackersUnavailable when there is no adapter."""
    seen: list[Sighting] = []
    started = now_us()
    opened: list["Case"] = []

    def open_case() -> None:
        opened.append(case() if callable(case) else case)

    tick = (lambda elapsed: progress(elapsed, duration_s, seen)) if progress else None
    try:
        complete = scan(duration_s, seen.append, tick, on_started=open_case)
    except KeyboardInterrupt:
        if opened:
            elapsed = (now_us() - started) / 1e6
            store_sweep(opened[0], seen, started, elapsed, place, complete=False)
            opened[0].log("trackers.sweep", complete=False, duration_s=round(elapsed, 1), advertisements=len(seen))
        raise
    if progress:
        progress(duration_s, duration_s, seen)
    store_sweep(opened[0], seen, started, duration_s, place, complete=complete)
    opened[0].log("trackers.sweep", complete=complete, duration_s=duration_s, advertisements=len(seen))
    return [] if complete else [ADAPTER_LOST]


# ---- locate -------------------------------------------------------------

METER = ((-50, "very hot: within about a metre"), (-62, "hot: a few metres"), (-75, "warm: same room"),
         (-200, "cold: keep walking"))


def meter(rssi: int | None) -> str:
    if rssi is None:
        return "no signal"
    return next(text for limit, text in METER if rssi >= limit)


def locate(matches: Callable[[Sighting], bool], duration_s: float, on_reading: Callable[[Sighting], None]) -> None:
    """Live signal strength of one tracker; on_reading gets each matching sighting."""
    scan(duration_s, lambda s: on_reading(s) if matches(s) else None)


# ---- ring ---------------------------------------------------------------

async def _ring(address: str, protocols: tuple, seconds: float) -> str:
    from bleak import BleakClient
    from bleak.exc import BleakError

    try:
        async with BleakClient(address, timeout=20) as client:
            # Match service and characteristic: families share characteristic
            # UUIDs (DULT / FMDN), and a write by UUID alone would be ambiguous.
            offered = {(str(s.uuid).lower(), str(c.uuid).lower()): c
                       for s in client.services for c in s.characteristics}
            for proto in protocols:
                char = offered.get((proto.service, proto.characteristic))
                if char is not None:
                    await client.write_gatt_char(char, proto.start, response=True)
                    if proto.stop:  # otherwise the tag stops by itself
                        await asyncio.sleep(seconds)
                        await client.write_gatt_char(char, proto.stop, response=True)
                    return "the tracker was asked to play its sound"
            return "the tracker offers none of the known sound controls (it may be near its owner)"
    except (BleakError, asyncio.TimeoutError, FileNotFoundError, PermissionError, ConnectionError) as exc:
        if isinstance(exc, (FileNotFoundError, PermissionError)) or type(exc).__name__ == "BleakBluetoothNotAvailableError":
            raise TrackersUnavailable(NO_ADAPTER) from None
        return f"could not connect to the tracker ({type(exc).__name__}); walk closer and try again"


def ring(address: str, protocols: tuple, seconds: float = 5.0) -> str:
    return asyncio.run(_ring(address, protocols, seconds))
