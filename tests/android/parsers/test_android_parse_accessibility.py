"""`dumpsys accessibility` in every layout: the real captures (Android 9-10,
11, Samsung) and fixtures built from AOSP AccessibilityManagerService /
AccessibilityUserState dump() for Android 5-8 and 12-15."""

from __future__ import annotations

import pytest
from android_captures import read_capture

from techsafe.scanners.android.facts import AccessibilityState, ParseError
from techsafe.scanners.android.parsers.accessibility import enabled_from_setting, parse_accessibility
from techsafe.scanners.android.parsers.dump_sections import sections_named, split_dump

SAMSUNG_INSTALLED = (
    "com.android.settings/com.samsung.android.settings.development.gpuwatch.GPUWatchInterceptor",
    "com.samsung.accessibility/.universalswitch.UniversalSwitchService",
    "com.samsung.accessibility/com.samsung.android.app.talkback.TalkBackService",
    "com.sec.android.app.camera/com.samsung.android.glview.AccessibilityGestureHandler",
)


def test_android11_capture_nothing_enabled():
    state = parse_accessibility(read_capture("spytrap-adb/accessibility/plain.txt"))
    assert state == AccessibilityState(installed=(), enabled=((0, ()),), layout="aosp-11+")


def test_android9_10_capture_nothing_enabled():
    state = parse_accessibility(read_capture("spytrap-adb/accessibility/plain2.txt"))
    assert state == AccessibilityState(installed=(), enabled=((0, ()),), layout="aosp-9-10")


def test_samsung_capture():
    state = parse_accessibility(read_capture("mvt/android_data/dumpsys_accessibility.txt"))
    assert state == AccessibilityState(
        installed=SAMSUNG_INSTALLED, enabled=((0, ()),), layout="samsung-multiline"
    )


def test_androidqf_section_with_repeated_header_and_cut_line():
    # the androidqf capture prints "installed services: {" twice and splits a line
    sections = split_dump(read_capture("mvt/androidqf/dumpsys.txt"))
    state = parse_accessibility(sections_named(sections, "service", "accessibility")[0].text)
    assert state.installed == SAMSUNG_INSTALLED
    assert state.enabled == ((0, ()),)
    assert state.layout == "samsung-multiline"


# Android 14 (AccessibilityUserState.dump): toShortString() components in braces,
# bound services by label, multi-line bound list, crashed services.
ANDROID14 = """\
ACCESSIBILITY MANAGER (dumpsys accessibility)

currentUserId=0
hasWindowMagnificationConnection=false
User state[
     attributes:{id=0, touchExplorationEnabled=false, serviceHandlesDoubleTap=false, installedServiceCount=3}
     shortcut key:{com.android.talkback/com.google.android.marvin.talkback.TalkBackService}
     button:{}
     button target:{null}
     qs shortcut targets:[]
     a11y tiles in QS panel:[]
     Bound services:{Service[label=System Update Service, feedbackTypeFEEDBACK_GENERIC, capabilities=1, eventTypes=TYPES_ALL_MASK, notificationTimeout=0, requestA11yBtn=false], 
                     Service[label=TalkBack, feedbackType[FEEDBACK_SPOKEN], capabilities=251, eventTypes=TYPES_ALL_MASK, notificationTimeout=0, requestA11yBtn=false]}
     Enabled services:{{com.sysupdate.service/com.sysupdate.service.KeyService}, {com.android.talkback/com.google.android.marvin.talkback.TalkBackService}, {com.evil.spy/com.evil.spy.Crashy}}
     Binding services:{}
     Crashed services:{{com.evil.spy/com.evil.spy.Crashy}}
     Client list info:{
          Client list Registered clients:{
}]
User state[
     attributes:{id=10, touchExplorationEnabled=false}
     Bound services:{}
     Enabled services:{{com.work.mdm/.A11y}}
     Binding services:{}
     Crashed services:{}]
"""


def test_android14_enabled_bound_crashed_multi_user():
    state = parse_accessibility(ANDROID14)
    assert state.layout == "aosp-11+"
    assert state.enabled == (
        (0, (
            "com.sysupdate.service/com.sysupdate.service.KeyService",
            "com.android.talkback/com.google.android.marvin.talkback.TalkBackService",
            "com.evil.spy/com.evil.spy.Crashy",
        )),
        (10, ("com.work.mdm/.A11y",)),
    )
    assert state.bound_labels == ((0, ("System Update Service", "TalkBack")),)
    assert state.bound == ()
    assert state.crashed == ((0, ("com.evil.spy/com.evil.spy.Crashy",)),)
    assert state.enabled_components() == (
        "com.sysupdate.service/com.sysupdate.service.KeyService",
        "com.android.talkback/com.google.android.marvin.talkback.TalkBackService",
        "com.evil.spy/com.evil.spy.Crashy",
        "com.work.mdm/.A11y",
    )


def test_android9_one_line_form_with_enabled_service():
    # AccessibilityManagerService.UserState.dump, Android 9-10
    text = (
        "ACCESSIBILITY MANAGER (dumpsys accessibility)\n\n"
        "User state[attributes:{id=0, currentUser=true, touchExplorationEnabled=false, installedServiceCount=2}\n"
        "     Bound services:{Service[label=Keylogger, feedbackTypeFEEDBACK_GENERIC, capabilities=1, "
        "eventTypes=TYPES_ALL_MASK, notificationTimeout=0]}\n"
        "     Enabled services:{{com.spy.app/com.spy.app.Svc}}\n"
        "     Binding services:{}]\n"
    )
    state = parse_accessibility(text)
    assert state.layout == "aosp-9-10"
    assert state.enabled == ((0, ("com.spy.app/com.spy.app.Svc",)),)
    assert state.bound_labels == ((0, ("Keylogger",)),)


def test_samsung_form_with_enabled_service():
    text = (
        "User state[attributes:{id=0, currentUser=true\n"
        "  }\n"
        "  installed services: {\n"
        "    0 : com.spy.app/.Svc\n"
        "  }\n"
        "  enabled services: {\n"
        "    0 : com.spy.app/.Svc\n"
        "  }\n"
        "  binding services: {\n"
        "  }\n"
        "  bound services:{\n"
        "    com.spy.app/.Svc\n"
        "  }]\n"
    )
    state = parse_accessibility(text)
    assert state.enabled == ((0, ("com.spy.app/.Svc",)),)
    assert state.bound == ((0, ("com.spy.app/.Svc",)),)
    assert state.installed == ("com.spy.app/.Svc",)


def test_android5_8_legacy_layout():
    # AccessibilityManagerService.dump, Android 5-8.1: only bound services, by label
    empty = "ACCESSIBILITY MANAGER (dumpsys accessibility)\n\nUser state[attributes:{id=0, currentUser=true, touchExplorationEnabled=false, displayMagnificationEnabled=false}\n           services:{}]\n\n"
    assert parse_accessibility(empty) == AccessibilityState(installed=(), enabled=((0, ()),), layout="aosp-5-8")
    running = empty.replace(
        "services:{}]", "services:{Service[label=Spy, feedbackTypeFEEDBACK_GENERIC, capabilities=1, eventTypes=TYPES_ALL_MASK, notificationTimeout=0]}]"
    )
    with pytest.raises(ParseError, match="by label only"):
        parse_accessibility(running)


def test_injected_empty_list_cannot_hide_real_entries():
    # a hostile label that prints a fake "Enabled services:{}" line
    text = ANDROID14.replace(
        "Service[label=TalkBack,", "Service[label=x\n     Enabled services:{}\n     y,"
    )
    state = parse_accessibility(text)
    assert "com.sysupdate.service/com.sysupdate.service.KeyService" in state.enabled_components()


@pytest.mark.parametrize("cut", ["Enabled services:{{com.sysupdate", "     Bound services:{Service", "User state[\n"])
def test_truncated_inside_or_before_enabled_list_raises(cut):
    text = ANDROID14[: ANDROID14.index(cut) + len(cut)]
    with pytest.raises(ParseError):
        parse_accessibility(text)


@pytest.mark.parametrize(
    "text",
    ["", "Can't find service: accessibility", "ACCESSIBILITY MANAGER (dumpsys accessibility)\n\n", "random\ntext"],
)
def test_unknown_output_raises(text):
    with pytest.raises(ParseError):
        parse_accessibility(text)


def test_enabled_from_setting():
    assert enabled_from_setting("com.evil/.Spy:com.android.talkback/com.google.android.marvin.talkback.TalkBackService") == (
        "com.evil/.Spy",
        "com.android.talkback/com.google.android.marvin.talkback.TalkBackService",
    )
    assert enabled_from_setting("") == ()
