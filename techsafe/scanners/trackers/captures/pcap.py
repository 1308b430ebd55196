"""pcap / pcapng captures of Bluetooth LE, read with scapy's raw readers
(no dissection: the bytes are decoded by hci.py / ll.py, which bound-check
everything).

Link types (https://www.tcpdump.org/linktypes.html):
  187 BLUETOOTH_HCI_H4            H4 packet
  201 BLUETOOTH_HCI_H4_WITH_PHDR  4-byte direction (big-endian) + H4 packet
  251 BLUETOOTH_LE_LL             link-layer packet
  254 BLUETOOTH_LINUX_MONITOR     adapter index (2, BE), opcode (2, BE) + payload
  256 BLUETOOTH_LE_LL_WITH_PHDR   10-byte RF header + link-layer packet
  272 NORDIC_BLE                  nRF Sniffer header + link-layer packet
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Callable, Iterator

from techsafe.scanners.trackers.captures import hci, ll
from techsafe.scanners.trackers.sighting import Sighting

H4, H4_PHDR, LE_LL, MONITOR, LE_LL_PHDR, NORDIC = 187, 201, 251, 254, 256, 272
BLE_LINKTYPES = frozenset({H4, H4_PHDR, LE_LL, MONITOR, LE_LL_PHDR, NORDIC})
PCAP_MAGICS = (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
MONITOR_EVENT = 3


def _monitor(packet: bytes, time_us: int, origin: str) -> Iterator[Sighting]:
    if len(packet) >= 4 and int.from_bytes(packet[2:4], "big") == MONITOR_EVENT:
        yield from hci.from_event(packet[4:], time_us, origin)


def _h4_phdr(packet: bytes, time_us: int, origin: str) -> Iterator[Sighting]:
    yield from hci.from_h4(packet[4:], time_us, origin)


DECODERS: dict[int, Callable[[bytes, int, str], Iterator[Sighting]]] = {
    H4: hci.from_h4,
    H4_PHDR: _h4_phdr,
    LE_LL: ll.from_ll,
    MONITOR: _monitor,
    LE_LL_PHDR: ll.from_ll_phdr,
    NORDIC: ll.from_nordic,
}


@dataclass
class PcapResult:
    sightings: list[Sighting] = field(default_factory=list)
    problem: str = ""
    packets: int = 0
    linktypes: set[int] = field(default_factory=set)


def linktypes_in_head(head: bytes) -> set[int] | None:
    """Link types declared at the start of a pcap/pcapng file, or None if the
    bytes are not a capture. Reads the pcap header or the pcapng interface
    blocks found in `head` (no scapy: this runs for every `analyze` input)."""
    if head[:4] in PCAP_MAGICS and len(head) >= 24:
        order = "little" if head[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else "big"
        return {int.from_bytes(head[20:24], order) & 0x0FFFFFFF}
    if head[:4] != PCAPNG_MAGIC or len(head) < 12:
        return None
    bom = head[8:12]
    if bom == b"\x4d\x3c\x2b\x1a":
        order = "little"
    elif bom == b"\x1a\x2b\x3c\x4d":
        order = "big"
    else:
        return None
    found: set[int] = set()
    i = 0
    while i + 12 <= len(head):
        btype = int.from_bytes(head[i : i + 4], order)
        blen = int.from_bytes(head[i + 4 : i + 8], order)
        if blen < 12 or blen % 4:
            break
        if btype == 1 and i + 10 <= len(head):  # Interface Description Block
            found.add(int.from_bytes(head[i + 8 : i + 10], order))
        elif btype in (3, 6):  # first packet: all IDBs seen
            break
        i += blen
    return found


def read(data: bytes) -> PcapResult:
    from scapy.error import Scapy_Exception
    from scapy.utils import RawPcapNgReader, RawPcapReader

    out = PcapResult()
    is_ng = data[:4] == PCAPNG_MAGIC
    try:
        reader = (RawPcapNgReader if is_ng else RawPcapReader)(io.BytesIO(data))
    except (Scapy_Exception, ValueError, OSError, EOFError, IndexError) as exc:
        out.problem = f"not a readable capture ({type(exc).__name__})"
        return out
    nano = bool(getattr(reader, "nano", False))
    default_linktype = getattr(reader, "linktype", None)
    import logging

    scapy_log = logging.getLogger("scapy.runtime")
    level = scapy_log.level
    scapy_log.setLevel(logging.ERROR)  # problems are reported as NotChecked instead of scapy warnings
    try:
        for packet, meta in reader:
            out.packets += 1
            if is_ng:
                linktype = meta.linktype
                units = (meta.tshigh << 32) | meta.tslow
                time_us = units * 1_000_000 // (meta.tsresol or 1_000_000)
            else:
                if len(packet) < meta.caplen:  # scapy only warns about a cut packet
                    out.problem = f"capture is truncated in packet {out.packets}"
                    break
                linktype = default_linktype
                time_us = meta.sec * 1_000_000 + (meta.usec // 1000 if nano else meta.usec)
            out.linktypes.add(linktype)
            decode = DECODERS.get(linktype)
            if decode is not None:
                out.sightings.extend(decode(bytes(packet), time_us, f"packet {out.packets}"))
    except (Scapy_Exception, ValueError, OSError, EOFError, IndexError, KeyError, TypeError) as exc:
        out.problem = f"capture is corrupt after packet {out.packets} ({type(exc).__name__})"
    finally:
        scapy_log.setLevel(level)
        try:
            reader.close()
        except Exception:
            pass
    return out
