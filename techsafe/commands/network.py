"""`techsafe network`: home-network devices, router holes and live traffic."""

from __future__ import annotations

from pathlib import Path

import click

from techsafe.commands.common import EXIT_INCOMPLETE, fail, new_case, show


@click.group()
def network() -> None:
    """Home network: doorbells, cameras, the router, and phone traffic."""


@network.command("scan")
@click.option("--iface", help="Network interface on the home network (default: the one with the default route).")
@click.option("--case", "case_dir", type=click.Path(path_type=Path), help="Case folder (default: a new one under ./cases/).")
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON.")
def scan(iface: str | None, case_dir: Path | None, as_json: bool) -> None:
    """Find cameras, doorbells and speakers on this network, and what the router opens to the internet."""
    from techsafe.scanners.network.acquire import scan_network
    from techsafe.scanners.network.lan import LanError, resolve_lan
    from techsafe.workflow import analyze_and_seal, feed_warning, load_indicators

    try:
        resolve_lan(iface)  # refuse early, before a case folder is made
    except LanError as exc:
        fail(str(exc))
    case = new_case(case_dir, "network")
    try:
        skipped = scan_network(case, iface, progress=lambda step: click.echo(f"  {step}...", err=True))
    except LanError as exc:
        fail(str(exc))
    # Skipped steps are recorded in the case (scan-steps.json) and reported by the analysis.
    indicators = load_indicators()
    analysis = analyze_and_seal(case, indicators)
    show(analysis, case, as_json=as_json, warnings=[w for w in (feed_warning(indicators),) if w])
    if any("arp-sweep" in s for s in skipped):
        raise SystemExit(EXIT_INCOMPLETE)


@network.command("traffic")
@click.option("--live", "iface", required=True, help="Interface to capture on (the laptop's hotspot or the home Wi-Fi).")
@click.option("--duration", type=click.IntRange(1, 24 * 3600), required=True, help="Seconds to capture.")
@click.option("--case", "case_dir", type=click.Path(path_type=Path), help="Case folder (default: a new one under ./cases/).")
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON.")
def traffic(iface: str, duration: int, case_dir: Path | None, as_json: bool) -> None:
    """Capture traffic for DURATION seconds and check it against stalkerware servers."""
    from techsafe.scanners.network.live import LiveCaptureError, capture_to_case
    from techsafe.workflow import analyze_and_seal, feed_warning, load_indicators

    case = new_case(case_dir, "traffic")
    try:
        packets = capture_to_case(case, iface, duration)
    except LiveCaptureError as exc:
        fail(str(exc))
    click.echo(f"  captured {packets} packets", err=True)
    indicators = load_indicators()
    analysis = analyze_and_seal(case, indicators)
    show(analysis, case, as_json=as_json, warnings=[w for w in (feed_warning(indicators),) if w])
