"""QUIC Initial packets: the TLS ClientHello a client sends first, read in clear.

A QUIC client's first packets are encrypted, but only with keys anyone can
derive from the packet's own Destination Connection ID, so the server name
(SNI) of a QUIC connection is readable from a capture, like TLS over TCP.

  RFC 9000 17.2 / 17.2.2   long header, Initial packet; 16 variable-length integers
  RFC 9000 19.6, 12.4      CRYPTO frames; frames allowed in Initial packets
  RFC 9001 5.2             initial secrets: HKDF-SHA256 over the DCID with a fixed salt
  RFC 9001 5.3, 5.4        AEAD_AES_128_GCM payload, AES-ECB header protection
  RFC 9369 3               QUIC version 2: its salt, labels and Initial type code

Every datagram is hostile: all lengths are checked, loops are bounded, bad
packets give nothing (never an exception), and memory per flow is capped by
the caller (CryptoStream.MAX_BYTES).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

VERSION_1 = 0x00000001
VERSION_2 = 0x6B3343CF
# version -> (initial salt, key label, iv label, hp label, Initial long-packet type)
_VERSIONS = {
    VERSION_1: (bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a"), b"quic key", b"quic iv", b"quic hp", 0),
    VERSION_2: (bytes.fromhex("0dede3def700a6db819381be6e269dcbf9bd2ed9"), b"quicv2 key", b"quicv2 iv", b"quicv2 hp", 1),
}
# The 4 version bytes of a long header, for a cheap test before any work.
VERSION_BYTES = frozenset(v.to_bytes(4, "big") for v in _VERSIONS)

MAX_CID = 20  # RFC 9000 17.2: longer connection ids are invalid in v1 and v2
MAX_COALESCED = 8  # packets looked at in one datagram
TAG = 16


def _varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """(value, position after) of an RFC 9000 16 variable-length integer; (-1, end) when cut short."""
    if pos >= end:
        return -1, end
    first = buf[pos]
    size = 1 << (first >> 6)
    if pos + size > end:
        return -1, end
    value = first & 0x3F
    for i in range(1, size):
        value = (value << 8) | buf[pos + i]
    return value, pos + size


# ---- keys ----------------------------------------------------------------------


def _hkdf_expand_label(secret: bytes, label: bytes, length: int) -> bytes:
    """TLS 1.3 HKDF-Expand-Label (RFC 8446 7.1) with an empty context."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

    full = b"tls13 " + label
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + b"\x00"
    return HKDFExpand(algorithm=hashes.SHA256(), length=length, info=info).derive(secret)


def initial_secrets(dcid: bytes, version: int = VERSION_1) -> tuple[bytes, bytes, bytes]:
    """(initial_secret, client_initial_secret, server_initial_secret), RFC 9001 5.2."""
    import hashlib
    import hmac

    salt = _VERSIONS[version][0]
    initial = hmac.new(salt, dcid, hashlib.sha256).digest()  # HKDF-Extract
    return initial, _hkdf_expand_label(initial, b"client in", 32), _hkdf_expand_label(initial, b"server in", 32)


@dataclass(frozen=True)
class PacketKeys:
    key: bytes  # AEAD_AES_128_GCM key
    iv: bytes
    hp: bytes  # header protection key (AES-128-ECB)


def packet_keys(secret: bytes, version: int = VERSION_1) -> PacketKeys:
    _salt, key_label, iv_label, hp_label, _type = _VERSIONS[version]
    return PacketKeys(
        _hkdf_expand_label(secret, key_label, 16),
        _hkdf_expand_label(secret, iv_label, 12),
        _hkdf_expand_label(secret, hp_label, 16),
    )


@lru_cache(maxsize=1024)
def _client_ciphers(dcid: bytes, version: int):
    """(AESGCM, header-protection encryptor factory input, iv) for a client's Initial packets.

    Cached: a client sends several Initials with the same DCID, and a capture
    repeats them on retransmission.
    """
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    keys = packet_keys(initial_secrets(dcid, version)[1], version)
    return AESGCM(keys.key), Cipher(algorithms.AES(keys.hp), modes.ECB()), keys.iv


# ---- packets -------------------------------------------------------------------


@dataclass(frozen=True)
class InitialPacket:
    version: int
    dcid: bytes
    packet_number: int
    payload: bytes  # decrypted frames


def client_initials(datagram: bytes) -> list[InitialPacket]:
    """Every client Initial packet in a UDP datagram that decrypts with the
    initial keys of its own DCID (coalesced packets included, RFC 9000 12.2).

    A server's Initial is keyed by the client's original DCID, which it does
    not carry: it fails authentication and is skipped, as is anything forged.
    """
    out: list[InitialPacket] = []
    pos = 0
    n = len(datagram)
    for _ in range(MAX_COALESCED):
        if pos + 7 > n or not datagram[pos] & 0x80:  # short header (or nothing): no more long packets
            break
        packet, pos = _one_long_packet(datagram, pos)
        if pos < 0:
            break
        if packet is not None:
            out.append(packet)
    return out


def _one_long_packet(buf: bytes, start: int) -> tuple[InitialPacket | None, int]:
    """(decrypted Initial or None, start of the next coalesced packet, or -1 to stop)."""
    n = len(buf)
    version = int.from_bytes(buf[start + 1 : start + 5], "big")
    params = _VERSIONS.get(version)
    if params is None:
        return None, -1  # unknown version: its packet layout is unknown too
    pos = start + 5
    dlen = buf[pos]
    if dlen > MAX_CID or pos + 1 + dlen >= n:
        return None, -1
    dcid = bytes(buf[pos + 1 : pos + 1 + dlen])
    pos += 1 + dlen
    slen = buf[pos]
    if slen > MAX_CID or pos + 1 + slen > n:
        return None, -1
    pos += 1 + slen
    ptype = (buf[start] >> 4) & 0x03
    if ptype == (3 if version == VERSION_1 else 0):  # Retry: no length field, ends the datagram
        return None, -1
    if ptype == params[4]:
        token_len, pos = _varint(buf, pos, n)
        if token_len < 0 or pos + token_len > n:
            return None, -1
        pos += token_len
    length, pn_offset = _varint(buf, pos, n)
    if length < 0 or pn_offset + length > n:
        return None, -1
    end = pn_offset + length
    if ptype != params[4]:
        return None, end  # 0-RTT / Handshake: keys we do not have; skip over it
    return _decrypt(buf, start, pn_offset, end, version, dcid), end


def _decrypt(buf: bytes, start: int, pn_offset: int, end: int, version: int, dcid: bytes) -> InitialPacket | None:
    from cryptography.exceptions import InvalidTag

    if pn_offset + 4 + 16 > end:  # header protection samples 16 bytes 4 past the packet number
        return None
    aead, hp_cipher, iv = _client_ciphers(dcid, version)
    encryptor = hp_cipher.encryptor()
    mask = encryptor.update(bytes(buf[pn_offset + 4 : pn_offset + 20]))
    first = buf[start] ^ (mask[0] & 0x0F)  # long header: the low 4 bits are protected
    pn_len = (first & 0x03) + 1
    if pn_offset + pn_len + TAG > end:
        return None
    pn_bytes = bytes(b ^ m for b, m in zip(buf[pn_offset : pn_offset + pn_len], mask[1 : 1 + pn_len]))
    header = bytes([first]) + bytes(buf[start + 1 : pn_offset]) + pn_bytes
    # A client's first packets carry small packet numbers, so the truncated
    # number is the full one (RFC 9000 A.3 with no packet received yet).
    packet_number = int.from_bytes(pn_bytes, "big")
    nonce = bytes(a ^ b for a, b in zip(iv, packet_number.to_bytes(12, "big")))
    try:
        payload = aead.decrypt(nonce, bytes(buf[pn_offset + pn_len : end]), header)
    except InvalidTag:
        return None
    return InitialPacket(version, dcid, packet_number, payload)


# ---- frames --------------------------------------------------------------------


def crypto_frames(payload: bytes) -> list[tuple[int, bytes]]:
    """(offset, data) of each CRYPTO frame in a decrypted Initial payload.

    Only the frames RFC 9000 12.4 allows in Initial packets are understood
    (PADDING, PING, ACK, CRYPTO, CONNECTION_CLOSE); anything else ends the
    parse, keeping what came before.
    """
    out: list[tuple[int, bytes]] = []
    pos = 0
    n = len(payload)
    while pos < n:
        ftype = payload[pos]
        if ftype == 0x00:  # PADDING: skip the whole run at once
            stripped = payload[pos:].lstrip(b"\x00")
            pos = n - len(stripped)
            continue
        pos += 1
        if ftype == 0x01:  # PING
            continue
        if ftype == 0x06:  # CRYPTO: offset, length, data
            offset, pos = _varint(payload, pos, n)
            length, pos = _varint(payload, pos, n)
            if offset < 0 or length < 0 or pos + length > n:
                break
            out.append((offset, bytes(payload[pos : pos + length])))
            pos += length
        elif ftype in (0x02, 0x03):  # ACK (0x03: with ECN counts)
            _largest, pos = _varint(payload, pos, n)
            _delay, pos = _varint(payload, pos, n)
            ranges, pos = _varint(payload, pos, n)
            if ranges < 0 or ranges > n:
                break
            fields = 1 + 2 * ranges + (3 if ftype == 0x03 else 0)
            ok = True
            for _ in range(fields):
                value, pos = _varint(payload, pos, n)
                if value < 0:
                    ok = False
                    break
            if not ok:
                break
        elif ftype in (0x1C, 0x1D):  # CONNECTION_CLOSE: nothing after it matters
            break
        else:
            break
    return out


class CryptoStream:
    """The start of the Initial CRYPTO stream of one connection, from frames in any order.

    Browsers split the ClientHello over several CRYPTO frames and packets and
    may send them out of order; the name is read from the contiguous bytes
    from offset 0. Bytes beyond MAX_BYTES are ignored (a real ClientHello,
    post-quantum key shares included, is a few kilobytes).
    """

    MAX_BYTES = 16384
    MAX_CHUNKS = 256  # bounds the work of contiguous() against floods of tiny frames

    __slots__ = ("_chunks", "_size")

    def __init__(self) -> None:
        self._chunks: dict[int, bytes] = {}
        self._size = 0

    def add(self, offset: int, data: bytes) -> None:
        if offset >= self.MAX_BYTES or not data:
            return
        data = data[: self.MAX_BYTES - offset]
        old = self._chunks.get(offset)
        if old is None or len(old) < len(data):
            if old is None and len(self._chunks) >= self.MAX_CHUNKS:
                return
            if self._size + len(data) > 4 * self.MAX_BYTES:  # hostile overlapping frames
                return
            self._chunks[offset] = data
            self._size += len(data)

    def contiguous(self) -> bytes:
        out = bytearray()
        while True:
            best = b""
            # any chunk starting at or before the end that extends it
            for offset, data in self._chunks.items():
                if offset <= len(out) < offset + len(data) and offset + len(data) > len(out) + len(best):
                    best = data[len(out) - offset :]
            if not best:
                return bytes(out)
            out += best
