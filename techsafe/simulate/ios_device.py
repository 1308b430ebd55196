"""A simulated iPhone behind a simulated usbmuxd: what the real
pymobiledevice3 client talks to in tests and in `techsafe demo ios`.

Protocols, as pymobiledevice3 11.45 and libimobiledevice speak them:
  usbmuxd    16-byte little-endian header (length, version=1, message=8, tag)
             + XML plist: ReadBUID, ListDevices, Listen, ReadPairRecord,
             SavePairRecord, Connect (then the socket is a raw device stream).
  lockdownd  port 62078; 4-byte big-endian length + XML plist; QueryType,
             GetValue, Pair, StartSession (-> TLS upgrade), StartService.
  services   TLS from the first byte, same framing: installation_proxy
             (Browse), MCInstall (GetProfileList, GetCloudConfiguration),
             misagent (CopyAll); for a backup, mobilebackup2, afc,
             notification_proxy and springboardservices (ios_backup_service.py).

The device presents a certificate generated here with `cryptography`; the
client does not verify it (pymobiledevice3 uses CERT_NONE). Every request
the client sends is logged in `requests`, so tests can assert the scan sent
nothing outside its allow-list.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import plistlib
import socket
import ssl
import struct
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from techsafe.simulate.ios_backup_service import STREAM_SERVICES
from techsafe.simulate.ios_profile import IosProfile

LOCKDOWN_PORT = 62078
_HDR = struct.Struct("<IIII")


def _keypair_and_cert(common_name: str) -> tuple[Any, bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650)).sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    return key, cert.public_bytes(serialization.Encoding.PEM), key_pem


class SimulatedDevice:
    """usbmuxd + one iPhone, served on a Unix socket from a background thread."""

    def __init__(self, profile: IosProfile, socket_path: Path, *, unplug_on_service: str | None = None,
                 unplug_mid_backup: bool = False) -> None:
        self.profile = profile
        self.socket_path = Path(socket_path)
        self.unplug_on_service = unplug_on_service
        self.unplug_mid_backup = unplug_mid_backup  # the cable is pulled half-way through a backup's files
        self.sync_lock_holder: object | None = None  # the AFC connection holding com.apple.itunes.lock_sync
        self.requests: list[tuple[str, ...]] = []
        self.attached = True
        self.device_id = 1
        self.buid = str(uuid.uuid4()).upper()
        self._pair_attempts = 0
        self._known_hosts: set[str] = set()
        self._pair_records: dict[str, bytes] = {}
        self._ports: dict[int, str] = {}
        self._next_port = 49152
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._make_keys()

    # ---- keys and pairing ---------------------------------------------
    def _make_keys(self) -> None:
        from cryptography.hazmat.primitives import serialization

        dev_key, dev_cert, dev_key_pem = _keypair_and_cert("Simulated iPhone")
        self.device_public_key = dev_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                                   serialization.PublicFormat.PKCS1)
        self._tmp = tempfile.TemporaryDirectory(prefix="techsafe-sim-ios-")
        certfile = Path(self._tmp.name) / "device.pem"
        certfile.write_bytes(dev_cert + dev_key_pem)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(str(certfile))
        ctx.verify_mode = ssl.CERT_NONE
        self.tls = ctx
        if self.profile.trust == "trusted":
            _, host_cert, host_key_pem = _keypair_and_cert("techsafe test host")
            host_id = str(uuid.uuid4()).upper()
            self._known_hosts.add(host_id)
            record = {
                "HostID": host_id, "SystemBUID": self.buid, "HostCertificate": host_cert, "HostPrivateKey": host_key_pem,
                "DeviceCertificate": dev_cert, "RootCertificate": host_cert, "RootPrivateKey": host_key_pem,
                "EscrowBag": b"simulated-escrow-bag", "WiFiMACAddress": "00:00:00:00:00:00",
            }
            self._pair_records[self.profile.udid] = plistlib.dumps(record)

    # ---- lifecycle ----------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="simulated-iphone", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("simulated iPhone did not start")

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_unix_server(self._client, path=str(self.socket_path)))
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()

    def stop(self) -> None:
        if self._loop is None:
            return

        async def shutdown() -> None:
            if self._server:
                self._server.close()
            for w in list(self._writers):
                w.close()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(5)
        self._tmp.cleanup()
        try:
            self.socket_path.unlink()
        except FileNotFoundError:
            pass

    def unplug(self) -> None:
        """The phone disappears: usbmuxd lists nothing and every stream drops."""
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._unplug(), self._loop).result(5)

    async def _unplug(self) -> None:
        self.attached = False
        for w in list(self._writers):
            if getattr(w, "_techsafe_device_stream", False):
                w.transport.abort()

    def _log(self, *entry: str) -> None:
        with self._lock:
            self.requests.append(tuple(entry))

    # ---- usbmuxd --------------------------------------------------------
    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                hdr = await reader.readexactly(_HDR.size)
                length, version, message, tag = _HDR.unpack(hdr)
                if length < _HDR.size or length > 1 << 20:
                    return
                body = await reader.readexactly(length - _HDR.size)
                req = plistlib.loads(body) if message == 8 else {}
                kind = req.get("MessageType", "")
                self._log("usbmuxd", kind)
                if kind == "Connect":
                    port = socket.ntohs(int(req.get("PortNumber", 0)))
                    if not self.attached or int(req.get("DeviceID", -1)) != self.device_id or not (
                        port == LOCKDOWN_PORT or port in self._ports
                    ):
                        await self._reply(writer, tag, {"MessageType": "Result", "Number": 3 if self.attached else 2})
                        continue
                    await self._reply(writer, tag, {"MessageType": "Result", "Number": 0})
                    writer._techsafe_device_stream = True  # type: ignore[attr-defined]
                    if port == LOCKDOWN_PORT:
                        await self._lockdownd(reader, writer)
                    else:
                        await self._service(self._ports[port], reader, writer)
                    return
                await self._reply(writer, tag, self._mux_answer(kind, req))
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError, OSError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    def _mux_answer(self, kind: str, req: dict[str, Any]) -> dict[str, Any]:
        if kind == "ReadBUID":
            return {"BUID": self.buid}
        if kind == "ListDevices":
            devices = []
            if self.attached:
                devices.append({"MessageType": "Attached", "DeviceID": self.device_id, "Properties": {
                    "ConnectionType": "USB", "DeviceID": self.device_id, "SerialNumber": self.profile.udid,
                    "ProductID": 0x12A8, "LocationID": 0}})
            return {"DeviceList": devices}
        if kind == "Listen":
            return {"MessageType": "Result", "Number": 0}
        if kind == "ReadPairRecord":
            data = self._pair_records.get(str(req.get("PairRecordID")))
            return {"PairRecordData": data} if data else {"MessageType": "Result", "Number": 2}
        if kind == "SavePairRecord":
            data = req.get("PairRecordData")
            if isinstance(data, bytes):
                self._pair_records[str(req.get("PairRecordID"))] = data
            return {"MessageType": "Result", "Number": 0}
        return {"MessageType": "Result", "Number": 1}

    @staticmethod
    async def _reply(writer: asyncio.StreamWriter, tag: int, obj: dict[str, Any]) -> None:
        body = plistlib.dumps(obj)
        writer.write(_HDR.pack(_HDR.size + len(body), 1, 8, tag) + body)
        await writer.drain()

    # ---- framing ------------------------------------------------------
    @staticmethod
    async def _recv(reader: asyncio.StreamReader) -> dict[str, Any]:
        (n,) = struct.unpack(">I", await reader.readexactly(4))
        return plistlib.loads(await reader.readexactly(n))

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, obj: dict[str, Any]) -> None:
        body = plistlib.dumps(obj)
        writer.write(struct.pack(">I", len(body)) + body)
        await writer.drain()

    # ---- lockdownd ----------------------------------------------------
    async def _lockdownd(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = False
        while True:
            req = await self._recv(reader)
            name = str(req.get("Request", ""))
            self._log("lockdown", name, str(req.get("Domain") or req.get("Service") or ""))
            reply: dict[str, Any] = {"Request": name}
            if name == "QueryType":
                reply["Type"] = "com.apple.mobile.lockdown"
            elif name == "GetValue":
                domain, key = req.get("Domain"), req.get("Key")
                values = dict({"WiFiAddress": "02:00:00:00:00:01"}, **self.profile.values, DevicePublicKey=self.device_public_key,
                              UniqueDeviceID=self.profile.udid)
                source = self.profile.domains.get(domain, {}) if domain else values
                if key:
                    if key in source:
                        reply["Value"] = source[key]
                    else:
                        reply["Error"] = "MissingValue"
                elif domain and domain not in self.profile.domains:
                    pass  # a domain the phone does not have: no Value
                else:
                    reply["Value"] = source
            elif name == "Pair":
                reply.update(self._pair(req))
            elif name == "StartSession":
                if req.get("HostID") in self._known_hosts:
                    reply.update({"SessionID": str(uuid.uuid4()), "EnableSessionSSL": True})
                    await self._send(writer, reply)
                    await writer.start_tls(self.tls)
                    session = True
                    continue
                reply["Error"] = "InvalidHostID"
            elif name == "StopSession":
                reply["Result"] = "Success"
            elif name == "StartService":
                service = str(req.get("Service", ""))
                if not session:
                    reply["Error"] = "InvalidConnection"
                elif service == self.unplug_on_service:
                    await self._unplug()
                    return
                elif service in _SERVICES or service in STREAM_SERVICES or service in self.profile.extra_services:
                    port = self._next_port
                    self._next_port += 1
                    self._ports[port] = service
                    reply.update({"Service": service, "Port": port, "EnableServiceSSL": True})
                else:
                    reply["Error"] = "InvalidService"
            else:
                reply["Error"] = "UnsupportedRequest"  # the simulator only knows read-only requests
            await self._send(writer, reply)

    def _pair(self, req: dict[str, Any]) -> dict[str, Any]:
        trust = self.profile.trust
        self._pair_attempts += 1
        if trust == "denied":
            return {"Error": "UserDeniedPairing"}
        if trust == "pending" or (trust.startswith("after:") and self._pair_attempts <= int(trust.split(":")[1])):
            return {"Error": "PairingDialogResponsePending"}
        record = req.get("PairRecord") or {}
        if isinstance(record, dict) and record.get("HostID"):
            self._known_hosts.add(str(record["HostID"]))
        return {"EscrowBag": b"simulated-escrow-bag"}

    # ---- services -----------------------------------------------------
    async def _service(self, service: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await writer.start_tls(self.tls)
        if service in STREAM_SERVICES:  # their own framing (DeviceLink, AFC): ios_backup_service.py
            await STREAM_SERVICES[service](self, reader, writer)
            return
        handler = _SERVICES.get(service)
        while True:
            req = await self._recv(reader)
            command = str(req.get("Command") or req.get("RequestType") or req.get("MessageType") or "")
            self._log("service", service, command)
            if handler is None:
                await self._send(writer, {"Error": "UnsupportedRequest"})
                continue
            for reply in handler(self.profile, command, req):
                await self._send(writer, reply)


# ---- service behaviour: pure functions profile + request -> replies -------


def _installation_proxy(p: IosProfile, command: str, req: dict[str, Any]) -> list[dict[str, Any]]:
    if command != "Browse":
        return [{"Error": "UnsupportedCommand"}]
    opts = req.get("ClientOptions") or {}
    attrs = opts.get("ReturnAttributes")
    wanted = opts.get("ApplicationType", "Any")
    apps = [a for a in p.apps if wanted in ("Any", None) or a.get("ApplicationType") == wanted]
    if attrs:
        apps = [{k: v for k, v in a.items() if k in attrs} for a in apps]
    out = []
    for i in range(0, len(apps), 20):
        chunk = apps[i:i + 20]
        out.append({"Status": "BrowsingApplications", "CurrentIndex": i, "CurrentAmount": len(chunk),
                    "Total": len(apps), "CurrentList": chunk})
    out.append({"Status": "Complete"})
    return out


def _mcinstall(p: IosProfile, command: str, req: dict[str, Any]) -> list[dict[str, Any]]:
    if command == "GetProfileList":
        ids = [str(x["PayloadIdentifier"]) for x in p.profiles]
        meta = {}
        # A real iPhone lists metadata only; PayloadContent stays on the phone.
        hidden = ("PayloadIdentifier", "IsActive") + (() if p.profile_list_payloads else ("PayloadContent",))
        for x in p.profiles:
            meta[str(x["PayloadIdentifier"])] = {k: v for k, v in x.items() if k not in hidden}
            meta[str(x["PayloadIdentifier"])].setdefault("PayloadVersion", 1)
        manifest = {str(x["PayloadIdentifier"]): {"Description": x.get("PayloadDisplayName", ""),
                                                  "IsActive": x.get("IsActive", True)} for x in p.profiles}
        return [{"OrderedIdentifiers": ids, "ProfileManifest": manifest, "ProfileMetadata": meta, "Status": "Acknowledged"}]
    if command == "GetCloudConfiguration":
        return [{"CloudConfiguration": p.cloud_configuration, "Status": "Acknowledged"}]
    if command == "HelloHostIdentifier":
        return [{"Status": "Acknowledged"}]
    return [{"Status": "Error", "ErrorChain": [{"ErrorDomain": "simulator", "LocalizedDescription": "unsupported"}]}]


# Not a real CMS signature: the envelope bytes around the plist are a
# placeholder; techsafe reads only the embedded plist, as from a real one.
_FAKE_CMS_PREFIX = bytes.fromhex("308006092a864886f70d010702a0803080")


def _misagent(p: IosProfile, command: str, req: dict[str, Any]) -> list[dict[str, Any]]:
    if command not in ("CopyAll", "Copy"):
        return [{"Status": 1}]
    blobs = [_FAKE_CMS_PREFIX + plistlib.dumps(dict(x)) + b"\x00\x00" for x in p.provisioning]
    return [{"Payload": blobs, "Status": 0}]


_SERVICES = {
    "com.apple.mobile.installation_proxy": _installation_proxy,
    "com.apple.mobile.MCInstall": _mcinstall,
    "com.apple.misagent": _misagent,
}
