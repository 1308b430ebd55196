"""Who made an app: its file hash and signing certificates, read from APK bytes.

Pure and bounded: an APK comes from the phone, so a stalkerware author chose
every byte. Nothing here trusts a length field without checking it against the
bytes actually present, nothing decompresses more than a cap, and anything
that does not add up raises ApkError with a plain reason (the area then shows
as "not checked" instead of an empty result).

Formats (from the AOSP documentation and apksig sources):
- APK Signing Block (v2/v3): just before the ZIP central directory.
  `uint64 size_of_block | pairs... | uint64 size_of_block | "APK Sig Block 42"`;
  each pair `uint64 length | uint32 id | value`. v2 id 0x7109871a, v3 id
  0xf05368c0 (v3.1 0x1b93ad61 holds the same layout). The value is a
  length-prefixed sequence of length-prefixed signers; a signer starts with
  length-prefixed signed data, whose first field is the digests and second the
  length-prefixed sequence of length-prefixed DER X.509 certificates (the
  first one is the signing certificate).
- v1 (JAR signing): META-INF/*.RSA|*.DSA|*.EC, a DER PKCS#7 SignedData.

Fingerprints are over the DER certificate: SHA-1 as 40 upper-case hex (the
Echap `certificates:` convention) and SHA-256 as 64 upper-case hex.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zipfile
from dataclasses import dataclass
from typing import Iterator

MB = 1024 * 1024
SIG_BLOCK_MAGIC = b"APK Sig Block 42"
SCHEME_IDS = {0x7109871A: "v2", 0xF05368C0: "v3", 0x1B93AD61: "v3.1"}
EOCD_SIG = b"PK\x05\x06"
EOCD_MIN = 22
MAX_COMMENT = 0xFFFF
MAX_SIGNERS = 16
MAX_CERTS = 16
MAX_CERT_BYTES = 64 * 1024
MAX_V1_SIG_FILE = 1 * MB  # a PKCS#7 block is a few KB
MAX_ZIP_ENTRIES = 100_000
# Code files YARA reads: classes.dex, classes2.dex... and native libraries.
CODE_ENTRY = re.compile(r"^(classes\d*\.dex|lib/[^/]{1,64}/[^/]{1,255}\.so)$")
V1_SIG_ENTRY = re.compile(r"^META-INF/[^/]{1,255}\.(RSA|DSA|EC)$", re.I)


class ApkError(ValueError):
    """The bytes are not an APK this reader can vouch for; the message says why."""


@dataclass(frozen=True)
class Certificate:
    sha1: str  # 40 upper-case hex of the DER certificate
    sha256: str  # 64 upper-case hex
    subject: str  # RFC 4514 string (app-controlled text: display only)
    schemes: tuple[str, ...]  # where it was found: v1, v2, v3, v3.1


@dataclass(frozen=True)
class ApkIdentity:
    sha256: str  # of the whole file, lower-case hex (samples.csv / STIX)
    size: int
    certificates: tuple[Certificate, ...]
    schemes: tuple[str, ...]  # signature schemes present
    code_files: tuple[str, ...]  # classes*.dex and lib/*/*.so entry names
    problems: tuple[str, ...] = ()  # parts that could not be read (the rest is still valid)


def read_identity(data: bytes) -> ApkIdentity:
    """Hash and certificates of one APK. ApkError if it is not a readable APK."""
    digest = hashlib.sha256(data).hexdigest()
    if len(data) < EOCD_MIN or not data.startswith(b"PK"):
        raise ApkError("not an APK (no ZIP header)")
    eocd = _find_eocd(data)
    cd_size, cd_offset = struct.unpack_from("<II", data, eocd + 12)
    if cd_offset + cd_size > eocd:
        raise ApkError("the ZIP directory points past the end of the file (truncated or corrupt)")
    problems: list[str] = []
    found: dict[bytes, set[str]] = {}  # DER certificate -> schemes it was found in
    schemes: list[str] = []

    try:
        for scheme, ders in _signing_block_certs(data, cd_offset):
            schemes.append(scheme)
            for der in ders:
                found.setdefault(der, set()).add(scheme)
    except ApkError as exc:
        problems.append(f"APK signing block: {exc}")

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError, struct.error, NotImplementedError) as exc:
        raise ApkError(f"the ZIP directory is unreadable ({_short(exc)})") from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise ApkError(f"too many files in the APK ({len(infos)})")
    names = [i.filename for i in infos]
    v1_entries = [i for i in infos if V1_SIG_ENTRY.match(i.filename)]
    for info in v1_entries[:MAX_SIGNERS]:
        try:
            raw = read_entry(zf, info, MAX_V1_SIG_FILE)
            ders = _pkcs7_certs(raw)
        except ApkError as exc:
            problems.append(f"{info.filename[:80]}: {exc}")
            continue
        if "v1" not in schemes:
            schemes.append("v1")
        for der in ders:
            found.setdefault(der, set()).add("v1")

    certs = []
    for der, where in found.items():
        certs.append(
            Certificate(
                sha1=hashlib.sha1(der).hexdigest().upper(),
                sha256=hashlib.sha256(der).hexdigest().upper(),
                subject=_subject_of(der),
                schemes=tuple(sorted(where)),
            )
        )
    certs.sort(key=lambda c: (c.schemes, c.sha1))
    code = tuple(n for n in names if CODE_ENTRY.match(n))
    return ApkIdentity(digest, len(data), tuple(certs), tuple(schemes), code, tuple(problems))


def iter_code_files(data: bytes, *, per_file_cap: int = 64 * MB, total_cap: int = 512 * MB) -> Iterator[tuple[str, bytes | None, str]]:
    """(entry name, bytes or None, problem) for every classes*.dex and
    lib/*/*.so, read in memory, each capped (zip bombs stop at the cap)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError, struct.error, NotImplementedError) as exc:
        raise ApkError(f"the ZIP directory is unreadable ({_short(exc)})") from None
    budget = total_cap
    for info in infos[:MAX_ZIP_ENTRIES]:
        if not CODE_ENTRY.match(info.filename):
            continue
        cap = min(per_file_cap, budget)
        try:
            raw = read_entry(zf, info, cap)
        except ApkError as exc:
            yield info.filename, None, str(exc)
            continue
        budget -= len(raw)
        yield info.filename, raw, ""


def read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """One ZIP entry, never more than `cap` bytes decompressed whatever the
    headers claim (a zip bomb's declared size may lie)."""
    if info.file_size > cap:
        raise ApkError(f"larger than the {cap // MB or 1} MB limit ({info.file_size} bytes declared)")
    if info.flag_bits & 0x1:
        raise ApkError("encrypted entry")
    out = bytearray()
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(min(1 * MB, cap + 1 - len(out)))
                if not chunk:
                    break
                out += chunk
                if len(out) > cap:
                    raise ApkError(f"expands beyond the {cap // MB or 1} MB limit (zip bomb?)")
    except ApkError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        raise ApkError(f"cannot be decompressed ({_short(exc)})") from None
    except Exception as exc:  # zlib.error and friends: hostile data, not our bug
        raise ApkError(f"cannot be decompressed ({type(exc).__name__})") from None
    return bytes(out)


# --------------------------------------------------------------------------- ZIP end record


def _find_eocd(data: bytes) -> int:
    """Offset of the End of Central Directory record (the last one whose
    comment length reaches exactly the end of the file)."""
    start = max(0, len(data) - EOCD_MIN - MAX_COMMENT)
    pos = data.rfind(EOCD_SIG, start)
    while pos >= 0:
        if pos + EOCD_MIN <= len(data):
            (comment_len,) = struct.unpack_from("<H", data, pos + 20)
            if pos + EOCD_MIN + comment_len == len(data):
                return pos
        pos = data.rfind(EOCD_SIG, start, pos)
    raise ApkError("no ZIP end record (truncated file?)")


# --------------------------------------------------------------------------- v2 / v3


def _signing_block_certs(data: bytes, cd_offset: int) -> Iterator[tuple[str, list[bytes]]]:
    """(scheme, [DER signing certificate per signer]) for each v2/v3 block."""
    if cd_offset < 32 or data[cd_offset - 16 : cd_offset] != SIG_BLOCK_MAGIC:
        return  # no APK Signing Block: a v1-only (or unsigned) APK
    (size_footer,) = struct.unpack_from("<Q", data, cd_offset - 24)
    block_start = cd_offset - size_footer - 8
    if size_footer < 24 or block_start < 0:
        raise ApkError("its size field points outside the file")
    (size_header,) = struct.unpack_from("<Q", data, block_start)
    if size_header != size_footer:
        raise ApkError("its two size fields disagree")
    pairs = memoryview(data)[block_start + 8 : cd_offset - 24]
    pos = 0
    while pos < len(pairs):
        if len(pairs) - pos < 12:
            raise ApkError("a truncated entry")
        (length,) = struct.unpack_from("<Q", pairs, pos)
        if length < 4 or length > len(pairs) - pos - 8:
            raise ApkError("an entry length points past the block")
        (pair_id,) = struct.unpack_from("<I", pairs, pos + 8)
        value = pairs[pos + 12 : pos + 8 + length]
        pos += 8 + length
        scheme = SCHEME_IDS.get(pair_id)
        if scheme:
            yield scheme, _scheme_certs(value, scheme)


def _lp_items(buf: memoryview, limit: int, what: str) -> list[memoryview]:
    """A sequence of uint32-length-prefixed items filling `buf` exactly."""
    items, pos = [], 0
    while pos < len(buf):
        if len(items) >= limit:
            raise ApkError(f"too many {what}")
        if len(buf) - pos < 4:
            raise ApkError(f"a truncated {what[:-1]} length")
        (n,) = struct.unpack_from("<I", buf, pos)
        if n > len(buf) - pos - 4:
            raise ApkError(f"a {what[:-1]} length points past its container")
        items.append(buf[pos + 4 : pos + 4 + n])
        pos += 4 + n
    return items


def _lp_one(buf: memoryview, pos: int, what: str) -> tuple[memoryview, int]:
    if len(buf) - pos < 4:
        raise ApkError(f"a truncated {what} length")
    (n,) = struct.unpack_from("<I", buf, pos)
    if n > len(buf) - pos - 4:
        raise ApkError(f"the {what} length points past its container")
    return buf[pos + 4 : pos + 4 + n], pos + 4 + n


def _scheme_certs(value: memoryview, scheme: str) -> list[bytes]:
    signers_seq, _ = _lp_one(value, 0, "signer sequence")
    out = []
    for signer in _lp_items(signers_seq, MAX_SIGNERS, "signers"):
        signed_data, _ = _lp_one(signer, 0, "signed data")
        _digests, pos = _lp_one(signed_data, 0, "digests")
        certs_seq, _ = _lp_one(signed_data, pos, "certificates")
        certs = _lp_items(certs_seq, MAX_CERTS, "certificates")
        if not certs:
            raise ApkError(f"a {scheme} signer without a certificate")
        der = bytes(certs[0])  # the first certificate is the signer's; the rest is its chain
        if not 0 < len(der) <= MAX_CERT_BYTES:
            raise ApkError(f"a {scheme} certificate of implausible size")
        _check_der_cert(der)
        out.append(der)
    if not out:
        raise ApkError(f"a {scheme} block without signers")
    return out


def _check_der_cert(der: bytes) -> None:
    from cryptography import x509

    try:
        x509.load_der_x509_certificate(der)
    except ValueError:
        raise ApkError("a certificate that is not valid X.509") from None


# --------------------------------------------------------------------------- v1


def _pkcs7_certs(raw: bytes) -> list[bytes]:
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

    try:
        certs = pkcs7.load_der_pkcs7_certificates(raw)
    except ValueError:
        raise ApkError("not a PKCS#7 signature block") from None
    except Exception as exc:  # the Rust backend may raise its own types on garbage
        raise ApkError(f"not a PKCS#7 signature block ({type(exc).__name__})") from None
    if not certs:
        raise ApkError("a signature block without certificates")
    return [c.public_bytes(Encoding.DER) for c in certs[:MAX_CERTS]]


def _subject_of(der: bytes) -> str:
    from cryptography import x509

    try:
        return x509.load_der_x509_certificate(der).subject.rfc4514_string()[:200]
    except Exception:  # display only
        return ""


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:120]
