"""Password-protected bugreport and androidqf zips: one plain line naming the
file and the member, never zipfile's repr of a ZipInfo, never a traceback.

zipfile cannot write encrypted members, so the tests set the "encrypted" bit
(general purpose flag bit 0, APPNOTE 4.4.4) in the local and central headers
of stored members: that bit is what every reader, zipfile included, goes by.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from techsafe.cli import cli


def _encrypted_zip(path: Path, members: list[tuple[str, bytes]], encrypted: set[str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.filename in encrypted:
                local = info.header_offset
                assert raw[local : local + 4] == b"PK\x03\x04"
                raw[local + 6] |= 0x1
    pos = raw.find(b"PK\x01\x02")
    while pos != -1:
        name_len = struct.unpack_from("<H", raw, pos + 28)[0]
        if raw[pos + 46 : pos + 46 + name_len].decode() in encrypted:
            raw[pos + 8] |= 0x1
        pos = raw.find(b"PK\x01\x02", pos + 46)
    path.write_bytes(bytes(raw))
    with zipfile.ZipFile(path) as zf:  # the crafted zip reads as encrypted
        assert {i.filename for i in zf.infolist() if i.flag_bits & 0x1} == encrypted
    return path


def _analyze(path: Path, case_dir: Path):
    return CliRunner().invoke(cli, ["analyze", str(path), "--case", str(case_dir), "--json"])


def _expect_one_line(result, path: Path, member: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        f"techsafe: {path}: {member} is encrypted (a password-protected zip); techsafe cannot read it\n"
    )
    assert "ZipInfo" not in result.output and "Traceback" not in result.output


DUMP = b"== dumpstate\nDUMP OF SERVICE package:\nPackages:\n"


@pytest.mark.parametrize(
    "encrypted, member",
    [({"main_entry.txt"}, "main_entry.txt"), ({"bugreport-x.txt"}, "bugreport-x.txt"),
     ({"main_entry.txt", "bugreport-x.txt"}, "main_entry.txt")],
    ids=["main-entry", "main-text", "both"],
)
def test_encrypted_bugreport_zip(tmp_path, techsafe_home, encrypted, member):
    z = _encrypted_zip(tmp_path / "bugreport.zip", [("main_entry.txt", b"bugreport-x.txt\n"), ("bugreport-x.txt", DUMP)],
                       encrypted)
    _expect_one_line(_analyze(z, tmp_path / "case"), z, member)


def test_encrypted_androidqf_zip(tmp_path, techsafe_home, shared):
    qf = shared / "captures/android/mvt/androidqf"
    z = _encrypted_zip(tmp_path / "qf.zip", [("getprop.txt", (qf / "getprop.txt").read_bytes()),
                                             ("dumpsys.txt", (qf / "dumpsys.txt").read_bytes())], {"dumpsys.txt"})
    _expect_one_line(_analyze(z, tmp_path / "case"), z, "dumpsys.txt")
