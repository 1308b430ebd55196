"""split_dump on the three real dump layouts (ISDi, androidqf, bugreport)."""

from __future__ import annotations

from android_captures import Timer, read_capture

from techsafe.scanners.android.parsers.dump_sections import DumpSection, sections_named, split_dump


def _index(sections):
    return [(s.kind, s.name, s.first_line) for s in sections]


def test_isdi_android7_dump_sections_and_line_numbers():
    text = read_capture("isdi/android7-full-dump.txt")
    with Timer(1.0):
        sections = split_dump(text)
    assert _index(sections) == [
        ("service", "package", 2),
        ("service", "location", 38056),
        ("service", "media.camera", 38584),
        ("service", "netpolicy", 40650),
        ("service", "mount", 41044),
        ("service", "cpuinfo", 41124),
        ("service", "dbinfo", 41166),
        ("service", "meminfo", 41167),
        ("service", "procstats", 41429),
        ("service", "batterystats", 42592),
        ("service", "netstats", 44304),
        ("service", "usagestats", 44457),
        ("service", "activity", 46158),
        ("service", "appops", 56424),
        ("service", "net_stats", 58920),
        ("settings", "secure", 59276),
        ("settings", "system", 59432),
        ("settings", "global", 59727),
    ]
    lines = text.split("\n")
    for s in sections:
        # first_line points at the body's first line in the whole dump
        if s.text:
            assert s.text.split("\n")[0] == lines[s.first_line - 1]
    assert sections_named(sections, "service", "dbinfo")[0].text == ""
    package = sections_named(sections, "service", "package")[0]
    assert package.text.startswith("Database versions:\n")
    assert package.text.count("\n") == 38052
    assert "DUMP OF" not in package.text
    secure = sections_named(sections, "settings", "secure")[0]
    assert secure.text.split("\n")[0] == "HW_WIFI_PRO_PORTAL_FLAG=0"
    assert secure.text.endswith("wifipro_recommending_access_points=0")
    assert sections[-1].text.endswith("zen_mode_ringer_level=1")


def test_androidqf_dumpsys_with_separators_trailers_and_binary():
    text = read_capture("mvt/androidqf/dumpsys.txt")
    sections = split_dump(text)
    assert _index(sections) == [
        ("service", "accessibility", 4),
        ("service", "package", 53),
        ("service", "appops", 151),
        ("service", "adb", 254),
        ("service", "dbinfo", 267),
        ("service", "batterystats", 294),
        ("service", "platform_compat", 385),
    ]
    acc = sections[0]
    assert acc.text.startswith("ACCESSIBILITY MANAGER (dumpsys accessibility)")
    # the duration trailer and dashed separators are not part of the body
    assert acc.text.endswith("  AccessibilityInputFilter:{\n  }]")
    assert "was the duration" not in "".join(s.text for s in sections)
    assert "\ufffd" in sections_named(sections, "service", "adb")[0].text  # binary bytes survived


def test_bugreport_dumpstate_sections():
    text = read_capture("mvt/bugreport/dumpstate.txt")
    assert read_capture("mvt/bugreport/main_entry.txt").strip() == "dumpstate.txt"
    sections = split_dump(text)
    assert _index(sections) == [
        ("service", "AAS", 17),
        ("service", "appops", 20),
        ("service", "appwidget", 124),
        ("service", "package", 130),
        ("service", "platform_compat", 252),
    ]
    assert sections[0].text == ""
    pkg = sections_named(sections, "service", "package")[0]
    assert pkg.text.startswith("Database versions:")
    assert pkg.text.endswith("DirectMultipleExternalMediaShareActivityInterop")
    assert "Currently running services" not in "".join(s.text for s in sections)


def test_bugreport_dumpsys_blocks_priorities_and_markers():
    # dumpstate layout (AOSP frameworks/native/cmds/dumpstate/dumpstate.cpp,
    # Android 9+): DUMPSYS blocks with priority headers, closed by '------ ... ------'.
    text = "\n".join([
        "== dumpstate: 2024-01-01 10:00:00",
        "------ DUMPSYS CRITICAL (/system/bin/dumpsys) ------",
        "-" * 79,
        "DUMP OF SERVICE CRITICAL SurfaceFlinger:",
        "layers",
        "--------- 0.012s was the duration of dumpsys SurfaceFlinger, ending at: 2024-01-01 10:00:01",
        "------ 0.5s was the duration of 'DUMPSYS CRITICAL' ------",
        "------ DUMPSYS (/system/bin/dumpsys) ------",
        "-" * 79,
        "DUMP OF SERVICE accessibility:",
        "ACCESSIBILITY MANAGER (dumpsys accessibility)",
        "-" * 79,
        "DUMP OF SERVICE HIGH device_policy:",
        "Current Device Policy Manager state:",
        "------ 9.1s was the duration of 'DUMPSYS' ------",
        "------ SYSTEM PROPERTIES (getprop) ------",
        "[ro.build.version.release]: [14]",
    ])
    sections = split_dump(text)
    assert sections == [
        DumpSection("service", "SurfaceFlinger", "layers", 5),
        DumpSection("service", "accessibility", "ACCESSIBILITY MANAGER (dumpsys accessibility)", 11),
        DumpSection("service", "device_policy", "Current Device Policy Manager state:", 14),
    ]


def test_duplicate_sections_are_all_returned():
    # A hostile app printing a fake header inside another service's output
    # makes a second section: callers parse every one and merge.
    text = "DUMP OF SERVICE accessibility:\nreal\nDUMP OF SERVICE notification:\nx\nDUMP OF SERVICE accessibility:\nfake\n"
    found = sections_named(split_dump(text), "service", "accessibility")
    assert [s.text for s in found] == ["real", "fake"]


def test_not_a_dump_and_odd_headers():
    assert split_dump("") == []
    assert split_dump("hello\nworld") == []
    # a header with spaces in the name is not a header
    assert split_dump("DUMP OF SERVICE two words here\nx") == []
    assert [s.name for s in split_dump("DUMP OF SERVICE a:\r\nbody\r\n")] == ["a"]
    assert split_dump("DUMP OF SERVICE a:\r\nbody\r\n")[0].text == "body"
