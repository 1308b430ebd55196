"""Live capture to a pcap artifact, streamed to disk (memory stays flat).

A raw AF_PACKET socket (Linux, root or CAP_NET_RAW) receives every frame on
the interface; frames are written as they come in pcap format
(LINKTYPE_ETHERNET), then the file becomes a case artifact and is analyzed
like any imported capture.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from techsafe.case import Case

ETH_P_ALL = 0x0003
SNAPLEN = 65535


class LiveCaptureError(Exception):
    """One plain line: why a live capture cannot run."""


def capture_to_case(case: "Case", iface: str, duration_s: float) -> int:
    from techsafe.scanners.network.sources import TRAFFIC_DIR, traffic_artifacts

    if not hasattr(socket, "AF_PACKET"):
        raise LiveCaptureError("live capture needs Linux")
    try:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    except PermissionError:
        raise LiveCaptureError("live capture needs root or CAP_NET_RAW (see `techsafe doctor`)") from None
    try:
        sock.bind((iface, 0))
    except OSError:
        sock.close()
        raise LiveCaptureError(f"interface {iface} not found") from None
    fd, tmp = tempfile.mkstemp(dir=case.root, prefix=".tmp-live-", suffix=".pcap")
    count = 0
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as out:
            out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, 1))
            deadline = time.monotonic() + duration_s
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                if not select.select([sock], [], [], min(left, 0.5))[0]:
                    continue
                frame = sock.recv(SNAPLEN)
                now = time.time()
                sec = int(now)
                out.write(struct.pack("<IIII", sec, int((now - sec) * 1e6), len(frame), len(frame)))
                out.write(frame)
                count += 1
        name = f"{TRAFFIC_DIR}/capture-{len(traffic_artifacts(case)) + 1}.pcap"
        case.add_artifact_file(
            "network", name, Path(tmp), command=f"live capture on {iface} for {duration_s:g} s", meta={"format": "pcap", "packets": count}
        )
    finally:
        sock.close()
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
    return count
