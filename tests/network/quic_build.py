"""Build QUIC client Initial packets for the tests, written from the RFCs.

An encoder independent of techsafe's decoder (its own HKDF, AEAD and header
protection code, from `cryptography`), checked against RFC 9001 Appendix A.2
byte for byte in test_quic.py, so generated packets are known-good QUIC.

  RFC 9000 17.2.2  Initial packet layout; 16 varints; 19.6 CRYPTO frame
  RFC 9001 5.2-5.4 initial secrets, AEAD_AES_128_GCM, AES-ECB header protection
  RFC 9369 3       QUIC v2 salt, labels and Initial type
"""

from __future__ import annotations

import hashlib
import hmac

V1 = 0x00000001
V2 = 0x6B3343CF
SALT = {V1: "38762cf7f55934b34d179ae6a4c80cadccbb7f0a", V2: "0dede3def700a6db819381be6e269dcbf9bd2ed9"}
LABEL_PREFIX = {V1: b"quic ", V2: b"quicv2 "}
INITIAL_TYPE = {V1: 0, V2: 1}


def varint(value: int) -> bytes:
    for size, prefix in ((1, 0x00), (2, 0x40), (4, 0x80), (8, 0xC0)):
        if value < 1 << (8 * size - 2):
            raw = bytearray(value.to_bytes(size, "big"))
            raw[0] |= prefix
            return bytes(raw)
    raise ValueError(value)


def _expand_label(secret: bytes, label: bytes, length: int) -> bytes:
    full = b"tls13 " + label
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + b"\x00"
    # HKDF-Expand (RFC 5869 2.3) by hand: one or two HMAC blocks suffice here.
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(secret, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def client_keys(dcid: bytes, version: int = V1) -> tuple[bytes, bytes, bytes]:
    initial = hmac.new(bytes.fromhex(SALT[version]), dcid, hashlib.sha256).digest()
    secret = _expand_label(initial, b"client in", 32)
    p = LABEL_PREFIX[version]
    return _expand_label(secret, p + b"key", 16), _expand_label(secret, p + b"iv", 12), _expand_label(secret, p + b"hp", 16)


def protect(header: bytes, pn_offset: int, pn_len: int, packet_number: int, payload: bytes, dcid: bytes, version: int = V1) -> bytes:
    """Encrypt `payload` under `header` (whose packet number is in clear) and apply header protection."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key, iv, hp = client_keys(dcid, version)
    nonce = bytes(a ^ b for a, b in zip(iv, packet_number.to_bytes(12, "big")))
    sealed = AESGCM(key).encrypt(nonce, payload, header)
    sample = sealed[4 - pn_len : 4 - pn_len + 16]
    mask = Cipher(algorithms.AES(hp), modes.ECB()).encryptor().update(sample)
    out = bytearray(header)
    out[0] ^= mask[0] & 0x0F
    for i in range(pn_len):
        out[pn_offset + i] ^= mask[1 + i]
    return bytes(out) + sealed


def crypto_frame(offset: int, data: bytes) -> bytes:
    return b"\x06" + varint(offset) + varint(len(data)) + data


def initial_packet(frames: bytes, dcid: bytes, scid: bytes = b"", packet_number: int = 0, version: int = V1, pad_to: int = 1200) -> bytes:
    """One client Initial packet (4-byte packet number) carrying `frames`, PADDING-filled to `pad_to` bytes."""
    pn_len = 4
    head = (
        bytes([0xC0 | (INITIAL_TYPE[version] << 4) | (pn_len - 1)])
        + version.to_bytes(4, "big")
        + bytes([len(dcid)]) + dcid
        + bytes([len(scid)]) + scid
        + varint(0)  # no token
    )
    fixed = len(head) + 2 + pn_len + 16  # 2-byte length varint
    payload = frames + b"\x00" * max(0, pad_to - fixed - len(frames))
    total = pn_len + len(payload) + 16
    assert total < 1 << 14
    length = (0x4000 | total).to_bytes(2, "big")  # always the 2-byte varint form, as RFC 9001 A.2 does
    header = head + length + packet_number.to_bytes(pn_len, "big")
    return protect(header, len(head) + 2, pn_len, packet_number, payload, dcid, version)


def client_hello_handshake(sni: str, padding: int = 0) -> bytes:
    """A TLS ClientHello handshake message (no record header: QUIC carries it in CRYPTO frames)."""
    from scapy.layers.tls.extensions import ServerName, TLS_Ext_Padding, TLS_Ext_ServerName
    from scapy.layers.tls.handshake import TLSClientHello

    ext = [TLS_Ext_ServerName(servernames=[ServerName(servername=sni.encode())])]
    if padding:
        ext.insert(0, TLS_Ext_Padding(padding=b"\x00" * padding))
    return bytes(TLSClientHello(ext=ext))


def client_hello_datagrams(sni: str, dcid: bytes, *, split: bool = False, version: int = V1) -> list[bytes]:
    """The first flight of a QUIC client asking for `sni`.

    split=True does what Chrome does with large (post-quantum) hellos: the
    ClientHello spans two Initial packets in two datagrams, and the first
    packet carries its CRYPTO frames out of order.
    """
    hello = client_hello_handshake(sni, padding=1300 if split else 0)
    if not split:
        return [initial_packet(crypto_frame(0, hello), dcid, version=version)]
    a, b, c = hello[:300], hello[300:900], hello[900:]
    first = crypto_frame(300, b) + b"\x01" + crypto_frame(0, a)  # out of order, a PING between
    second = crypto_frame(900, c)
    return [initial_packet(first, dcid, packet_number=0, version=version), initial_packet(second, dcid, packet_number=1, version=version)]
