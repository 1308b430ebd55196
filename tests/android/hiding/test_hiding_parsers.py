"""Parsers for the hiding places: each on real captures where ../shared has
them, on outputs written from the AOSP source (two Android versions), and on
truncated, empty and garbage input (ParseError, never a crash)."""

from __future__ import annotations

import pytest

from techsafe.scanners.android.facts import ParseError
from techsafe.scanners.android.parsers import split_dump
from techsafe.scanners.android.parsers.appops import parse_appops
from techsafe.scanners.android.parsers.bugreport import system_properties
from techsafe.scanners.android.parsers.certs import parse_user_ca_listing
from techsafe.scanners.android.parsers.intent_query import parse_intent_query
from techsafe.scanners.android.parsers.root import parse_root_binaries_json, parse_root_listing
from techsafe.scanners.android.parsers.settings_dump import parse_dumpsys_settings
from techsafe.scanners.android.parsers.telephony import parse_telephony_registry

from tests.android.hiding.outputs import launcher_output, root_listing_output, telephony_output
from tests.android.parsers.android_captures import read_capture

PARSERS = (parse_appops, parse_intent_query, parse_telephony_registry, parse_root_listing,
           parse_user_ca_listing, parse_dumpsys_settings, parse_root_binaries_json)
GARBAGE = ("", "   \n\n", "\x00\xff garbage \x1b[31m", "Can't find service: appops\n", "/system/bin/sh: cmd: inaccessible or not found\n",
           "{" * 5000, "ls: unknown option -d\n" * 3)


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("text", GARBAGE)
def test_empty_and_garbage_give_parse_error(parser, text):
    with pytest.raises(ParseError):
        parser(text)


# ---- query-activities (PackageManagerShellCommand.runQueryIntentActivities) ----

ANDROID7_COMPONENTS = "com.android.settings/.Settings\ncom.whatsapp/.Main\n"  # --components, 7.1 and 14 alike


def test_launcher_query_brief_and_components_layouts():
    out = launcher_output(["com.android.settings", "com.whatsapp"]).decode()
    assert parse_intent_query(out) == ("com.android.settings/.MainActivity", "com.whatsapp/.MainActivity")
    assert parse_intent_query(ANDROID7_COMPONENTS) == ("com.android.settings/.Settings", "com.whatsapp/.Main")
    assert parse_intent_query("No activities found\n") == ()
    assert parse_intent_query("No services found\n") == ()


def test_launcher_query_truncated_is_not_a_list_of_hidden_apps():
    out = launcher_output([f"com.example.app{i}" for i in range(40)]).decode()
    with pytest.raises(ParseError, match="incomplete"):
        parse_intent_query(out[: len(out) // 2])


# ---- dumpsys appops ----

def test_appops_android10_samsung_capture():
    state = parse_appops(read_capture("mvt/android_data/dumpsys_appops.txt"))
    assert state.mode("org.mozilla.firefox", "REQUEST_INSTALL_PACKAGES") == "allow"
    assert state.mode("com.facebook.katana", "READ_CONTACTS") == "allow"
    assert state.mode("com.facebook.katana", "WRITE_SMS") == "ignore"
    assert state.mode("com.facebook.katana", "READ_DEVICE_IDENTIFIERS") == "deny"


def test_appops_android7_numeric_modes_capture():
    dump = read_capture("isdi/android7-full-dump.txt")
    section = [s for s in split_dump(dump) if s.name == "appops"][0]
    state = parse_appops(section.text)
    assert len(state.packages) == 223
    assert state.mode("com.whatsapp", "CAMERA") == "allow"
    assert state.mode("app.qrcode", "SYSTEM_ALERT_WINDOW") == "allow"
    assert state.mode("com.airbnb.android", "SYSTEM_ALERT_WINDOW") == "ignore"


def test_appops_truncated_keeps_what_was_read():
    text = read_capture("mvt/android_data/dumpsys_appops.txt")
    cut = text[: text.index("Package org.mozilla.firefox")]
    state = parse_appops(cut)
    assert state.mode("com.facebook.katana", "READ_CONTACTS") == "allow"
    assert state.mode("org.mozilla.firefox", "REQUEST_INSTALL_PACKAGES") is None


# ---- telephony.registry ----

ANDROID7_TELEPHONY = (  # TelephonyRegistry.dump, Android 7-9: fields at the Phone Id indent
    "last known state:\n  Phone Id=0\n  mCallState=0\n  mCallForwarding=false\n"
    "  Phone Id=1\n  mCallState=0\n  mCallForwarding=true\n  mDataConnectionState=2\n"
)


def test_call_forwarding_two_layouts():
    (one,) = parse_telephony_registry(telephony_output(True).decode())
    assert (one.phone_id, one.active, one.line) == (0, True, 8)
    assert [(s.phone_id, s.active) for s in parse_telephony_registry(ANDROID7_TELEPHONY)] == [(0, False), (1, True)]
    assert [s.active for s in parse_telephony_registry(telephony_output(False).decode())] == [False]


def test_call_forwarding_log_lines_are_not_state():
    with pytest.raises(ParseError):
        parse_telephony_registry("local logs:\n  notifyCallForwardingChanged: cfi=true\n")
    with pytest.raises(ParseError):  # truncated before the field
        parse_telephony_registry(telephony_output(True).decode()[:60])


# ---- root files ----

def test_root_listing_toybox_and_toolbox():
    probes = {p.path: p.state for p in parse_root_listing(root_listing_output(("/system/xbin/su",)).decode())}
    assert probes["/system/xbin/su"] == "present"
    assert probes["/system/bin/su"] == "absent" and probes["/data/adb/magisk"] == "denied"
    toolbox = "/system/bin/su: No such file or directory\nlrwxrwxrwx root root 2015-01-01 00:00 /system/xbin/su -> /system/xbin/daemonsu\n"
    probes = {p.path: p.state for p in parse_root_listing(toolbox)}
    assert probes == {"/system/bin/su": "absent", "/system/xbin/su": "present"}
    # a path outside the fixed list is never taken from the output
    assert parse_root_listing("ls: /system/bin/su: No such file or directory\n-rwx 1 r r 1 x /evil/su\n")[0].path == "/system/bin/su"


def test_root_binaries_json_capture():
    assert parse_root_binaries_json(read_capture("mvt/androidqf/root_binaries.json")) == (
        "/system/bin/su", "/system/xbin/busybox", "/data/local/tmp/magisk", "/system/bin/magiskhide")


# ---- user certificates ----

def test_user_ca_listing():
    with pytest.raises(ParseError, match="permission denied"):
        parse_user_ca_listing("ls: /data/misc/user/0/cacerts-added: Permission denied\n")
    assert parse_user_ca_listing("ls: /data/misc/user/0/cacerts-added: No such file or directory\n") == ()
    assert parse_user_ca_listing("total 0\n") == ()
    listing = "total 8\n-rw-r--r-- 1 system system 1322 2024-10-30 22:10 9a5ba575.0\n"
    assert parse_user_ca_listing(listing) == ("9a5ba575.0",)


# ---- dumpsys settings (bugreports) and SYSTEM PROPERTIES ----

SETTINGS_DUMP = (  # SettingsProvider.dumpSettingsLocked, Android 8-15
    "CONFIG SETTINGS (user 0)\n_id:1 name:a/b pkg:android value:1\n"
    "GLOBAL SETTINGS (user 0)\nversion: 193\n"
    "_id:38 name:adb_enabled pkg:android value:1 default:1 defaultSystemSet:true\n"
    "_id:40 name:http_proxy pkg:com.android.settings value:10.0.0.9:8080\n"
    "SECURE SETTINGS (user 0)\n_id:12 name:always_on_vpn_app pkg:android value:null\n"
    "SECURE SETTINGS (user 10)\n_id:12 name:always_on_vpn_app pkg:android value:com.work.vpn\n"
)


def test_dumpsys_settings():
    parsed = parse_dumpsys_settings(SETTINGS_DUMP)
    assert parsed["global"] == {"adb_enabled": "1", "http_proxy": "10.0.0.9:8080"}
    assert parsed["secure"] == {"always_on_vpn_app": ""}


def test_system_properties_block():
    text = ("------ UPTIME (uptime) ------\nup 3 days\n------ SYSTEM PROPERTIES (getprop) ------\n"
            "[ro.secure]: [1]\n------ 0.1s was the duration of 'SYSTEM PROPERTIES' ------\n")
    assert system_properties(text) == ("[ro.secure]: [1]", 4)
    assert system_properties("no blocks\n") is None
