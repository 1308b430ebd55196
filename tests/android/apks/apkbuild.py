"""Build real APKs for the tests: a ZIP with a DEX (and optionally a native
library), signed by Debian's `apksigner` (v1, v2, v3) or the JDK's
`jarsigner` (v1), with keys made here.

The DEX is a minimal file in the Dalvik format's shape (magic `dex\\n035\\0`,
a 0x70-byte header, then a string area of ULEB128-length-prefixed MUTF-8
strings, as in the Dalvik executable format documentation,
source.android.com/docs/core/runtime/dex-format). YARA rules key on the magic
and on strings, which is what these tests exercise; no Android runtime reads it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

DEX_MAGIC = b"dex\n035\x00"
STORE_PASS = "techsafe-test"

# Strings of the team's generic rule (signatures/yara/stalkerware_generic.yar).
GENERIC_STALKERWARE_STRINGS = [
    "Landroid/accessibilityservice/AccessibilityService;", "getRootInActiveWindow",
    "Landroid/view/accessibility/AccessibilityNodeInfo;", "com.whatsapp", "org.telegram.messenger",
    "android.provider.Telephony.SMS_RECEIVED", "createFromPdu", "sendTextMessage",
    "setComponentEnabledSetting",
]


def uleb128(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def dex(strings: list[str], *, pad_to: int = 0, seed: bytes = b"") -> bytes:
    """A DEX-shaped file holding `strings`; `pad_to` grows it to a realistic
    size with deterministic pseudo-random filler (not matched by any rule)."""
    body = bytearray()
    for s in sorted(set(strings)):
        raw = s.encode("utf-8")
        body += uleb128(len(raw)) + raw + b"\x00"
    header = bytearray(DEX_MAGIC + bytes(0x70 - len(DEX_MAGIC)))
    data = header + body
    if pad_to > len(data):
        filler = bytearray()
        block = hashlib.sha256(seed or b"techsafe").digest()
        while len(filler) < pad_to - len(data):
            block = hashlib.sha256(block).digest()
            filler += block * 64
        data += filler[: pad_to - len(data)]
    return bytes(data)


def unsigned_apk(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("AndroidManifest.xml", b"\x03\x00\x08\x00" + bytes(4))  # AXML chunk header only
        for name, data in files.items():
            z.writestr(name, data)
    return path


@dataclass(frozen=True)
class Signer:
    keystore: Path  # PKCS#12
    alias: str
    cert_der: bytes

    @property
    def sha1(self) -> str:
        return hashlib.sha1(self.cert_der).hexdigest().upper()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.cert_der).hexdigest().upper()


def make_signer(folder: Path, cn: str, key_type: str = "rsa") -> Signer:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if key_type == "rsa" \
        else ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    start = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=9000)).sign(key, hashes.SHA256()))
    alias = cn.lower().replace(" ", "")
    path = folder / f"{alias}.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        alias.encode(), key, cert, None, serialization.BestAvailableEncryption(STORE_PASS.encode())))
    return Signer(path, alias, cert.public_bytes(serialization.Encoding.DER))


def apksigner_sign(unsigned: Path, out: Path, signer: Signer, schemes: tuple[str, ...]) -> Path:
    """Sign with Debian's apksigner using exactly `schemes` (v1/v2/v3)."""
    flags = []
    for v in ("v1", "v2", "v3", "v4"):
        flags += [f"--{v}-signing-enabled", "true" if v in schemes else "false"]
    subprocess.run([_tool("apksigner"), "sign", "--ks", str(signer.keystore), "--ks-type", "PKCS12",
                    "--ks-pass", f"pass:{STORE_PASS}", "--min-sdk-version", "24", *flags,
                    "--out", str(out), str(unsigned)], check=True, capture_output=True, timeout=120)
    return out


def jarsigner_sign(unsigned: Path, out: Path, signer: Signer) -> Path:
    """v1 (JAR) signature by the JDK's jarsigner: an independent signer."""
    shutil.copy(unsigned, out)
    subprocess.run([_tool("jarsigner"), "-keystore", str(signer.keystore), "-storetype", "PKCS12",
                    "-storepass", STORE_PASS, "-sigalg", "SHA256withECDSA" if "ec" in signer.alias else "SHA256withRSA",
                    "-digestalg", "SHA-256", str(out), signer.alias], check=True, capture_output=True, timeout=120)
    return out


def _tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is required for these tests (Debian: apksigner; JDK: jarsigner, keytool)"
    return found
