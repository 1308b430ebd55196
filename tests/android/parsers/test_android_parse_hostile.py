"""Hostile and damaged input for every Android parser: truncated captures,
empty, random bytes, a 1 MB line, deeply repeated patterns, and hypothesis
fuzzing. A parser may return a (partial) result or raise ParseError; any
other exception, or taking too long, fails."""

from __future__ import annotations

import random

import pytest
from android_captures import Timer, read_capture
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from techsafe.scanners.android.facts import ParseError
from techsafe.scanners.android.parsers import (
    parse_accessibility,
    parse_accounts,
    parse_androidqf_packages,
    parse_device_policy,
    parse_dumpsys_package,
    parse_dumpsys_package_single,
    parse_getprop,
    parse_package_list,
    parse_package_names,
    parse_settings,
    parse_users,
    split_dump,
)
from techsafe.scanners.android.parsers.dump_sections import sections_named

PARSERS = {
    "split_dump": split_dump,
    "getprop": parse_getprop,
    "settings": parse_settings,
    "package_list": parse_package_list,
    "package_names": parse_package_names,
    "dumpsys_package": parse_dumpsys_package,
    "dumpsys_package_single": parse_dumpsys_package_single,
    "accessibility": parse_accessibility,
    "device_policy": parse_device_policy,
    "users": parse_users,
    "accounts": parse_accounts,
    "androidqf": parse_androidqf_packages,
}


def _survives(parser, text: str, limit_s: float = 2.0):
    with Timer(limit_s):
        try:
            return parser(text)
        except ParseError as exc:
            reason = str(exc)
            assert reason and "\n" not in reason and len(reason) < 300
            return None


def _samples() -> dict[str, list[str]]:
    dump = read_capture("isdi/android7-full-dump.txt")
    sections = split_dump(dump)
    qf = split_dump(read_capture("mvt/androidqf/dumpsys.txt"))
    from test_android_parse_accessibility import ANDROID14 as A14
    from test_android_parse_device_policy import ANDROID13_OWNERS
    from test_android_parse_package_list import FULL
    from test_android_parse_users_accounts import ACCOUNTS

    return {
        "split_dump": [read_capture("mvt/bugreport/dumpstate.txt"), read_capture("mvt/androidqf/dumpsys.txt")],
        "getprop": [read_capture("mvt/androidqf/getprop.txt"), read_capture("mvt/android_data/getprop.txt")],
        "settings": [sections_named(sections, "settings", "global")[0].text],
        "package_list": [FULL],
        "package_names": [FULL],
        "dumpsys_package": [
            sections_named(sections, "service", "package")[0].text[:400_000],
            read_capture("mvt/bugreport/dumpstate.txt"),
        ],
        "dumpsys_package_single": [read_capture("spytrap-adb/package/gpstest.txt")],
        "accessibility": [
            read_capture("spytrap-adb/accessibility/plain.txt"),
            sections_named(qf, "service", "accessibility")[0].text,
            A14,
        ],
        "device_policy": [ANDROID13_OWNERS],
        "users": ["Users:\n\tUserInfo{0:Owner:c13} running\n\tUserInfo{10:Work profile:1030} running\n"],
        "accounts": [ACCOUNTS],
        "androidqf": [read_capture("mvt/androidqf/packages.json")],
    }


SAMPLES = _samples()


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_truncated_real_inputs(name):
    parser = PARSERS[name]
    rng = random.Random(1)
    for text in SAMPLES[name]:
        cuts = {0, 1, len(text) // 2, len(text) - 1} | {rng.randrange(len(text)) for _ in range(12)}
        for cut in sorted(cuts):
            _survives(parser, text[:cut])


def test_every_cut_of_accessibility_keeps_each_users_list_whole():
    from test_android_parse_accessibility import ANDROID14

    full = dict(parse_accessibility(ANDROID14).enabled)
    for cut in range(len(ANDROID14)):
        state = _survives(parse_accessibility, ANDROID14[:cut], 1.0)
        if state is None:
            continue
        for user, comps in state.enabled:
            # never a shortened enabled list: either the whole list or "not checked"
            assert comps == full[user], cut


GARBAGE = {
    "empty": "",
    "blank": " \n\t\r\n",
    "random-bytes": random.Random(7).randbytes(200_000).decode("utf-8", errors="replace"),
    "nul": "\x00" * 100_000,
    "one-mb-line": "a" * 1_000_000,
    "one-mb-braces": "{" * 500_000 + "}" * 500_000,
    "one-mb-equals": "package:" + "=" * 1_000_000,
    "repeated-headers": "DUMP OF SERVICE x:\n" * 50_000,
    "repeated-user-state": "User state[\n" * 50_000,
    "open-list": "User state[attributes:{id=0\n     Enabled services:{" + "{com.a/.B}, " * 100_000,
    "getprop-open": "[a]: [" + "x\n" * 100_000,
    "settings-like": "k=v\n" * 100_000,
    "package-blocks": "Packages:\n" + "  Package [com.a] (1):\n    User 0: installed=true enabled=0\n" * 30_000,
    "nested-lists": "Packages:\n  Package [com.a] (1):\n" + "".join(" " * (i % 200) + "runtime permissions:\n" for i in range(50_000)),
    "userinfo-braces": "UserInfo{0:" + "}" * 500_000,
    "account-types": "Accounts: 1\n  Account {name=" + ", type=" * 100_000 + "}\n",
    "admins": "Enabled Device Admins (User 0, provisioningState: 0):\n" + "    com.a/.B:\n" * 50_000,
    "deep-json": "[" * 200_000,
    "json-bignum": "[" + "9" * 100_000 + "]",
    "crlf-mix": "\r\n\r\r\n" * 100_000,
}


@pytest.mark.parametrize("garbage", sorted(GARBAGE))
@pytest.mark.parametrize("name", sorted(PARSERS))
def test_garbage_never_crashes_or_hangs(name, garbage):
    _survives(PARSERS[name], GARBAGE[garbage], 3.0)


def test_empty_input_is_a_parse_error_for_every_parser():
    for name, parser in PARSERS.items():
        if name == "split_dump":
            assert parser("") == []
            continue
        with pytest.raises(ParseError):
            parser("")


def test_non_text_input_is_a_parse_error():
    for name, parser in PARSERS.items():
        with pytest.raises(ParseError):
            parser(b"package:com.x")  # type: ignore[arg-type]


# Lines made of format keywords, so fuzzing reaches the parsers' inner states.
FRAGMENTS = [
    "DUMP OF SERVICE package:", "DUMP OF SETTINGS secure", "-" * 79,
    "--------- 0.1s was the duration of dumpsys package, ending at: x", "------ DUMPSYS (dumpsys) ------",
    "Packages:", "Hidden system packages:", "  Package [com.a] (1):", "    userId=10001", "    appId=x",
    "    pkgFlags=[ SYSTEM ]", "    installerPackageName=null", "    requested permissions:",
    "      android.permission.CAMERA", "    install permissions:", "      a.b: granted=true",
    "    User 0: installed=true enabled=3", "      runtime permissions:", "        x.y: granted=false, flags=[ ]",
    "User state[", "     attributes:{id=0}", "User state[attributes:{id=10, x", "     Enabled services:{{com.a/.B}}",
    "     Enabled services:{", "     Bound services:{Service[label={, feedbackType", "}", "}]", "  enabled services: {",
    "    0 : com.a/.B", "           services:{Service[label=a, feedbackType]}]", "Crashed services:{{com.c/.D}}",
    "Current Device Policy Manager state:", "  Device Owner:", "    admin=ComponentInfo{com.a/com.a.B}",
    "    package=com.a", "  Profile Owner (User 10):", "  Enabled Device Admins (User 0, provisioningState: 1):",
    "    com.a/.B:", "Users:", "\tUserInfo{0:Owner:c13} running", "    State: RUNNING_LOCKED",
    "User UserInfo{0:Owner:13}:", "  Accounts: 1", "    Account {name=a, type=b}",
    "[ro.x]: [y]", "[ro.multi]: [a", "b]", "key=value", "package:/data/app/x==/base.apk=com.a installer=null uid:1,100001",
    '[{"name": "com.a", "files": [{"sha256": "', "", " ", "\t", "\x00", "\ufffd",
]
lines = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40)), max_size=60)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=lines, name=st.sampled_from(sorted(PARSERS)), crlf=st.booleans())
def test_fuzzed_lines(lines, name, crlf):
    text = ("\r\n" if crlf else "\n").join(lines)
    _survives(PARSERS[name], text, 2.0)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=2000), name=st.sampled_from(sorted(PARSERS)))
def test_fuzzed_text(text, name):
    _survives(PARSERS[name], text, 2.0)
