"""A feed cannot mark a bare TLD, a public suffix or a huge shared domain
(google.com, firebaseio.com...) as a spyware server; subdomains stay allowed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from techsafe.cli import cli
from techsafe.signatures import load_indicators, store
from techsafe.signatures.importer import import_path
from techsafe.signatures.validation import shared_domain_reason


def _stix(path: Path, patterns: list[str]) -> Path:
    objects: list[dict] = [
        {"type": "indicator", "id": f"indicator--{n}", "pattern": p, "pattern_type": "stix"} for n, p in enumerate(patterns)
    ]
    objects.append({"type": "malware", "id": "malware--m", "name": "Family X"})
    objects += [
        {"type": "relationship", "relationship_type": "indicates", "source_ref": f"indicator--{n}", "target_ref": "malware--m"}
        for n in range(len(patterns))
    ]
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": objects}))
    return path


def test_bundle_listing_google_com_and_com_is_refused(tmp_path: Path) -> None:
    path = _stix(
        tmp_path / "evil.stix2",
        ["[domain-name:value = 'c2.example']", "[domain-name:value = 'google.com']", "[domain-name:value = 'com']"],
    )
    result = CliRunner().invoke(cli, ["signatures", "import", str(path)])
    assert result.exit_code == 1
    assert result.output == (
        f"techsafe: {path}: spyware entry 'Family X' lists com, a top-level domain on its own; "
        "refusing to import this feed (it would report ordinary traffic as spying)\n"
    )
    assert store.installed() == ([], [])
    assert load_indicators().match_domain("www.google.com") is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("google.com", "a huge shared domain every phone uses (list a subdomain instead)"),
        ("FirebaseIO.com", "a huge shared domain every phone uses (list a subdomain instead)"),
        ("co.uk", "a public suffix shared by every site under it"),
        ("https://apple.com/", "a huge shared domain every phone uses (list a subdomain instead)"),
    ],
)
def test_each_kind_of_shared_name_is_refused(tmp_path: Path, value: str, reason: str) -> None:
    field = "url" if "://" in value else "domain-name"
    path = _stix(tmp_path / "b.stix2", [f"[{field}:value = '{value}']"])
    result = CliRunner().invoke(cli, ["signatures", "import", str(path)])
    assert result.exit_code == 1
    shown = value.lower().rstrip("/")
    assert result.output == (
        f"techsafe: {path}: spyware entry 'Family X' lists {shown}, {reason}; "
        "refusing to import this feed (it would report ordinary traffic as spying)\n"
    )


def test_subdomains_and_paths_of_shared_domains_stay_allowed(tmp_path: Path) -> None:
    path = _stix(
        tmp_path / "ok.stix2",
        [
            "[domain-name:value = 'spyapp-123.firebaseio.com']",
            "[domain-name:value = 'evil.co.uk']",
            "[url:value = 'https://github.com/someone/androrat']",
        ],
    )
    import_path(path)
    ind = load_indicators()
    assert ind.match_domain("spyapp-123.firebaseio.com").name == "Family X"
    assert ind.match_domain("other.firebaseio.com") is None
    assert ind.match_domain("www.google.com") is None


def test_reason_rule() -> None:
    assert shared_domain_reason("com") == "a top-level domain on its own"
    assert shared_domain_reason("com.br") == "a public suffix shared by every site under it"
    assert shared_domain_reason("x.firebaseio.com") is None
    assert shared_domain_reason("thd.cc") is None  # short, but a real stalkerware domain in Echap
    assert shared_domain_reason("nnews.co") is None


def test_real_shared_feeds_still_import(echap_dir: Path, stix_dir: Path) -> None:
    assert import_path(echap_dir).counts["stalkerware_c2_domains"] == 925
    assert import_path(stix_dir / "cytrox.stix2").counts["domains"] == 336
    assert import_path(stix_dir / "otx-pulse.stix2.json").counts["domains"] == 15
