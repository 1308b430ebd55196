"""YARA over the code inside APKs: the Echap feed's rules.yar plus the team's
rules, compiled once and cached; every classes*.dex and lib/*/*.so is scanned."""

from __future__ import annotations

import io
import zipfile

import pytest

from techsafe.scanners.android import yara_scan
from techsafe.scanners.android.apk_facts import ApkInput, ApkInputs, read_apk_facts
from techsafe.signatures import load_indicators


@pytest.fixture
def echap(techsafe_home, shared):
    return load_indicators([shared / "indicators" / "echap"], installed=False)


def facts_for(apk_bytes: bytes, indicators, package="com.sec.android.app.upd3x"):
    inputs = ApkInputs((ApkInput(package, "artifacts/android/apks/x/base.apk", "", len(apk_bytes), lambda: apk_bytes),))
    facts, problem = read_apk_facts(inputs, indicators)
    assert problem == ""
    return facts[0]


def test_feed_rule_names_the_family_in_a_second_dex(apk_lab, echap):
    facts = facts_for(apk_lab.mspy.read_bytes(), echap)
    assert [(h.rule, h.family, h.entry, h.heuristic) for h in facts.yara] == [("mspy", "mSpy", "classes2.dex", False)]
    hit = facts.yara[0]
    assert hit.source == "echap" and hit.version == "a04c5c1958bff93fec3b1b56edbb412b209f2a38"
    assert facts.problems == ()


def test_clean_apk_matches_nothing(apk_lab, echap):
    assert facts_for(apk_lab.clean.read_bytes(), echap).yara == ()


def test_team_rule_is_a_heuristic(apk_lab, echap):
    facts = facts_for(apk_lab.generic.read_bytes(), echap)
    assert [(h.rule, h.source, h.heuristic) for h in facts.yara] == [
        ("stalkerware_accessibility_sms_generic", "techsafe-yara", True)]
    assert "intercepts and sends SMS" in facts.yara[0].description


def test_team_rule_needs_every_group(apk_lab, echap):
    """Low false positives: an SMS app, or a screen reader, alone does not match."""
    from apkbuild import GENERIC_STALKERWARE_STRINGS, dex

    for drop in ("setComponentEnabledSetting", "sendTextMessage", "getRootInActiveWindow"):
        strings = [s for s in GENERIC_STALKERWARE_STRINGS if s != drop]
        if drop == "getRootInActiveWindow":
            strings.remove("Landroid/view/accessibility/AccessibilityNodeInfo;")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("classes.dex", dex(strings))
        assert facts_for(buf.getvalue(), echap).yara == (), drop


def test_rules_are_compiled_once_and_cached_on_disk(echap, techsafe_home, monkeypatch):
    sources = yara_scan.rule_sources(echap)
    assert [s.source for s in sources] == ["echap", "techsafe-yara"]
    yara_scan._MEMORY.clear()
    yara_scan.compiled_rules(sources)
    cached = list((techsafe_home / "data" / "yara-cache").glob("*.yarc"))
    assert [p.stem for p in cached] == [yara_scan.cache_key(sources)]
    # A second process (empty memory) loads the cache instead of compiling.
    yara_scan._MEMORY.clear()
    import yara

    def no_compile(*a, **k):
        raise AssertionError("compiled again")

    monkeypatch.setattr(yara, "compile", no_compile)
    rules = yara_scan.compiled_rules(sources)
    assert any(r.identifier == "mspy" for r in rules)


def test_damaged_cache_is_recompiled(echap, techsafe_home):
    sources = yara_scan.rule_sources(echap)
    yara_scan._MEMORY.clear()
    cache = techsafe_home / "data" / "yara-cache"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / f"{yara_scan.cache_key(sources)}.yarc").write_bytes(b"not compiled rules")
    rules = yara_scan.compiled_rules(sources)
    assert any(r.identifier == "mspy" for r in rules)


def test_broken_rule_file_is_reported(tmp_path):
    bad = tmp_path / "bad.yar"
    bad.write_text("rule broken { condition: nope }")
    src = yara_scan.RuleSource(bad, "bad", "test", "1", "0" * 64)
    with pytest.raises(yara_scan.RulesUnavailable, match="does not compile"):
        yara_scan.compiled_rules((src,), cache_dir=tmp_path)


def test_code_zip_bomb_is_a_problem_not_a_crash(echap):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("classes.dex", b"dex\n035\x00" + bytes(100 * 1024 * 1024))
        z.writestr("lib/x86/libok.so", b"\x7fELF")
    facts = facts_for(buf.getvalue(), echap)
    assert facts.identity is not None and facts.yara == ()
    assert facts.problems == ("classes.dex: larger than the 64 MB limit (104857608 bytes declared)",)


def test_not_an_apk_is_a_problem(echap):
    facts = facts_for(b"\x00" * 100, echap)
    assert facts.identity is None and facts.problems == ("not a readable APK: not an APK (no ZIP header)",)
