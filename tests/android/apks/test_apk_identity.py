"""Signing certificates and hashes read from APKs the tests build and sign
with real tools, compared with independent tools (apksigner, keytool)."""

from __future__ import annotations

import hashlib
import io
import re
import struct
import subprocess
import zipfile

import pytest

from techsafe.scanners.android.apk_identity import ApkError, iter_code_files, read_identity


def apksigner_certs(path) -> list[tuple[str, str]]:
    """(SHA-1, SHA-256) of each signer as `apksigner verify --print-certs` prints them."""
    out = subprocess.run(["apksigner", "verify", "--print-certs", "--min-sdk-version", "24", str(path)],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    sha256 = re.findall(r"certificate SHA-256 digest: ([0-9a-f]{64})", out)
    sha1 = re.findall(r"certificate SHA-1 digest: ([0-9a-f]{40})", out)
    return [(a.upper(), b.upper()) for a, b in zip(sha1, sha256)]


def keytool_certs(path) -> list[tuple[str, str]]:
    """(SHA-1, SHA-256) from `keytool -printcert -jarfile` (reads v1 signatures only)."""
    out = subprocess.run(["keytool", "-printcert", "-jarfile", str(path)],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    sha1 = re.findall(r"SHA1: ([0-9A-F:]{59})", out)
    sha256 = re.findall(r"SHA256: ([0-9A-F:]{95})", out)
    return [(a.replace(":", ""), b.replace(":", "")) for a, b in zip(sha1, sha256)]


@pytest.mark.parametrize("which, schemes", [
    ("v1", ("v1",)), ("v1_jar_ec", ("v1",)), ("v2", ("v2",)), ("v3", ("v3",)), ("v123", ("v2", "v3", "v1")),
])
def test_certificates_agree_with_apksigner(apk_lab, which, schemes):
    path = getattr(apk_lab, which)
    ident = read_identity(path.read_bytes())
    assert ident.schemes == schemes
    assert ident.problems == ()
    assert [(c.sha1, c.sha256) for c in ident.certificates] == apksigner_certs(path)
    signer = apk_lab.ec if which in ("v1_jar_ec", "v3") else apk_lab.rsa
    assert [(c.sha1, c.sha256) for c in ident.certificates] == [(signer.sha1, signer.sha256)]
    assert re.fullmatch(r"[0-9A-F]{40}", ident.certificates[0].sha1)  # Echap convention
    assert ident.certificates[0].schemes == tuple(sorted(schemes))
    assert ident.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert ident.code_files == ("classes.dex", "lib/arm64-v8a/libnative.so")


@pytest.mark.parametrize("which", ["v1", "v1_jar_ec", "v123"])
def test_v1_certificates_agree_with_keytool(apk_lab, which):
    path = getattr(apk_lab, which)
    ident = read_identity(path.read_bytes())
    assert [(c.sha1, c.sha256) for c in ident.certificates] == keytool_certs(path)


def test_ec_v1_signature_block_is_read(apk_lab):
    names = zipfile.ZipFile(apk_lab.v1_jar_ec).namelist()
    assert any(n.startswith("META-INF/") and n.endswith(".EC") for n in names)
    assert read_identity(apk_lab.v1_jar_ec.read_bytes()).certificates[0].subject == "CN=Test Developer EC"


def test_unsigned_apk_has_no_certificates(apk_lab):
    ident = read_identity(apk_lab.unsigned.read_bytes())
    assert ident.certificates == () and ident.schemes == () and ident.problems == ()


# ---------------------------------------------------------------- hostile input


@pytest.mark.parametrize("data, message", [
    (b"", "no ZIP header"),
    (b"PK\x03\x04" + bytes(10), "no ZIP header"),
    (b"garbage" * 1000, "no ZIP header"),
    (b"PK" + b"\xff" * 5000, "no ZIP end record"),
])
def test_garbage_is_a_clear_error(data, message):
    with pytest.raises(ApkError, match=message):
        read_identity(data)


def test_truncated_apks_never_crash(apk_lab):
    data = apk_lab.v123.read_bytes()
    for cut in (len(data) // 7, len(data) // 2, len(data) - 30, len(data) - 1):
        with pytest.raises(ApkError):
            read_identity(data[:cut])


def _sig_block_bounds(data: bytes) -> tuple[int, int]:
    eocd = data.rfind(b"PK\x05\x06")
    cd_offset = struct.unpack_from("<I", data, eocd + 16)[0]
    assert data[cd_offset - 16:cd_offset] == b"APK Sig Block 42"
    size = struct.unpack_from("<Q", data, cd_offset - 24)[0]
    return cd_offset - size - 8, cd_offset


@pytest.mark.parametrize("mutation", ["footer_size_huge", "sizes_disagree", "pair_length_huge",
                                      "signer_length_huge", "cert_length_huge"])
def test_lying_signing_block_lengths_are_reported_not_trusted(apk_lab, mutation):
    data = bytearray(apk_lab.v2.read_bytes())
    start, cd_offset = _sig_block_bounds(bytes(data))
    first_pair = start + 8
    value = first_pair + 12  # start of the v2 value: uint32 signer-sequence length
    if mutation == "footer_size_huge":
        struct.pack_into("<Q", data, cd_offset - 24, 2**63)
    elif mutation == "sizes_disagree":
        struct.pack_into("<Q", data, start, struct.unpack_from("<Q", data, start)[0] + 8)
    elif mutation == "pair_length_huge":
        struct.pack_into("<Q", data, first_pair, 2**40)
    elif mutation == "signer_length_huge":
        struct.pack_into("<I", data, value + 4, 0xFFFFFFF0)
    elif mutation == "cert_length_huge":
        # signer seq len | signer len | signed data len | digests len | digests... | certs len
        digests_len = struct.unpack_from("<I", data, value + 12)[0]
        struct.pack_into("<I", data, value + 16 + digests_len, 0x7FFFFFFF)
    ident = read_identity(bytes(data))
    assert ident.certificates == () and ident.schemes == ()
    assert len(ident.problems) == 1 and ident.problems[0].startswith("APK signing block: ")


def _zip(entries: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as z:
        for n, d in entries.items():
            z.writestr(n, d)
    return buf.getvalue()


def test_zip_bomb_code_file_stops_at_the_cap():
    bomb = _zip({"classes.dex": b"dex\n035\x00" + bytes(200 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    files = list(iter_code_files(bomb, per_file_cap=8 * 1024 * 1024))
    assert files == [("classes.dex", None, "larger than the 8 MB limit (209715208 bytes declared)")]


def test_zip_bomb_with_a_lying_declared_size_stops_at_the_cap():
    bomb = bytearray(_zip({"classes.dex": bytes(64 * 1024 * 1024)}))
    # Make the headers claim 1 KB: the reader must still stop at the cap.
    for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        pos = bomb.find(sig)
        struct.pack_into("<I", bomb, pos + off, 1024)
    files = list(iter_code_files(bytes(bomb), per_file_cap=4 * 1024 * 1024))
    assert len(files) == 1 and files[0][1] is None and files[0][0] == "classes.dex"


def test_garbage_pkcs7_is_a_problem_not_a_crash(apk_lab):
    data = _zip({"META-INF/CERT.RSA": b"\x30\x82\xff\xff" + b"garbage" * 10, "classes.dex": b"dex\n035\x00"})
    ident = read_identity(data)
    assert ident.certificates == ()
    assert ident.problems == ("META-INF/CERT.RSA: not a PKCS#7 signature block",)


@pytest.fixture(scope="module")
def v123_bytes(apk_lab) -> bytes:
    return apk_lab.v123.read_bytes()


def test_random_corruption_never_crashes(v123_bytes):
    """Hostile bytes anywhere (signing block, ZIP directory, PKCS#7): either a
    result or ApkError, never another exception."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    size = len(v123_bytes)

    @settings(max_examples=300, deadline=None, database=None)
    @given(st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, 255)), min_size=1, max_size=8),
           st.integers(1, size))
    def run(edits, keep):
        data = bytearray(v123_bytes[:keep])
        for pos, value in edits:
            if pos < len(data):
                data[pos] = value
        try:
            ident = read_identity(bytes(data))
        except ApkError:
            return
        assert all(len(c.sha1) == 40 for c in ident.certificates)
        list(iter_code_files(bytes(data)))

    run()
