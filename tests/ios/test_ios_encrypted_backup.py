"""An encrypted backup built here from the real mvt-backup, the documented way
(iOS 10.2+ backups: keybag TLV, PBKDF2-SHA256 then PBKDF2-SHA1, RFC 3394
AES key wrap, AES-256-CBC zero IV; as described by Apple's iOS Security
Guide "Keybags" and implemented by iphone_backup_decrypt / pyiosbackup)."""

from __future__ import annotations

import hashlib
import os
import plistlib
import shutil
import sqlite3
import struct

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

from techsafe.pipeline import InputError
from techsafe.scanners.ios import analyze, sources
from techsafe.scanners.ios.backup import file_id

PASSWORD = "correct horse"
CLASS = 3


def _tlv(tag: bytes, value: bytes | int) -> bytes:
    if isinstance(value, int):
        value = struct.pack(">I", value)
    return tag + struct.pack(">I", len(value)) + value


def _enc(key: bytes, data: bytes) -> bytes:
    p = padding.PKCS7(128).padder()
    e = Cipher(algorithms.AES(key), modes.CBC(b"\x00" * 16)).encryptor()
    return e.update(p.update(data) + p.finalize()) + e.finalize()


def _build(src, dst):
    shutil.copytree(src, dst)
    for p in dst.rglob("*"):
        p.chmod(0o700 if p.is_dir() else 0o600)
    dpsl, salt = os.urandom(20), os.urandom(20)
    pk = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), dpsl, 10, 32)
    pk = hashlib.pbkdf2_hmac("sha1", pk, salt, 10, 32)
    class_key = os.urandom(32)
    bag = b"".join([
        _tlv(b"VERS", 4), _tlv(b"TYPE", 1), _tlv(b"UUID", os.urandom(16)), _tlv(b"HMCK", os.urandom(40)),
        _tlv(b"WRAP", 0), _tlv(b"SALT", salt), _tlv(b"ITER", 10), _tlv(b"DPWT", 1), _tlv(b"DPIC", 10), _tlv(b"DPSL", dpsl),
        _tlv(b"UUID", os.urandom(16)), _tlv(b"CLAS", CLASS), _tlv(b"WRAP", 2), _tlv(b"KTYP", 0),
        _tlv(b"WPKY", aes_key_wrap(pk, class_key)),
    ])
    manifest_key = os.urandom(32)
    db = sqlite3.connect(dst / "Manifest.db")
    for domain, rel in [("HomeDomain", "Library/TCC/TCC.db"), ("HomeDomain", "Library/Preferences/.GlobalPreferences.plist")]:
        fid = file_id(domain, rel)
        content = dst / fid[:2] / fid
        plain = content.read_bytes()
        fkey = os.urandom(32)
        content.write_bytes(_enc(fkey, plain))
        (blob,) = db.execute("SELECT file FROM Files WHERE fileID=?", (fid,)).fetchone()
        arch = plistlib.loads(blob)
        root = arch["$objects"][arch["$top"]["root"].data]
        arch["$objects"][root["EncryptionKey"].data]["NS.data"] = struct.pack("<I", CLASS) + aes_key_wrap(class_key, fkey)
        root["Size"] = len(plain)
        db.execute("UPDATE Files SET file=? WHERE fileID=?", (plistlib.dumps(arch, fmt=plistlib.FMT_BINARY), fid))
    db.commit()
    db.close()
    (dst / "Manifest.db").write_bytes(_enc(manifest_key, (dst / "Manifest.db").read_bytes()))
    (dst / "Manifest.plist").write_bytes(plistlib.dumps({
        "IsEncrypted": True, "BackupKeyBag": bag,
        "ManifestKey": struct.pack("<I", CLASS) + aes_key_wrap(class_key, manifest_key), "Version": "10.0"}))
    return dst


@pytest.fixture
def encrypted_backup(shared, tmp_path):
    return _build(shared / "captures/ios/mvt-backup", tmp_path / "enc")


def test_right_password(encrypted_backup, new_case, indicators):
    case = new_case()
    sources.ingest(encrypted_backup, case, password=PASSWORD)
    a = analyze.analyze(case, indicators)
    dev = dict(a.device)
    assert (dev["ios_version"], dev["backup_encrypted"], dev["lockdown_mode"]) == ("14.3", "yes", "on")
    assert [(f.kind, f.subject) for f in a.findings] == [
        ("ios.os.outdated", "iOS version"), ("ios.app.permissions", "net.whatsapp.WhatsApp")]


def test_wrong_or_missing_password(encrypted_backup, new_case):
    with pytest.raises(InputError) as exc:
        sources.ingest(encrypted_backup, new_case(), password="wrong")
    assert str(exc.value) == f"{encrypted_backup}: wrong backup password (the backup could not be unlocked)"
    with pytest.raises(InputError) as exc:
        sources.ingest(encrypted_backup, new_case())
    assert str(exc.value) == f"{encrypted_backup}: this iPhone backup is encrypted; give its password (--password)"
