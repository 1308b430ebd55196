"""STIX 2 bundles: the two real ones in ../shared plus one written here with
every pattern form MVT reads (mvt/common/indicators.py: `[path = 'value']`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from techsafe.cli import cli
from techsafe.signatures import FeedError, load_indicators
from techsafe.signatures.importer import import_path
from techsafe.signatures.stix2 import parse_pattern


def test_cytrox_bundle(stix_dir: Path) -> None:
    info = import_path(stix_dir / "cytrox.stix2")
    assert info.name == "stix2-cytrox" and info.kind == "stix2"
    # The bundle holds 343 indicators: 336 domains, 6 file paths, 1 profile id.
    assert {k: info.counts[k] for k in ("domains", "file_paths", "profile_ids", "indicators", "unsupported_patterns")} == {
        "domains": 336,
        "file_paths": 6,
        "profile_ids": 1,
        "indicators": 343,
        "unsupported_patterns": 0,
    }
    ind = load_indicators()
    hit = ind.match_domain("shortenurls.me")
    assert (hit.category, hit.name, hit.match.source, hit.match.field) == ("spyware", "Predator", "stix2-cytrox", "domain")
    assert ind.match_domain("cdn.shortenurls.me").match.value == "shortenurls.me"
    assert ind.match_profile_id("76dab334-7e17-475d-a5d6-0794eb5818a5").name == "Predator"
    assert ind.match_file_path("/private/var/tmp/takePhoto").name == "Predator"


def test_otx_pulse_bundle(stix_dir: Path) -> None:
    info = import_path(stix_dir / "otx-pulse.stix2.json")
    assert (info.counts["urls"], info.counts["domains"]) == (54, 15)
    ind = load_indicators()
    hit = ind.match_url("https://accountsecurities.org/16tPqQC")
    assert hit.name == "NSO" and hit.match.field == "url"  # the bundle's only threat-actor
    # Same host, another path: no URL matches, the host is in the bundle's domain list.
    assert ind.match_url("https://accountsecurities.org/other").match.field == "domain"
    assert ind.match_url("https://example.org/16tPqQC") is None
    assert ind.match_url("http://statsads.co/2dL8ARH?utm=1").match.value == "http://statsads.co/2dL8ARH"


def _bundle(objects: list[dict]) -> dict:
    return {"type": "bundle", "id": "bundle--1", "objects": objects}


def _indicator(n: int, pattern: str) -> dict:
    return {"type": "indicator", "id": f"indicator--{n}", "pattern": pattern, "pattern_type": "stix"}


def test_every_pattern_form(tmp_path: Path) -> None:
    sha256 = "ab" * 32
    patterns = [
        "[app:id = 'com.spy.app']",
        "[app:cert.sha1 = 'AABBCCDDEEFF00112233445566778899AABBCCDD']",
        f"[app:cert.sha256='{'cd' * 32}']",
        f"[file:hashes.'SHA-256' = '{sha256}']",
        "[ipv4-addr:value = '198.51.100.0/24']",
        "[ipv6-addr:value = '2001:db8::1']",
        "[url:value = 'https://evil.example/payload'] OR [domain-name:value = 'c2.example']",
        "[process:name = 'bh']",
        "[email-addr:value = 'x@example.org']",  # read by MVT, not used by techsafe
        "[domain-name:value = 'a.example' AND domain-name:value = 'b.example']",  # AND: not supported
    ]
    objects = [_indicator(n, p) for n, p in enumerate(patterns)]
    objects.append({"type": "malware", "id": "malware--m", "name": "Family X"})
    objects += [
        {"type": "relationship", "relationship_type": "indicates", "source_ref": f"indicator--{n}", "target_ref": "malware--m"}
        for n in range(len(patterns))
    ]
    path = tmp_path / "mixed.stix2"
    path.write_text(json.dumps(_bundle(objects)))
    info = import_path(path)
    assert info.counts["unsupported_patterns"] == 2
    ind = load_indicators()
    assert ind.match_package("com.spy.app").name == "Family X"
    assert ind.match_bundle("com.spy.app").category == "spyware"
    assert ind.match_cert("aabbccddeeff00112233445566778899aabbccdd").match.field == "cert_sha1"
    assert ind.match_cert("CD" * 32).match.field == "cert_sha256"
    assert ind.match_file_sha256(sha256.upper()).match.field == "file_sha256"
    assert ind.match_ip("198.51.100.77").match.value == "198.51.100.0/24"
    assert ind.match_ip("198.51.101.1") is None
    assert ind.match_ip("2001:DB8:0:0::1").match.value == "2001:db8::1"
    assert ind.match_url("HTTPS://EVIL.example/payload/").match.field == "url"
    assert ind.match_url("https://evil.example/payload/stage2.bin").name == "Family X"
    assert ind.match_url("http://x.c2.example/anything").match.field == "domain"
    assert ind.match_process("bh").name == "Family X"


def test_pattern_parser_refuses_what_it_does_not_understand() -> None:
    assert parse_pattern("[domain-name:value='a.com']") == [("domain-name:value", "a.com")]
    assert parse_pattern("[a:b = 'it\\'s']") == [("a:b", "it's")]
    for bad in ("[a:b = 'x'", "a:b = 'x'", "[a:b MATCHES 'x']", "[a:b = 'x'] AND [c:d = 'y']", "[a:b = 'x']]", ""):
        assert parse_pattern(bad) is None, bad


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON at line 1: Expecting property name enclosed in double quotes"),
        ('{"type": "bundle"}', "not a STIX 2 bundle (no 'objects' list)"),
        ('{"type": "bundle", "objects": []}', "the bundle holds no indicator objects"),
        (
            '{"type": "bundle", "objects": [{"type": "indicator", "id": "i", "pattern": "[x:y = \'z\']"}]}',
            "none of its 1 indicator patterns is one techsafe can use",
        ),
    ],
)
def test_malformed_bundles_leave_installed_set_untouched(stix_dir: Path, tmp_path: Path, content: str, message: str) -> None:
    good = import_path(stix_dir / "cytrox.stix2")
    bad = tmp_path / "cytrox.stix2"
    bad.write_text(content)
    with pytest.raises(FeedError) as exc:
        import_path(bad)
    assert str(exc.value) == f"{bad}: {message}"
    result = CliRunner().invoke(cli, ["signatures", "import", str(bad)])
    assert result.exit_code == 1
    assert result.output.strip() == f"techsafe: {bad}: {message}"
    ind = load_indicators()
    assert [f.sha256 for f in ind.feeds if f.name == "stix2-cytrox"] == [good.sha256]
    assert ind.match_domain("shortenurls.me") is not None
