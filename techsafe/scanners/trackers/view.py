"""The live sweep table (rich): what is seen, its state, signal, first/last seen."""

from __future__ import annotations

from typing import Any

from techsafe.scanners.trackers.decoders import identify
from techsafe.scanners.trackers.families import family
from techsafe.scanners.trackers.sighting import Sighting, iso_from_us

MAX_ROWS = 25


def summarize(seen: list[Sighting]) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for s in seen:
        ident = identify(s)
        row = rows.setdefault(s.address, {"address": s.address, "family": ident.family, "tracker": ident.tracker,
                                          "state": ident.state, "rssi": s.rssi, "first": s.time_us, "last": s.time_us})
        row["last"] = s.time_us
        row["rssi"] = s.rssi if s.rssi is not None else row["rssi"]
        if ident.tracker:
            row.update(family=ident.family, tracker=True, state=ident.state)
    return sorted(rows.values(), key=lambda r: (not r["tracker"], r["family"] == "unknown", r["address"]))


def live_table(seen: list[Sighting], elapsed: float, total: float):
    from rich.table import Table

    done = min(1.0, elapsed / total if total else 1.0)
    bar = "█" * int(done * 30) + "░" * (30 - int(done * 30))
    rows = summarize(seen)
    table = Table(title=f"Sweep {bar} {elapsed:4.0f}/{total:.0f} s — {len(rows)} devices")
    for col in ("type", "tracker?", "state", "signal", "first seen", "last seen", "address"):
        table.add_column(col)
    for r in rows[:MAX_ROWS]:
        table.add_row(
            family(r["family"]).label, "yes" if r["tracker"] else "no", r["state"].replace("_", " ") if r["tracker"] else "-",
            f"{r['rssi']} dBm" if r["rssi"] is not None else "?", iso_from_us(r["first"])[11:19],
            iso_from_us(r["last"])[11:19], r["address"],
        )
    if len(rows) > MAX_ROWS:
        table.caption = f"{len(rows) - MAX_ROWS} more not shown (all are stored)"
    return table
