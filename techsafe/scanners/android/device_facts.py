"""Facts about how the phone is set up (beyond the app list): which apps
show an icon, app-op grants, call forwarding, traces of rooting tools.
Returned by the parsers in parsers/ (intent_query, appops, telephony, root)
and read by the checks in checks/hiding.py, permissions.py, device_state.py."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class AppOpsState:
    """`dumpsys appops`: package -> ((op, mode), ...), mode normalised to
    allow | ignore | deny | default | foreground."""

    packages: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]

    @cached_property
    def _by_package(self) -> dict[str, dict[str, str]]:
        # Built once: checks ask per app, and a scan over every app must stay
        # linear (3,000 apps made the old per-call search take seconds).
        index: dict[str, dict[str, str]] = {}
        for name, ops in self.packages:
            index.setdefault(name, dict(ops))  # the first block for a name wins, as before
        return index

    def mode(self, package: str, op: str) -> str | None:
        ops = self._by_package.get(package)
        return None if ops is None else ops.get(op)


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
