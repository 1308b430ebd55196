"""The phone's side of a Finder/iTunes-style backup, for the simulated iPhone.

What pymobiledevice3's Mobilebackup2Service.backup() talks to (read from its
services/mobilebackup2.py, device_link.py, afc.py, notification_proxy.py;
the same protocol libimobiledevice's idevicebackup2 speaks):

  com.apple.mobilebackup2   DeviceLink: 4-byte big-endian length + plist arrays.
      phone  ["DLMessageVersionExchange", 300, 0]   host ["DLMessageVersionExchange", "DLVersionsOk", 300]
      phone  ["DLMessageDeviceReady"]
      host   ["DLMessageProcessMessage", {"MessageName": "Hello", "SupportedProtocolVersions": [...]}]
      phone  ["DLMessageProcessMessage", {"ErrorCode": 0, "ProtocolVersion": 2.1}]
      host   ["DLMessageProcessMessage", {"MessageName": "Backup", "TargetIdentifier": udid}]
      then the phone drives; the host answers each request with
      ["DLMessageStatusResponse", code, text, value]:
        DLMessageDownloadFiles [paths]   host sends each file: u32 len + name, then
                                         (u32 n + 1, u8 0x0C, n bytes)*, then (u32 1, u8 0) or
                                         (u32 n + 1, u8 0x06, error text); u32 0 ends the list
        DLMessageGetFreeDiskSpace        value = free bytes
        DLMessageCreateDirectory path
        DLMessageUploadFiles             phone sends each file: u32 len + device name, u32 len +
                                         host path, data frames as above ending (u32 1, u8 0);
                                         u32 0 ends the list
        DLMessageMoveItems {src: dst}, DLMessageRemoveItems [paths]
      phone  ["DLMessageProcessMessage", {"ErrorCode": 0}]: done (105 = not enough space)
      host   ["DLMessageDisconnect", ...]
  com.apple.afc             40-byte header "CFA6LPAA", u64 entire_length, this_length, packet_num,
                            operation; the host takes the sync lock: FileRefOpen
                            /com.apple.itunes.lock_sync (r+), FileRefLock EX ... UN, FileRefClose;
                            and looks for iTunes_Control files (GetFileInfo: none here)
  com.apple.mobile.notification_proxy  ObserveNotification / PostNotification (syncWillStart,
                            syncLockRequest, syncDidStart, syncDidFinish): one-way plists
  com.apple.springboardservices  getIconPNGData (only for App Store apps with iTunesMetadata)
  com.apple.mobile.installation_proxy  Browse User apps (ios_device.py answers it)

This AFC answers only the sync lock and stat: it refuses every write, so a
scan that tried to change the phone would fail loudly in the tests.
"""

from __future__ import annotations

import asyncio
import plistlib
import sqlite3
import struct
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from techsafe.simulate.ios_backup import write_backup
from techsafe.simulate.ios_backup_content import backup_files, backup_info

if TYPE_CHECKING:
    from techsafe.simulate.ios_device import SimulatedDevice

DL_VERSION = (300, 0)
PROTOCOL_VERSIONS = (2.0, 2.1)
CODE_FILE_DATA, CODE_ERROR_LOCAL, CODE_SUCCESS = 0x0C, 0x06, 0x00
FRAME = 32 * 1024
MB_ERROR_NO_SPACE = 105
LOCK_FILE = "/com.apple.itunes.lock_sync"


async def _recv(reader: asyncio.StreamReader) -> Any:
    (n,) = struct.unpack(">I", await reader.readexactly(4))
    return plistlib.loads(await reader.readexactly(n))


async def _send(writer: asyncio.StreamWriter, obj: Any) -> None:
    body = plistlib.dumps(obj)
    writer.write(struct.pack(">I", len(body)) + body)
    await writer.drain()


# ---- mobilebackup2 ------------------------------------------------------


class _BackupSession:
    def __init__(self, dev: "SimulatedDevice", reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.dev, self.reader, self.writer = dev, reader, writer
        self.udid = dev.profile.udid

    def log(self, *what: str) -> None:
        self.dev._log("service", "com.apple.mobilebackup2", *what)

    async def request(self, message: list[Any]) -> list[Any]:
        """Send one DeviceLink request and wait for the host's status response."""
        await _send(self.writer, message)
        return await self.status()

    async def status(self) -> list[Any]:
        reply = await _recv(self.reader)
        if not (isinstance(reply, list) and reply and reply[0] == "DLMessageStatusResponse"):
            raise ConnectionError("host did not answer with a status response")
        code = reply[1] if isinstance(reply[1], int) else 0
        self.log("DLMessageStatusResponse", str(code - (1 << 64) if code >= 1 << 63 else code))  # sent as uint64
        return reply

    async def run(self) -> None:
        await _send(self.writer, ["DLMessageVersionExchange", *DL_VERSION])
        reply = await _recv(self.reader)
        self.log(*(str(x) for x in reply[:2]))
        if reply[:2] != ["DLMessageVersionExchange", "DLVersionsOk"]:
            return
        await _send(self.writer, ["DLMessageDeviceReady"])
        while True:
            msg = await _recv(self.reader)
            kind = str(msg[0]) if isinstance(msg, list) and msg else ""
            if kind == "DLMessageDisconnect":
                self.log(kind)
                return
            body = msg[1] if kind == "DLMessageProcessMessage" and len(msg) > 1 and isinstance(msg[1], dict) else {}
            name = str(body.get("MessageName", ""))
            self.log(name or kind)
            if name == "Hello":
                common = [v for v in body.get("SupportedProtocolVersions") or () if v in PROTOCOL_VERSIONS]
                if common:
                    await _send(self.writer, ["DLMessageProcessMessage",
                                              {"ErrorCode": 0, "ProtocolVersion": max(common), "MessageName": "Response"}])
                else:
                    await _send(self.writer, ["DLMessageProcessMessage", {"ErrorCode": 1, "ErrorDescription": "version"}])
            elif name == "Backup" and body.get("TargetIdentifier") == self.udid:
                await self.backup()
            else:  # the simulated phone only makes backups (no restore, erase, password change...)
                await _send(self.writer, ["DLMessageProcessMessage",
                                          {"ErrorCode": 1, "ErrorDescription": "unsupported by the simulated iPhone"}])

    async def backup(self) -> None:
        with tempfile.TemporaryDirectory(prefix="techsafe-sim-mb2-") as tmp:
            folder = write_backup(Path(tmp) / "b", backup_files(self.dev.profile), backup_info(self.dev.profile))
            files = _backup_order(folder, self.udid)
            total = sum(p.stat().st_size for _, _, p in files)
            u = self.udid
            # A phone reads the previous backup's state first; a full backup has no Manifest.db yet.
            await self.download([f"{u}/Status.plist", f"{u}/Manifest.db"])
            free = (await self.request(["DLMessageGetFreeDiskSpace"]))[3]
            if not isinstance(free, int) or free <= total:
                await _send(self.writer, ["DLMessageProcessMessage", {"ErrorCode": MB_ERROR_NO_SPACE,
                                                                      "ErrorDescription": "Insufficient free disk space"}])
                return
            for d in sorted({f"{u}/{dest.split('/')[1]}" for _, dest, _ in files if dest.count("/") == 2} | {f"{u}/Snapshot"}):
                await self.request(["DLMessageCreateDirectory", d, {}, 0.0])
            await self.upload(files)
            moves = {dest: dest.replace("/Snapshot/", "/") for _, dest, _ in files if "/Snapshot/" in dest}
            await self.request(["DLMessageMoveItems", moves, {}, 100.0])
            await self.request(["DLMessageRemoveItems", [f"{u}/Snapshot"], {}, 100.0])
            await _send(self.writer, ["DLMessageProcessMessage", {"ErrorCode": 0, "ErrorDescription": "",
                                                                  "MessageName": "Response"}])

    async def download(self, paths: list[str]) -> None:
        await _send(self.writer, ["DLMessageDownloadFiles", paths, {}, 0.0])
        while True:
            (n,) = struct.unpack(">I", await self.reader.readexactly(4))
            if n == 0:
                break
            name = (await self.reader.readexactly(n)).decode("utf-8", "replace")
            while True:
                size, code = struct.unpack(">IB", await self.reader.readexactly(5))
                if size > 1:
                    await self.reader.readexactly(size - 1)  # file data or the host's error text: not kept
                if code != CODE_FILE_DATA:
                    self.log("DLMessageDownloadFiles", name, "ok" if code == CODE_SUCCESS else "missing")
                    break
        await self.status()

    async def upload(self, files: list[tuple[str, str, Path]]) -> None:
        await _send(self.writer, ["DLMessageUploadFiles", {}, 50.0])
        for i, (device_name, dest, path) in enumerate(files):
            if self.dev.unplug_mid_backup and i == len(files) // 2:
                await self.dev._unplug()  # the cable is pulled half-way through the transfer
                raise ConnectionError("unplugged")
            out = bytearray()
            for s in (device_name, dest):
                b = s.encode()
                out += struct.pack(">I", len(b)) + b
            data = path.read_bytes()
            for off in range(0, len(data), FRAME):
                chunk = data[off:off + FRAME]
                out += struct.pack(">IB", len(chunk) + 1, CODE_FILE_DATA) + chunk
            out += struct.pack(">IB", 1, CODE_SUCCESS)
            self.writer.write(bytes(out))
            await self.writer.drain()
        self.writer.write(struct.pack(">I", 0))
        await self.writer.drain()
        await self.status()


def _backup_order(folder: Path, udid: str) -> list[tuple[str, str, Path]]:
    """(device name, host path, local file): content files first, then the metadata via Snapshot/."""
    db = sqlite3.connect(f"file:{folder / 'Manifest.db'}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT fileID, domain, relativePath FROM Files WHERE flags = 1 "
                          "ORDER BY domain, relativePath").fetchall()
    finally:
        db.close()
    content = [(f"{domain}/{rel}", f"{udid}/{fid[:2]}/{fid}", folder / fid[:2] / fid) for fid, domain, rel in rows]
    meta = [(name, f"{udid}/Snapshot/{name}", folder / name) for name in ("Manifest.db", "Manifest.plist", "Status.plist")]
    return content + meta


async def mobilebackup2(dev: "SimulatedDevice", reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _BackupSession(dev, reader, writer).run()


# ---- AFC: the sync lock only ----------------------------------------------

_AFC_MAGIC = b"CFA6LPAA"
_AFC_HDR = struct.Struct("<8sQQQQ")
_AFC_OPS = {0x0A: "GetFileInfo", 0x0D: "FileRefOpen", 0x14: "FileRefClose", 0x1B: "FileRefLock"}
AFC_STATUS, AFC_DATA, AFC_FILE_OPEN_RES = 0x01, 0x02, 0x0E
AFC_OBJECT_NOT_FOUND, AFC_PERM_DENIED, AFC_OP_NOT_SUPPORTED, AFC_WOULD_BLOCK = 8, 10, 15, 19
_LOCK_EX, _LOCK_UN = 2 | 4, 8 | 4
_FOPEN_RW = 2  # "r+"


async def afc(dev: "SimulatedDevice", reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    handles: dict[int, str] = {}
    me = object()  # this connection, as the holder of the sync lock

    async def answer(packet: int, op: int, data: bytes) -> None:
        writer.write(_AFC_HDR.pack(_AFC_MAGIC, _AFC_HDR.size + len(data), _AFC_HDR.size + len(data), packet, op) + data)
        await writer.drain()

    async def status(packet: int, code: int) -> None:
        await answer(packet, AFC_STATUS, struct.pack("<Q", code))

    try:
        while True:
            magic, length, _this, packet, op = _AFC_HDR.unpack(await reader.readexactly(_AFC_HDR.size))
            if magic != _AFC_MAGIC or not _AFC_HDR.size <= length <= 1 << 20:
                return
            body = await reader.readexactly(length - _AFC_HDR.size)
            name = _AFC_OPS.get(op, f"op{op:#x}")
            if op == 0x0A:  # GetFileInfo: this phone has no iTunes_Control files, and the lock file is not listed
                path = body.split(b"\0", 1)[0].decode("utf-8", "replace")
                dev._log("service", "com.apple.afc", name, path)
                await status(packet, AFC_OBJECT_NOT_FOUND)
            elif op == 0x0D:
                mode = struct.unpack_from("<Q", body)[0]
                path = body[8:].split(b"\0", 1)[0].decode("utf-8", "replace")
                dev._log("service", "com.apple.afc", name, path)
                if path != LOCK_FILE or mode != _FOPEN_RW:
                    await status(packet, AFC_PERM_DENIED)  # nothing else may be opened on this phone
                    continue
                handle = len(handles) + 1
                handles[handle] = path
                await answer(packet, AFC_FILE_OPEN_RES, struct.pack("<Q", handle))
            elif op == 0x1B:
                handle, lock_op = struct.unpack_from("<QQ", body)
                dev._log("service", "com.apple.afc", name, "exclusive" if lock_op == _LOCK_EX else "unlock")
                if handle not in handles:
                    await status(packet, AFC_OBJECT_NOT_FOUND)
                elif lock_op == _LOCK_EX:
                    if dev.sync_lock_holder not in (None, me):
                        await status(packet, AFC_WOULD_BLOCK)  # another sync holds it
                        continue
                    dev.sync_lock_holder = me
                    await status(packet, 0)
                else:
                    if dev.sync_lock_holder is me:
                        dev.sync_lock_holder = None
                    await status(packet, 0)
            elif op == 0x14:
                (handle,) = struct.unpack_from("<Q", body)
                dev._log("service", "com.apple.afc", name, "")
                handles.pop(handle, None)
                await status(packet, 0)
            else:  # writes, removals, renames, directory listings...: refused, and logged for the tests
                dev._log("service", "com.apple.afc", name, "")
                await status(packet, AFC_OP_NOT_SUPPORTED)
    finally:
        if dev.sync_lock_holder is me:
            dev.sync_lock_holder = None


# ---- notification_proxy and springboardservices ---------------------------


async def notification_proxy(dev: "SimulatedDevice", reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        req = await _recv(reader)
        if not isinstance(req, dict):
            return
        command = str(req.get("Command", ""))
        dev._log("service", "com.apple.mobile.notification_proxy", command, str(req.get("Name", "")))
        if command == "Shutdown":
            await _send(writer, {"Command": "ProxyDeath"})
            return


async def springboardservices(dev: "SimulatedDevice", reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        req = await _recv(reader)
        command = str(req.get("command", "")) if isinstance(req, dict) else ""
        dev._log("service", "com.apple.springboardservices", command)
        await _send(writer, {"pngData": b""} if command == "getIconPNGData" else {"Error": "UnsupportedCommand"})


STREAM_SERVICES = {
    "com.apple.mobilebackup2": mobilebackup2,
    "com.apple.afc": afc,
    "com.apple.mobile.notification_proxy": notification_proxy,
    "com.apple.springboardservices": springboardservices,
}
