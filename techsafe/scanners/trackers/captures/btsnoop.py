"""btsnoop files: Android's btsnoop_hci.log and `btmon -w`.

Format (big-endian throughout), as documented by the Symbian-era btsnoop
spec (RFC 1761 snoop derivative), Wireshark's wiretap/btsnoop.c and BlueZ
src/shared/btsnoop.c:
  header   "btsnoop\\0", version (4) = 1, datalink (4):
           1001 HCI UART (H4), 1002 HCI un-encapsulated, 2001 Linux monitor
  record   original length (4), included length (4), flags (4),
           cumulative drops (4), timestamp (8, signed microseconds since
           0000-01-01 00:00 — 0x00DCDDB30F2F8000 before the Unix epoch),
           then the packet.
  flags    1002: bit 0 received, bit 1 command/event.
           2001: (adapter index << 16) | monitor opcode (3 = event).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from techsafe.scanners.trackers.captures import hci
from techsafe.scanners.trackers.sighting import Sighting

MAGIC = b"btsnoop\x00"
EPOCH_OFFSET_US = 0x00DCDDB30F2F8000
DATALINK_H4 = 1001
DATALINK_HCI = 1002
DATALINK_MONITOR = 2001
DATALINKS = (DATALINK_H4, DATALINK_HCI, DATALINK_MONITOR)
MONITOR_EVENT = 3
MAX_RECORD = 1 << 16


@dataclass
class BtsnoopResult:
    sightings: list[Sighting] = field(default_factory=list)
    problem: str = ""
    packets: int = 0
    readable: bool = True  # False: nothing in the file can be read (e.g. a datalink techsafe does not decode)


def read(data: bytes) -> BtsnoopResult:
    out = BtsnoopResult()
    if len(data) < 16 or data[:8] != MAGIC:
        out.problem, out.readable = "not a btsnoop file (bad magic bytes)", False
        return out
    datalink = int.from_bytes(data[12:16], "big")
    if datalink not in DATALINKS:
        out.problem = (f"btsnoop datalink {datalink} is not one techsafe reads "
                       "(only HCI logs: 1001, 1002 or 2001, as Android's btsnoop_hci.log and `btmon -w` write)")
        out.readable = False
        return out
    i = 16
    while i < len(data):
        if i + 24 > len(data):
            out.problem = "file ends inside a record header (truncated)"
            break
        included = int.from_bytes(data[i + 4 : i + 8], "big")
        flags = int.from_bytes(data[i + 8 : i + 12], "big")
        stamp = int.from_bytes(data[i + 16 : i + 24], "big", signed=True)
        if included > MAX_RECORD or i + 24 + included > len(data):
            out.problem = f"record {out.packets + 1} has an impossible length (corrupt or truncated)"
            break
        packet = data[i + 24 : i + 24 + included]
        i += 24 + included
        out.packets += 1
        out.sightings.extend(_sightings(datalink, flags, packet, stamp - EPOCH_OFFSET_US, f"record {out.packets}"))
    return out


def _sightings(datalink: int, flags: int, packet: bytes, time_us: int, origin: str) -> Iterator[Sighting]:
    if datalink == DATALINK_H4:
        yield from hci.from_h4(packet, time_us, origin)
    elif datalink == DATALINK_HCI:
        if flags & 0x03 == 0x03:  # received event
            yield from hci.from_event(packet, time_us, origin)
    elif flags & 0xFFFF == MONITOR_EVENT:
        yield from hci.from_event(packet, time_us, origin)
