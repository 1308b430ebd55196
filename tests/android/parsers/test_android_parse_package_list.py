"""`pm list packages` in every option form (PackageManagerShellCommand.runListPackages;
no shared capture exists, lines are built from that documented format)."""

from __future__ import annotations

import pytest

from techsafe.scanners.android.facts import PackageInfo, ParseError
from techsafe.scanners.android.parsers.package_list import parse_package_list, parse_package_names

FULL = """\
package:/data/app/~~x2ZbOJrIuwa0jQ==/com.evil.spy-AbC=dEf==/base.apk=com.evil.spy installer=null uid:10123
package:/data/app/~~Qw==/com.whatsapp-Zz==/base.apk=com.whatsapp installer=com.android.vending uid:10130,1010130
package:/system/priv-app/Settings/Settings.apk=com.android.settings installer=null uid:1000
package:/system/framework/framework-res.apk=android installer=null uid:1000
"""


def test_full_form_with_equals_in_path_multi_user_and_null_installer():
    pkgs = parse_package_list(FULL)
    assert pkgs[0] == PackageInfo(
        name="com.evil.spy",
        apk_path="/data/app/~~x2ZbOJrIuwa0jQ==/com.evil.spy-AbC=dEf==/base.apk",
        uid=10123,
        installer="",
        users=(0,),
        line=1,
    )
    assert pkgs[1].name == "com.whatsapp"
    assert pkgs[1].installer == "com.android.vending"
    assert pkgs[1].uid == 10130
    assert pkgs[1].users == (0, 10)
    assert [p.name for p in pkgs] == ["com.evil.spy", "com.whatsapp", "com.android.settings", "android"]
    assert pkgs[3].apk_path == "/system/framework/framework-res.apk"


@pytest.mark.parametrize(
    "line, expected",
    [
        # pm list packages -f -i -u (Android 7, no -U)
        ("package:/data/app/com.x-1/base.apk=com.x installer=com.android.vending",
         PackageInfo("com.x", apk_path="/data/app/com.x-1/base.apk", installer="com.android.vending", line=1)),
        # pm list packages -f -u
        ("package:/data/app/com.x-1/base.apk=com.x",
         PackageInfo("com.x", apk_path="/data/app/com.x-1/base.apk", line=1)),
        # pm list packages
        ("package:com.x", PackageInfo("com.x", line=1)),
        # -i without -f
        ("package:com.x  installer=null", PackageInfo("com.x", installer="", line=1)),
        # --show-versioncode
        ("package:com.x versionCode:42 uid:10001", PackageInfo("com.x", version_code="42", uid=10001, users=(0,), line=1)),
        # only installed for a secondary user (work profile 10)
        ("package:com.x uid:1010001", PackageInfo("com.x", uid=10001, users=(10,), line=1)),
        # CRLF from old adb ptys
        ("package:com.x installer=com.android.vending\r", PackageInfo("com.x", installer="com.android.vending", line=1)),
    ],
)
def test_fallback_forms(line, expected):
    assert parse_package_list(line + "\n") == (expected,)


def test_garbage_lines_skipped_and_first_line_offset():
    text = "WARNING: linker: something\npackage:com.a\npackage:../../etc/passwd\npackage:com.b\npackage:com.a\n"
    pkgs = parse_package_list(text, first_line=100)
    assert [(p.name, p.line) for p in pkgs] == [("com.a", 101), ("com.b", 103)]


def test_system_names():
    text = "package:android\npackage:com.android.settings\npackage:/system/app/Foo/Foo.apk=com.foo\n"
    assert parse_package_names(text) == frozenset({"android", "com.android.settings", "com.foo"})


@pytest.mark.parametrize(
    "text",
    ["", "\n", "Error: java.lang.SecurityException: Shell does not have permission", "/system/bin/sh: pm: not found"],
)
def test_unknown_output_raises(text):
    with pytest.raises(ParseError):
        parse_package_list(text)
    with pytest.raises(ParseError):
        parse_package_names(text)
