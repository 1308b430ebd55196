"""The identity checks on a saved case: certificate, APK hash and YARA
matches name the family whatever the package is called; unreadable APKs and
missing pulls are visible "not checked" lines; the renamed-stalkerware
heuristic."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from techsafe.case import Case
from techsafe.scanners.android.analyze import analyze
from techsafe.scanners.android.checks.identity import imitated_name
from techsafe.scanners.android.commands import COMMANDS
from techsafe.signatures import load_indicators
from techsafe.simulate.profile import load_profile

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "fixtures" / "devices" / "android14-demo"
STORE_APP = "com.strava"  # an ordinary Play Store app on the demo phone


def demo_case(root: Path, apks: dict[str, bytes]) -> Case:
    """The demo phone's command outputs as a live scan stores them, plus APKs."""
    profile = load_profile(DEMO)
    case = Case.create(root)
    for cmd in COMMANDS:
        out = profile.answer(cmd.shell)
        if out is not None:
            case.add_artifact("android", f"{cmd.key}.txt", out.stdout, command=cmd.shell,
                              meta={"format": "command", "key": cmd.key})
    log = []
    for package, data in apks.items():
        case.add_artifact("android", f"apks/{package}/base.apk", data, command="adb sync RECV test",
                          meta={"format": "apk", "package": package})
        log.append({"package": package, "status": "pulled", "reason": "", "files": []})
    case.add_artifact("android", "apks/pull.json", json.dumps({"mode": "all", "packages": log}).encode(),
                      command="test", meta={"format": "apk-pull"})
    return case


def test_feed(folder: Path, cert_sha1: str = "", apk_sha256: str = "") -> Path:
    folder.mkdir()
    (folder / "ioc.yaml").write_text(
        "- name: CertSpy\n  type: stalkerware\n  packages:\n  - com.certspy.original\n"
        f"  certificates:\n  - {cert_sha1 or '0' * 40}\n"
        "- name: HashSpy\n  type: stalkerware\n  packages:\n  - com.hashspy.original\n")
    (folder / "samples.csv").write_text(
        f"SHA256,Package Name,Certificate,Version,App\n{apk_sha256 or 'f' * 64},com.hashspy.original,,1,HashSpy\n")
    return folder


test_feed.__test__ = False  # a helper, not a test


def findings(case, indicators, kinds=None):
    analysis = analyze(case, indicators)
    return analysis, [(f.severity.label, f.kind, f.subject) for f in analysis.findings
                      if kinds is None or f.kind in kinds]


IDENTITY = {"android.app.stalkerware", "android.app.suspicious_code", "android.app.disguised"}


def test_signing_certificate_names_the_family(apk_lab, techsafe_home, tmp_path):
    feed = test_feed(tmp_path / "feed", cert_sha1=apk_lab.rsa.sha1)
    case = demo_case(tmp_path / "case", {STORE_APP: apk_lab.v1.read_bytes()})
    analysis, got = findings(case, load_indicators([feed], installed=False), IDENTITY)
    assert got == [("critical", "android.app.stalkerware", STORE_APP),
                   ("critical", "android.app.stalkerware", "com.systemservice")]
    f = next(f for f in analysis.findings if f.subject == STORE_APP)
    assert f.title == f"Known stalkerware “CertSpy” is installed on this phone as “{STORE_APP}” (recognised by its signing certificate)."
    assert (f.indicator.entry, f.indicator.field, f.indicator.value.upper()) == ("CertSpy", "certificate", apk_lab.rsa.sha1)
    assert f.evidence[0].artifact == f"artifacts/android/apks/{STORE_APP}/base.apk"
    assert f.evidence[0].excerpt == f"signing certificate SHA-1 {apk_lab.rsa.sha1} SHA-256 {apk_lab.rsa.sha256}"
    assert f.fact("certificate_sha1") == apk_lab.rsa.sha1 and f.fact("signature_schemes") == "v1"
    assert [n.area for n in analysis.not_checked if n.area.startswith("android.apps.")] == []


def test_sha256_certificate_match_by_sha256_fingerprint(apk_lab, techsafe_home, tmp_path):
    """STIX feeds give `app:cert.*` as SHA-256: the same look-up takes both."""
    feed = test_feed(tmp_path / "feed", cert_sha1=apk_lab.ec.sha256)
    case = demo_case(tmp_path / "case", {STORE_APP: apk_lab.v3.read_bytes()})
    _, got = findings(case, load_indicators([feed], installed=False), IDENTITY)
    assert ("critical", "android.app.stalkerware", STORE_APP) in got


def test_apk_hash_names_the_family(apk_lab, techsafe_home, tmp_path):
    data = apk_lab.v2.read_bytes()
    feed = test_feed(tmp_path / "feed", apk_sha256=hashlib.sha256(data).hexdigest())
    case = demo_case(tmp_path / "case", {STORE_APP: data})
    analysis, _ = findings(case, load_indicators([feed], installed=False))
    f = next(f for f in analysis.findings if f.subject == STORE_APP and f.kind == "android.app.stalkerware")
    assert f.title.endswith("(recognised by its app file).") and "“HashSpy”" in f.title
    assert (f.indicator.field, f.indicator.value) == ("sha256", hashlib.sha256(data).hexdigest())


def test_package_match_is_not_reported_twice(apk_lab, techsafe_home, tmp_path, shared):
    """com.systemservice is known by name; its APK matching too adds no second finding."""
    case = demo_case(tmp_path / "case", {"com.systemservice": apk_lab.mspy.read_bytes()})
    _, got = findings(case, load_indicators([shared / "indicators" / "echap"], installed=False), IDENTITY)
    assert got == [("critical", "android.app.stalkerware", "com.systemservice")]


def test_team_heuristic_rule_is_high_not_a_family(apk_lab, techsafe_home, tmp_path):
    case = demo_case(tmp_path / "case", {STORE_APP: apk_lab.generic.read_bytes()})
    analysis, got = findings(case, load_indicators(installed=False), IDENTITY)
    assert ("high", "android.app.suspicious_code", STORE_APP) in got
    f = next(f for f in analysis.findings if f.kind == "android.app.suspicious_code")
    assert f.title == (f"“{STORE_APP}” contains code typical of stalkerware (it reads other apps' screens through "
                       "accessibility, intercepts and sends SMS, and can hide its icon).")
    assert (f.indicator.source, f.indicator.field) == ("techsafe-yara", "yara")


@pytest.mark.parametrize("mangle, reason", [
    (lambda d: d[: len(d) // 2], "not a readable APK: no ZIP end record (truncated file?)"),
    (lambda d: b"", "not a readable APK: not an APK (no ZIP header)"),
    (lambda d: b"\x00garbage" * 300, "not a readable APK: not an APK (no ZIP header)"),
])
def test_unreadable_apk_is_not_checked_not_silent(apk_lab, techsafe_home, tmp_path, mangle, reason):
    case = demo_case(tmp_path / "case", {STORE_APP: mangle(apk_lab.v2.read_bytes())})
    analysis = analyze(case, load_indicators(installed=False))
    gaps = {n.area: n.reason for n in analysis.not_checked}
    assert gaps["android.apps.files"] == f"some app files could not be copied or fully examined: {STORE_APP} ({reason})"
    assert "android.apps.identity" in analysis.checked  # the other apps' files were still examined


def test_no_apks_at_all_is_said(techsafe_home, tmp_path):
    profile = load_profile(DEMO)
    case = Case.create(tmp_path / "case")
    for cmd in COMMANDS:
        out = profile.answer(cmd.shell)
        if out is not None:
            case.add_artifact("android", f"{cmd.key}.txt", out.stdout, command=cmd.shell,
                              meta={"format": "command", "key": cmd.key})
    gaps = {n.area: n.reason for n in analyze(case, load_indicators(installed=False)).not_checked}
    assert gaps["android.apps.identity"].startswith("no app files (APKs) were copied")


@pytest.mark.parametrize("package, imitates", [
    ("com.sec.android.app.x7f3k", True),  # the random-per-download family
    ("com.android.systemupdate", True),
    ("com.google.android.gms.sync", True),
    ("com.systemservice", True),
    ("com.wifi.service", True),
    ("net.sys.update", True),
    ("com.whatsapp", False),
    ("org.mozilla.firefox", False),
    ("com.updatesoft.notes", False),  # a word inside a longer segment is not a pose
    ("com.strava", False),
])
def test_imitated_names(package, imitates):
    assert bool(imitated_name(package)) is imitates
