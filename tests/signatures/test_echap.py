"""The real Echap snapshot in ../shared, imported the way a caseworker would."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from techsafe.cli import cli
from techsafe.model import IndicatorMatch
from techsafe.signatures import FeedError, load_indicators
from techsafe.signatures.importer import import_path

COMMIT = "a04c5c1958bff93fec3b1b56edbb412b209f2a38"


@pytest.fixture
def echap(echap_dir: Path):
    import_path(echap_dir)
    return load_indicators()


def test_import_counts_match_the_snapshot(echap_dir: Path) -> None:
    info = import_path(echap_dir)
    assert info.name == "echap" and info.kind == "echap"
    assert info.version == COMMIT
    assert info.data_date == "2026-06-21T20:40:25Z"
    c = info.counts
    assert c["stalkerware_apps"] == 147
    assert c["stalkerware_packages"] == 613
    assert c["stalkerware_certificates"] == 471
    assert c["stalkerware_c2_domains"] == 925
    assert c["stalkerware_websites"] == 624
    # shared/README says 65 C2 IPs: that is the `c2.ips` lists alone. The two
    # entries that misspell it `c2.ip` (MobiStealth: 2, Ahmyth: 1) add 3 more.
    assert c["stalkerware_c2_ips"] == 68
    assert c["watchware_apps"] == 27
    assert c["watchware_packages"] == 30
    assert c["watchware_ios_bundles"] == 6
    assert c["samples"] == 3228
    assert c["yara_rules"] == 12
    assert c["rejected_values"] == 0
    assert dict(info.files).keys() == {"ioc.yaml", "watchware.yaml", "samples.csv", "network.csv", "rules.yar", "VERSION"}


def test_cli_import_prints_counts(echap_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["signatures", "import", str(echap_dir)])
    assert result.exit_code == 0, result.output
    assert "613 stalkerware package names" in result.output
    assert "471 stalkerware signing certificates" in result.output
    assert "925 stalkerware C2 domains" in result.output


def test_package_hit_names_feed_version_and_family(echap) -> None:
    hit = echap.match_package("com.systemservice")
    assert hit.category == "stalkerware"
    assert hit.name == "TheTruthSpy"
    assert hit.match == IndicatorMatch("echap", COMMIT, "TheTruthSpy", "package", "com.systemservice")
    # Package names are case-sensitive on Android.
    assert echap.match_package("com.SystemService") is None
    assert echap.match_package("com.systemservice.extra") is None


def test_misspelled_c2_ip_is_read(echap) -> None:
    assert echap.match_ip("85.10.199.40").name == "Ahmyth"
    assert echap.match_ip("72.167.46.196").name == "MobiStealth"
    assert echap.match_ip("::ffff:72.167.46.196").name == "MobiStealth"
    assert echap.match_ip("72.167.46.197") is None


def test_certificates_any_case_and_colons(echap) -> None:
    sha1 = "31A6ECECD97CF39BC4126B8745CD94A7C30BF81C"
    for form in (sha1, sha1.lower(), ":".join(sha1[i : i + 2] for i in range(0, 40, 2))):
        hit = echap.match_cert(form)
        assert hit is not None and hit.name == "TheTruthSpy" and hit.match.field == "certificate"
    assert echap.match_cert("00" * 20) is None
    assert echap.match_cert("not hex") is None


def test_samples_give_apk_hashes_and_extra_packages(echap) -> None:
    hit = echap.match_file_sha256("2F3BC9EBE8C249F0416F5B0367F34B4B8F6AAA7D351DC5B4912FE2558491B6B7")
    assert hit.name == "1TopSpy" and hit.category == "stalkerware" and hit.match.field == "sample_sha256"
    # A package that only samples.csv knows about (not in ioc.yaml).
    assert echap.match_package("com.vudezilamoqo.voderuna").match.field == "sample_package"


def test_watchware_wins_over_catalogue_and_keeps_its_words(echap) -> None:
    hit = echap.match_package("com.life360.android.safetymapd")
    assert hit.category == "watchware" and hit.match.source == "echap"
    assert "location" in hit.description  # the catalogue's plain-language line
    assert echap.match_bundle("COM.LIFE360.SAFETYMAP").category == "watchware"


def test_echap_stalkerware_beats_catalogue_anti_theft(echap) -> None:
    # Echap lists Cerberus as stalkerware; the catalogue says anti-theft. Most severe wins.
    hit = echap.match_package("com.lsdroid.cerberus")
    assert hit.category == "stalkerware" and hit.match.source == "echap"


def test_distribution_urls_never_flag_their_host(echap) -> None:
    # AndroRat's distribution is a GitHub repository URL: github.com itself must stay clean.
    assert echap.match_domain("github.com") is None
    hit = echap.match_url("https://github.com/karma9874/AndroRAT/archive/master.zip")
    assert hit is not None and hit.name == "AndroRat"
    assert echap.match_url("https://github.com/karma9874/AndroRATS") is None


def test_single_files_and_errors(echap_dir: Path, tmp_path: Path) -> None:
    info = import_path(echap_dir / "watchware.yaml")
    assert info.name == "echap-watchware" and info.counts["watchware_apps"] == 27
    info = import_path(echap_dir / "ioc.yaml")
    assert info.name == "echap" and info.counts["stalkerware_packages"] == 613
    with pytest.raises(FeedError, match=r"no ioc.yaml or watchware.yaml"):
        import_path(tmp_path)
    bad = tmp_path / "ioc.yaml"
    bad.write_text("- name: X\n  packages: com.not.a.list\n")
    with pytest.raises(FeedError) as exc:
        import_path(bad)
    assert str(exc.value) == f"{bad}: app 'X': 'packages' must be a list"


def test_yaml_python_tags_are_refused_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    bad = tmp_path / "ioc.yaml"
    bad.write_text(f"- name: !!python/object/apply:os.system ['touch {marker}']\n  packages: [a.b]\n")
    with pytest.raises(FeedError, match=r"ioc.yaml: not valid YAML at line 1"):
        import_path(bad)
    assert not marker.exists()
    assert load_indicators().feeds[0].kind == "catalogue"  # nothing was installed
