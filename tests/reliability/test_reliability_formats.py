"""Hostile files and network answers: XML without entity expansion or
external references, YAML with safe loaders only, archives without path
traversal, symlink following or unbounded decompression."""

from __future__ import annotations

import json
import os
import plistlib
import re
import stat
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from techsafe.cli import cli

REPO = Path(__file__).resolve().parents[2]

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
"""


def xxe(path: Path) -> bytes:
    return (f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{path}">]>\n').encode()


UPNP_BODY = (b'<root xmlns="urn:schemas-upnp-org:device-1-0"><device><deviceType>urn:x:device:Camera:1</deviceType>'
             b"<friendlyName>&lol9;&xxe;</friendlyName><manufacturer>&xxe;</manufacturer></device></root>")
SOAP_BODY = (b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:R xmlns:u="urn:x">'
             b"<NewExternalPort>80</NewExternalPort><NewInternalPort>80</NewInternalPort>"
             b"<NewInternalClient>&xxe;</NewInternalClient></u:R></s:Body></s:Envelope>")
WSD_BODY = (b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope" xmlns:d="urn:d"><e:Body><d:ProbeMatches>'
            b"<d:ProbeMatch><d:Types>&xxe;</d:Types><d:XAddrs>&lol9;</d:XAddrs></d:ProbeMatch></d:ProbeMatches></e:Body></e:Envelope>")


@pytest.fixture
def secret(tmp_path) -> Path:
    p = tmp_path / "secret.txt"
    p.write_text("SURVIVOR-SECRET-42")
    return p


def _doc(secret: Path, body: bytes) -> bytes:
    # Both attacks in one DTD: entity expansion and an external file reference.
    dtd = BILLION_LAUGHS.rstrip().removesuffix(b"]>") + f'<!ENTITY xxe SYSTEM "file://{secret}">]>\n'.encode()
    return dtd + body


@pytest.mark.parametrize("body", [UPNP_BODY, SOAP_BODY, WSD_BODY], ids=["upnp", "soap", "wsd"])
def test_network_xml_refuses_entities_and_external_references(body, secret):
    from techsafe.scanners.network import parse

    for doc in (_doc(secret, body), xxe(secret) + body, BILLION_LAUGHS + body):
        t0 = time.perf_counter()
        results = [parse.upnp_description(doc, "http://192.168.1.9/d.xml"), parse.soap_port_mapping(doc),
                   parse.wsd_probe_matches(doc)]
        assert time.perf_counter() - t0 < 1.0
        # unreadable -> None (the inventory turns it into "not checked"), never expanded text
        assert results == [None, None, None]
        assert "SURVIVOR-SECRET" not in repr(results)


def test_unreadable_upnp_description_is_not_checked_in_the_analysis(tmp_path, techsafe_home, secret):
    """A camera that answers with a billion-laughs description: visible gap, not silence."""
    from techsafe import pipeline
    from techsafe.case import Case
    from techsafe.signatures import load_indicators

    case = Case.create(tmp_path / "case")
    case.add_artifact("network", "lan.json", json.dumps({"network": "192.168.1.0/24", "gateway": "192.168.1.1",
                      "address": "192.168.1.5"}).encode(), command="ip route")
    case.add_artifact("network", "upnp/192.168.1.9.xml", _doc(secret, UPNP_BODY), command="GET http://192.168.1.9/d.xml",
                      meta={"from": "192.168.1.9", "url": "http://192.168.1.9/d.xml"})
    analysis = pipeline.analyze_case(case, load_indicators(installed=False))
    gaps = [(n.area, n.reason, n.artifact) for n in analysis.not_checked]
    assert ("network.devices", "a UPnP device description could not be read",
            "artifacts/network/upnp/192.168.1.9.xml") in gaps


def test_plists_from_the_phone_refuse_entities(secret):
    from techsafe.scanners.ios.plists import ParseError, load_plist

    body = b'<plist version="1.0"><dict><key>a</key><string>&lol9;&xxe;</string></dict></plist>'
    for doc in (_doc(secret, body), xxe(secret) + body):
        t0 = time.perf_counter()
        with pytest.raises(ParseError, match="not a valid property list"):
            load_plist(doc, "app list")
        assert time.perf_counter() - t0 < 1.0


def test_deeply_nested_plist_is_a_parse_error_not_a_crash():
    from techsafe.scanners.ios.plists import ParseError, load_plist

    doc = b'<plist version="1.0">' + b"<array>" * 200_000 + b"</array>" * 200_000 + b"</plist>"
    try:
        load_plist(doc, "x")
    except ParseError:
        pass


# ---- YAML ----------------------------------------------------------------------

PY_OBJECT = b"""- !!python/object/apply:os.system ["touch {marker}"]
- !!python/object/new:subprocess.Popen [["touch", "{marker}"]]
"""


def test_yaml_python_tags_are_rejected(tmp_path):
    from techsafe.signatures.records import FeedError
    from techsafe.signatures.safeyaml import load_yaml

    marker = tmp_path / "pwned"
    with pytest.raises(FeedError, match=r"ioc\.yaml: not valid YAML"):
        load_yaml(PY_OBJECT.replace(b"{marker}", str(marker).encode()), "ioc.yaml")
    assert not marker.exists()


def test_signatures_import_of_a_malicious_yaml_feed_fails_cleanly(tmp_path, techsafe_home):
    marker = tmp_path / "pwned"
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / "ioc.yaml").write_bytes(PY_OBJECT.replace(b"{marker}", str(marker).encode()))
    result = CliRunner().invoke(cli, ["signatures", "import", str(feed)])
    assert result.exit_code != 0
    err = result.stderr.strip().splitlines()
    assert len(err) == 1 and "ioc.yaml" in err[0] and "not valid YAML" in err[0], result.stderr
    assert not marker.exists()


def test_yaml_alias_bomb_is_bounded():
    # "billion laughs" for YAML: aliases share objects; the loader must not
    # expand them and the feed parser must not walk them exponentially.
    from techsafe.signatures.echap import parse_echap
    from techsafe.signatures.records import FeedError

    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    doc = ("\n".join(lines) + "\n").encode()
    t0 = time.perf_counter()
    with pytest.raises(FeedError):
        parse_echap({"ioc.yaml": doc})
    assert time.perf_counter() - t0 < 2.0


def test_no_unsafe_yaml_loader_anywhere_in_the_package():
    unsafe = re.compile(r"yaml\.(unsafe_load|full_load|load_all)\(|Loader=yaml\.(Loader|FullLoader|UnsafeLoader)|"
                        r"yaml\.load\([^)]*\)(?<!Loader=loader\))")
    offenders = []
    for path in (REPO / "techsafe").rglob("*.py"):
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if "yaml.load(" in line and "Loader=loader" not in line or unsafe.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert offenders == []


# ---- archives --------------------------------------------------------------------

def _zip(path: Path, members: list[tuple[str, bytes] | zipfile.ZipInfo], data: dict | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for m in members:
            if isinstance(m, zipfile.ZipInfo):
                zf.writestr(m, (data or {}).get(m.filename, b""))
            else:
                zf.writestr(*m)
    return path


def _files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def _analyze(path: Path, case_dir: Path):
    return CliRunner().invoke(cli, ["analyze", str(path), "--case", str(case_dir), "--json"])


@pytest.mark.parametrize("evil", ["../../escaped.txt", "/tmp/techsafe-abs-escape.txt", "a/../../escaped.txt",
                                  "..\\..\\escaped.txt", "C:/escaped.txt"])
def test_archive_member_leaving_the_folder_is_refused(tmp_path, techsafe_home, shared, evil):
    qf = shared / "captures/android/mvt/androidqf"
    z = _zip(tmp_path / "qf.zip", [("getprop.txt", (qf / "getprop.txt").read_bytes()), (evil, b"pwned")])
    result = _analyze(z, tmp_path / "work" / "case")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "tries to leave the folder; refusing" in result.stderr
    assert str(z) in result.stderr
    assert not (tmp_path / "escaped.txt").exists() and not Path("/tmp/techsafe-abs-escape.txt").exists()
    assert all(not p.endswith("escaped.txt") for p in _files_under(tmp_path / "work"))


@pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")  # zipfile warns while the test writes the crafted zip
@pytest.mark.parametrize("again", ["packages.json", "./packages.json"])
def test_archive_member_twice_is_refused(tmp_path, techsafe_home, shared, again):
    """A second copy of a member would silently replace the first (an empty
    app list hiding the real one)."""
    qf = shared / "captures/android/mvt/androidqf"
    z = _zip(tmp_path / "qf.zip", [("packages.json", (qf / "packages.json").read_bytes()), (again, b"[]")])
    result = _analyze(z, tmp_path / "case")
    assert result.exit_code == 1
    assert result.stderr == f"techsafe: {z}: archive member 'packages.json' appears twice; refusing\n"


def test_symlink_members_are_not_followed(tmp_path, techsafe_home, shared, secret):
    qf = shared / "captures/android/mvt/androidqf"
    link = zipfile.ZipInfo("dumpsys.txt")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    z = _zip(tmp_path / "qf.zip", [("getprop.txt", (qf / "getprop.txt").read_bytes()), link],
             {"dumpsys.txt": str(secret).encode()})
    result = _analyze(z, tmp_path / "case")
    assert result.exit_code == 0, result.output
    stored = _files_under(tmp_path / "case" / "artifacts")
    assert stored == {"android/androidqf/getprop.txt"}
    for p in (tmp_path / "case").rglob("*"):
        assert not p.is_symlink()
        if p.is_file():
            assert b"SURVIVOR-SECRET" not in p.read_bytes()


def test_symlinks_in_an_input_folder_are_not_followed(tmp_path, techsafe_home, shared, secret):
    qf = shared / "captures/android/mvt/androidqf"
    folder = tmp_path / "qf"
    folder.mkdir()
    (folder / "getprop.txt").write_bytes((qf / "getprop.txt").read_bytes())
    (folder / "dumpsys.txt").symlink_to(secret)
    (folder / "sub").symlink_to(secret.parent, target_is_directory=True)
    result = _analyze(folder, tmp_path / "case")
    assert result.exit_code == 0, result.output
    assert _files_under(tmp_path / "case" / "artifacts") == {"android/androidqf/getprop.txt"}


def test_zip_bomb_is_refused_without_unpacking_it_all(tmp_path, techsafe_home, monkeypatch):
    """Deflate reaches ~1000:1; the member cap is checked while unpacking.
    The cap is lowered for the test (the real one, 512 MiB, fits a real
    bugreport) so CI does not inflate half a gigabyte."""
    from techsafe.scanners.android import sources

    monkeypatch.setattr(sources, "MAX_MEMBER_BYTES", 8 << 20)
    z = tmp_path / "bugreport.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("main_entry.txt", b"dumpstate.txt\n")
        with zf.open("dumpstate.txt", "w") as fh:
            block = b"\0" * (1 << 20)
            for _ in range(64):
                fh.write(block)
    assert z.stat().st_size < 200_000
    result = _analyze(z, tmp_path / "case")
    assert result.exit_code == 1
    assert "(possible zip bomb); refusing" in result.stderr and result.stderr.count("\n") == 1
    assert not any(p.stat().st_size > (8 << 20) for p in (tmp_path / "case").rglob("*") if p.is_file())


def test_corrupt_zip_is_a_one_line_error(tmp_path, techsafe_home, shared):
    qf = shared / "captures/android/mvt/androidqf"
    z = _zip(tmp_path / "qf.zip", [("getprop.txt", (qf / "getprop.txt").read_bytes()),
                                   ("dumpsys.txt", (qf / "dumpsys.txt").read_bytes())])
    raw = bytearray(z.read_bytes())
    pos = raw.find(b"dumpsys.txt") + 60
    raw[pos:pos + 400] = os.urandom(400)  # damage the deflate stream of dumpsys.txt
    z.write_bytes(bytes(raw))
    result = _analyze(z, tmp_path / "case")
    assert result.exit_code in (0, 1)
    if result.exit_code == 1:
        assert result.stderr.count("\n") == 1 and str(z) in result.stderr
    assert "Traceback" not in result.output


# ---- iPhone backups ---------------------------------------------------------------

def _copy_backup(shared: Path, dest: Path) -> Path:
    import shutil

    shutil.copytree(shared / "captures/ios/mvt-backup", dest)
    return dest


def test_backup_file_ids_and_symlinks_never_leave_the_backup(tmp_path, techsafe_home, shared, secret):
    """Manifest.db is data from the phone: a fileID like ../../x is never a
    path, and a backed-up file replaced by a symlink is not followed."""
    import sqlite3

    backup = _copy_backup(shared, tmp_path / "backup")
    db = sqlite3.connect(backup / "Manifest.db")
    rows = db.execute("SELECT fileID FROM Files WHERE flags = 1").fetchall()
    present = [r[0] for r in rows if (backup / r[0][:2] / r[0]).is_file()]
    assert present
    victim = present[0]
    (backup / victim[:2] / victim).unlink()
    (backup / victim[:2] / victim).symlink_to(secret)
    db.execute("UPDATE Files SET fileID = '../../../../' || substr(fileID, 13) WHERE fileID = ?", (present[-1],))
    db.commit()
    db.close()
    result = _analyze(backup, tmp_path / "case")
    assert "Traceback" not in result.output
    for p in (tmp_path / "case").rglob("*"):
        assert not p.is_symlink()
        if p.is_file():
            assert b"SURVIVOR-SECRET" not in p.read_bytes(), p
    assert all(p.resolve().is_relative_to((tmp_path / "case").resolve()) for p in (tmp_path / "case").rglob("*"))


def test_backup_with_a_hostile_info_plist_is_a_one_line_error(tmp_path, techsafe_home, shared, secret):
    backup = _copy_backup(shared, tmp_path / "backup")
    (backup / "Info.plist").write_bytes(_doc(secret, b"<plist><dict/></plist>"))
    result = _analyze(backup, tmp_path / "case")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "Info.plist" in result.stderr
    assert "SURVIVOR-SECRET" not in result.output
    plistlib  # noqa: B018 - imported for readers extending these tests
