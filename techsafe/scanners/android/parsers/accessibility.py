"""`dumpsys accessibility` -> AccessibilityState (which services can read the screen).

Layouts recognised (`AccessibilityState.layout`):

- "aosp-5-8": AccessibilityManagerService.dump, Android 5-8.1:
      User state[attributes:{id=0, currentUser=true, ...}
                 services:{Service[label=TalkBack, feedbackType..., ...]}]
  Running services are named by label only and no enabled list is printed.
  With no running service this is a clean "none enabled"; with running
  services the components are unknown, so ParseError is raised (read
  `enabled_accessibility_services` from `settings list secure` instead, see
  `enabled_from_setting`).
- "aosp-9-10": same service, Android 9-10 (shared spytrap-adb/accessibility/plain2.txt):
      User state[attributes:{id=0, currentUser=true, ...}
           Bound services:{Service[label=..., ...]}
           Enabled services:{{com.x/com.x.Svc}, {com.y/com.y.Svc}}
           Binding services:{}]
- "aosp-11+": AccessibilityUserState.dump, Android 11-15 (shared
  spytrap-adb/accessibility/plain.txt; later versions add `shortcut key:`,
  `button:`, `qs shortcut targets:` lines):
      User state[
           attributes:{id=0, ...}
           Bound services:{...}   Enabled services:{...}   Binding services:{...}
           Crashed services:{...}]
  Components are ComponentName.toShortString(): `{pkg/full.Class}`.
- "samsung-multiline": Samsung One UI (shared mvt/android_data/dumpsys_accessibility.txt,
  the androidqf dumpsys.txt section):
      installed services: {
        0 : com.samsung.accessibility/.universalswitch.UniversalSwitchService
      }
      enabled services: {
      }
      bound services:{
      }

Enabled components are what matters: text that shows a user state without a
complete enabled list (truncated, unknown layout) raises ParseError, never an
empty list. Repeated lists for one user are merged (union), so text injected
by a hostile app (e.g. an app label printing a fake `Enabled services:{}`)
can add entries but never hide real ones. Components are extracted by
splitting on separators and validating each token (linear time).
"""

from __future__ import annotations

import re

from techsafe.scanners.android.facts import AccessibilityState, ParseError
from techsafe.scanners.android.parsers._text import require_lines, unrecognised
from techsafe.scanners.android.parsers.package_list import valid_name

UNKNOWN_USER = -1  # a list printed before any `id=` in its user state
MAX_LIST_LINES = 4096  # a list spanning more lines than this is not real
MAX_ITEMS = 1024

_CLASS = re.compile(r"[A-Za-z0-9_.$]+")
_SPLIT = re.compile(r"[\s{},\[\]=]+")  # single class, one pass: linear
_HEADERS = (
    ("installed services:", "installed"),
    ("enabled services:", "enabled"),
    ("bound services:", "bound"),
    ("binding services:", "binding"),
    ("crashed services:", "crashed"),
)


def component_tokens(text: str) -> list[str]:
    """'pkg/Class' tokens in `text` (braces, commas, spaces, '0 :' ignored)."""
    out: list[str] = []
    for token in _SPLIT.split(text):
        pkg, slash, cls = token.partition("/")
        if slash and valid_name(pkg) and len(cls) <= 512 and _CLASS.fullmatch(cls):
            out.append(token)
            if len(out) >= MAX_ITEMS:
                break
    return out


def enabled_from_setting(value: str) -> tuple[str, ...]:
    """Components from the secure setting `enabled_accessibility_services`
    ("pkg/.Svc:pkg2/pkg2.Svc"), the source of truth on Android 5-8."""
    return tuple(dict.fromkeys(component_tokens(value.replace(":", " "))))


def _labels(text: str) -> list[str]:
    # "Service[label=TalkBack, feedbackType..." -> "TalkBack"
    out = []
    for part in text.split("Service[label=")[1:MAX_ITEMS + 1]:
        label = part.split(", feedbackType", 1)[0]
        out.append(label[:200])
    return out


def _header(stripped: str) -> tuple[str, str] | None:
    """(list kind, text after the header's colon) for a list header line."""
    low = stripped[:24].lower()
    for prefix, kind in _HEADERS:
        if low.startswith(prefix):
            return kind, stripped[len(prefix):]
    if stripped.startswith("services:{"):
        return "legacy", stripped[len("services:"):]
    return None


def _user_id(stripped: str) -> int | None:
    at = stripped.find("id=")
    if at < 0 or (at > 0 and stripped[at - 1] not in "{ ,"):
        return None
    digits = ""
    for ch in stripped[at + 3:at + 13]:
        if not ch.isdigit():
            break
        digits += ch
    return int(digits) if digits else None


def _depth_change(text: str) -> int:
    return text.count("{") - text.count("}")


class _State:
    def __init__(self) -> None:
        self.users: list[int | None] = []  # one entry per `User state[`
        self.real: list[bool] = []  # False for lists printed outside any user state
        self.lists: dict[tuple[str, int], list[str]] = {}  # (kind, state index) -> raw text parts
        self.layout_marks: set[str] = set()


def parse_accessibility(text: str) -> AccessibilityState:
    lines = require_lines(text, "dumpsys accessibility")
    st = _State()
    open_kind: str | None = None
    open_depth = 0
    open_lines = 0

    def state_index() -> int:
        if not st.users:
            st.users.append(None)  # lists before any `User state[` (fragments)
            st.real.append(False)
        return len(st.users) - 1

    for raw in lines:
        stripped = raw.strip()
        if not stripped:
            continue
        if stripped.startswith("User state["):
            open_kind = None
            st.users.append(_user_id(stripped))
            st.real.append(True)
            if stripped == "User state[":
                st.layout_marks.add("own-line")
            continue
        if st.users and st.users[-1] is None and stripped.startswith("attributes:{"):
            st.users[-1] = _user_id(stripped)
        head = _header(stripped)
        if open_kind is not None:
            if head is not None and head[0] != open_kind:
                open_kind = None  # another list starts: the open one ended unclosed
            elif head is not None:
                continue  # the same header printed twice (seen in androidqf output)
            else:
                st.lists[(open_kind, state_index())].append(stripped)
                open_depth += _depth_change(stripped)
                open_lines += 1
                if open_depth <= 0 or stripped.startswith("}"):
                    open_kind = None
                elif open_lines > MAX_LIST_LINES:
                    raise ParseError("dumpsys accessibility: a service list does not end")
                continue
        if head is None:
            continue
        kind, rest = head
        if stripped[0] in "eibc" and kind != "legacy":
            st.layout_marks.add("lowercase")
        if kind == "crashed":
            st.layout_marks.add("crashed")
        st.lists.setdefault((kind, state_index()), []).append(rest)
        depth = _depth_change(rest)
        if depth > 0 or not rest.lstrip().startswith("{"):
            open_kind, open_depth, open_lines = kind, depth if rest.lstrip().startswith("{") else 1, 0
    if open_kind is not None:
        raise ParseError("dumpsys accessibility: output ends inside a service list (truncated)")
    return _build(st, lines)


def _per_user(st: _State, kind: str, extract) -> tuple[tuple[int, tuple[str, ...]], ...]:
    merged: dict[int, dict[str, None]] = {}
    for (k, idx), parts in st.lists.items():
        if k != kind:
            continue
        user = st.users[idx] if st.users[idx] is not None else UNKNOWN_USER
        bucket = merged.setdefault(user, {})
        for item in extract("\n".join(parts)):
            bucket.setdefault(item, None)
    return tuple((u, tuple(items)) for u, items in merged.items())


def _build(st: _State, lines: list[str]) -> AccessibilityState:
    kinds_by_state: dict[int, set[str]] = {}
    for kind, idx in st.lists:
        kinds_by_state.setdefault(idx, set()).add(kind)
    if not kinds_by_state:
        raise unrecognised("dumpsys accessibility", lines)
    legacy_only = all("enabled" not in ks for ks in kinds_by_state.values())
    if legacy_only:
        if not any("legacy" in ks for ks in kinds_by_state.values()):
            raise ParseError("dumpsys accessibility: no list of enabled services in the output")
        legacy = _per_user(st, "legacy", _labels)
        if any(labels for _u, labels in legacy):
            raise ParseError(
                "dumpsys accessibility: this Android version names running services by label only; "
                "read enabled_accessibility_services from the secure settings"
            )
        return AccessibilityState(
            installed=(),
            enabled=tuple((u, ()) for u, _ in legacy),
            layout="aosp-5-8",
        )
    for idx in range(len(st.users)):
        if st.real[idx] and "enabled" not in kinds_by_state.get(idx, set()):
            raise ParseError("dumpsys accessibility: a user's enabled services are missing (truncated?)")
    if "lowercase" in st.layout_marks:
        layout = "samsung-multiline"
    elif "crashed" in st.layout_marks or "own-line" in st.layout_marks:
        layout = "aosp-11+"
    else:
        layout = "aosp-9-10"
    installed: dict[str, None] = {}
    for _u, comps in _per_user(st, "installed", component_tokens):
        for c in comps:
            installed.setdefault(c, None)
    bound = tuple((u, c) for u, c in _per_user(st, "bound", component_tokens) if c)
    labels = tuple((u, ls) for u, ls in _per_user(st, "bound", _labels) if ls)
    return AccessibilityState(
        installed=tuple(installed),
        enabled=_per_user(st, "enabled", component_tokens),
        bound=bound,
        layout=layout,
        bound_labels=labels,
        crashed=tuple((u, c) for u, c in _per_user(st, "crashed", component_tokens) if c),
    )
