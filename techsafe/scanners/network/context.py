"""What the network checks read: lazily computed facts from the case's artifacts.

A property raises Unavailable when its artifacts are missing or unreadable,
so the check registry records a visible "not checked" line instead.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from techsafe.checks import Unavailable
from techsafe.model import NotChecked

if TYPE_CHECKING:
    from techsafe.case import Case
    from techsafe.scanners.network.inventory import Inventory
    from techsafe.scanners.network.traffic import TrafficResult


NO_SCAN = "no home-network scan in this case (techsafe network scan)"


def cut_short_reason(result: "TrafficResult") -> str:
    """The not-checked line for a capture whose packets were cut short by its snap length."""
    snap = "/".join(map(str, result.snaplens)) or "unknown"
    return (
        f"{result.cut_short} of {result.packets} packets were cut short by the capture (snap length {snap} bytes): "
        "host names in them may be missed; capture again without a snap-length limit"
    )


MAX_UNREAD_KINDS = 8  # kinds named in the line; the rest are counted


def unread_reason(result: "TrafficResult") -> str:
    """The not-checked line for packets of a kind the matcher does not read (they may carry IP)."""
    from techsafe.scanners.network.traffic import unread_kind

    total = sum(n for _kind, n in result.unread)
    if len(result.unread) == 1:
        kinds = unread_kind(result.unread[0][0])
    else:
        kinds = "; ".join(f"{unread_kind(k)}: {n}" for k, n in result.unread[:MAX_UNREAD_KINDS])
        more = len(result.unread) - MAX_UNREAD_KINDS
        if more > 0:
            kinds += f"; {more} more kind{'s' if more > 1 else ''}"
    if total == 1:
        return f"1 packet of a kind techsafe does not read ({kinds}) was not checked"
    return f"{total} packets of a kind techsafe does not read ({kinds}) were not checked"


class NetworkContext:
    def __init__(self, case: "Case", indicators: Any) -> None:
        self.case = case
        self.indicators = indicators
        self.gaps: list[NotChecked] = []  # partial reads found while computing facts

    @cached_property
    def traffic(self) -> list[tuple[str, "TrafficResult"]]:
        from techsafe.scanners.network.pcapfile import CaptureFormatError
        from techsafe.scanners.network.sources import traffic_artifacts
        from techsafe.scanners.network.traffic import match_capture

        records = traffic_artifacts(self.case)
        if not records:
            raise Unavailable("no traffic capture in this case")
        out = []
        for rec in records:
            try:
                with open(self.case.root / rec.path, "rb") as fh:
                    result = match_capture(fh, self.indicators)
            except (OSError, CaptureFormatError) as exc:
                self.gaps.append(NotChecked("network.traffic", f"capture could not be read: {exc}", rec.path))
                continue
            if result.problem:
                self.gaps.append(
                    NotChecked("network.traffic", f"capture read only in part: {result.problem}", rec.path)
                )
            if result.cut_short:  # host names past the cut are invisible: never an "all clear" for them
                self.gaps.append(NotChecked("network.traffic", cut_short_reason(result), rec.path))
            if result.unread:  # they may carry IP: never an "all clear" for them
                self.gaps.append(NotChecked("network.traffic", unread_reason(result), rec.path))
            if result.packets == 0:  # an empty capture proves nothing: never an "all clear"
                self.gaps.append(NotChecked("network.traffic", "the capture holds no packets", rec.path))
            if result.skipped_linktypes:
                self.gaps.append(
                    NotChecked(
                        "network.traffic",
                        "packets of link types " + ", ".join(map(str, result.skipped_linktypes)) + " were not checked",
                        rec.path,
                    )
                )
            out.append((rec.path, result))
        if not out:
            raise Unavailable("no traffic capture in this case could be read")
        return out

    @cached_property
    def inventory(self) -> "Inventory":
        from techsafe.scanners.network.inventory import build_inventory

        inv = build_inventory(self.case)
        if inv is None:
            raise Unavailable(NO_SCAN)
        self.gaps.extend(inv.gaps)
        return inv
