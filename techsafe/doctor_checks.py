"""`techsafe doctor` checks beyond adb: iPhone, Bluetooth, network scanning.

Each check returns (ok, what was found, what to do if not ok). Cheap and
local: nothing here talks to a device or the network.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable, Iterator

Check = Callable[[], tuple[bool, str, str]]


def usbmuxd() -> tuple[bool, str, str]:
    address = os.environ.get("USBMUXD_SOCKET_ADDRESS")
    if address:
        return True, f"iPhone connection service (usbmuxd) set to {address}", ""
    if sys.platform == "win32":
        return True, "iPhone connection: Apple Devices / iTunes provides it on Windows", ""
    if Path("/var/run/usbmuxd").exists():
        return True, "iPhone connection service (usbmuxd) is running", ""
    return (False, "iPhone connection service (usbmuxd) is not running",
            "To scan iPhones on Linux, install and start usbmuxd (Debian: apt install usbmuxd).")


def bluetooth() -> tuple[bool, str, str]:
    if sys.platform.startswith("linux"):
        adapters = sorted(p.name for p in Path("/sys/class/bluetooth").glob("hci*")) if Path("/sys/class/bluetooth").is_dir() else []
        if adapters:
            return True, f"Bluetooth adapter found ({', '.join(adapters)}) for tracker sweeps", ""
        return (False, "no Bluetooth adapter found (tracker sweeps will not work)",
                "Turn Bluetooth on, plug in a USB Bluetooth adapter, and check that bluetoothd is running.")
    return True, "Bluetooth: checked when a tracker sweep starts", ""


def raw_sockets() -> tuple[bool, str, str]:
    from techsafe.scanners.network.acquire import has_raw_sockets

    if has_raw_sockets():
        return True, "network scan can use ARP (raw sockets allowed)", ""
    return (False, "network scan will skip the ARP sweep (no raw-socket permission)",
            "Optional: run the network scan as administrator (sudo) to also find quiet devices; "
            "without it, devices that announce themselves are still found.")


def all_checks() -> Iterator[Check]:
    yield from (usbmuxd, bluetooth, raw_sockets)
