"""Facts about how the phone is set up (beyond the app list): which apps
show an icon, app-op grants, call forwarding, traces of rooting tools.
Returned by the parsers in parsers/ (intent_query, appops, telephony, root)
and read by the checks in checks/hiding.py, permissions.py, device_state.py."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AppOpsState:
    """`dumpsys appops`: package -> ((op, mode), ...), mode normalised to
    allow | ignore | deny | default | foreground."""

    packages: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]

    def mode(self, package: str, op: str) -> str | None:
        for name, ops in self.packages:
            if name == package:
                return dict(ops).get(op)
        return None


@dataclass(frozen=True)
class CallForwarding:
    phone_id: int  # SIM slot (0 when the dump has a single unnamed phone)
    active: bool
    line: int  # 1-based line of the mCallForwarding= entry in the text


@dataclass(frozen=True)
class PathProbe:
    """One fixed path checked with `ls -l -d`: present, absent or unreadable."""

    path: str
    state: str  # "present" | "absent" | "denied"
    line: int
