"""The phone side of the ADB transport, over TCP, serving a DeviceProfile.

The real adb server (`adb connect 127.0.0.1:PORT`) talks to this exactly as
to a phone on Wi-Fi debugging. Wire format from AOSP
packages/modules/adb/protocol.txt and adb.h: 24-byte little-endian header
(command, arg0, arg1, data_length, data_crc32, magic = command ^ 0xffffffff)
then the payload. We speak version 0x01000001, so checksums are 0 and not
checked. Services: see `_Connection._serve`; sync sub-protocol per
file_sync_protocol.h; shell protocol v2 per shell_protocol.h.

Every service request and every sync request is logged as received
(`commands_received`, and optionally one JSON line per entry in a file) so
tests can prove a scan sent only allow-listed commands.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from techsafe.simulate.profile import CommandOutput, DeviceProfile

A_SYNC = 0x434E5953
A_CNXN = 0x4E584E43
A_OPEN = 0x4E45504F
A_OKAY = 0x59414B4F
A_CLSE = 0x45534C43
A_WRTE = 0x45545257
A_AUTH = 0x48545541
A_STLS = 0x534C5453

AUTH_TOKEN, AUTH_SIGNATURE, AUTH_RSAPUBLICKEY = 1, 2, 3
VERSION = 0x01000001  # no checksums
MAX_PAYLOAD = 256 * 1024
SYNC_DATA_MAX = 64 * 1024
SYNC_PATH_MAX = 1024
FEATURES = ("shell_v2,cmd,stat_v2,ls_v2,fixed_push_mkdir,apex,abb,fixed_push_symlink_timestamp,"
            "abb_exec,remount_shell,track_app,sendrecv_v2")
# adbutils' shell2() appends this to learn the exit code over the legacy shell.
EXIT_PROBE = "; echo X4EXIT:$?"
_HEADER = struct.Struct("<6I")
_ENOENT = 2


@dataclass(frozen=True)
class ReceivedCommand:
    service: str  # "shell", "shell,v2", "exec", "sync" or the unknown service name
    command: str  # what the phone was asked to run or read (exit probe removed)
    raw: str  # exactly as received: the OPEN payload, or the sync request
    at: float  # time.monotonic() on arrival


def unknown_command(command: str, profile: DeviceProfile | None = None) -> CommandOutput:
    """What a real Android shell says for a command the profile lacks.

    `dumpsys <svc> <args>` for a service the profile has (e.g. `dumpsys
    package <id>` with no per-package entry) answers empty, exit 0: the
    profile author did not provide it, and inventing a block would lie."""
    words = command.split()
    if not words:
        return CommandOutput()
    if words[0] == "dumpsys" and len(words) > 2 and profile is not None and profile.answer(" ".join(words[:2])):
        return CommandOutput()
    if words[0] == "dumpsys" and len(words) > 1 and not words[1].startswith("-"):
        # frameworks/native/cmds/dumpsys: error on stderr, exit status 0.
        return CommandOutput(stderr=f"Can't find service: {words[1]}\n".encode())
    return CommandOutput(stderr=f"/system/bin/sh: {words[0]}: inaccessible or not found\n".encode(), exit_code=127)


class _ConnectionLost(Exception):
    pass


class AdbDeviceServer:
    """Listen on host:port and serve `profile` to whoever connects (the adb server).

    Faults (each overrides the profile's `faults`): `hang` commands are never
    answered; `disconnect_after=N` closes the TCP connection and stops
    listening (the phone was unplugged) when command N+1 arrives;
    `auth_delay_s` answers CNXN with AUTH TOKEN so adb shows "unauthorized"
    until the delay has passed, then accepts. `latency` maps a command to
    seconds, overriding the profile.
    """

    def __init__(self, profile: DeviceProfile, *, host: str = "127.0.0.1", port: int = 0,
                 hang: Iterable[str] | None = None, disconnect_after: int | None = None,
                 auth_delay_s: float | None = None, latency: Mapping[str, float] | None = None,
                 log_path: str | Path | None = None):
        self.profile = profile
        faults = profile.faults
        self.hang = frozenset(hang) if hang is not None else faults.hang
        self.disconnect_after = disconnect_after if disconnect_after is not None else faults.disconnect_after
        self.auth_delay_s = auth_delay_s if auth_delay_s is not None else faults.auth_delay_s
        self.latency = dict(latency or {})
        self.log_path = Path(log_path) if log_path else None
        self._host, self._port = host, port
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._log: list[ReceivedCommand] = []
        self._threads: list[threading.Thread] = []
        self._connections: list[_Connection] = []
        self._started_at = 0.0
        self.unplugged = threading.Event()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> "AdbDeviceServer":
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self._host, self._port))
        listener.listen(8)
        listener.settimeout(0.2)
        self._listener = listener
        self._started_at = time.monotonic()
        self._spawn(self._accept_loop, "adb-sim-accept")
        return self

    @property
    def address(self) -> tuple[str, int]:
        assert self._listener is not None, "start() first"
        return self._listener.getsockname()[:2]

    @property
    def port(self) -> int:
        return self.address[1]

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._close_listener()
        with self._lock:
            conns = list(self._connections)
        for conn in conns:
            conn.shutdown()
        deadline = time.monotonic() + timeout
        for t in list(self._threads):
            t.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> "AdbDeviceServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def commands_received(self) -> list[ReceivedCommand]:
        with self._lock:
            return list(self._log)

    def alive_threads(self) -> list[threading.Thread]:
        return [t for t in self._threads if t.is_alive()]

    # ------------------------------------------------------------------ internals

    def _spawn(self, target, name: str, *args) -> threading.Thread:
        t = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._lock:
            self._threads = [x for x in self._threads if x.is_alive()]
            self._threads.append(t)
        t.start()
        return t

    def _close_listener(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()
            except OSError:
                pass

    def _accept_loop(self) -> None:
        while not self._stop.is_set() and not self.unplugged.is_set():
            try:
                sock, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Connection(self, sock)
            with self._lock:
                self._connections.append(conn)
            self._spawn(conn.run, "adb-sim-conn")

    def _record(self, service: str, command: str, raw: str) -> bool:
        """Log one request; False when this request is where the phone is unplugged."""
        entry = ReceivedCommand(service, command, raw, time.monotonic())
        with self._lock:
            if self.unplugged.is_set():
                return False
            if self.disconnect_after is not None and len(self._log) >= self.disconnect_after:
                self.unplugged.set()
                return False
            self._log.append(entry)
            if self.log_path is not None:
                with open(self.log_path, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps({"service": service, "command": command, "raw": raw}) + "\n")
        return True

    def _unplug(self) -> None:
        self._close_listener()
        with self._lock:
            conns = list(self._connections)
        for conn in conns:
            conn.shutdown()

    def _authorized(self) -> bool:
        return self.auth_delay_s is None or time.monotonic() - self._started_at >= self.auth_delay_s

    def answer(self, command: str) -> tuple[CommandOutput, float]:
        output = self.profile.answer(command) or unknown_command(command, self.profile)
        delay = self.latency.get(command.strip(), self.profile.latency(output))
        return output, delay


class _Stream:
    """One open service (one OPEN from the adb server), with ADB flow control:
    at most one WRTE in flight until the peer's OKAY."""

    def __init__(self, conn: "_Connection", local_id: int, remote_id: int):
        self.conn, self.local_id, self.remote_id = conn, local_id, remote_id
        self._cond = threading.Condition()
        self._inbox = bytearray()
        self._can_write = True
        self.closed = False

    # peer -> us
    def feed(self, data: bytes) -> None:
        with self._cond:
            self._inbox += data
            self._cond.notify_all()

    def acked(self) -> None:
        with self._cond:
            self._can_write = True
            self._cond.notify_all()

    def peer_closed(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def read_exact(self, n: int) -> bytes:
        with self._cond:
            while len(self._inbox) < n:
                if self.closed or self.conn.dead:
                    raise _ConnectionLost()
                self._cond.wait(0.2)
            data = bytes(self._inbox[:n])
            del self._inbox[:n]
            return data

    # us -> peer
    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            chunk, view = view[: self.conn.max_payload], view[self.conn.max_payload:]
            with self._cond:
                while not self._can_write:
                    if self.closed or self.conn.dead:
                        raise _ConnectionLost()
                    self._cond.wait(0.2)
                if self.closed or self.conn.dead:
                    raise _ConnectionLost()
                self._can_write = False
            self.conn.send(A_WRTE, self.local_id, self.remote_id, bytes(chunk))

    def close(self) -> None:
        with self._cond:
            if self.closed:
                return
            self.closed = True
            self._cond.notify_all()
        self.conn.forget(self.local_id)
        self.conn.send(A_CLSE, self.local_id, self.remote_id)

    def wait_closed(self) -> None:
        """Block until the peer closes or the server stops (a hung command)."""
        with self._cond:
            while not (self.closed or self.conn.dead or self.conn.server._stop.is_set()):
                self._cond.wait(0.2)


class _Connection:
    def __init__(self, server: AdbDeviceServer, sock: socket.socket):
        self.server = server
        self.sock = sock
        self.max_payload = MAX_PAYLOAD
        self.dead = False
        self._send_lock = threading.Lock()
        self._streams: dict[int, _Stream] = {}
        self._streams_lock = threading.Lock()
        self._next_id = 1
        self._online = False
        self._auth_timer_started = False

    # ------------------------------------------------------------------ transport

    def shutdown(self) -> None:
        self.dead = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass
        with self._streams_lock:
            streams = list(self._streams.values())
        for s in streams:
            s.peer_closed()

    def send(self, command: int, arg0: int, arg1: int, data: bytes = b"") -> None:
        header = _HEADER.pack(command, arg0, arg1, len(data), 0, command ^ 0xFFFFFFFF)
        try:
            with self._send_lock:
                self.sock.sendall(header + data if len(data) < 4096 else header)
                if len(data) >= 4096:
                    self.sock.sendall(data)
        except OSError:
            self.shutdown()
            raise _ConnectionLost() from None

    def _recv_exact(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise _ConnectionLost()
            buf += chunk
        return bytes(buf)

    def forget(self, local_id: int) -> None:
        with self._streams_lock:
            self._streams.pop(local_id, None)

    def run(self) -> None:
        try:
            while not self.dead:
                command, arg0, arg1, length, _crc, magic = _HEADER.unpack(self._recv_exact(24))
                if magic != command ^ 0xFFFFFFFF or length > 1024 * 1024:
                    break  # not ADB; drop the connection like adbd does
                data = self._recv_exact(length) if length else b""
                self._dispatch(command, arg0, arg1, data)
        except (_ConnectionLost, OSError):
            pass
        except Exception:  # a bug must not leave the adb server waiting forever
            pass
        finally:
            self.shutdown()

    # ------------------------------------------------------------------ packets

    def _banner(self) -> bytes:
        p = self.server.profile
        return (f"device::ro.product.name={p.name};ro.product.model={p.model};"
                f"ro.product.device={p.device};features={FEATURES}").encode()

    def _send_cnxn(self) -> None:
        self._online = True
        self.send(A_CNXN, VERSION, MAX_PAYLOAD, self._banner())

    def _send_token(self) -> None:
        self.send(A_AUTH, AUTH_TOKEN, 0, os.urandom(20))

    def _dispatch(self, command: int, arg0: int, arg1: int, data: bytes) -> None:
        if command == A_CNXN:
            self.max_payload = max(4096, min(MAX_PAYLOAD, arg1 or MAX_PAYLOAD))
            if self.server._authorized():
                self._send_cnxn()
            else:
                self._send_token()
        elif command == A_AUTH:
            self._on_auth(arg0)
        elif not self._online:
            return  # nothing but CNXN/AUTH before the handshake
        elif command == A_OPEN:
            self._on_open(arg0, data.split(b"\0", 1)[0].decode("utf-8", "replace"))
        elif command in (A_OKAY, A_WRTE, A_CLSE):
            with self._streams_lock:
                stream = self._streams.get(arg1)
            if stream is None or stream.remote_id != arg0:
                return
            if command == A_OKAY:
                stream.acked()
            elif command == A_WRTE:
                stream.feed(data)
                self.send(A_OKAY, stream.local_id, stream.remote_id)
            else:
                self.forget(stream.local_id)
                stream.peer_closed()

    def _on_auth(self, kind: int) -> None:
        if self._online:
            return
        if kind == AUTH_SIGNATURE:
            # During the delay every key the server tries is "not yet trusted".
            if self.server._authorized():
                self._send_cnxn()
            else:
                self._send_token()
        elif kind == AUTH_RSAPUBLICKEY and not self._auth_timer_started:
            # The server now shows "unauthorized"; the user taps Allow later.
            self._auth_timer_started = True
            self.server._spawn(self._accept_after_delay, "adb-sim-auth")

    def _accept_after_delay(self) -> None:
        while not self.server._authorized():
            if self.server._stop.wait(0.05) or self.dead:
                return
        try:
            self._send_cnxn()
        except _ConnectionLost:
            pass

    def _on_open(self, remote_id: int, service: str) -> None:
        kind, command = _classify(service)
        if kind != "sync":
            if not self.server._record(kind, command, service):
                self.server._unplug()
                return
        if kind not in ("shell", "shell,v2", "exec", "sync"):
            self.send(A_CLSE, 0, remote_id)  # adbd refuses unknown services this way
            return
        with self._streams_lock:
            local_id = self._next_id
            self._next_id += 1
            stream = _Stream(self, local_id, remote_id)
            self._streams[local_id] = stream
        self.send(A_OKAY, local_id, remote_id)
        self.server._spawn(self._serve, f"adb-sim-{kind}", stream, kind, command, service)

    # ------------------------------------------------------------------ services

    def _serve(self, stream: _Stream, kind: str, command: str, raw: str) -> None:
        try:
            if kind == "sync":
                _SyncSession(self.server, stream).run()
            elif command.strip() == "":
                pass  # interactive shell: not offered
            elif command.strip() in self.server.hang:
                stream.wait_closed()
                return
            else:
                self._run_command(stream, kind, command, raw)
        except _ConnectionLost:
            return
        except Exception:  # e.g. a profile file vanished: end the stream, keep the phone up
            pass
        try:
            stream.close()
        except _ConnectionLost:
            pass

    def _run_command(self, stream: _Stream, kind: str, command: str, raw: str) -> None:
        output, delay = self.server.answer(command)
        if delay > 0 and self.server._stop.wait(delay):
            return
        if kind == "exec":
            stream.write(output.stdout)
        elif kind == "shell,v2":
            for packet_id, data in ((1, output.stdout), (2, output.stderr)):
                for i in range(0, len(data), MAX_PAYLOAD - 5):
                    part = data[i:i + MAX_PAYLOAD - 5]
                    stream.write(bytes([packet_id]) + struct.pack("<I", len(part)) + part)
            stream.write(bytes([3]) + struct.pack("<I", 1) + bytes([output.exit_code & 0xFF]))
        else:
            # Legacy shell: stdout and stderr share the one stream.
            stream.write(output.stdout + output.stderr)
            if raw.endswith(EXIT_PROBE):
                stream.write(f"X4EXIT:{output.exit_code & 0xFF}\n".encode())


def _classify(service: str) -> tuple[str, str]:
    """(kind, command) for an OPEN payload such as `shell,v2,raw:getprop`."""
    if service == "sync:":
        return "sync", ""
    if service.startswith("exec:"):
        return "exec", service[len("exec:"):]
    if service.startswith("shell:") or service.startswith("shell,"):
        options, _, command = service.partition(":")
        kind = "shell,v2" if "v2" in options.split(",")[1:] else "shell"
        if command.endswith(EXIT_PROBE):
            command = command[: -len(EXIT_PROBE)]
        return kind, command
    return service.split(":", 1)[0] or service, service


class _SyncSession:
    """file_sync_protocol.h, read-only: STAT/LST2/STA2, LIST/LIS2, RECV/RCV2, QUIT."""

    def __init__(self, server: AdbDeviceServer, stream: _Stream):
        self.server, self.stream = server, stream
        self.files = server.profile.files

    def run(self) -> None:
        while True:
            head = self.stream.read_exact(8)
            ident, length = head[:4].decode("latin-1"), struct.unpack("<I", head[4:])[0]
            if ident == "QUIT":
                return
            if length > SYNC_PATH_MAX:
                self._fail("path too long")
                return
            path = self.stream.read_exact(length).decode("utf-8", "replace")
            flags = 0
            if ident in ("RCV2", "SND2"):
                flags = struct.unpack("<I", self.stream.read_exact(8)[4:])[0]
            if not self.server._record("sync", f"{ident} {path}", f"{ident} {path}"):
                self.server._unplug()
                raise _ConnectionLost()
            if ident == "STAT":
                self._stat_v1(path)
            elif ident in ("STA2", "LST2"):
                self._stat_v2(ident, path)
            elif ident in ("LIST", "LIS2"):
                self._list(path, v2=ident == "LIS2")
            elif ident in ("RECV", "RCV2"):
                if flags & 0x7FFFFFFF:
                    self._fail("compression not supported")
                    return
                if not self._recv(path):
                    return
            else:  # SEND/SND2 and anything else: this phone is read-only
                self._fail("Read-only file system")
                return

    # A directory exists when some file lies beneath it.
    def _kind(self, path: str) -> tuple[int, int, int] | None:
        path = "/" + path.strip("/") if path != "/" else "/"
        f = self.files.get(path)
        if f is not None:
            return f.mode, f.size(), f.mtime
        prefix = path.rstrip("/") + "/"
        if any(p.startswith(prefix) for p in self.files):
            return 0o40755, 4096, 1_700_000_000
        return None

    def _children(self, path: str) -> dict[str, tuple[int, int, int]]:
        prefix = "/" + path.strip("/") + "/" if path.strip("/") else "/"
        names = {p[len(prefix):].split("/", 1)[0] for p in self.files if p.startswith(prefix)}
        return {n: self._kind(prefix + n) for n in sorted(names)}  # type: ignore[misc]

    def _stat_v1(self, path: str) -> None:
        mode, size, mtime = self._kind(path) or (0, 0, 0)
        self.stream.write(b"STAT" + struct.pack("<III", mode, size & 0xFFFFFFFF, mtime))

    @staticmethod
    def _v2_fields(error: int, mode: int, size: int, mtime: int) -> bytes:
        # error, dev, ino, mode, nlink, uid, gid, size, atime, mtime, ctime
        return struct.pack("<IQQIIIIQqqq", error, 0, 0, mode, 1, 0, 0, size, mtime, mtime, mtime)

    def _stat_v2(self, ident: str, path: str) -> None:
        found = self._kind(path)
        fields = self._v2_fields(0, *found) if found else self._v2_fields(_ENOENT, 0, 0, 0)
        self.stream.write(ident.encode() + fields)

    def _list(self, path: str, v2: bool) -> None:
        entries = {} if self._kind(path) is None else {".": (0o40755, 4096, 1_700_000_000),
                                                       "..": (0o40755, 4096, 1_700_000_000),
                                                       **self._children(path)}
        out = bytearray()
        for name, (mode, size, mtime) in entries.items():
            raw = name.encode()
            if v2:
                out += b"DNT2" + self._v2_fields(0, mode, size, mtime) + struct.pack("<I", len(raw)) + raw
            else:
                out += b"DENT" + struct.pack("<IIII", mode, size & 0xFFFFFFFF, mtime, len(raw)) + raw
        out += b"DONE" + bytes(72 if v2 else 16)  # adbd sends a zeroed dent after DONE
        self.stream.write(bytes(out))

    def _recv(self, path: str) -> bool:
        f = self.files.get(path)
        if f is None:
            self._fail("open failed: No such file or directory")
            return False
        data = f.read()
        # Batch DATA chunks into WRTE-sized writes: fewer round trips.
        out = bytearray()
        for i in range(0, len(data), SYNC_DATA_MAX):
            chunk = data[i:i + SYNC_DATA_MAX]
            out += b"DATA" + struct.pack("<I", len(chunk)) + chunk
            if len(out) >= MAX_PAYLOAD:
                self.stream.write(bytes(out))
                out.clear()
        out += b"DONE" + struct.pack("<I", f.mtime)
        self.stream.write(bytes(out))
        return True

    def _fail(self, message: str) -> None:
        raw = message.encode()
        self.stream.write(b"FAIL" + struct.pack("<I", len(raw)) + raw)
