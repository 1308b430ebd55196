"""`dumpsys device_policy` -> DevicePolicyState (device admins and owners).

Format (frameworks/base/services/devicepolicy/.../DevicePolicyManagerService.java
`dump`, with Owners.dump / OwnersData.dump and DevicePolicyData.dump):

    Current Device Policy Manager state:
      Device Owner:
        admin=ComponentInfo{com.x/com.x.AdminReceiver}
        name=
        package=com.x
        User ID: 0
      Profile Owner (User 10):
        admin=ComponentInfo{com.y/com.y.Admin}
        name=Work
        package=com.y

      Enabled Device Admins (User 0, provisioningState: 3):
        com.x/.AdminReceiver:
          uid=10123
          policies:
            wipe-data
            ...

Android 5-6 print `Enabled Device Admins (User 0):` without the provisioning
state; Android 7-11 indent by hand ("  ", "    "), Android 12-15 use an
IndentingPrintWriter (same shape, indentation may differ), and add lines such
as `Device Owner Type:` that are not owner headers. No shared capture exists:
the tests build outputs from these sources. Admin components are the lines
one level below an `Enabled Device Admins` header that look like
`pkg/Class:` (or `admin=ComponentInfo{pkg/Class}`); deeper lines are the
admin's policy details and are ignored. Output without any `Enabled Device
Admins` header (device policy not supported, truncated, an error) raises
ParseError.
"""

from __future__ import annotations

from techsafe.scanners.android.facts import DeviceAdmin, DevicePolicyState, ParseError
from techsafe.scanners.android.parsers._text import indent_of, require_lines, unrecognised
from techsafe.scanners.android.parsers.accessibility import component_tokens
from techsafe.scanners.android.parsers.package_list import valid_name

MAX_ADMINS = 1024


def _admins_header_user(stripped: str) -> int | None:
    # "Enabled Device Admins (User 0, provisioningState: 3):" / "(User 0):"
    if not stripped.startswith("Enabled Device Admins (User "):
        return None
    num = ""
    for ch in stripped[len("Enabled Device Admins (User "):][:10]:
        if not ch.isdigit():
            break
        num += ch
    return int(num) if num else None


def _profile_owner_user(stripped: str) -> int | None:
    # "Profile Owner (User 10):"
    if not stripped.startswith("Profile Owner (User "):
        return None
    num, close, _ = stripped[len("Profile Owner (User "):].partition(")")
    return int(num) if close and num.isdigit() and len(num) <= 6 else None


def _component_in(stripped: str) -> str | None:
    # "admin=ComponentInfo{pkg/cls}" or "pkg/.Cls:"
    comps = component_tokens(stripped.replace("ComponentInfo", " ").rstrip(":"))
    return comps[0] if comps else None


def parse_device_policy(text: str) -> DevicePolicyState:
    lines = require_lines(text, "dumpsys device_policy")
    admins: dict[tuple[str, int], None] = {}
    device_owner: str | None = None
    device_owner_pkg: str | None = None
    profile_owners: dict[int, str] = {}
    profile_pkgs: dict[int, str] = {}
    saw_admin_header = False

    block: str | None = None  # "admins" | "device_owner" | "profile_owner"
    block_indent = 0
    block_user = 0
    item_indent: int | None = None  # indentation of admin component lines

    for raw in lines:
        stripped = raw.strip()
        if not stripped:
            continue
        indent = indent_of(raw)
        if block is not None and indent <= block_indent:
            block = None
        admins_user = _admins_header_user(stripped)
        po_user = _profile_owner_user(stripped)
        if admins_user is not None:
            saw_admin_header = True
            block, block_indent, block_user, item_indent = "admins", indent, admins_user, None
            continue
        if stripped.rstrip(":").rstrip() == "Device Owner" and stripped.endswith(":"):
            block, block_indent = "device_owner", indent
            continue
        if po_user is not None:
            block, block_indent, block_user = "profile_owner", indent, po_user
            continue
        if block == "admins":
            if item_indent is None:
                item_indent = indent
            if indent != item_indent:
                continue  # an admin's policy details
            comp = _component_in(stripped)
            if comp is not None and len(admins) < MAX_ADMINS and (
                stripped.endswith(":") or stripped.startswith("admin=")
            ):
                admins.setdefault((comp, block_user), None)
        elif block in ("device_owner", "profile_owner"):
            if stripped.startswith("admin="):
                comp = _component_in(stripped)
                if comp is not None:
                    if block == "device_owner":
                        device_owner = device_owner or comp
                    else:
                        profile_owners.setdefault(block_user, comp)
            elif stripped.startswith("package="):
                pkg = stripped[len("package="):].strip()
                if valid_name(pkg):
                    if block == "device_owner":
                        device_owner_pkg = device_owner_pkg or pkg
                    else:
                        profile_pkgs.setdefault(block_user, pkg)
    if not saw_admin_header:
        if device_owner or device_owner_pkg or profile_owners or profile_pkgs:
            raise ParseError("dumpsys device_policy: the list of device admins is missing (truncated?)")
        raise unrecognised("dumpsys device_policy", lines)
    for user, pkg in profile_pkgs.items():
        profile_owners.setdefault(user, pkg)
    return DevicePolicyState(
        admins=tuple(DeviceAdmin(c, u) for c, u in admins),
        device_owner=device_owner or device_owner_pkg,
        profile_owners=tuple(sorted(profile_owners.items())),
    )
