"""Encrypted iPhone backups (iOS 10.2+), the documented scheme:

Manifest.plist BackupKeyBag is a TLV keybag (4-byte tag, 4-byte big-endian
length): header (VERS, TYPE, UUID, HMCK, WRAP, SALT, ITER, DPWT, DPIC, DPSL)
then per-class entries (UUID, CLAS, WRAP, KTYP, WPKY). The password key is
PBKDF2-HMAC-SHA256(password, DPSL, DPIC) then PBKDF2-HMAC-SHA1(that, SALT,
ITER); each class key WPKY is AES-key-unwrapped (RFC 3394) with it.
ManifestKey = 4-byte little-endian protection class + wrapped key; Manifest.db
and each file are AES-256-CBC with a zero IV. A file's key is in its
Manifest.db record (MBFile.EncryptionKey, same layout as ManifestKey).
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import Any

from techsafe.scanners.ios.plists import ParseError, keyed_archive_root

WRAP_PASSCODE = 2


class CryptoError(Exception):
    pass


class WrongPassword(CryptoError):
    pass


def parse_keybag(data: bytes) -> tuple[dict[bytes, Any], dict[int, dict[bytes, Any]]]:
    header: dict[bytes, Any] = {}
    classes: dict[int, dict[bytes, Any]] = {}
    current: dict[bytes, Any] | None = None
    i = 0
    while i + 8 <= len(data):
        tag, length = data[i:i + 4], struct.unpack(">I", data[i + 4:i + 8])[0]
        value = data[i + 8:i + 8 + length]
        if len(value) != length:
            raise CryptoError("the backup keybag is truncated")
        i += 8 + length
        v: Any = struct.unpack(">I", value)[0] if length == 4 else value
        if tag == b"UUID" and b"UUID" in header:
            if current is not None and b"CLAS" in current:
                classes[current[b"CLAS"]] = current
            current = {}
        (header if current is None else current)[tag] = v
    if current is not None and b"CLAS" in current:
        classes[current[b"CLAS"]] = current
    return header, classes


def _unwrap(kek: bytes, wrapped: bytes) -> bytes:
    from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap

    try:
        return aes_key_unwrap(kek, wrapped)
    except (InvalidUnwrap, ValueError):
        raise WrongPassword("wrong password") from None


def _cbc_decrypt(key: bytes, data: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    if len(data) % 16:
        raise CryptoError("encrypted data is not a whole number of blocks")
    dec = Cipher(algorithms.AES(key), modes.CBC(b"\x00" * 16)).decryptor()
    return dec.update(data) + dec.finalize()


def _unpad(data: bytes) -> bytes:
    n = data[-1] if data else 0
    if 1 <= n <= 16 and data.endswith(bytes([n]) * n):
        return data[:-n]
    return data


@dataclass
class BackupDecryptor:
    class_keys: dict[int, bytes]

    @classmethod
    def open(cls, manifest: dict[str, Any], password: str) -> "BackupDecryptor":
        bag = manifest.get("BackupKeyBag")
        if not isinstance(bag, bytes):
            raise CryptoError("Manifest.plist has no backup keybag")
        header, classes = parse_keybag(bag)
        try:
            k = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), header[b"DPSL"], header[b"DPIC"], 32)
            k = hashlib.pbkdf2_hmac("sha1", k, header[b"SALT"], header[b"ITER"], 32)
        except (KeyError, TypeError, ValueError):
            raise CryptoError("the backup keybag is missing its password parameters") from None
        keys = {}
        for clas, entry in classes.items():
            if isinstance(entry.get(b"WRAP"), int) and entry[b"WRAP"] & WRAP_PASSCODE and isinstance(entry.get(b"WPKY"), bytes):
                keys[clas] = _unwrap(k, entry[b"WPKY"])
        if not keys:
            raise CryptoError("the backup keybag holds no class keys")
        out = cls(keys)
        mk = manifest.get("ManifestKey")
        if not isinstance(mk, bytes) or len(mk) < 44:
            raise CryptoError("Manifest.plist has no ManifestKey")
        out.manifest_key = out._key(mk)
        return out

    def _key(self, blob: bytes) -> bytes:
        clas = struct.unpack("<I", blob[:4])[0]
        if clas not in self.class_keys:
            raise CryptoError(f"no key for protection class {clas}")
        return _unwrap(self.class_keys[clas], blob[4:])

    def manifest_db(self, data: bytes) -> bytes:
        return _unpad(_cbc_decrypt(self.manifest_key, data))

    def file(self, record_blob: bytes, data: bytes) -> bytes:
        """Decrypt one file's content with the key in its Manifest.db record."""
        try:
            rec = keyed_archive_root(record_blob, "file record")
        except ParseError as exc:
            raise CryptoError(str(exc)) from None
        key = rec.get("EncryptionKey")
        if not isinstance(key, bytes):
            raise CryptoError("file record has no key")
        plain = _cbc_decrypt(self._key(key), data)
        size = rec.get("Size")
        return plain[:size] if isinstance(size, int) and 0 <= size <= len(plain) else _unpad(plain)
