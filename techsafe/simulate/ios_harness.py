"""`with SimulatedIPhone(profile) as phone:` a simulated usbmuxd + iPhone the
real pymobiledevice3 client can scan (tests, `techsafe demo ios`).

pymobiledevice3 finds usbmuxd through an explicit `usbmux_address` (pass
`phone.usbmux_address` to acquire_ios) or the USBMUXD_SOCKET_ADDRESS
environment variable, which is also set while the phone is active: the
client saves a new pair record to usbmuxd through the environment only.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from techsafe.simulate.ios_device import SimulatedDevice
from techsafe.simulate.ios_profile import IosProfile, load_ios_profile

__all__ = ["SimulatedIPhone", "load_ios_profile", "IosProfile"]

ENV = "USBMUXD_SOCKET_ADDRESS"


class SimulatedIPhone:
    def __init__(self, profile: IosProfile | Path | str, *, unplug_on_service: str | None = None,
                 unplug_mid_backup: bool = False) -> None:
        self.profile = profile if isinstance(profile, IosProfile) else load_ios_profile(profile)
        self._unplug_on = unplug_on_service
        self._unplug_mid_backup = unplug_mid_backup
        self._dir: tempfile.TemporaryDirectory | None = None
        self.device: SimulatedDevice | None = None
        self._old_env: str | None = None

    @property
    def udid(self) -> str:
        return self.profile.udid

    @property
    def usbmux_address(self) -> str:
        assert self.device is not None, "use SimulatedIPhone as a context manager"
        return str(self.device.socket_path)

    @property
    def requests(self) -> list[tuple[str, ...]]:
        return list(self.device.requests) if self.device else []

    def unplug(self) -> None:
        if self.device:
            self.device.unplug()

    def __enter__(self) -> "SimulatedIPhone":
        # A short path: Unix socket paths are limited to ~107 bytes.
        self._dir = tempfile.TemporaryDirectory(prefix="tsmux-", dir="/tmp" if os.path.isdir("/tmp") else None)
        self.device = SimulatedDevice(self.profile, Path(self._dir.name) / "usbmuxd", unplug_on_service=self._unplug_on,
                                       unplug_mid_backup=self._unplug_mid_backup)
        self.device.start()
        self._old_env = os.environ.get(ENV)
        os.environ[ENV] = self.usbmux_address
        return self

    def __exit__(self, *exc) -> None:
        if self._old_env is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = self._old_env
        if self.device:
            self.device.stop()
        if self._dir:
            self._dir.cleanup()
