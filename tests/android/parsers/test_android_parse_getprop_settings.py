"""getprop and `settings list` parsers on real captures and documented edge cases."""

from __future__ import annotations

import pytest
from android_captures import read_capture

from techsafe.scanners.android.facts import ParseError
from techsafe.scanners.android.parsers.dump_sections import sections_named, split_dump
from techsafe.scanners.android.parsers.getprop import parse_getprop
from techsafe.scanners.android.parsers.settings import parse_settings


def test_getprop_androidqf_capture():
    props = parse_getprop(read_capture("mvt/androidqf/getprop.txt"))
    assert props == {
        "dalvik.vm.appimageformat": "lz4",
        "dalvik.vm.dex2oat-Xms": "64m",
        "dalvik.vm.dex2oat-Xmx": "512m",
        "dalvik.vm.dex2oat-max-image-block-size": "524288",
        "dalvik.vm.dex2oat-minidebuginfo": "true",
        "dalvik.vm.dex2oat-resolve-startup-strings": "true",
        "dalvik.vm.dexopt.secondary": "true",
        "dalvik.vm.heapgrowthlimit": "128m",
        "dalvik.vm.heapmaxfree": "8m",
        "dalvik.vm.heapminfree": "512k",
    }


def test_getprop_mvt_capture_with_blank_line():
    props = parse_getprop(read_capture("mvt/android_data/getprop.txt"))
    assert len(props) == 13
    assert props["af.fast_track_multiplier"] == "1"
    assert props["audio.offload.min.duration.secs"] == "30"
    assert props["dalvik.vm.heapgrowthlimit"] == "192m"
    assert props["dalvik.vm.dex2oat-max-image-block-size"] == "524288"


def test_getprop_multiline_values_crlf_and_garbage():
    text = (
        "[ro.build.version.release]: [13]\r\n"
        "garbage line\r\n"
        "[persist.sys.motd]: [line one\r\n"
        "line two]\r\n"
        "[ro.cut]: [never closed\r\n"
        "[ro.debuggable]: [0]\r\n"
        "[ro.empty]: []\r\n"
        "[ro.brackets]: [a]: [b]]\r\n"
    )
    assert parse_getprop(text) == {
        "ro.build.version.release": "13",
        "persist.sys.motd": "line one\nline two",
        "ro.debuggable": "0",
        "ro.empty": "",
        "ro.brackets": "a]: [b]",
    }


@pytest.mark.parametrize("text", ["", "   \n", "/system/bin/sh: getprop: not found", "key=value\n"])
def test_getprop_rejects_unknown_output(text):
    with pytest.raises(ParseError):
        parse_getprop(text)


def test_settings_from_android7_dump_sections():
    sections = split_dump(read_capture("isdi/android7-full-dump.txt"))
    secure = parse_settings(sections_named(sections, "settings", "secure")[0].text)
    system = parse_settings(sections_named(sections, "settings", "system")[0].text)
    glob = parse_settings(sections_named(sections, "settings", "global")[0].text)
    assert (len(secure), len(system), len(glob)) == (155, 294, 171)
    assert secure["install_non_market_apps"] == "1"
    assert secure["enabled_accessibility_services"] == ""
    assert secure["location_providers_allowed"] == "gps,network"
    assert secure["HW_WIFI_PRO_PORTAL_FLAG"] == "0"
    assert secure["backup_enabled:com.android.calllogbackup"] == "1"
    assert glob["adb_enabled"] == "1"
    assert glob["package_verifier_enable"] == "1"
    assert glob["development_settings_enabled"] == "1"
    assert glob["3126476b2fad526ba2c7a6731b056fef6baf0642"] == "ecec65c416273938667262541ec08317e84753d7"
    assert system["0_plmn_servicestate_to_settings"] == "Lycamobile"
    assert system["window_animation_scale"] == "1.0"


def test_settings_androidqf_capture():
    values = parse_settings(read_capture("mvt/androidqf/settings_random.txt"))
    assert values["samsung_errorlog_agree"] == "0"
    assert values["package_verifier_enable"] == "1"
    assert values["package_verifier_user_consent"] == "1"
    assert values["navigationbar_recently_used_color"] == ""
    assert len(values) == 9


def test_settings_multiline_json_values():
    # Android 12+ stores JSON blobs in some settings; `settings list` prints
    # them raw (SettingsService.java), so they spill over several lines.
    text = (
        "accessibility_enabled=1\n"
        "device_state_rotation_lock={\n"
        '  "0": 1,\n'
        '  "url": "https://x.example/?a=b"\n'
        "}\n"
        "enabled_accessibility_services=com.evil/.Spy:com.android.talkback/.TalkBack\n"
        "note=first line\n"
        "second line with = sign inside\n"
        "zen_mode=0\n"
    )
    assert parse_settings(text) == {
        "accessibility_enabled": "1",
        "device_state_rotation_lock": '{\n  "0": 1,\n  "url": "https://x.example/?a=b"\n}',
        "enabled_accessibility_services": "com.evil/.Spy:com.android.talkback/.TalkBack",
        "note": "first line\nsecond line with = sign inside",
        "zen_mode": "0",
    }


def test_settings_value_with_equals_and_first_duplicate_wins():
    assert parse_settings("a=b=c\na=second\n") == {"a": "b=c"}


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "java.lang.SecurityException: Permission Denial: uid=2000\n", "no settings here"],
)
def test_settings_rejects_unknown_output(text):
    with pytest.raises(ParseError):
        parse_settings(text)
