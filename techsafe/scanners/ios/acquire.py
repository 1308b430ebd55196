"""Live iPhone acquisition over usbmux with pymobiledevice3: read-only.

Only the requests in services.py are sent. Every reply is stored
byte-for-byte as an artifact (source "ios"); a step that fails is stored as
an incomplete artifact with a plain reason, so analysis shows it as "not
checked". A phone that is unplugged mid-scan ends the scan with what was
read so far.

Messages raised to the user are one line, plain language, no personal data.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from techsafe.case import Case, utc_now
from techsafe.scanners.ios import services as svc

MAX_BROWSE_FRAMES = 10_000  # a phone that never says "Complete" must not hang the scan
STEP_TIMEOUT_S = 60.0
BACKUP_TIMEOUT_S = 4 * 3600.0  # a full backup of a big phone takes long; a stuck one must still end


class ServiceNotAllowed(Exception):
    """A step asked lockdownd for a service outside the allow-list: refused before it was asked."""


@contextlib.contextmanager
def _only_services(ld, allowed: frozenset[str]):
    """While active, `ld` starts only allowed services (pymobiledevice3's backup starts its own)."""
    original = ld.start_lockdown_service

    async def guarded(name: str, *args: Any, **kwargs: Any):
        if name not in allowed:
            raise ServiceNotAllowed(f"the backup needed a service techsafe does not allow ({name[:80]})")
        return await original(name, *args, **kwargs)

    ld.start_lockdown_service = guarded
    try:
        yield
    finally:
        del ld.start_lockdown_service  # the class method again


class IosAcquireError(Exception):
    """A one-line, plain-language reason the iPhone could not be scanned."""


class TrustPending(IosAcquireError):
    """The iPhone has not trusted this laptop (yet)."""


@dataclass(frozen=True)
class IosDeviceRef:
    udid: str
    name: str
    product_type: str
    paired: bool


def _pairing_dir() -> Path:
    from techsafe.paths import config_dir

    path = config_dir() / "ios-pairing"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def list_ios_devices(timeout: float = 2.0, *, usbmux_address: str | None = None) -> list[IosDeviceRef]:
    """iPhones usbmuxd sees; [] when usbmuxd is not running."""
    try:
        return asyncio.run(asyncio.wait_for(_list(usbmux_address), timeout))
    except (asyncio.TimeoutError, OSError):
        return []


async def _list(usbmux_address: str | None) -> list[IosDeviceRef]:
    from pymobiledevice3 import usbmux
    from pymobiledevice3.exceptions import PyMobileDevice3Exception
    from pymobiledevice3.lockdown import create_using_usbmux

    try:
        devices = await usbmux.list_devices(usbmux_address=usbmux_address)
    except PyMobileDevice3Exception:
        return []
    out = []
    for d in devices:
        if not d.is_usb:
            continue  # clinic scans are over the cable only
        name = product = ""
        paired = False
        try:
            ld = await create_using_usbmux(d.serial, autopair=False, usbmux_address=usbmux_address,
                                           pairing_records_cache_folder=_pairing_dir())
            try:
                paired = ld.paired
                name = str(ld.all_values.get("DeviceName") or "")
                product = str(ld.all_values.get("ProductType") or "")
            finally:
                await ld.close()
        except (PyMobileDevice3Exception, OSError, asyncio.IncompleteReadError):
            pass
        out.append(IosDeviceRef(d.serial, name, product, paired))
    return out


def acquire_ios(
    case: Case,
    udid: str | None,
    *,
    backup: bool = False,
    password: str | None = None,
    wait_trust_s: float = 60,
    progress: Callable[[str], Any] | None = None,
    usbmux_address: str | None = None,
) -> list[str]:
    """Read the iPhone into the case. Returns what did not complete ([] = all)."""
    say = progress or (lambda _msg: None)

    async def main() -> list[str]:
        asyncio.get_running_loop().set_exception_handler(_quiet_disconnects)
        return await _Acquisition(case, udid, usbmux_address, say).run(backup, password, wait_trust_s)

    return asyncio.run(main())


def _quiet_disconnects(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """A phone unplugged mid-backup leaves pymobiledevice3 background readers (AFC, notifications)
    with a connection error nobody awaits; the step already says "stopped answering", so asyncio
    must not print a traceback at the caseworker. Anything else is reported as usual."""
    from pymobiledevice3.exceptions import ConnectionTerminatedError

    if isinstance(context.get("exception"), (ConnectionTerminatedError, ConnectionError, asyncio.IncompleteReadError)):
        return
    loop.default_exception_handler(context)


def _build_plist(obj: dict) -> bytes:
    from pymobiledevice3.service_connection import build_plist

    return build_plist(obj)


class _Acquisition:
    def __init__(self, case: Case, udid: str | None, usbmux_address: str | None, say: Callable[[str], Any]):
        self.case = case
        self.udid = udid
        self.addr = usbmux_address
        self.say = say
        self.not_done: list[str] = []
        self.gone = False

    # ---- storage ----------------------------------------------------
    def _store(self, name: str, data: bytes, command: str, started: str, t0: float) -> None:
        self.case.add_artifact("ios", name, data, command=command, started=started, duration_s=time.monotonic() - t0)

    def _failed(self, name: str, what: str, command: str, reason: str, started: str, t0: float) -> None:
        self.case.add_artifact("ios", name, b"", command=command, started=started, duration_s=time.monotonic() - t0,
                               error=reason, complete=False)
        self.not_done.append(what)
        self.case.log("ios.acquire.step_failed", step=name, reason=reason)

    # ---- connection -------------------------------------------------
    async def _connect(self, wait_trust_s: float):
        from pymobiledevice3.exceptions import (
            ConnectionFailedToUsbmuxdError,
            DeviceNotFoundError,
            NoDeviceConnectedError,
            PairingDialogResponsePendingError,
            PasswordRequiredError,
            PyMobileDevice3Exception,
            UserDeniedPairingError,
        )
        from pymobiledevice3.lockdown import create_using_usbmux

        try:
            ld = await create_using_usbmux(self.udid, autopair=False, usbmux_address=self.addr,
                                           pairing_records_cache_folder=_pairing_dir(), connection_type="USB")
        except ConnectionFailedToUsbmuxdError:
            raise IosAcquireError("Cannot reach the iPhone service (usbmuxd) on this laptop: run `techsafe doctor`.") from None
        except (NoDeviceConnectedError, DeviceNotFoundError):
            raise IosAcquireError("No iPhone found: connect it with a USB cable and unlock it.") from None
        except (PyMobileDevice3Exception, OSError, asyncio.IncompleteReadError) as exc:
            raise IosAcquireError(f"The iPhone did not answer ({type(exc).__name__}); unplug it, plug it in again and retry.") from None
        if ld.paired:
            return ld
        self.say("Unlock the iPhone and tap Trust")
        self.case.log("ios.acquire.waiting_for_trust", timeout_s=wait_trust_s)
        deadline = time.monotonic() + wait_trust_s
        try:
            while True:
                left = deadline - time.monotonic()
                try:
                    await ld.pair(timeout=max(0.0, left))
                    break
                except PasswordRequiredError:  # locked: the Trust dialog needs an unlocked phone
                    if time.monotonic() >= deadline:
                        raise TrustPending("Unlock the iPhone and tap Trust, then start the scan again.") from None
                    await asyncio.sleep(1)
            if not await ld.validate_pairing():
                raise IosAcquireError("The iPhone trusted this laptop but then refused the session; unplug it and retry.")
        except PairingDialogResponsePendingError:
            await ld.close()
            raise TrustPending("Unlock the iPhone and tap Trust, then start the scan again.") from None
        except UserDeniedPairingError:
            await ld.close()
            raise IosAcquireError("The iPhone answered \"Don't Trust\": unplug it, plug it in again and tap Trust.") from None
        except TrustPending:
            await ld.close()
            raise
        except Exception as exc:  # noqa: BLE001 - any pairing failure is one plain line
            await ld.close()
            raise IosAcquireError(f"Pairing with the iPhone failed ({type(exc).__name__}); unplug it and retry.") from None
        return ld

    # ---- steps ------------------------------------------------------
    _DISCONNECT = "the iPhone stopped answering (unplugged or locked?)"

    def _is_disconnect(self, exc: BaseException) -> bool:
        from pymobiledevice3.exceptions import (
            ConnectionTerminatedError,
            DeviceNotFoundError,
            MuxException,
            NoDeviceConnectedError,
        )

        return isinstance(exc, (ConnectionTerminatedError, DeviceNotFoundError, NoDeviceConnectedError, MuxException,
                                ConnectionError, asyncio.IncompleteReadError, EOFError, BrokenPipeError))

    async def _lockdown_values(self, ld) -> None:
        for domain, name in svc.LOCKDOWN_DOMAINS:
            msg = {"Label": ld.label, "Request": "GetValue"}
            if domain:
                msg["Domain"] = domain
            await self._step(name, f"device information{' (' + domain + ')' if domain else ''}",
                             f"lockdown GetValue {domain or ''}".strip(),
                             lambda msg=msg: ld.service.send_recv_prefixed(_build_plist(msg)))

    async def _probes(self, ld) -> None:
        for service in svc.PROBE_SERVICES:
            msg = {"Label": ld.label, "Request": "StartService", "Service": service}
            await self._step(f"lockdown/start_service/{service}.plist", "jailbreak service check",
                             f"lockdown StartService {service} (probe, not connected)",
                             lambda msg=msg: ld.service.send_recv_prefixed(_build_plist(msg)))

    async def _service(self, ld, req: svc.ServiceRequest) -> None:
        assert req.service in svc.ALLOWED_SERVICES
        started, t0 = utc_now(), time.monotonic()
        command = f"{req.service} {next(iter(req.request.values()))}"
        if self.gone:
            self._failed(req.artifact, req.description, command, self._DISCONNECT, started, t0)
            return
        try:
            conn = await asyncio.wait_for(ld.start_lockdown_service(req.service), STEP_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded, never fatal
            self._record_error(req.artifact, req.description, command, exc, started, t0)
            return
        try:
            await conn.send_plist(req.request)
            if not req.multi_frame:
                raw = await asyncio.wait_for(conn.recv_prefixed(), STEP_TIMEOUT_S)
                self._store(req.artifact, raw, command, started, t0)
                return
            stem = req.artifact[: -len(".plist")]
            for i in range(1, MAX_BROWSE_FRAMES + 1):
                raw = await asyncio.wait_for(conn.recv_prefixed(), STEP_TIMEOUT_S)
                self._store(f"{stem}-{i:04d}.plist", raw, command, started, t0)
                if _is_complete(raw):
                    return
            raise TimeoutError("too many frames")
        except Exception as exc:  # noqa: BLE001
            self._record_error(req.artifact, req.description, command, exc, started, t0)
        finally:
            try:
                await conn.close()
            except Exception:  # noqa: BLE001
                pass

    async def _step(self, name: str, what: str, command: str, call) -> None:
        started, t0 = utc_now(), time.monotonic()
        if self.gone:
            self._failed(name, what, command, self._DISCONNECT, started, t0)
            return
        try:
            raw = await asyncio.wait_for(call(), STEP_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001
            self._record_error(name, what, command, exc, started, t0)
            return
        self._store(name, raw, command, started, t0)

    def _record_error(self, name: str, what: str, command: str, exc: BaseException, started: str, t0: float) -> None:
        if self._is_disconnect(exc) or isinstance(exc, OSError):
            self.gone = True
            reason = self._DISCONNECT
        elif isinstance(exc, asyncio.TimeoutError):
            reason = "the iPhone did not answer in time"
        else:
            reason = f"the iPhone refused ({type(exc).__name__})"
        self._failed(name, what, command, reason, started, t0)

    async def _backup(self, ld, password: str | None) -> None:
        """Local backup with mobilebackup2 into a private temp folder, then ingested.

        pymobiledevice3 drives the backup and starts the services it needs itself; while it
        runs, lockdownd is asked for nothing outside services.ALLOWED_BACKUP_SERVICES.
        """
        import tempfile

        from pymobiledevice3.services.mobilebackup2 import Mobilebackup2Service

        from techsafe.scanners.ios.sources import ingest_backup

        started, t0 = utc_now(), time.monotonic()
        command = "mobilebackup2 backup"
        if self.gone:
            self._failed("backup/status", "backup", command, self._DISCONNECT, started, t0)
            return
        self.say("Making a backup of the iPhone (this can take a while; keep it unlocked)")

        def progress(percent: Any) -> None:
            if isinstance(percent, (int, float)) and not isinstance(percent, bool) and 0 <= percent <= 100:
                self.say(f"Making a backup of the iPhone: {percent:.0f}% (keep it unlocked)")

        with tempfile.TemporaryDirectory(prefix="techsafe-ios-backup-") as tmp, _only_services(ld, svc.ALLOWED_BACKUP_SERVICES):
            os.chmod(tmp, 0o700)
            try:
                async with Mobilebackup2Service(ld) as mb:
                    await asyncio.wait_for(mb.backup(full=True, backup_directory=tmp, progress_callback=progress),
                                           BACKUP_TIMEOUT_S)
                folder = Path(tmp) / ld.udid
                ingest_backup(folder, self.case, password=password, origin=command)
            except Exception as exc:  # noqa: BLE001
                from techsafe.pipeline import InputError

                if isinstance(exc, InputError):  # made, but unreadable (e.g. wrong password): drop the temp path
                    self._failed("backup/status", "backup", command,
                                 "the backup could not be read: " + str(exc).split(": ", 1)[-1], started, t0)
                elif isinstance(exc, ServiceNotAllowed):
                    self._failed("backup/status", "backup", command, str(exc), started, t0)
                elif self._is_disconnect(exc) or isinstance(exc, (OSError, asyncio.TimeoutError)):
                    self._record_error("backup/status", "backup", command, exc, started, t0)
                else:  # refused, locked, encrypted without a password...: the backup areas stay "not checked"
                    self._failed("backup/status", "backup", command,
                                 f"the iPhone did not make a backup ({type(exc).__name__})", started, t0)
                return
        self.case.log("ios.acquire.backup_done", duration_s=round(time.monotonic() - t0, 3))

    async def run(self, backup: bool, password: str | None, wait_trust_s: float) -> list[str]:
        self.case.log("ios.acquire.start")
        ld = await self._connect(wait_trust_s)
        try:
            self.say("Reading device information")
            await self._lockdown_values(ld)
            await self._probes(ld)
            for req in svc.SERVICE_REQUESTS:
                self.say(f"Reading {req.description}")
                await self._service(ld, req)
            if backup:
                await self._backup(ld, password)
        finally:
            try:
                await ld.close()
            except Exception:  # noqa: BLE001
                pass
        self.case.log("ios.acquire.done", not_completed=len(self.not_done))
        return list(dict.fromkeys(self.not_done))


def _is_complete(raw: bytes) -> bool:
    from techsafe.scanners.ios.plists import ParseError, load_plist

    try:
        value = load_plist(raw, "reply")
    except ParseError:
        return True  # an unreadable frame ends the listing; analysis reports it
    if not isinstance(value, dict) or not value:
        return True
    return value.get("Status") == "Complete" or "Error" in value
