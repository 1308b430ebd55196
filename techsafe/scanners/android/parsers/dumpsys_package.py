"""`dumpsys package` / `dumpsys package <id>` -> PackageInfo per app.

Format: frameworks/base/services/core/java/com/android/server/pm/Settings.java
`dumpPackageLPr` (Android 5-15; moved to ComputerEngine/Settings in 13+).
Only the top-level `Packages:` heading is read; `Hidden system packages:`
(the factory copies of updated system apps) and every other heading are not
installed apps and are skipped. Inside it:

    Packages:
      Package [com.x] (c8dd210):
        userId=10239                 (appId= on Android 12+)
        codePath=/data/app/com.x-2
        versionCode=130483514 minSdk=15 targetSdk=26
        versionName=197.0.0.46.98
        flags=[ SYSTEM HAS_CODE ... ]        pkgFlags=[ ... ]   privateFlags=[ ... ]
        timeStamp=... firstInstallTime=2017-08-08 21:13:00  lastUpdateTime=...
        installerPackageName=com.android.vending   (only printed when set)
        requested permissions:
          android.permission.X[: restricted=true]
        install permissions:
          android.permission.X: granted=true
        grantedPermissions:                (Android <= 5)
          android.permission.X
        User 0: ceDataInode=2702 installed=true hidden=false ... enabled=0 ...
          firstInstallTime=...             (per user on Android 12+)
          gids=[3002, 3003]
          runtime permissions:
            android.permission.X: granted=true[, flags=[ ... ]]

Captures: isdi/android7-full-dump.txt (Android 7, 271 packages),
spytrap-adb/package/*.txt (Android 11 `dumpsys package <id>`),
mvt/android_data/dumpsys_packages.txt, mvt/androidqf/dumpsys.txt and
mvt/bugreport/dumpstate.txt (Samsung, Android 10).

One linear pass; each line costs a few str.startswith/partition calls (no
regex). Sub-lists are tracked by indentation: an item belongs to the list
whose header is the nearest shallower line. Known limit: an app-controlled
value containing a newline (e.g. versionName) could fake a `Package [..]`
header and shift the following fields of its own block to the fake name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from techsafe.scanners.android.facts import PackageInfo, ParseError, Permission
from techsafe.scanners.android.parsers._text import indent_of, require_lines, unrecognised
from techsafe.scanners.android.parsers.package_list import valid_name

MAX_LIST = 4096  # items kept per permission list of one package

# Fields printed after installerPackageName in every version: once one is seen
# and no installer line came, the phone recorded no installer.
_AFTER_INSTALLER = ("signatures=", "installPermissionsFixed=", "pkgFlags=")

_DISABLED_STATES = frozenset({"2", "3", "4"})  # COMPONENT_ENABLED_STATE_DISABLED*


@dataclass
class _Draft:
    name: str
    line: int
    fields: dict[str, str] = field(default_factory=dict)
    flags: dict[str, None] = field(default_factory=dict)
    system: bool | None = None
    installer: str | None = None
    past_installer: bool = False
    requested: dict[str, None] = field(default_factory=dict)
    permissions: dict[tuple[str, int | None], bool] = field(default_factory=dict)
    users: dict[int, None] = field(default_factory=dict)
    user_states: list[str] = field(default_factory=list)
    user_first_install: str = ""

    def build(self) -> PackageInfo:
        installer = self.installer
        if installer is None and self.past_installer:
            installer = ""
        if not installer and self.fields.get("initiatingPackageName"):
            installer = self.fields["initiatingPackageName"]
        enabled: bool | None = None
        if self.user_states:
            enabled = any(s not in _DISABLED_STATES for s in self.user_states)
        f = self.fields
        uid_text = f.get("userId") or f.get("appId") or ""
        return PackageInfo(
            name=self.name,
            apk_path=f.get("codePath", ""),
            uid=int(uid_text) if uid_text.isdigit() and len(uid_text) <= 10 else None,
            installer=installer,
            system=self.system,
            version_name=f.get("versionName", ""),
            version_code=f.get("versionCode", ""),
            first_install=f.get("firstInstallTime", "") or self.user_first_install,
            last_update=f.get("lastUpdateTime", ""),
            requested_permissions=tuple(self.requested),
            permissions=tuple(Permission(n, g, u) for (n, u), g in self.permissions.items()),
            users=tuple(self.users),
            flags=tuple(self.flags),
            enabled=enabled,
            line=self.line,
        )


def _package_header(stripped: str) -> str | None:
    # "Package [com.x] (c8dd210):"
    if not stripped.startswith("Package [") or not stripped.endswith(":"):
        return None
    end = stripped.find("]", 9)
    if end < 0:
        return None
    name = stripped[9:end]
    return name if valid_name(name) else None


def _flag_words(value: str) -> list[str]:
    # "[ SYSTEM HAS_CODE ]"
    return [w for w in value.strip().strip("[]").split() if w.isidentifier()][:64]


def _user_header(stripped: str) -> tuple[int, dict[str, str]] | None:
    # "User 0: ceDataInode=2702 installed=true hidden=false ... enabled=0"
    if not stripped.startswith("User "):
        return None
    num, colon, rest = stripped[5:].partition(":")
    if not colon or not num.isdigit() or len(num) > 6:
        return None
    attrs: dict[str, str] = {}
    for token in rest.split(" ")[:64]:
        k, eq, v = token.partition("=")
        if eq:
            attrs[k] = v
    return int(num), attrs


def _permission_item(stripped: str) -> tuple[str, bool] | None:
    # "android.permission.X: granted=true, flags=[ ... ]"  or a bare name
    name, colon, rest = stripped.partition(":")
    name = name.strip()
    if not name or " " in name or len(name) > 512:
        return None
    granted = "granted=true" in rest if colon else True
    return name, granted


class _Parser:
    def __init__(self, first_line: int) -> None:
        self.first_line = first_line
        self.done: dict[str, _Draft] = {}
        self.cur: _Draft | None = None
        self.block_indent = 0
        self.list_kind: str | None = None  # which sub-list items are read into
        self.list_indent = 0
        self.user: int | None = None
        self.user_indent = 0

    def finish(self) -> None:
        if self.cur is not None:
            # a name seen twice (should not happen) merges into the first block
            self.done.setdefault(self.cur.name, self.cur)
        self.cur = None

    def start(self, name: str, lineno: int, indent: int) -> None:
        self.finish()
        self.cur = _Draft(name, lineno)
        self.block_indent = indent
        self.list_kind = None
        self.user = None

    def line(self, raw: str, indent: int, stripped: str) -> None:
        cur = self.cur
        assert cur is not None
        if self.list_kind is not None and indent <= self.list_indent:
            self.list_kind = None
        if self.user is not None and indent <= self.user_indent:
            self.user = None
        if self.list_kind is not None:
            self.list_item(cur, stripped)
            return
        user = _user_header(stripped)
        if user is not None:
            uid, attrs = user
            self.user, self.user_indent = uid, indent
            if attrs.get("installed", "true") == "true":
                cur.users.setdefault(uid, None)
                if "enabled" in attrs:
                    cur.user_states.append(attrs["enabled"])
            return
        if stripped.endswith(":") and "=" not in stripped:
            header = stripped[:-1]
            if header in ("requested permissions", "install permissions", "runtime permissions", "grantedPermissions"):
                self.list_kind = header
                self.list_indent = indent
            else:
                self.list_kind = "ignored"  # declared permissions, usesLibraries, ...
                self.list_indent = indent
            return
        key, eq, value = stripped.partition("=")
        if not eq or " " in key:
            return
        if self.user is not None:
            if key == "firstInstallTime" and not cur.user_first_install:
                cur.user_first_install = value.strip()
            return
        if key in ("flags", "pkgFlags", "privateFlags"):
            words = _flag_words(value)
            for w in words:
                cur.flags.setdefault(w, None)
            if key in ("flags", "pkgFlags"):
                cur.system = bool(cur.system) or "SYSTEM" in words
        elif key == "installerPackageName":
            v = value.strip()
            cur.installer = "" if v in ("", "null") else v
        elif key == "initiatingPackageName":
            # Android 11+ InstallSource: who started the install. When no
            # installer of record is set (adb, a file manager), it says how
            # the app arrived, e.g. com.android.shell for `adb install`.
            v = value.strip()
            if v not in ("", "null"):
                cur.fields.setdefault("initiatingPackageName", v)
        elif key == "versionCode":
            cur.fields.setdefault("versionCode", value.split(" ", 1)[0])
        elif key in ("userId", "appId", "codePath", "versionName", "firstInstallTime", "lastUpdateTime"):
            cur.fields.setdefault(key, value.split(" ", 1)[0] if key in ("userId", "appId") else value)
        if stripped.startswith(_AFTER_INSTALLER):
            cur.past_installer = True

    def list_item(self, cur: _Draft, stripped: str) -> None:
        kind = self.list_kind
        if kind == "ignored":
            return
        item = _permission_item(stripped)
        if item is None:
            return
        name, granted = item
        if kind == "requested permissions":
            if len(cur.requested) < MAX_LIST:
                cur.requested.setdefault(name, None)
            return
        user = self.user if kind == "runtime permissions" else None
        if len(cur.permissions) < MAX_LIST:
            cur.permissions.setdefault((name, user), granted)


def _parse(text: str, first_line: int, what: str) -> tuple[PackageInfo, ...]:
    lines = require_lines(text, what)
    parser = _Parser(first_line)
    in_packages = False
    saw_heading = False
    for i, raw in enumerate(lines):
        if not raw:
            continue
        if raw[0] not in " \t":
            # a top-level heading ends the previous one
            parser.finish()
            in_packages = raw.strip() == "Packages:"
            saw_heading = saw_heading or in_packages
            continue
        if not in_packages:
            continue  # resolver tables, dexopt...: most of a real dump, skipped unexamined
        stripped = raw.strip()
        if not stripped:
            continue
        indent = indent_of(raw)
        name = _package_header(stripped) if stripped.startswith("Package [") else None
        if name is not None:
            parser.start(name, first_line + i, indent)
        elif parser.cur is not None:
            if indent > parser.block_indent:
                parser.line(raw, indent, stripped)
            else:
                parser.finish()  # e.g. "  APEX session state:" after the last package
    parser.finish()
    if not saw_heading:
        raise unrecognised(what, lines)
    return tuple(d.build() for d in parser.done.values())


def parse_dumpsys_package(text: str, *, first_line: int = 1) -> tuple[PackageInfo, ...]:
    """Installed apps from full `dumpsys package` output. `first_line` is the
    artifact line the text starts at (DumpSection.first_line for a section of
    a larger dump), so PackageInfo.line points into the artifact."""
    return _parse(text, first_line, "dumpsys package")


def parse_dumpsys_package_single(text: str, *, first_line: int = 1) -> PackageInfo:
    """The one app of `dumpsys package <id>` output (same format). Raises
    ParseError when the output names no installed package (e.g. `Unable to
    find package`)."""
    found = _parse(text, first_line, "dumpsys package <id>")
    if not found:
        raise ParseError("dumpsys package <id>: no installed package in the output")
    return found[0]
