"""A minimal streaming reader for pcap and pcapng captures.

Why not scapy's PcapReader: it builds a full dissected Packet object for every
frame (tens of microseconds each); the traffic matcher only needs the raw
bytes and a timestamp, and must get through millions of packets faster than
tshark. This reader reads the file in large chunks and yields
(timestamp, linktype, frame bytes) with memory bounded by the chunk size, not
by the capture size.

Formats (both byte orders):
  pcap    https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html
  pcapng  https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html
Captures are hostile input: every length is bounds-checked, a broken or
truncated file ends iteration with `problem` set instead of raising.
"""

from __future__ import annotations

import struct
from typing import BinaryIO, Iterator

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6),
    b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9),
    b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"

# Link types (https://www.tcpdump.org/linktypes.html) this scanner reads.
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276
TRAFFIC_LINKTYPES = frozenset(
    {LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LINUX_SLL, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL2}
)

# Plain names of common link types, for the message about a capture techsafe
# does not read (numbers from https://www.tcpdump.org/linktypes.html).
LINKTYPE_NAMES = {
    0: "BSD loopback",
    1: "Ethernet",
    9: "PPP",
    50: "PPP in HDLC framing",
    51: "PPPoE",
    101: "raw IP",
    104: "Cisco HDLC",
    105: "Wi-Fi 802.11",
    108: "OpenBSD loopback",
    113: "Linux cooked SLL",
    117: "OpenBSD pflog",
    119: "Wi-Fi 802.11 with Prism header",
    127: "Wi-Fi 802.11 with radiotap header",
    163: "Wi-Fi 802.11 with AVS header",
    187: "Bluetooth HCI H4",
    189: "Linux USB",
    192: "Wi-Fi 802.11 with PPI header",
    195: "IEEE 802.15.4",
    201: "Bluetooth HCI H4 with direction",
    220: "Linux USB (memory-mapped)",
    227: "SocketCAN",
    228: "raw IPv4",
    229: "raw IPv6",
    230: "IEEE 802.15.4 without FCS",
    249: "USBPcap",
    251: "Bluetooth LE link layer",
    252: "Wireshark upper PDU",
    253: "Linux netlink",
    254: "Bluetooth Linux monitor",
    256: "Bluetooth LE link layer with radio header",
    272: "Nordic BLE sniffer",
    276: "Linux cooked SLL2",
}
LINKTYPE_NAMES.update({n: f"private use (DLT_USER{n - 147})" for n in range(147, 163)})


def linktype_text(linktype: int) -> str:
    """'127 (Wi-Fi 802.11 with radiotap header)', or just '999' when the number has no known name."""
    name = LINKTYPE_NAMES.get(linktype)
    return f"{linktype} ({name})" if name else str(linktype)


CHUNK = 1 << 20
MAX_PACKET = 1 << 18  # larger "packets" mean a corrupt file, not a jumbo frame
MAX_BLOCK = 1 << 24


class CaptureFormatError(Exception):
    """Not a pcap/pcapng file, with a one-line reason."""


def capture_format(head: bytes) -> str | None:
    """'pcap', 'pcapng' or None from the first bytes of a file."""
    if head[:4] in PCAP_MAGICS:
        return "pcap"
    if head[:4] == PCAPNG_SHB and len(head) >= 12 and head[8:12] in (b"\x4d\x3c\x2b\x1a", b"\x1a\x2b\x3c\x4d"):
        return "pcapng"
    return None


class CaptureReader:
    """Iterate (timestamp seconds, linktype, frame) over a pcap or pcapng stream.

    After iteration, `problem` is "" for a clean file or a plain reason
    (truncated, corrupt block); `packets` counts frames yielded and
    `linktypes` the link types seen. `cut_short` counts frames the capture
    tool kept only in part (captured length < original length, a snap-length
    limit) and `snaplens` the snap lengths that cut them: per interface, the
    longest captured length of a cut frame (what the capture tool really kept,
    whatever its header claims).
    """

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self.problem = ""
        self.packets = 0
        self.linktypes: set[int] = set()
        self.cut_short = 0
        self.snaplens: set[int] = set()
        head = fh.read(12)
        self.format = capture_format(head)
        if self.format is None:
            raise CaptureFormatError("not a pcap or pcapng capture (unknown magic bytes)")
        self._head = head

    def __iter__(self) -> Iterator[tuple[float, int, bytes]]:
        if self.format == "pcap":
            return self._pcap()
        return self._pcapng()

    # ---- classic pcap ----------------------------------------------------
    def _pcap(self) -> Iterator[tuple[float, int, bytes]]:
        endian, scale = PCAP_MAGICS[self._head[:4]]
        rest = self._fh.read(12)
        if len(rest) < 12:
            self.problem = "capture header is truncated"
            return
        linktype = struct.unpack(endian + "I", rest[8:12])[0] & 0xFFFF
        self.linktypes.add(linktype)
        longest_cut = 0
        rec = struct.Struct(endian + "IIII")
        unpack_from = rec.unpack_from
        read = self._fh.read
        buf = b""
        off = 0
        count = 0
        try:
            while True:
                chunk = read(CHUNK)
                if chunk:
                    buf = buf[off:] + chunk
                    off = 0
                end = len(buf)
                while off + 16 <= end:
                    sec, frac, incl, orig = unpack_from(buf, off)
                    if incl > MAX_PACKET:
                        self.problem = f"corrupt packet record after {count} packets (length {incl})"
                        return
                    stop = off + 16 + incl
                    if stop > end:
                        break
                    if incl < orig:  # cut short by the capture's snap length
                        self.cut_short += 1
                        if incl > longest_cut:
                            longest_cut = incl
                    count += 1
                    yield sec + frac * scale, linktype, buf[off + 16 : stop]
                    off = stop
                if not chunk:
                    if off < end:
                        self.problem = f"capture is truncated after {count} packets"
                    return
        finally:
            self.packets = count
            if self.cut_short:
                self.snaplens.add(longest_cut)

    # ---- pcapng ------------------------------------------------------------
    def _pcapng(self) -> Iterator[tuple[float, int, bytes]]:
        read = self._fh.read
        buf = self._head
        off = 0
        count = 0
        endian = "<"
        # (linktype, seconds per tick, snaplen, number of the interface in the whole file)
        interfaces: list[tuple[int, float, int, int]] = []
        idbs = 0
        longest_cut: dict[int, int] = {}  # interface number -> longest captured length of a cut frame

        def cut(ifno: int, caplen: int) -> None:
            self.cut_short += 1
            if caplen > longest_cut.get(ifno, -1):
                longest_cut[ifno] = caplen

        try:
            while True:
                if off + 12 > len(buf):
                    more = read(CHUNK)
                    if not more:
                        if off < len(buf):
                            self.problem = f"capture is truncated after {count} packets"
                        return
                    buf = buf[off:] + more
                    off = 0
                    continue
                btype_raw = buf[off : off + 4]
                if btype_raw == PCAPNG_SHB:
                    bom = buf[off + 8 : off + 12]
                    if bom == b"\x4d\x3c\x2b\x1a":
                        endian = "<"
                    elif bom == b"\x1a\x2b\x3c\x4d":
                        endian = ">"
                    else:
                        self.problem = f"corrupt section header after {count} packets"
                        return
                    interfaces = []  # interface ids are per section
                btype, blen = struct.unpack_from(endian + "II", buf, off)
                if blen < 12 or blen % 4 or blen > MAX_BLOCK:
                    self.problem = f"corrupt block (length {blen}) after {count} packets"
                    return
                if off + blen > len(buf):
                    more = read(max(CHUNK, blen))
                    if not more:
                        self.problem = f"capture is truncated after {count} packets"
                        return
                    buf = buf[off:] + more
                    off = 0
                    continue
                body = off + 8
                end = off + blen - 4
                off += blen
                if btype == 6:  # Enhanced Packet Block
                    if end - body < 20:
                        self.problem = f"corrupt packet block after {count} packets"
                        return
                    iface, hi, lo, caplen, orig = struct.unpack_from(endian + "IIIII", buf, body)
                    if iface >= len(interfaces) or body + 20 + caplen > end:
                        self.problem = f"corrupt packet block after {count} packets"
                        return
                    linktype, tick, _snap, ifno = interfaces[iface]
                    if caplen < orig:
                        cut(ifno, caplen)
                    count += 1
                    yield ((hi << 32) | lo) * tick, linktype, buf[body + 20 : body + 20 + caplen]
                elif btype == 3:  # Simple Packet Block: interface 0, no timestamp
                    if not interfaces or end - body < 4:
                        self.problem = f"corrupt packet block after {count} packets"
                        return
                    (origlen,) = struct.unpack_from(endian + "I", buf, body)
                    linktype, _tick, snap, ifno = interfaces[0]
                    caplen = min(origlen, end - body - 4, snap or MAX_PACKET)
                    if caplen < origlen:
                        cut(ifno, caplen)
                    count += 1
                    yield 0.0, linktype, buf[body + 4 : body + 4 + caplen]
                elif btype == 2:  # obsolete Packet Block
                    if end - body < 20:
                        self.problem = f"corrupt packet block after {count} packets"
                        return
                    iface, _drops, hi, lo, caplen, orig = struct.unpack_from(endian + "HHIIII", buf, body)
                    if iface >= len(interfaces) or body + 20 + caplen > end:
                        self.problem = f"corrupt packet block after {count} packets"
                        return
                    linktype, tick, _snap, ifno = interfaces[iface]
                    if caplen < orig:
                        cut(ifno, caplen)
                    count += 1
                    yield ((hi << 32) | lo) * tick, linktype, buf[body + 20 : body + 20 + caplen]
                elif btype == 1:  # Interface Description Block
                    if end - body < 8:
                        self.problem = f"corrupt interface block after {count} packets"
                        return
                    linktype, _res, snap = struct.unpack_from(endian + "HHI", buf, body)
                    tick = _tsresol(buf, body + 8, end, endian)
                    interfaces.append((linktype, tick, snap, idbs))
                    idbs += 1
                    self.linktypes.add(linktype)
        finally:
            self.packets = count
            self.snaplens.update(longest_cut.values())


def _tsresol(buf: bytes, pos: int, end: int, endian: str) -> float:
    """Seconds per timestamp tick from the IDB options (default microseconds)."""
    while pos + 4 <= end:
        code, length = struct.unpack_from(endian + "HH", buf, pos)
        if code == 0:
            break
        value = pos + 4
        if code == 9 and length >= 1:
            res = buf[value]
            exp = res & 0x7F
            if exp > 60:
                return 1e-6  # nonsense resolution: fall back rather than overflow
            return 2.0 ** -exp if res & 0x80 else 10.0 ** -exp
        pos = value + ((length + 3) & ~3)
    return 1e-6


def linktypes_of(path) -> tuple[str, set[int]] | None:
    """(format, link types of the first interfaces) without reading the whole file."""
    with open(path, "rb") as fh:
        try:
            reader = CaptureReader(fh)
        except CaptureFormatError:
            return None
        if reader.format == "pcap":
            rest = fh.read(12)
            if len(rest) < 12:
                return reader.format, set()
            endian = PCAP_MAGICS[reader._head[:4]][0]
            return reader.format, {struct.unpack(endian + "I", rest[8:12])[0] & 0xFFFF}
        # pcapng: walk blocks until the first packet (IDBs come before packets)
        fh.seek(0)
        found: set[int] = set()
        endian = "<" if reader._head[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        for _ in range(64):
            hdr = fh.read(8)
            if len(hdr) < 8:
                break
            btype, blen = struct.unpack(endian + "II", hdr)
            if blen < 12 or blen % 4 or blen > MAX_BLOCK:
                break
            if btype == 1:
                body = fh.read(4)
                if len(body) == 4:
                    found.add(struct.unpack(endian + "H", body[:2])[0])
                fh.seek(blen - 12, 1)
            elif btype in (2, 3, 6):
                break
            else:
                fh.seek(blen - 8, 1)
        return reader.format, found
