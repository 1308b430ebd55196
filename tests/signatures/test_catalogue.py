"""The team catalogue shipped in signatures/catalogue.yaml."""

from __future__ import annotations

import copy

from techsafe.signatures import CATEGORIES, load_indicators
from techsafe.signatures.catalogue import load_catalogue, validate_catalogue
from techsafe.signatures.safeyaml import load_yaml


def test_catalogue_is_valid_and_large_enough() -> None:
    cat = load_catalogue()
    assert validate_catalogue(load_yaml(cat.path.read_bytes(), "catalogue.yaml")) == []
    assert len(cat.entries) >= 60
    assert {e.category for e in cat.entries} <= CATEGORIES
    by_category = {c: sum(e.category == c for e in cat.entries) for c in CATEGORIES}
    for needed in ("stalkerware", "family-locator", "parental-control", "anti-theft", "remote-access", "camera", "tracker"):
        assert by_category[needed] >= 3 or needed == "anti-theft" and by_category[needed] >= 2, needed
    assert 12 <= by_category["stalkerware"] <= 20  # a short list; the Echap feed is the main source


def test_validator_catches_mistakes() -> None:
    doc = load_yaml(load_catalogue().path.read_bytes(), "catalogue.yaml")
    broken = copy.deepcopy(doc)
    broken["entries"][1]["id"] = broken["entries"][0]["id"]
    broken["entries"][2]["category"] = "spyish"
    broken["entries"][3]["android"] = ["not a package"]
    broken["entries"][4]["android"] = list(doc["entries"][0]["android"][:1])
    problems = validate_catalogue(broken)
    assert any("duplicate id" in p for p in problems)
    assert any("unknown category 'spyish'" in p for p in problems)
    assert any("'not a package' is not a valid android id" in p for p in problems)
    assert any("is also listed by" in p for p in problems)


def test_no_feed_installed_still_catches_best_known_stalkerware() -> None:
    ind = load_indicators()
    assert [f.kind for f in ind.feeds] == ["catalogue"]
    hit = ind.match_package("com.systemservice")
    assert (hit.category, hit.match.source, hit.match.field) == ("stalkerware", "techsafe-catalogue", "package")
    assert "TheTruthSpy" in hit.name and hit.description
    for package in ("com.mspy.lite", "com.vvt.android.syncmanager", "com.kids.pro", "com.xnspy.dashboard", "org.secure.smsgps"):
        assert ind.match_package(package).category == "stalkerware", package
    ok, message = ind.stalkerware_feed_status()
    assert not ok and "No stalkerware indicator feed is installed" in message


def test_dual_use_apps_have_categories_and_plain_words() -> None:
    ind = load_indicators()
    expected = {
        "com.life360.android.safetymapd": "family-locator",
        "com.google.android.apps.kids.familylink": "parental-control",
        "com.lsdroid.cerberus": "anti-theft",  # not stalkerware in our own list
        "com.teamviewer.quicksupport.market": "remote-access",
        "com.anydesk.anydeskandroid": "remote-access",
        "com.ringapp": "doorbell",
        "com.hualai": "camera",
        "com.thetileapp.tile": "tracker",
    }
    for package, category in expected.items():
        hit = ind.match_package(package)
        assert hit.category == category and len(hit.description.split()) >= 6, package
    assert ind.match_bundle("com.google.chromecast").name == "Google Home"
    assert ind.match_domain("fw.ring.com").category == "doorbell"
