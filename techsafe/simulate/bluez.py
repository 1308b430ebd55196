"""A simulated BlueZ (bluetoothd) on a private D-Bus bus, for tests and demos.

This machine (and CI) has no Bluetooth controller, so bleak's BlueZ backend
is exercised against this stand-in instead: a real `dbus-daemon` on a private
socket, and a D-Bus service (dbus-fast) that owns `org.bluez` and speaks the
part of the BlueZ API that bleak uses (read from bleak/backends/bluezdbus/):

- org.freedesktop.DBus.ObjectManager.GetManagedObjects on "/", with
  org.bluez.Adapter1 at /org/bluez/hci0; InterfacesAdded / InterfacesRemoved
  signals from "/" as bluetoothd sends them;
- Adapter1.SetDiscoveryFilter / StartDiscovery / StopDiscovery / RemoveDevice;
- while discovering, every simulated tag "advertises": the first time a
  Device1 object appears (InterfacesAdded, with Address, AddressType, RSSI,
  ManufacturerData, ServiceData, UUIDs, Name); afterwards RSSI updates
  (PropertiesChanged). As in bluetoothd (src/adapter.c
  update_found_devices), RSSI is re-sent on every report while a discovery
  filter is set and only on changes of 8 dBm or more otherwise;
- Device1.Connect / Disconnect with Connected and ServicesResolved, and the
  tag's GATT database as GattService1 / GattCharacteristic1 objects
  (/org/bluez/hci0/dev_XX/serviceNNNN/charNNNN);
- GattCharacteristic1.WriteValue / ReadValue: writes are recorded;
- org.freedesktop.DBus.Properties Get / GetAll / Set.

Advertising data is given as raw AD structures (what the tag sends over the
air) and split into Device1 properties the way bluetoothd does (src/eir.c
eir_parse), independently of techsafe's own parser.

    with PrivateBus() as bus, SimulatedBluez(bus.address, [tag]) as bluez:
        os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = bus.address
        ...                 # bleak now talks to the simulated adapter
        bluez.writes        # GATT writes the tag received
"""

from __future__ import annotations

import asyncio
import select
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

BLUEZ = "org.bluez"
OBJECT_MANAGER = "org.freedesktop.DBus.ObjectManager"
PROPERTIES = "org.freedesktop.DBus.Properties"
ADAPTER = "org.bluez.Adapter1"
DEVICE = "org.bluez.Device1"
GATT_SERVICE = "org.bluez.GattService1"
GATT_CHARACTERISTIC = "org.bluez.GattCharacteristic1"
ADAPTER_PATH = "/org/bluez/hci0"
BASE_UUID = "-0000-1000-8000-00805f9b34fb"
RSSI_THRESHOLD = 8  # bluetoothd src/device.c: unfiltered discovery reports RSSI changes >= 8 dBm

UNKNOWN_OBJECT = "org.freedesktop.DBus.Error.UnknownObject"
UNKNOWN_METHOD = "org.freedesktop.DBus.Error.UnknownMethod"
ERR_FAILED = "org.bluez.Error.Failed"
ERR_NOT_READY = "org.bluez.Error.NotReady"
ERR_NOT_PERMITTED = "org.bluez.Error.NotPermitted"
ERR_NOT_SUPPORTED = "org.bluez.Error.NotSupported"

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


class SimulatorError(RuntimeError):
    pass


# ---- the private bus ------------------------------------------------------

class PrivateBus:
    """A real dbus-daemon on a private socket (never the machine's system bus).

    Debian package `dbus` (dbus-daemon). Killed on stop()."""

    def __init__(self, start_timeout_s: float = 10.0) -> None:
        self.start_timeout_s = start_timeout_s
        self.address = ""
        self._dir: str | None = None
        self._proc: subprocess.Popen | None = None

    def start(self) -> "PrivateBus":
        daemon = shutil.which("dbus-daemon")
        if daemon is None:
            raise SimulatorError("dbus-daemon not found: install the Debian package `dbus`")
        # Short /tmp path: unix socket paths are limited to 108 bytes.
        self._dir = tempfile.mkdtemp(prefix="ts-dbus-")
        config = Path(self._dir) / "bus.conf"
        config.write_text(BUS_CONFIG.format(socket=Path(self._dir) / "bus"))
        self._proc = subprocess.Popen(
            [daemon, f"--config-file={config}", "--nofork", "--nopidfile", "--print-address=1"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )
        assert self._proc.stdout is not None
        ready, _, _ = select.select([self._proc.stdout], [], [], self.start_timeout_s)
        line = self._proc.stdout.readline().decode().strip() if ready else ""
        if not line:
            self.stop()
            raise SimulatorError("dbus-daemon did not start")
        self.address = line
        return self

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            if self._proc.stdout:
                self._proc.stdout.close()
            self._proc = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> "PrivateBus":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---- what is simulated ----------------------------------------------------

@dataclass(frozen=True)
class GattService:
    uuid: str
    characteristics: tuple[str, ...]


@dataclass(frozen=True)
class SimulatedTag:
    """A device in radio range: its address, what it advertises, its signal.

    rssi values are used in turn, one per advertisement; services is the GATT
    database it offers once connected (empty: it refuses connections)."""

    address: str
    advertising_data: bytes
    rssi: tuple[int, ...] = (-60,)
    address_type: str = "random"
    services: tuple[GattService, ...] = ()


@dataclass(frozen=True)
class GattWrite:
    address: str
    service: str
    characteristic: str
    value: bytes
    write_type: str  # "request" (with response) or "command"


@dataclass(frozen=True)
class Advertisement:
    """Device1 properties carried by one advertisement (bluetoothd src/eir.c)."""

    manufacturer_data: dict[int, bytes] = field(default_factory=dict)
    service_data: dict[str, bytes] = field(default_factory=dict)
    uuids: tuple[str, ...] = ()
    name: str | None = None
    tx_power: int | None = None
    flags: bytes | None = None


def _uuid16(value: int) -> str:
    return f"{value:08x}{BASE_UUID}"


def _uuid128_le(raw: bytes) -> str:
    h = raw[::-1].hex()
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def parse_advertising_data(data: bytes) -> Advertisement:
    """Split AD structures as bluetoothd's eir_parse does (what it cannot parse it drops)."""
    mfg: dict[int, bytes] = {}
    svc: dict[str, bytes] = {}
    uuids: list[str] = []
    name = None
    tx_power = None
    flags = None
    i = 0
    while i + 1 < len(data):
        length = data[i]
        if length == 0 or i + 1 + length > len(data):
            break
        kind, value = data[i + 1], data[i + 2 : i + 1 + length]
        i += 1 + length
        if kind == 0x01:
            flags = bytes(value)
        elif kind in (0x02, 0x03):
            uuids += [_uuid16(int.from_bytes(value[j:j + 2], "little")) for j in range(0, len(value) - 1, 2)]
        elif kind in (0x04, 0x05):
            uuids += [_uuid16(int.from_bytes(value[j:j + 4], "little")) for j in range(0, len(value) - 3, 4)]
        elif kind in (0x06, 0x07):
            uuids += [_uuid128_le(value[j:j + 16]) for j in range(0, len(value) - 15, 16)]
        elif kind in (0x08, 0x09):
            name = bytes(value).decode("utf-8", "replace")
        elif kind == 0x0A and len(value) == 1:
            tx_power = int.from_bytes(value, "little", signed=True)
        elif kind == 0x16 and len(value) >= 2:
            svc[_uuid16(int.from_bytes(value[:2], "little"))] = bytes(value[2:])
        elif kind == 0x20 and len(value) >= 4:
            svc[_uuid16(int.from_bytes(value[:4], "little"))] = bytes(value[4:])
        elif kind == 0x21 and len(value) >= 16:
            svc[_uuid128_le(value[:16])] = bytes(value[16:])
        elif kind == 0xFF and len(value) >= 2:
            mfg[int.from_bytes(value[:2], "little")] = bytes(value[2:])
    return Advertisement(mfg, svc, tuple(dict.fromkeys(uuids)), name, tx_power, flags)


def device_path(address: str) -> str:
    return f"{ADAPTER_PATH}/dev_{address.upper().replace(':', '_')}"


# ---- the D-Bus service ----------------------------------------------------

class SimulatedBluez:
    """bluetoothd's D-Bus API for one adapter (hci0) and a set of tags.

    Runs its own asyncio loop in a background thread, so the code under test
    can call bleak (asyncio.run) in the main thread as the CLI does."""

    def __init__(self, bus_address: str, tags: Iterable[SimulatedTag], *, powered: bool = True,
                 advert_interval_s: float = 0.2) -> None:
        self.bus_address = bus_address
        self.tags = {t.address.upper(): t for t in tags}
        self.powered = powered
        self.advert_interval_s = advert_interval_s
        self._lock = threading.Lock()
        self._writes: list[GattWrite] = []
        self._calls: list[str] = []
        self._objects: dict[str, dict[str, dict[str, Any]]] = {}
        self._gatt_paths: dict[str, dict[str, tuple[str, str]]] = {}  # device -> char path -> (service, char)
        self._rssi_turn: dict[str, int] = {}
        self._discovering = False
        self._filtered = False
        self._rounds = 0
        self._unplug_after: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._bus: Any = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # -- what the test reads --

    @property
    def writes(self) -> list[GattWrite]:
        with self._lock:
            return list(self._writes)

    @property
    def calls(self) -> list[str]:
        """Every method called on the simulated BlueZ, e.g. 'Adapter1.StartDiscovery'."""
        with self._lock:
            return list(self._calls)

    # -- lifecycle --

    def start(self) -> "SimulatedBluez":
        self._thread = threading.Thread(target=self._run, name="simulated-bluez", daemon=True)
        self._thread.start()
        if not self._ready.wait(10) or self._error is not None:
            self.stop()
            raise SimulatorError(f"simulated BlueZ did not start: {self._error!r}")
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
        self._thread = None

    def __enter__(self) -> "SimulatedBluez":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def unplug_adapter(self, after_rounds: int) -> None:
        """The adapter disappears (USB dongle pulled) once every tag has
        advertised `after_rounds` times during discovery."""
        self._unplug_after = after_rounds

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._connect())
        except BaseException as exc:  # reported by start()
            self._error = exc
            self._ready.set()
            loop.close()
            return
        ticker = loop.create_task(self._advertise_forever())
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            ticker.cancel()
            loop.run_until_complete(asyncio.gather(ticker, return_exceptions=True))
            self._bus.disconnect()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    async def _connect(self) -> None:
        from dbus_fast import BusType
        from dbus_fast.aio import MessageBus
        from dbus_fast.constants import RequestNameReply

        self._bus = await MessageBus(bus_address=self.bus_address, bus_type=BusType.SYSTEM).connect()
        self._bus.add_message_handler(self._handle)
        self._objects[ADAPTER_PATH] = {ADAPTER: self._adapter_props(), PROPERTIES: {},
                                       "org.freedesktop.DBus.Introspectable": {}}
        reply = await self._bus.request_name(BLUEZ)
        if reply != RequestNameReply.PRIMARY_OWNER:
            raise SimulatorError(f"could not own {BLUEZ}: {reply}")

    # -- properties --

    def _adapter_props(self) -> dict[str, Any]:
        from dbus_fast import Variant

        return {
            "Address": Variant("s", "00:1A:7D:DA:71:13"), "AddressType": Variant("s", "public"),
            "Name": Variant("s", "techsafe-sim"), "Alias": Variant("s", "techsafe-sim"),
            "Class": Variant("u", 0x6C010C), "Powered": Variant("b", self.powered),
            "Discoverable": Variant("b", False), "DiscoverableTimeout": Variant("u", 180),
            "Pairable": Variant("b", False), "PairableTimeout": Variant("u", 0),
            "Discovering": Variant("b", False), "UUIDs": Variant("as", []),
            "Modalias": Variant("s", "usb:v1D6Bp0246d0548"), "Roles": Variant("as", ["central", "peripheral"]),
        }

    def _device_props(self, tag: SimulatedTag, rssi: int) -> dict[str, Any]:
        from dbus_fast import Variant

        ad = parse_advertising_data(tag.advertising_data)
        address = tag.address.upper()
        props = {
            "Address": Variant("s", address), "AddressType": Variant("s", tag.address_type),
            "Alias": Variant("s", ad.name or address.replace(":", "-")),
            "Paired": Variant("b", False), "Bonded": Variant("b", False), "Trusted": Variant("b", False),
            "Blocked": Variant("b", False), "LegacyPairing": Variant("b", False),
            "Connected": Variant("b", False), "ServicesResolved": Variant("b", False),
            "Adapter": Variant("o", ADAPTER_PATH), "UUIDs": Variant("as", list(ad.uuids)),
            "RSSI": Variant("n", rssi),
        }
        if ad.name is not None:
            props["Name"] = Variant("s", ad.name)
        if ad.tx_power is not None:
            props["TxPower"] = Variant("n", ad.tx_power)
        if ad.manufacturer_data:
            props["ManufacturerData"] = Variant("a{qv}", {k: Variant("ay", v) for k, v in ad.manufacturer_data.items()})
        if ad.service_data:
            props["ServiceData"] = Variant("a{sv}", {k: Variant("ay", v) for k, v in ad.service_data.items()})
        if ad.flags is not None:
            props["AdvertisingFlags"] = Variant("ay", ad.flags)
        return props

    def _set(self, path: str, interface: str, changes: dict[str, Any]) -> None:
        """Update properties and send PropertiesChanged, as bluetoothd does."""
        from dbus_fast import Message

        self._objects[path][interface].update(changes)
        self._bus.send(Message.new_signal(path, PROPERTIES, "PropertiesChanged", "sa{sv}as", [interface, changes, []]))

    def _add(self, path: str, interfaces: dict[str, dict[str, Any]]) -> None:
        from dbus_fast import Message

        self._objects[path] = {**interfaces, PROPERTIES: {}, "org.freedesktop.DBus.Introspectable": {}}
        self._bus.send(Message.new_signal("/", OBJECT_MANAGER, "InterfacesAdded", "oa{sa{sv}}",
                                          [path, self._objects[path]]))

    def _remove(self, path: str) -> None:
        from dbus_fast import Message

        interfaces = self._objects.pop(path, None)
        if interfaces is not None:
            removed = Message.new_signal("/", OBJECT_MANAGER, "InterfacesRemoved", "oas", [path, list(interfaces)])
            self._bus.send(removed)

    # -- radio --

    async def _advertise_forever(self) -> None:
        while True:
            if self._discovering and ADAPTER_PATH in self._objects:
                for tag in self.tags.values():
                    self._advertise(tag)
                self._rounds += 1
                if self._unplug_after is not None and self._rounds >= self._unplug_after:
                    self._remove_adapter()
            await asyncio.sleep(self.advert_interval_s)

    def _advertise(self, tag: SimulatedTag) -> None:
        from dbus_fast import Variant

        address = tag.address.upper()
        turn = self._rssi_turn.get(address, -1) + 1
        self._rssi_turn[address] = turn
        rssi = tag.rssi[turn % len(tag.rssi)]
        path = device_path(address)
        if path not in self._objects:
            self._add(path, {DEVICE: self._device_props(tag, rssi)})
            return
        previous = self._objects[path][DEVICE].get("RSSI")
        if self._filtered or previous is None or abs(previous.value - rssi) >= RSSI_THRESHOLD:
            self._set(path, DEVICE, {"RSSI": Variant("n", rssi)})

    def _remove_adapter(self) -> None:
        self._discovering = False
        for path in sorted((p for p in self._objects if p.startswith(ADAPTER_PATH)), reverse=True):
            self._remove(path)

    # -- method calls --

    def _handle(self, msg: Any) -> Any:
        from dbus_fast import Message, MessageType

        if msg.message_type != MessageType.METHOD_CALL:
            return None
        with self._lock:
            self._calls.append(f"{(msg.interface or '').rsplit('.', 1)[-1]}.{msg.member}")
        if msg.interface == OBJECT_MANAGER and msg.member == "GetManagedObjects":
            prefix = msg.path.rstrip("/") + "/"
            objects = {p: i for p, i in self._objects.items() if p.startswith(prefix)}
            return Message.new_method_return(msg, "a{oa{sa{sv}}}", [objects])
        if msg.path not in self._objects:
            return Message.new_error(msg, UNKNOWN_OBJECT, f"no object at {msg.path}")
        if msg.interface == PROPERTIES:
            return self._properties_call(msg)
        handler = {
            (ADAPTER, "SetDiscoveryFilter"): self._set_discovery_filter,
            (ADAPTER, "StartDiscovery"): self._start_discovery,
            (ADAPTER, "StopDiscovery"): self._stop_discovery,
            (ADAPTER, "RemoveDevice"): self._remove_device,
            (DEVICE, "Connect"): self._connect_device,
            (DEVICE, "Disconnect"): self._disconnect_device,
            (GATT_CHARACTERISTIC, "WriteValue"): self._write_value,
            (GATT_CHARACTERISTIC, "ReadValue"): self._read_value,
        }.get((msg.interface, msg.member))
        if handler is None or msg.interface not in self._objects[msg.path]:
            return Message.new_error(msg, UNKNOWN_METHOD, f"{msg.interface}.{msg.member} is not simulated")
        return handler(msg)

    def _properties_call(self, msg: Any) -> Any:
        from dbus_fast import Message

        interface = msg.body[0]
        props = self._objects[msg.path].get(interface)
        if props is None:
            return Message.new_error(msg, "org.freedesktop.DBus.Error.InvalidArgs", f"no interface {interface}")
        if msg.member == "GetAll":
            return Message.new_method_return(msg, "a{sv}", [props])
        if msg.member == "Get":
            if msg.body[1] not in props:
                return Message.new_error(msg, "org.freedesktop.DBus.Error.InvalidArgs", "no such property")
            return Message.new_method_return(msg, "v", [props[msg.body[1]]])
        if msg.member == "Set" and (interface, msg.body[1]) in ((ADAPTER, "Powered"), (DEVICE, "Trusted")):
            self._set(msg.path, interface, {msg.body[1]: msg.body[2]})
            return Message.new_method_return(msg)
        return Message.new_error(msg, "org.freedesktop.DBus.Error.PropertyReadOnly", "read-only property")

    def _adapter_ready(self, msg: Any) -> Any:
        from dbus_fast import Message

        if not self._objects[ADAPTER_PATH][ADAPTER]["Powered"].value:
            return Message.new_error(msg, ERR_NOT_READY, "Resource Not Ready")
        return None

    def _set_discovery_filter(self, msg: Any) -> Any:
        from dbus_fast import Message

        if (error := self._adapter_ready(msg)) is not None:
            return error
        self._filtered = bool(msg.body[0])
        return Message.new_method_return(msg)

    def _start_discovery(self, msg: Any) -> Any:
        from dbus_fast import Message, Variant

        if (error := self._adapter_ready(msg)) is not None:
            return error
        if not self._discovering:
            self._discovering = True
            self._set(ADAPTER_PATH, ADAPTER, {"Discovering": Variant("b", True)})
        return Message.new_method_return(msg)

    def _stop_discovery(self, msg: Any) -> Any:
        from dbus_fast import Message, Variant

        if (error := self._adapter_ready(msg)) is not None:
            return error
        if not self._discovering:
            return Message.new_error(msg, ERR_FAILED, "No discovery started")
        self._discovering = False
        self._set(ADAPTER_PATH, ADAPTER, {"Discovering": Variant("b", False)})
        return Message.new_method_return(msg)

    def _remove_device(self, msg: Any) -> Any:
        from dbus_fast import Message

        for path in sorted((p for p in self._objects if p.startswith(msg.body[0])), reverse=True):
            self._remove(path)
        return Message.new_method_return(msg)

    def _connect_device(self, msg: Any) -> Any:
        from dbus_fast import Message, Variant

        tag = self.tags[self._objects[msg.path][DEVICE]["Address"].value]
        if not tag.services:
            return Message.new_error(msg, ERR_FAILED, "le-connection-abort-by-remote")
        if self._objects[msg.path][DEVICE]["Connected"].value:
            return Message.new_method_return(msg)
        self._set(msg.path, DEVICE, {"Connected": Variant("b", True)})
        chars: dict[str, tuple[str, str]] = {}
        handle = 0x0009
        for service in tag.services:
            handle += 1
            spath = f"{msg.path}/service{handle:04x}"
            self._add(spath, {GATT_SERVICE: {
                "UUID": Variant("s", service.uuid), "Device": Variant("o", msg.path),
                "Primary": Variant("b", True), "Includes": Variant("ao", []),
            }})
            for uuid in service.characteristics:
                handle += 2  # declaration + value handle
                cpath = f"{spath}/char{handle:04x}"
                self._add(cpath, {GATT_CHARACTERISTIC: {
                    "UUID": Variant("s", uuid), "Service": Variant("o", spath), "Value": Variant("ay", b""),
                    "Notifying": Variant("b", False), "Flags": Variant("as", ["read", "write"]),
                    "MTU": Variant("q", 23),
                }})
                chars[cpath] = (service.uuid, uuid)
        self._gatt_paths[msg.path] = chars
        self._set(msg.path, DEVICE, {"ServicesResolved": Variant("b", True)})
        return Message.new_method_return(msg)

    def _disconnect_device(self, msg: Any) -> Any:
        from dbus_fast import Message, Variant

        if self._objects[msg.path][DEVICE]["Connected"].value:
            self._set(msg.path, DEVICE, {"ServicesResolved": Variant("b", False)})
            for path in sorted((p for p in self._objects if p.startswith(msg.path + "/")), reverse=True):
                self._remove(path)
            self._gatt_paths.pop(msg.path, None)
            self._set(msg.path, DEVICE, {"Connected": Variant("b", False)})
        return Message.new_method_return(msg)

    def _write_value(self, msg: Any) -> Any:
        from dbus_fast import Message

        device = msg.path.rsplit("/", 2)[0]
        service, char = self._gatt_paths[device][msg.path]
        options = msg.body[1]
        write_type = options["type"].value if "type" in options else "request"
        with self._lock:
            self._writes.append(GattWrite(self._objects[device][DEVICE]["Address"].value, service, char,
                                          bytes(msg.body[0]), write_type))
        return Message.new_method_return(msg)

    def _read_value(self, msg: Any) -> Any:
        from dbus_fast import Message

        return Message.new_method_return(msg, "ay", [self._objects[msg.path][GATT_CHARACTERISTIC]["Value"].value])
