"""`techsafe trackers`: sweep for, list, locate and ring Bluetooth trackers."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from techsafe.commands.common import EXIT_ERROR, EXIT_INCOMPLETE, EXIT_NO_DEVICE, console, fail, new_case


@click.group("trackers")
def trackers() -> None:
    """Sweep for Bluetooth trackers, see what keeps coming back, find and ring a tag."""


def _open_case(path: Path):
    from techsafe.case import Case, CaseError

    try:
        return Case.open(path)
    except CaseError as exc:
        fail(str(exc))


def _family_rows(case):
    from techsafe.scanners.trackers.decide import decide, link
    from techsafe.scanners.trackers.sweeps import load_sweeps

    sweeps, gaps = load_sweeps(case)
    trackers, devices = link(sweeps) if sweeps else ([], [])
    return sweeps, gaps, [decide(t, sweeps) for t in trackers], devices


def _state(v) -> str:
    return ", ".join(sorted(s.replace("_", " ") for s in v.tracker.states))


@trackers.command("sweep")
@click.option("--case", "case_dir", type=click.Path(path_type=Path), help="Case folder (new one if omitted).")
@click.option("--duration", default=60.0, show_default=True, type=click.FloatRange(1, 3600), help="Seconds to listen.")
@click.option("--place", default=None, help="Where this sweep is done, e.g. 'clinic' or 'car' (no addresses).")
def sweep_cmd(case_dir: Path | None, duration: float, place: str | None) -> None:
    """Listen for Bluetooth trackers and store what is seen in the case."""
    from rich.live import Live

    from techsafe.scanners.trackers.live import TrackersUnavailable, sweep
    from techsafe.scanners.trackers.view import live_table

    out = console()
    cases = []

    def make_case():
        # Only once the adapter scans: no Bluetooth leaves no empty case folder.
        cases.append(new_case(case_dir, prefix="trackers"))
        return cases[0]

    try:
        with Live(console=out, refresh_per_second=2, transient=False) as live:
            def progress(elapsed, total, seen):
                live.update(live_table(seen, elapsed, total))

            missing = sweep(make_case, duration, place, progress=progress)
    except TrackersUnavailable as exc:
        fail(str(exc), EXIT_NO_DEVICE)
    case = cases[0]
    for m in missing:
        out.print(f"[yellow]Not complete:[/] {m}")
    out.print(f"Sweep stored in {case.root}. Run `techsafe trackers history {case.root}` or `techsafe analyze {case.root}`.")
    if missing:
        sys.exit(EXIT_INCOMPLETE)


@trackers.command("history")
@click.argument("case_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
def history_cmd(case_dir: Path) -> None:
    """Every sweep of a case, and which trackers keep coming back."""
    from rich.table import Table

    from techsafe.scanners.trackers.families import family

    case = _open_case(case_dir)
    sweeps, gaps, verdicts, devices = _family_rows(case)
    out = console()
    if not sweeps:
        # Bad input (this case holds nothing to show), not "nothing to scan": EXIT_ERROR.
        fail(f"{case_dir}: no tracker sweeps or Bluetooth captures in this case", EXIT_ERROR)
    st = Table(title="Sweeps")
    st.add_column("#")
    st.add_column("started (UTC)")
    st.add_column("place")
    st.add_column("advertisements", justify="right")
    for n, s in enumerate(sweeps, 1):
        st.add_row(str(n), s.label[:16], s.place or "-", str(len(s.sightings)) + ("" if s.complete else " (interrupted)"))
    out.print(st)
    tt = Table(title="Trackers (most urgent first)")
    tt.add_column("severity")
    tt.add_column("tracker")
    tt.add_column("id")
    tt.add_column("state")
    for n in range(len(sweeps)):
        tt.add_column(f"#{n + 1}", justify="center")
    tt.add_column("places")
    for v in sorted(verdicts, key=lambda v: (-v.severity, v.tracker.tracker_id)):
        marks = ["●" if i in v.tracker.sweep_indexes else "·" for i in range(len(sweeps))]
        tt.add_row(v.severity.label, family(v.tracker.family).label, v.tracker.tracker_id, _state(v), *marks,
                   ", ".join(v.places) or "-")
    out.print(tt if verdicts else "No trackers were seen in these sweeps.")
    if devices:
        counts: dict[str, int] = {}
        for d in devices:
            counts[family(d.family).label] = counts.get(family(d.family).label, 0) + 1
        listed = ", ".join(f"{n} {label}" for label, n in sorted(counts.items()))
        out.print(f"Other Bluetooth devices (not trackers): {listed}.")
    for g in gaps:
        out.print(f"[yellow]Not checked:[/] {g.reason} ({g.artifact})")


def _matcher(target: str, case_dir: Path | None):
    """Match live sightings to the tracker the caseworker named."""
    from techsafe.scanners.trackers.decide import _counter_links
    from techsafe.scanners.trackers.decoders import identify

    wanted = target.strip().upper()
    known = None
    if case_dir is not None:
        _, _, verdicts, _ = _family_rows(_open_case(case_dir))
        known = next((v.tracker for v in verdicts if wanted in v.tracker.addresses), None)
    ids = {i.rotating_id for _, _, i in known.sightings if i.rotating_id} if known else set()
    counters = [(s.time_us, i.aging_counter) for _, s, i in known.sightings if i.aging_counter is not None] if known else []

    def matches(s) -> bool:
        if s.address == wanted:
            return True
        if not known:
            return False
        ident = identify(s)
        if ident.family != known.family:
            return False
        if ident.rotating_id and ident.rotating_id in ids:
            return True
        return bool(counters and ident.aging_counter is not None
                    and _counter_links(counters[-1], (s.time_us, ident.aging_counter)))

    return matches, known


@trackers.command("locate")
@click.argument("tracker_id")
@click.option("--case", "case_dir", type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="Case whose sweeps found this tracker (follows rotating identifiers).")
@click.option("--duration", default=120.0, show_default=True, type=click.FloatRange(5, 1800))
def locate_cmd(tracker_id: str, case_dir: Path | None, duration: float) -> None:
    """Hot/cold signal meter: walk around and follow the signal to the tag."""
    from techsafe.scanners.trackers.live import TrackersUnavailable, locate, meter

    matches, _ = _matcher(tracker_id, case_dir)
    out = console()
    out.print("Walk slowly; the reading updates each time the tag advertises (every 2 seconds or so).")

    def reading(s) -> None:
        bar = "█" * max(0, min(20, ((s.rssi or -100) + 100) // 3))
        out.print(f"{s.rssi if s.rssi is not None else '?':>4} dBm {bar:<20} {meter(s.rssi)}")

    try:
        locate(matches, duration, reading)
    except TrackersUnavailable as exc:
        fail(str(exc), EXIT_NO_DEVICE)


@trackers.command("ring")
@click.argument("tracker_id")
@click.option("--family", "family_key", default=None,
              help="Tracker family if there is no case: airtag, findmy_accessory, airpods, fmdn, dult, pebblebee.")
@click.option("--case", "case_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--yes", is_flag=True, help="Skip the confirmation after the safety note.")
def ring_cmd(tracker_id: str, family_key: str | None, case_dir: Path | None, yes: bool) -> None:
    """Make a tracker play its sound (where its family allows it), after a safety note."""
    from techsafe.scanners.trackers.families import FAMILIES, RING_SAFETY_NOTE
    from techsafe.scanners.trackers.live import TrackersUnavailable, ring

    _, known = _matcher(tracker_id, case_dir) if case_dir else (None, None)
    key = known.family if known else family_key
    if key is None:
        fail("say which tracker this is: give --case CASE (from a sweep) or --family")
    fam = FAMILIES.get(key)
    if fam is None or not fam.tracker:
        fail(f"unknown tracker family {key!r} (choose from: {', '.join(k for k, f in FAMILIES.items() if f.ring)})")
    out = console()
    out.print(RING_SAFETY_NOTE.format(owner=fam.owner_learns or "not documented."))
    if not fam.ring:
        fail(f"a {fam.label} cannot be made to ring by techsafe: {fam.owner_learns}")
    if not yes and not click.confirm("Ring it now?", default=False):
        out.print("Not rung.")
        return
    address = known.addresses[-1] if known else tracker_id.strip().upper()
    try:
        out.print(ring(address, fam.ring))
    except TrackersUnavailable as exc:
        fail(str(exc), EXIT_NO_DEVICE)
