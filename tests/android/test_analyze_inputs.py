"""`techsafe analyze` on offline Android inputs: real captures from
../shared (androidqf, ISDi dump), zips built here, and bad input."""

from __future__ import annotations

import json
import zipfile

import pytest
from click.testing import CliRunner

from techsafe.cli import cli

# A STIX 2.1 bundle written here (MVT's pattern forms) naming androidqf's
# planted com.malware.* apps, so the test does not depend on any feed's contents.
STIX = {
    "type": "bundle",
    "id": "bundle--5a0d0bd4-7b66-4b1a-9a4c-0a6a3d5d2e11",
    "objects": [
        {"type": "malware", "spec_version": "2.1", "id": "malware--0b0a2c8e-3f6f-4c55-9d6e-0d6c0a1b2c3d",
         "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "name": "TestSpy",
         "is_family": True},
        *[
            {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{i}b0a2c8e-3f6f-4c55-9d6e-0d6c0a1b2c3d",
             "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
             "pattern": f"[app:id = '{pkg}']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"}
            for i, pkg in ((1, "com.malware.blah"), (2, "com.malware.muahaha"))
        ],
        *[
            {"type": "relationship", "spec_version": "2.1", "id": f"relationship--{i}b0a2c8e-3f6f-4c55-9d6e-0d6c0a1b2c3d",
             "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
             "relationship_type": "indicates", "source_ref": f"indicator--{j}b0a2c8e-3f6f-4c55-9d6e-0d6c0a1b2c3d",
             "target_ref": "malware--0b0a2c8e-3f6f-4c55-9d6e-0d6c0a1b2c3d"}
            for i, j in ((3, 1), (4, 2))
        ],
    ],
}

ANDROIDQF_FINDINGS = [
    ("critical", "android.app.stalkerware", "com.malware.blah"),
    ("critical", "android.app.stalkerware", "com.malware.muahaha"),
    ("high", "android.root", "Root access"),  # root_binaries.json
    ("medium", "android.app.sideloaded", "app.revanced.manager.flutter"),
    ("medium", "android.app.sideloaded", "com.whatsapp"),
    ("medium", "android.app.sideloaded", "org.fdroid.fdroid"),
]

ANDROID7_FINDINGS = [
    ("medium", "android.app.sideloaded", "com.andrwq.recorder"),
    ("medium", "android.app.sideloaded", "com.digiplex.game"),
    ("medium", "android.app.sideloaded", "com.google.android.apps.hangoutsdialer"),
    ("low", "android.app.connected_device", "com.google.android.apps.chromecast.app"),
    ("info", "android.usb_debugging.enabled", "USB debugging"),
]


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def triples(result) -> list[tuple[str, str, str]]:
    return [(f["severity"], f["kind"], f["subject"]) for f in json.loads(result.stdout)["findings"]]


@pytest.fixture
def malware_feed(techsafe_home, tmp_path):
    path = tmp_path / "testspy.stix2"
    path.write_text(json.dumps(STIX))
    assert run("signatures", "import", str(path)).exit_code == 0


def test_androidqf_folder_with_an_imported_stix_feed(malware_feed, shared, tmp_path):
    result = run("analyze", str(shared / "captures/android/mvt/androidqf"), "--case", str(tmp_path / "c"), "--json")
    assert result.exit_code == 0
    assert triples(result) == ANDROIDQF_FINDINGS
    first = json.loads(result.stdout)["findings"][0]
    assert first["title"] == "Known spyware “TestSpy” is installed on this phone."
    assert first["indicator"]["entry"] == "TestSpy" and first["indicator"]["value"] == "com.malware.blah"
    assert first["evidence"][0]["artifact"] == "artifacts/android/androidqf/packages.json"
    # what androidqf's folder lacks is said out loud
    gaps = {n["area"] for n in json.loads(result.stdout)["not_checked"]}
    assert {"android.device_admin", "android.play_protect"} <= gaps
    # the input is kept byte-for-byte
    stored = tmp_path / "c/artifacts/android/androidqf/packages.json"
    assert stored.read_bytes() == (shared / "captures/android/mvt/androidqf/packages.json").read_bytes()


def test_androidqf_zip_gives_the_same_findings(malware_feed, shared, tmp_path):
    folder = shared / "captures/android/mvt/androidqf"
    archive = tmp_path / "acq.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(folder.iterdir()):
            zf.write(p, f"acquisition/{p.name}")
    result = run("analyze", str(archive), "--case", str(tmp_path / "c"), "--json")
    assert result.exit_code == 0
    assert triples(result) == ANDROIDQF_FINDINGS


def test_without_the_feed_the_planted_apps_are_not_called_stalkerware(techsafe_home, shared, tmp_path):
    result = run("analyze", str(shared / "captures/android/mvt/androidqf"), "--case", str(tmp_path / "c"), "--json")
    kinds = {(k, s) for _, k, s in triples(result)}
    assert ("android.app.stalkerware", "com.malware.blah") not in kinds
    assert "No stalkerware indicator feed is installed" in result.stderr


def test_android7_full_dump(techsafe_home, shared, tmp_path):
    result = run("analyze", str(shared / "captures/android/isdi/android7-full-dump.txt"), "--case", str(tmp_path / "c"), "--json")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert triples(result) == ANDROID7_FINDINGS
    assert {n["area"] for n in out["not_checked"]} == {
        "android.device_admin", "android.apps.identity", "android.accounts", "android.users", "android.root.files",
        "android.bootloader", "android.call_forwarding", "android.network.vpn_apps", "android.network.user_ca_certs",
        "android.apps.hidden", "android.location.google"}
    side = out["findings"][0]
    assert side["facts"]["first_installed"] == "2017-08-08 21:54:04"
    ev = side["evidence"][0]
    line = (tmp_path / "c" / ev["artifact"]).read_text(errors="replace").splitlines()[ev["line"] - 1]
    assert "Package [com.andrwq.recorder]" in line


def test_reanalysis_of_a_case_uses_newly_imported_signatures(techsafe_home, shared, tmp_path):
    case = tmp_path / "c"
    run("analyze", str(shared / "captures/android/mvt/androidqf"), "--case", str(case), "--json")
    feed = tmp_path / "testspy.stix2"
    feed.write_text(json.dumps(STIX))
    run("signatures", "import", str(feed))
    again = run("analyze", str(case), "--json")
    assert set(ANDROIDQF_FINDINGS[:2]) <= set(triples(again))


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("empty.txt", b"", "not a format techsafe reads"),
        ("noise.bin", bytes(range(256)) * 64, "not a format techsafe reads"),
        ("notes.txt", b"hello\nthis is not a dump\n", "not a format techsafe reads"),
    ],
)
def test_unreadable_input_is_one_clear_line(techsafe_home, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    result = CliRunner().invoke(cli, ["analyze", str(path)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and message in lines[0]


def test_missing_path(techsafe_home, tmp_path):
    result = CliRunner().invoke(cli, ["analyze", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "no such file or folder" in result.stderr


def test_zip_with_a_path_traversal_member_is_refused(techsafe_home, tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("packages.json", "[]")
        zf.writestr("../../escape.txt", "x")
    result = CliRunner().invoke(cli, ["analyze", str(archive), "--case", str(tmp_path / "c")])
    assert result.exit_code == 1
    assert "tries to leave the folder" in result.stderr
    assert not (tmp_path / "escape.txt").exists() and not list(tmp_path.rglob("escape.txt"))


def test_mvt_adb_folder_one_file_per_service(techsafe_home, shared, tmp_path):
    """MVT's adb layout (dumpsys_<service>.txt, dumpsys_packages.txt) is read,
    not reported as "not in what was collected"."""
    result = run("analyze", str(shared / "captures/android/mvt/android_data"), "--case", str(tmp_path / "c"), "--json")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["findings"] == []
    assert {"android.accessibility", "android.apps.signatures", "android.apps.installers"} <= set(out["checked"])
    gaps = {n["area"] for n in out["not_checked"]}
    assert "android.accessibility" not in gaps and "android.device_admin" in gaps
