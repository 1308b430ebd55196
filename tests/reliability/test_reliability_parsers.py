"""Hostile input for every parser family (Android, iOS, trackers, network,
indicator feeds): no exception outside the documented error types, a bound on
time per input byte (1 MB of pathological input in seconds, not hours), and
regression tests for the catastrophic regular expressions found here."""

from __future__ import annotations

import plistlib
from pathlib import Path
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_targets import all_targets

TARGETS = all_targets()
IDS = [t.name for t in TARGETS]
MB = 1 << 20
# Generous for a shared 2-core CI machine; a quadratic regex on 1 MB takes hours.
SECONDS_PER_MB = 8.0


def run(target, data: bytes):
    try:
        return target.fn(data)
    except target.allowed as exc:
        reason = str(exc)
        # documented errors become a "not checked" line: one short line, no dump of the input
        assert reason and "\n" not in reason and len(reason) < 400, reason
        return None


def mutated(seeds: list[bytes]):
    """A seed with a few byte edits: keeps the format's shape so the parser goes deep."""
    base = st.sampled_from(seeds or [b""])
    edits = st.lists(st.tuples(st.integers(0, 1 << 16), st.binary(max_size=8), st.integers(0, 8)), max_size=6)

    def apply(seed: bytes, ops) -> bytes:
        b = bytearray(seed)
        for pos, insert, delete in ops:
            pos = pos % (len(b) + 1)
            b[pos:pos + delete] = insert
        return bytes(b)

    return st.builds(apply, base, edits)


def test_every_parser_family_is_covered():
    assert {t.family for t in TARGETS} == {"android", "ios", "trackers", "network", "feeds"}
    assert len(TARGETS) >= 45
    for t in TARGETS:
        assert t.seeds(), f"{t.name} has no seed input"


@pytest.mark.parametrize("target", TARGETS, ids=IDS)
def test_seeds_parse(target):
    for seed in target.seeds():
        run(target, seed)


@pytest.mark.parametrize("target", TARGETS, ids=IDS)
def test_random_and_mutated_bytes_never_crash(target):
    seeds = target.seeds()

    @settings(max_examples=40, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.one_of(st.binary(max_size=2048), mutated(seeds)))
    def prop(data):
        t0 = time.perf_counter()
        run(target, data)
        assert time.perf_counter() - t0 < 2.0

    prop()


def pathological(seed: bytes) -> dict[str, bytes]:
    """1 MB inputs that break backtracking regexes, naive loops and recursion."""
    head = seed[:4096]
    return {
        "newlines": b"\n" * MB,
        "spaces": b" " * MB,
        "one-long-line": b"a" * MB,
        "nested-open": b"[{<(" * (MB // 4),
        "seed-head-repeated": (head * (MB // max(1, len(head)) + 1))[:MB] if head else b"x" * MB,
        "seed-then-junk": (seed[:MB // 2] + b"\xff\x00" * MB)[:MB],
    }


@pytest.mark.parametrize("target", TARGETS, ids=IDS)
def test_one_megabyte_of_pathological_input_is_bounded(target):
    seeds = target.seeds()
    for label, data in pathological(seeds[0] if seeds else b"").items():
        t0 = time.perf_counter()
        run(target, data)
        elapsed = time.perf_counter() - t0
        assert elapsed < SECONDS_PER_MB, f"{target.name} took {elapsed:.1f}s on 1 MB of {label}"


# ---- regressions: catastrophic regular expressions found by these tests ---------

def _timed(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def test_echap_yara_rule_count_is_linear_on_blank_lines():
    # rules.yar comes from a feed download or an imported folder: hostile.
    # `^\s*...` with re.M was quadratic (40 KB of newlines: 37 s; 1 MB: hours).
    from techsafe.signatures.echap import _RULE

    assert _timed(_RULE.findall, b"\n" * MB + b"rule x { condition: true }") < 2.0
    assert len(_RULE.findall(b"private rule a { condition: true }\n  global rule b {condition: true}\nrule c {}")) == 3


def test_provisioning_profile_search_is_linear():
    # misagent answers come from the phone; `<\?xml.*?</plist>` was quadratic
    # on a blob of repeated "<?xml" (4 MB cap: hours).
    from techsafe.scanners.ios.parsers import provisioning_profiles

    blob = b"<?xml" * (MB // 5)
    data = plistlib.dumps({"Payload": [blob]}, fmt=plistlib.FMT_BINARY)
    assert _timed(provisioning_profiles, data, "misagent") < 2.0
    inner = plistlib.dumps({"Name": "Dev", "TeamName": "Team", "Entitlements": {"get-task-allow": True}})
    found = provisioning_profiles(plistlib.dumps({"Payload": [b"\x30\x82junk" + inner + b"\x00sig"]}), "misagent")
    assert [p.name for p in found] == ["Dev"]


def test_report_redaction_is_linear_on_long_values():
    # A device value (a name, a property) can be as long as the phone likes;
    # the e-mail pattern was quadratic on a long run of word characters.
    from techsafe.report.redact import redact_report

    assert _timed(redact_report, {"device": {"name": "a" * (256 * 1024)}, "x": "b." * (128 * 1024)}) < 2.0
    out = redact_report({"findings": [{"title": "mail ana.maria+x@example.org and 0044 20 7946 0958"}]})
    assert "example.org" not in out["findings"][0]["title"]


def test_sqlite_with_a_corrupt_schema_is_a_parse_error(tmp_path):
    # Found by fuzz/run.py (ios.tcc_db): sqlite3 decodes the error message that
    # quotes a corrupt schema as UTF-8 and raised UnicodeDecodeError.
    import sqlite3

    from techsafe.scanners.ios.parsers import accounts, tcc_grants
    from techsafe.scanners.ios.plists import ParseError

    db = tmp_path / "TCC.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE access (service TEXT, client TEXT, auth_value INT)")
    conn.commit()
    conn.close()
    raw = db.read_bytes().replace(b"CREATE TABLE access", b"CREATE\xa0TABLE access")
    with pytest.raises(ParseError, match="corrupt schema"):
        tcc_grants(raw)
    with pytest.raises(ParseError):
        accounts(raw)


REGRESSIONS = Path(__file__).parent / "regressions"


@pytest.mark.parametrize("path", sorted(REGRESSIONS.iterdir()), ids=lambda p: p.name)
def test_inputs_that_crashed_the_fuzzer_are_handled(path):
    """Each file is an input fuzz/run.py found crashing a parser, named
    TARGET-what.ext: ios.tcc_db, a SQLite file SQLite reports as out of memory
    (MemoryError escaped); feeds.stix2, an indicator whose id is a list (TypeError)."""
    target = {t.name: t for t in all_targets()}[path.name.split("-", 1)[0]]
    with pytest.raises(target.allowed):
        target.fn(path.read_bytes())


def test_stix2_ids_that_are_not_strings_are_ignored():
    import json

    from techsafe.signatures.stix2 import parse_stix2

    bundle = {"type": "bundle", "objects": [
        {"type": "malware", "id": ["malware--1"], "name": "Spy"},
        {"type": "relationship", "relationship_type": "indicates", "source_ref": "indicator--1",
         "target_ref": ["malware--1"]},
        {"type": "indicator", "id": ["indicator--1"], "pattern_type": "stix",
         "pattern": "[domain-name:value = 'spy.example']"},
    ]}
    parsed = parse_stix2(json.dumps(bundle).encode(), "odd.stix2")
    assert parsed.counts["domains"] == 1 and parsed.counts["indicators"] == 1  # the indicator still counts


# ---- a malformed section is "not checked", never silence -------------------------------

def _demo_case(tmp_path, corrupt: set[str]):
    from pathlib import Path

    from techsafe import pipeline
    from techsafe.case import Case
    from techsafe.scanners.android.commands import COMMANDS
    from techsafe.signatures import load_indicators
    from techsafe.simulate.adb_device import unknown_command
    from techsafe.simulate.profile import load_profile

    profile = load_profile(Path(__file__).resolve().parents[2] / "fixtures/devices/android14-demo")
    case = Case.create(tmp_path / ("case-" + "-".join(sorted(corrupt)) if corrupt else tmp_path / "case"))
    for c in COMMANDS:
        out = (profile.answer(c.shell) or unknown_command(c.shell, profile)).stdout
        if c.key in corrupt:
            out = b"\x00\xff\xfe garbage a stalkerware app printed \x1b[31m\n" * 3
        case.add_artifact("android", f"{c.key}.txt", out, command=c.shell, exit_status=0,
                          meta={"format": "command", "key": c.key})
    return pipeline.analyze_case(case, load_indicators())


# Inputs with one source: garbage in it alone must be said. Inputs with a
# second source (the package list is also in `dumpsys package`; enabled
# accessibility services also in secure settings) are corrupted together.
SINGLE = ["getprop", "dumpsys_device_policy", "settings_secure", "settings_global", "users", "dumpsys_account"]
TOGETHER = [("packages", "packages_system", "dumpsys_package"), ("dumpsys_accessibility", "settings_secure")]


@pytest.mark.parametrize("keys", [(k,) for k in SINGLE] + TOGETHER, ids=lambda k: "+".join(k))
def test_garbage_in_a_section_is_listed_as_not_checked(tmp_path, techsafe_home, keys):
    from techsafe.scanners.android.context import DESCRIPTIONS

    clean = _demo_case(tmp_path, set())
    broken = _demo_case(tmp_path, set(keys))
    new_gaps = [n for n in broken.not_checked if n not in clean.not_checked]
    said = " ".join(n.reason for n in new_gaps)
    assert new_gaps, f"garbage in {keys} changed nothing in 'not checked'"
    assert any(DESCRIPTIONS.get(k, k) in said for k in keys), said
    assert all("not understood" in n.reason or "not in a known format" in n.reason for n in new_gaps), said
