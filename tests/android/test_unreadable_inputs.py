"""A file that was collected but cannot be read is never a silent "checked":
its areas are listed as not checked, naming the file and what is wrong
(androidqf packages.json, a dumpsys.txt or bugreport of garbage, a symlink)."""

from __future__ import annotations

import json
import shutil
import stat
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from techsafe.cli import cli

ROOT = ("high", "android.root", "Root access")  # root_binaries.json
SIDELOADED = [
    ("medium", "android.app.sideloaded", "app.revanced.manager.flutter"),
    ("medium", "android.app.sideloaded", "com.whatsapp"),
    ("medium", "android.app.sideloaded", "org.fdroid.fdroid"),
]
# Areas fed by the list of installed apps.
APP_AREAS = ("android.apps.signatures", "android.apps.installers", "android.apps.disguised",
             "android.apps.permissions", "android.location")
NOT_READ = "no DUMP OF SERVICE section in it"
GARBAGE = bytes(range(256)) * 800  # 200 KiB of every byte value: no line of text in it


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def analyze(path: Path, case: Path) -> dict:
    result = run("analyze", str(path), "--case", str(case), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def triples(out: dict) -> list[tuple[str, str, str]]:
    return [(f["severity"], f["kind"], f["subject"]) for f in out["findings"]]


def gaps(out: dict) -> dict[str, tuple[str, str]]:
    return {n["area"]: (n["reason"], n["artifact"]) for n in out["not_checked"]}


@pytest.fixture
def androidqf(techsafe_home, shared, tmp_path) -> Path:
    """A writable copy of the shared androidqf folder."""
    folder = tmp_path / "qf"
    shutil.copytree(shared / "captures/android/mvt/androidqf", folder)
    for p in folder.iterdir():
        p.chmod(0o644)
    return folder


def test_the_good_androidqf_folder(androidqf, tmp_path):
    """The baseline the cases below differ from. No app file was copied:
    android.apps.files has nothing to say and is not "checked"."""
    out = analyze(androidqf, tmp_path / "c")
    assert triples(out) == [ROOT] + SIDELOADED
    assert out["checked"] == [
        "android.accessibility", "android.apps.signatures", "android.apps.installers", "android.root",
        "android.root.files", "android.bootloader", "android.apps.disguised", "android.apps.permissions",
        "android.location", "android.apps.special_access"]


@pytest.mark.parametrize(
    "content,problem",
    [
        ('{"broken": ', "not valid JSON at line 1"),
        ('{"a":1}', "expected a list of packages"),
        ("[]", "the list of packages is empty"),
        ('[{"name": 5}, "x", {"name": "../../etc"}]', "none of its 3 entries has a valid package name"),
    ],
)
def test_unreadable_packages_json_leaves_the_app_areas_not_checked(androidqf, tmp_path, content, problem):
    """dumpsys.txt still lists apps, but the installers of packages.json (the
    three sideloaded apps) are missing: never "checked, nothing found"."""
    (androidqf / "packages.json").write_text(content)
    out = analyze(androidqf, tmp_path / "c")
    assert triples(out) == [ROOT]
    reason = f"androidqf packages.json was not understood (packages.json: {problem})"
    found = gaps(out)
    for area in APP_AREAS:
        assert found[area] == (reason, "artifacts/android/androidqf/packages.json"), area
    assert out["checked"] == ["android.accessibility", "android.root", "android.root.files", "android.bootloader",
                              "android.apps.special_access"]


def test_garbage_dumpsys_txt_is_collected_but_unreadable(androidqf, tmp_path):
    (androidqf / "dumpsys.txt").write_bytes(GARBAGE)
    out = analyze(androidqf, tmp_path / "c")
    # packages.json was read: its findings stand, its areas still say what is missing
    assert triples(out) == [ROOT] + SIDELOADED
    assert out["checked"] == ["android.root", "android.root.files", "android.bootloader"]
    found = gaps(out)
    dump = "artifacts/android/androidqf/dumpsys.txt"
    assert found["android.accessibility"] == (
        f"accessibility services (dumpsys accessibility): collected but unreadable: dumpsys.txt ({NOT_READ})", dump)
    assert found["android.usb_debugging"] == (f"secure settings: collected but unreadable: dumpsys.txt ({NOT_READ})", dump)
    for area in APP_AREAS:
        assert found[area] == (f"app details (dumpsys package): collected but unreadable: dumpsys.txt ({NOT_READ})", dump)
    assert not [r for r, _ in found.values() if "dumpsys" in r and "not in what was collected" in r]


def test_symlinked_getprop_txt_is_named(androidqf, tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_bytes((androidqf / "getprop.txt").read_bytes())
    (androidqf / "getprop.txt").unlink()
    (androidqf / "getprop.txt").symlink_to(target)
    out = analyze(androidqf, tmp_path / "c")
    assert gaps(out)["android.bootloader"] == ("device properties: symlink not followed: getprop.txt", "")
    assert "android.bootloader" not in out["checked"]
    assert not (tmp_path / "c/artifacts/android/androidqf/getprop.txt").exists()


def test_symlink_member_of_a_zip_is_named(techsafe_home, shared, tmp_path):
    qf = shared / "captures/android/mvt/androidqf"
    archive = tmp_path / "qf.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(qf / "packages.json", "packages.json")
        link = zipfile.ZipInfo("dumpsys.txt")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    out = analyze(archive, tmp_path / "c")
    assert gaps(out)["android.accessibility"] == (
        "accessibility services (dumpsys accessibility): symlink not followed: dumpsys.txt", "")
    assert not (tmp_path / "c/artifacts/android/androidqf/dumpsys.txt").exists()


def test_a_bugreport_of_garbage_says_nothing_could_be_checked(techsafe_home, tmp_path):
    archive = tmp_path / "bugreport.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("main_entry.txt", GARBAGE[:300])
        zf.writestr("bugreport-phone-2024-01-01.txt", GARBAGE)
        zf.writestr("dumpstate_log.txt", GARBAGE[:5000])
        zf.writestr("FS/data/x", GARBAGE[:500])
    out = analyze(archive, tmp_path / "c")
    assert out["findings"] == [] and out["checked"] == []
    assert gaps(out)["android.accessibility"] == (
        f"accessibility services (dumpsys accessibility): collected but unreadable: bugreport-phone-2024-01-01.txt "
        f"({NOT_READ})", "artifacts/android/bugreport/bugreport-phone-2024-01-01.txt")
    again = run("analyze", str(tmp_path / "c"))
    assert again.exit_code == 0
    assert "Nothing could be checked" in again.stdout and "Nothing risky found" not in again.stdout
