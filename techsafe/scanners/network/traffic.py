"""Streaming matcher: which indicator hosts did devices in a capture contact?

One pass over the packets; per packet only the link, IP and transport headers
are read, and the application payload only where a host name can be in it
(DNS, TLS ClientHello, HTTP request, QUIC Initial). Names and addresses go through the
indicator set's own match_domain / match_ip (label-boundary semantics live
there) behind bounded caches, so a capture of millions of packets costs one
dict lookup per packet for the destination address.

Memory is bounded whatever the capture size: the caches are cleared when
full, pending TLS reassembly is capped in flows and bytes, and results grow
with the number of distinct indicators contacted, not with packets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO, Iterable, Protocol

from techsafe.model import IndicatorMatch
from techsafe.scanners.network.decoders import (
    client_hello_sni,
    dns_names,
    http_host,
    ip_text,
    looks_like_client_hello,
    tls_handshake_bytes,
)
from techsafe.scanners.network.pcapfile import (
    LINKTYPE_ETHERNET,
    LINKTYPE_IPV4,
    LINKTYPE_IPV6,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_LINUX_SLL2,
    LINKTYPE_RAW,
    CaptureReader,
)
from techsafe.scanners.network.quic import VERSION_BYTES as QUIC_VERSIONS

CACHE_LIMIT = 65536
PENDING_FLOWS = 1024
PENDING_BYTES = 16384
MAX_DEVICES = 16  # per indicator; more are counted, not listed
MAX_NAMES = 8

_MISS = object()

# Link-layer wrappers read through to the IP inside (Ethernet and Linux cooked captures).
VLAN_TAGS = (0x8100, 0x88A8, 0x9100)  # 802.1Q, 802.1ad, pre-standard Q-in-Q; may be stacked
ETHERTYPE_PPPOE = 0x8864  # PPPoE session (RFC 2516); discovery 0x8863 carries no IP
PPP_IPV4 = 0x0021
PPP_IPV6 = 0x0057
MAX_LAYERS = 8  # tags and tunnels read through per frame, bounded
# Ethertypes that are link control only and never carry IP: not counted as unread.
NOT_IP = frozenset(
    {
        0x0001,  # Linux cooked: raw 802.3 (Novell IPX)
        0x000C,  # Linux cooked: CAN
        0x000D,  # Linux cooked: CAN FD
        0x0806,  # ARP
        0x0842,  # Wake-on-LAN
        0x8035,  # RARP
        0x8808,  # Ethernet flow control (PAUSE)
        0x8809,  # slow protocols (LACP, 802.3ah OAM)
        0x8863,  # PPPoE discovery (PADI/PADO/PADR/PADS/PADT)
        0x888E,  # EAPOL (802.1X, WPA handshakes)
        0x88C7,  # 802.11i pre-authentication (EAPOL)
        0x88CC,  # LLDP
        0x88D9,  # LLTD (Windows network map)
        0x88E1,  # HomePlug AV (powerline adapter management)
        0x88F5,  # MVRP
        0x88F6,  # MMRP
        0x88F7,  # PTP (precision time)
        0x8902,  # 802.1ag CFM (connectivity fault management)
        0x8912,  # HomePlug / Mediaxtream management
        0x893A,  # IEEE 1905.1 (Wi-Fi mesh control)
        0x9000,  # Ethernet configuration testing (loopback)
    }
)
UNREAD_PPP = 0x10000  # key in TrafficMatcher.unread: UNREAD_PPP | PPP protocol (inside PPPoE)


def unread_kind(key: int) -> str:
    """How a key of TrafficResult.unread reads in a report."""
    if key & UNREAD_PPP:
        return f"PPP protocol 0x{key & 0xFFFF:04x} in PPPoE"
    return f"ethertype 0x{key:04x}"


class Indicators(Protocol):
    def match_domain(self, name: str) -> Any: ...
    def match_ip(self, ip: str) -> Any: ...


@dataclass(frozen=True)
class Contact:
    """One indicator contacted in a capture, reported once."""

    match: IndicatorMatch
    category: str  # the feed's category (stalkerware, watchware, ...)
    name: str  # family / app name
    first: float  # capture timestamps (seconds since the epoch)
    last: float
    count: int  # packets that named or addressed the indicator (a DNS query and its answer: one lookup)
    via: tuple[str, ...]  # dns-query, dns-answer, tls-sni, quic-sni, http-host, ip
    observed: tuple[str, ...]  # the names / addresses as seen on the wire
    devices: tuple[tuple[str, str], ...]  # (mac or "", ip) of the local side
    more_devices: int = 0


@dataclass(frozen=True)
class TrafficResult:
    contacts: tuple[Contact, ...]
    packets: int
    linktypes: tuple[int, ...]
    problem: str  # "" when the capture was read to its end
    skipped_linktypes: tuple[int, ...] = ()
    cut_short: int = 0  # packets the capture kept only in part (snap length)
    snaplens: tuple[int, ...] = ()  # the snap lengths that cut them
    # Frames that could carry IP but are of a kind the matcher does not read:
    # (kind, packets), most packets first; the kind reads with unread_kind().
    unread: tuple[tuple[int, int], ...] = ()


class _Tally:
    __slots__ = ("hit", "first", "last", "count", "via", "observed", "devices", "more")

    def __init__(self, hit: Any, ts: float) -> None:
        self.hit = hit
        self.first = ts
        self.last = ts
        self.count = 0
        self.via: dict[str, None] = {}
        self.observed: dict[str, None] = {}
        self.devices: dict[tuple[bytes, bytes], None] = {}
        self.more = 0


def _mac_text(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw) if len(raw) == 6 else ""


class TrafficMatcher:
    """Feed packets in, read contacts out. One instance per analysis."""

    def __init__(self, indicators: Indicators) -> None:
        self._ind = indicators
        self._ip_cache: dict[bytes, Any] = {}
        self._name_cache: dict[str, Any] = {}
        self._tally: dict[tuple, _Tally] = {}
        self._pending: dict[bytes, tuple[int, bytes, bytes, bytes]] = {}
        self._quic_pending: dict[bytes, Any] = {}  # flow + DCID -> quic.CryptoStream
        self._quic_done: dict[bytes, None] = {}  # flows whose ClientHello was read (bounded)
        # DNS queries that named an indicator -> what they counted, so that the
        # answer to the same lookup is not counted as a second contact (bounded).
        self._lookups: dict[tuple, frozenset] = {}
        self.packets = 0
        self.skipped_linktypes: set[int] = set()
        self.unread: dict[int, int] = {}  # kind (see unread_kind) -> packets not read

    # ---- lookups -----------------------------------------------------------
    def _ip_hit(self, raw: bytes) -> Any:
        cache = self._ip_cache
        try:
            return cache[raw]
        except KeyError:
            pass
        if len(cache) >= CACHE_LIMIT:
            cache.clear()
        hit = cache[raw] = self._ind.match_ip(ip_text(raw))
        return hit

    def _name_hit(self, name: str) -> Any:
        cache = self._name_cache
        try:
            return cache[name]
        except KeyError:
            pass
        if len(cache) >= CACHE_LIMIT:
            cache.clear()
        hit = cache[name] = self._ind.match_domain(name) if name else None
        return hit

    def _record(self, hit: Any, ts: float, via: str, observed: str, mac: bytes, ip: bytes, counted: bool = False) -> None:
        """`counted`: this packet is part of a contact already counted (the
        answer to a DNS query that was): keep what it shows, count it once."""
        m = hit.match
        key = (m.source, m.entry, m.field, m.value)
        t = self._tally.get(key)
        if t is None:
            t = self._tally[key] = _Tally(hit, ts)
            counted = False
        if not counted:
            t.count += 1
            if ts < t.first:
                t.first = ts
            if ts > t.last:
                t.last = ts
        t.via[via] = None
        if len(t.observed) < MAX_NAMES:
            t.observed[observed] = None
        device = (mac, ip)  # raw bytes; turned into text once, in contacts()
        if device not in t.devices:
            if len(t.devices) < MAX_DEVICES:
                t.devices[device] = None
            else:
                t.more += 1

    # ---- packets -------------------------------------------------------------
    def feed(self, ts: float, linktype: int, frame: bytes) -> None:
        self.packets += 1
        smac = dmac = b""
        if linktype == LINKTYPE_ETHERNET:
            if len(frame) < 14:
                return
            etype = (frame[12] << 8) | frame[13]
            off = 14
            dmac = frame[0:6]
            smac = frame[6:12]
        elif linktype in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6):
            if not frame:
                return
            version = frame[0] >> 4
            if version == 4:
                etype = 0x0800
            elif version == 6:
                etype = 0x86DD
            else:
                return  # not an IP header: malformed, like a short one
            off = 0
        elif linktype == LINKTYPE_LINUX_SLL:
            if len(frame) < 16:
                return
            etype = (frame[14] << 8) | frame[15]
            alen = (frame[4] << 8) | frame[5]
            if alen == 6:
                smac = frame[6:12]  # the sender's link address
            off = 16
        elif linktype == LINKTYPE_LINUX_SLL2:
            if len(frame) < 20:
                return
            etype = (frame[0] << 8) | frame[1]
            if frame[11] == 6:
                smac = frame[12:18]
            off = 20
        else:
            self.skipped_linktypes.add(linktype)
            return

        if etype != 0x0800 and etype != 0x86DD:
            # VLAN tags, PPPoE, LLC/SNAP: read through to the IP inside. Frames of
            # any other kind that could carry IP are counted, never dropped unseen.
            etype, off = self._unwrap(linktype, etype, frame, off)
            if not etype:
                return
        if etype == 0x0800:
            if len(frame) < off + 20:
                return
            ihl = (frame[off] & 0x0F) * 4
            total = (frame[off + 2] << 8) | frame[off + 3]
            proto = frame[off + 9]
            src = frame[off + 12 : off + 16]
            dst = frame[off + 16 : off + 20]
            fragment = ((frame[off + 6] & 0x1F) << 8) | frame[off + 7]
            l4 = off + ihl
            stop = min(len(frame), off + total) if total >= ihl else len(frame)
        else:  # 0x86DD
            if len(frame) < off + 40:
                return
            proto = frame[off + 6]
            src = frame[off + 8 : off + 24]
            dst = frame[off + 24 : off + 40]
            plen = (frame[off + 4] << 8) | frame[off + 5]
            l4 = off + 40
            stop = min(len(frame), l4 + plen) if plen else len(frame)
            fragment = 0
            for _ in range(8):  # walk extension headers, bounded
                if proto in (0, 43, 60) and l4 + 2 <= stop:
                    proto = frame[l4]
                    l4 += (frame[l4 + 1] + 1) * 8
                elif proto == 44 and l4 + 8 <= stop:
                    fragment = (((frame[l4 + 2] << 8) | frame[l4 + 3]) >> 3)
                    proto = frame[l4]
                    l4 += 8
                else:
                    break

        # Destination address: the device contacting a C2 server.
        hit = self._ip_cache.get(dst, _MISS)
        if hit is _MISS:
            hit = self._ip_hit(dst)
        if hit is not None:
            self._record(hit, ts, "ip", ip_text(dst), smac, src)
        if fragment:
            return

        if proto == 17:
            if l4 + 8 > stop:
                return
            sport = (frame[l4] << 8) | frame[l4 + 1]
            dport = (frame[l4 + 2] << 8) | frame[l4 + 3]
            if sport == 53 or dport == 53:
                self._dns(ts, frame[l4 + 8 : stop], smac, src, sport, dmac, dst, dport)
            elif l4 + 15 <= stop and frame[l4 + 8] & 0x80 and frame[l4 + 9 : l4 + 13] in QUIC_VERSIONS:
                # A QUIC long header of a version we can read: maybe a client Initial.
                self._quic(ts, src + dst + frame[l4 : l4 + 4], frame[l4 + 8 : stop], smac, src)
        elif proto == 6:
            if l4 + 20 > stop:
                return
            data = l4 + ((frame[l4 + 12] >> 4) * 4)
            if data >= stop:
                return
            payload = frame[data:stop]
            sport = (frame[l4] << 8) | frame[l4 + 1]
            dport = (frame[l4 + 2] << 8) | frame[l4 + 3]
            first = payload[0]
            if self._pending:
                flow = src + dst + frame[l4 : l4 + 4]
                if flow in self._pending:
                    seq = int.from_bytes(frame[l4 + 4 : l4 + 8], "big")
                    self._continue_tls(ts, flow, seq, payload)
                    return
            if first == 0x16:
                if looks_like_client_hello(payload):
                    seq = int.from_bytes(frame[l4 + 4 : l4 + 8], "big")
                    self._start_tls(ts, src + dst + frame[l4 : l4 + 4], seq, payload, smac, src)
            elif 0x41 <= first <= 0x5A:
                host = http_host(payload)
                if host:
                    self._host(ts, "http-host", host, smac, src)
            elif (sport == 53 or dport == 53) and len(payload) > 2:
                self._dns(ts, payload[2:], smac, src, sport, dmac, dst, dport)

    def _unwrap(self, linktype: int, etype: int, frame: bytes, off: int) -> tuple[int, int]:
        """(0x0800 or 0x86DD, offset of the IP header) inside VLAN tags, PPPoE
        sessions and LLC/SNAP headers, or (0, 0) when the frame holds no IP that
        can be read: link control (NOT_IP, PPP control protocols, non-SNAP LLC such
        as STP) passes silently, anything else is counted in `unread`. Frames too
        short for their own headers are malformed and pass like malformed IP."""
        n = len(frame)
        for _ in range(MAX_LAYERS):
            if etype == 0x0800 or etype == 0x86DD:
                return etype, off
            if etype in VLAN_TAGS:
                if n < off + 4:
                    return 0, 0
                etype = (frame[off + 2] << 8) | frame[off + 3]
                off += 4
            elif etype == ETHERTYPE_PPPOE:
                # 6-byte PPPoE header, then the PPP protocol: 2 bytes, or 1 when
                # compressed (RFC 1661 PFC: an odd first byte).
                if n < off + 8:
                    return 0, 0
                proto = frame[off + 6]
                if proto & 1:
                    off += 7
                else:
                    proto = (proto << 8) | frame[off + 7]
                    off += 8
                if proto == PPP_IPV4:
                    etype = 0x0800
                elif proto == PPP_IPV6:
                    etype = 0x86DD
                else:
                    if proto < 0x8000:  # 0x8000 and up: LCP, IPCP, PAP, CHAP, ... (no IP)
                        self._count_unread(UNREAD_PPP | proto)
                    return 0, 0
            elif etype < 0x0600 and (linktype == LINKTYPE_ETHERNET or etype == 0x0004):
                # An 802.3 length field (or Linux cooked ETH_P_802_2): an LLC header.
                # SNAP with OUI 00-00-00 or 00-00-f8 carries an ethertype (RFC 1042);
                # other LLC frames (STP, Cisco CDP/VTP/PVST+, NetBIOS, IPX) are not IP.
                if (
                    n >= off + 8
                    and frame[off] == 0xAA
                    and frame[off + 1] == 0xAA
                    and frame[off + 2] == 0x03
                    and frame[off + 3] == 0
                    and frame[off + 4] == 0
                    and frame[off + 5] in (0x00, 0xF8)
                ):
                    etype = (frame[off + 6] << 8) | frame[off + 7]
                    off += 8
                else:
                    return 0, 0
            else:
                if etype not in NOT_IP:
                    self._count_unread(etype)
                return 0, 0
        if etype == 0x0800 or etype == 0x86DD:
            return etype, off
        self._count_unread(etype)  # more layers than are read through
        return 0, 0

    def _count_unread(self, kind: int) -> None:
        unread = self.unread
        unread[kind] = unread.get(kind, 0) + 1

    def _dns(self, ts: float, msg: bytes, smac: bytes, src: bytes, sport: int, dmac: bytes, dst: bytes,
             dport: int) -> None:
        is_response, questions, names, addrs = dns_names(msg)
        # The device is the one asking: the sender of a query, the receiver of an answer.
        mac, ip, port = (dmac, dst, dport) if is_response else (smac, src, sport)
        # One lookup = the query and its answer (same asker, port, DNS id and questions).
        lookup = (ip, port, msg[:2], tuple(questions))
        counted = self._lookups.get(lookup, frozenset()) if is_response else frozenset()
        seen: set = set()
        asked = "dns-answer" if is_response else "dns-query"
        for name in questions:
            hit = self._name_hit(name)
            if hit is not None and hit.match not in seen:
                seen.add(hit.match)
                self._record(hit, ts, asked, name, mac, ip, hit.match in counted)
        for name in names:
            hit = self._name_hit(name)
            if hit is not None and hit.match not in seen:
                seen.add(hit.match)
                self._record(hit, ts, "dns-answer", name, mac, ip, hit.match in counted)
        for raw in addrs:
            hit = self._ip_hit(raw)
            if hit is not None and hit.match not in seen:
                seen.add(hit.match)
                self._record(hit, ts, "dns-answer", ip_text(raw), mac, ip, hit.match in counted)
        if seen and not is_response:
            lookups = self._lookups
            lookups.pop(lookup, None)  # a repeated query is a new lookup: newest last
            if len(lookups) >= PENDING_FLOWS:
                lookups.pop(next(iter(lookups)))  # oldest first
            lookups[lookup] = frozenset(seen)

    def _host(self, ts: float, via: str, host: str, mac: bytes, ip: bytes) -> None:
        hit = self._ip_literal_hit(host)
        if hit is None:
            hit = self._name_hit(host)
        if hit is not None:
            self._record(hit, ts, via, host, mac, ip)

    def _ip_literal_hit(self, host: str) -> Any:
        import ipaddress

        if not host or not (host[0].isdigit() or ":" in host):
            return None
        try:
            return self._ip_hit(ipaddress.ip_address(host).packed)
        except ValueError:
            return None

    # ---- TLS ClientHello across TCP segments -------------------------------------
    def _start_tls(self, ts: float, flow: bytes, seq: int, payload: bytes, mac: bytes, ip: bytes) -> None:
        if not self._try_sni(ts, payload, mac, ip):
            if len(self._pending) >= PENDING_FLOWS:
                self._pending.pop(next(iter(self._pending)))  # oldest first
            self._pending[flow] = ((seq + len(payload)) & 0xFFFFFFFF, payload, mac, ip)

    def _continue_tls(self, ts: float, flow: bytes, seq: int, payload: bytes) -> None:
        expected, stream, mac, ip = self._pending[flow]
        if seq != expected:
            if seq == (expected - len(stream)) & 0xFFFFFFFF:
                return  # retransmission of the first segment
            del self._pending[flow]
            return
        stream += payload
        if self._try_sni(ts, stream, mac, ip) or len(stream) > PENDING_BYTES:
            del self._pending[flow]
        else:
            self._pending[flow] = ((seq + len(payload)) & 0xFFFFFFFF, stream, mac, ip)

    def _try_sni(self, ts: float, stream: bytes, mac: bytes, ip: bytes) -> bool:
        """True when done with this flow (name found or cannot be found)."""
        name, complete = client_hello_sni(tls_handshake_bytes(stream))
        if name:
            self._host(ts, "tls-sni", name, mac, ip)
        return complete

    # ---- QUIC Initial packets (RFC 9000/9001) --------------------------------------
    def _quic(self, ts: float, flow: bytes, datagram: bytes, mac: bytes, ip: bytes) -> None:
        from techsafe.scanners.network.quic import CryptoStream, client_initials, crypto_frames

        pending = self._quic_pending
        for packet in client_initials(datagram):
            key = flow + packet.dcid
            if key in self._quic_done:
                continue  # a retransmission of a ClientHello already read
            stream = pending.get(key)
            if stream is None:
                if len(pending) >= PENDING_FLOWS:
                    pending.pop(next(iter(pending)))  # oldest first
                stream = pending[key] = CryptoStream()
            for offset, data in crypto_frames(packet.payload):
                stream.add(offset, data)
            name, complete = client_hello_sni(stream.contiguous())
            if name:
                self._host(ts, "quic-sni", name, mac, ip)
            if name or complete:
                del pending[key]
                if len(self._quic_done) >= PENDING_FLOWS:
                    self._quic_done.pop(next(iter(self._quic_done)))
                self._quic_done[key] = None

    # ---- results -------------------------------------------------------------------
    def contacts(self) -> tuple[Contact, ...]:
        out = []
        for t in self._tally.values():
            out.append(
                Contact(
                    match=t.hit.match,
                    category=str(getattr(t.hit, "category", "") or ""),
                    name=str(getattr(t.hit, "name", "") or t.hit.match.entry),
                    first=t.first,
                    last=t.last,
                    count=t.count,
                    via=tuple(sorted(t.via)),
                    observed=tuple(t.observed),
                    devices=tuple((_mac_text(m), ip_text(i) if i else "") for m, i in t.devices),
                    more_devices=t.more,
                )
            )
        return tuple(sorted(out, key=lambda c: (c.first, c.match.value)))


def match_packets(packets: Iterable[tuple[float, int, bytes]], indicators: Indicators) -> TrafficMatcher:
    matcher = TrafficMatcher(indicators)
    feed = matcher.feed
    for ts, linktype, frame in packets:
        feed(ts, linktype, frame)
    return matcher


def match_capture(fh: BinaryIO, indicators: Indicators) -> TrafficResult:
    """Stream one pcap/pcapng file object through the matcher.

    Raises pcapfile.CaptureFormatError when the file is not a capture at all.
    """
    reader = CaptureReader(fh)
    matcher = match_packets(reader, indicators)
    return TrafficResult(
        contacts=matcher.contacts(),
        packets=reader.packets,
        linktypes=tuple(sorted(reader.linktypes)),
        problem=reader.problem,
        skipped_linktypes=tuple(sorted(matcher.skipped_linktypes)),
        cut_short=reader.cut_short,
        snaplens=tuple(sorted(reader.snaplens)),
        unread=tuple(sorted(matcher.unread.items(), key=lambda kv: (-kv[1], kv[0]))),
    )
