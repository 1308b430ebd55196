"""Every BLE capture format techsafe reads, recognised by magic bytes.

read_capture(data) -> Capture: the sightings in a pcap/pcapng (BLE link
types), btsnoop or techsafe sightings file, and a plain problem when part
of it could not be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from techsafe.scanners.trackers.captures import btsnoop, jsonl, pcap
from techsafe.scanners.trackers.sighting import Sighting


@dataclass
class Capture:
    format: str  # "pcap", "pcapng", "btsnoop", "sightings" or ""
    sightings: list[Sighting] = field(default_factory=list)
    problem: str = ""
    header: dict[str, Any] = field(default_factory=dict)  # sightings files: started, place...
    readable: bool = True  # False: nothing in it could be read at all (`problem` says why)


def sniff_format(head: bytes) -> str | None:
    """What a file is from its first bytes; pcaps only when every declared
    link type is a Bluetooth one (IP captures belong to the network scanner)."""
    if head[:8] == btsnoop.MAGIC:
        return "btsnoop"
    linktypes = pcap.linktypes_in_head(head)
    if linktypes is not None:
        if linktypes and linktypes <= pcap.BLE_LINKTYPES:
            return "pcapng" if head[:4] == pcap.PCAPNG_MAGIC else "pcap"
        return None
    if jsonl.is_sightings_file(head):
        return "sightings"
    return None


def read_capture(data: bytes) -> Capture:
    fmt = sniff_format(data[: 1 << 16])
    if fmt == "btsnoop":
        r = btsnoop.read(data)
        return Capture(fmt, r.sightings, r.problem, readable=r.readable)
    if fmt in ("pcap", "pcapng"):
        r = pcap.read(data)
        return Capture(fmt, r.sightings, r.problem)
    if fmt == "sightings":
        r = jsonl.read(data)
        return Capture(fmt, r.sightings, r.problem, r.header)
    return Capture("", problem="not a Bluetooth capture techsafe can read")
