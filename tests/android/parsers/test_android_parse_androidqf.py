"""androidqf packages.json (shared capture mvt/androidqf/packages.json)."""

from __future__ import annotations

import json

import pytest
from android_captures import read_capture

from techsafe.scanners.android.facts import PackageInfo, ParseError
from techsafe.scanners.android.parsers.androidqf import parse_androidqf_packages


def test_capture():
    pkgs = parse_androidqf_packages(read_capture("mvt/androidqf/packages.json"))
    assert [(p.name, p.installer, p.system, p.enabled, p.uid) for p in pkgs] == [
        ("com.whatsapp", "", False, True, 10271),
        ("app.revanced.manager.flutter", "com.google.android.packageinstaller", False, True, 10266),
        ("com.google.android.youtube", "com.google.android.packageinstaller", True, True, 10194),
        ("org.fdroid.fdroid", "com.google.android.packageinstaller", False, True, 10267),
        ("org.nuclearfog.apollo", "org.fdroid.fdroid", False, True, 10272),
        ("com.malware.blah", "", True, True, 10058),
        ("com.malware.muahaha", "", True, True, 10058),
    ]
    wa = pkgs[0]
    assert wa == PackageInfo(
        name="com.whatsapp",
        apk_path="/data/app/~~/com.whatsapp-~~/base.apk",
        uid=10271,
        installer="",
        system=False,
        enabled=True,
        cert_sha1=("38A0F7D505FE18FEC64FBF343ECAAAF310DBD799",),
        cert_sha256=("3987D043D10AEFAF5A8710B3671418FE57E0E19B653C9DF82558FEB5FFCE5D44",),
        apk_sha256=("744ed47f8176ec423840344c33e88bd2c96e8988cda0797f3415bb5229efc12b",),
    )


def test_hostile_entries_skipped():
    data = [
        {"name": "com.ok", "installer": None, "uid": True, "files": "nope", "system": "yes"},
        {"name": "../../etc", "installer": "x"},
        "string",
        {"name": "com.two", "files": [{"sha256": "zz", "certificate": {"Sha1": "A" * 41}}, 5]},
    ]
    assert parse_androidqf_packages(json.dumps(data)) == (
        PackageInfo(name="com.ok", installer=None, uid=None, system=None),
        PackageInfo(name="com.two"),
    )


@pytest.mark.parametrize(
    "text",
    ["", "{", "[]", '{"a": 1}', "[" * 100_000 + "]" * 100_000, "[1, 2, 3]", "1" * 5000, "\x00\xff"],
)
def test_bad_files_raise(text):
    with pytest.raises(ParseError):
        parse_androidqf_packages(text)
