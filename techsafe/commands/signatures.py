"""`techsafe signatures ...`: import, update, remove and show indicator feeds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from techsafe.signatures.records import FeedError, FeedInfo

# count key -> words for the caseworker, in the order they are shown
_COUNT_WORDS: tuple[tuple[str, str], ...] = (
    ("stalkerware_apps", "stalkerware apps"),
    ("stalkerware_packages", "stalkerware package names"),
    ("stalkerware_certificates", "stalkerware signing certificates"),
    ("stalkerware_c2_domains", "stalkerware C2 domains"),
    ("stalkerware_c2_ips", "stalkerware C2 IP addresses"),
    ("stalkerware_websites", "stalkerware websites"),
    ("watchware_apps", "watchware apps"),
    ("watchware_packages", "watchware package names"),
    ("watchware_ios_bundles", "watchware iOS bundle ids"),
    ("samples", "APK sample hashes"),
    ("yara_rules", "YARA rules"),
    ("families", "spyware families"),
    ("domains", "domains"),
    ("urls", "URLs"),
    ("ips", "IP addresses"),
    ("app_ids", "app ids"),
    ("certificates", "signing certificates"),
    ("file_sha256", "file hashes"),
    ("profile_ids", "configuration profile ids"),
    ("file_paths", "file paths"),
    ("processes", "process names"),
    ("unsupported_patterns", "patterns techsafe cannot use (skipped)"),
    ("rejected_values", "malformed values (skipped)"),
)


def describe_counts(counts: dict[str, int]) -> list[str]:
    lines = [f"{counts[key]} {words}" for key, words in _COUNT_WORDS if counts.get(key)]
    return lines


def _fail(exc: Exception) -> None:
    raise click.ClickException(" ".join(str(exc).split()))


@click.group()
def signatures() -> None:
    """Import, update and show indicator feeds.

    Feeds live in techsafe's data folder on this laptop. Only `update` uses
    the internet; everything else works offline.
    """


@signatures.command("status")
def status_cmd() -> None:
    """Show installed feeds, the built-in catalogue and their age."""
    from rich.console import Console
    from rich.table import Table

    from techsafe.signatures import load_indicators
    from techsafe.signatures.indicators import _feed_time

    from rich import box

    ind = load_indicators()
    console = Console()
    # Fits 80 columns: only the feed name may wrap (folded, never cut to "techsafe…");
    # every other cell is short and kept whole.
    table = Table(title="Indicator feeds", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("Feed", overflow="fold", min_width=8)
    for column in ("Kind", "Version", "Entries", "SHA-256", "Imported", "Days old"):
        table.add_column(column, justify="right" if column in ("Entries", "Days old") else "left", no_wrap=True)
    now = dt.datetime.now(dt.timezone.utc)
    for info in ind.feeds:
        when = _feed_time(info)
        age = str(max(0, (now - when).days)) if when and info.kind != "catalogue" else "-"
        imported = info.imported_at[:10] if info.imported_at else ("built in" if info.kind == "catalogue" else "-")
        table.add_row(info.name, info.kind, _short_version(info), str(info.entries), info.sha256[:8], imported, age)
    console.print(table)
    ok, message = ind.stalkerware_feed_status()
    console.print(("[green]" if ok else "[bold yellow]Warning: ") + message, highlight=False)
    for problem in ind.problems:
        console.print(f"[bold red]Problem:[/] {problem}", highlight=False)


def _short_version(info: FeedInfo) -> str:
    version = info.version
    return version[:12] if len(version) == 40 else version


@signatures.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--name", help="Install under this feed name (default: echap, echap-watchware or stix2-<file>).")
@click.option("--force", is_flag=True, help="Replace the installed copy even if the new one is much smaller.")
def import_cmd(path: Path, name: str | None, force: bool) -> None:
    """Import an Echap ioc.yaml / watchware.yaml / folder, or a STIX 2 bundle."""
    from techsafe.signatures.importer import import_path

    try:
        info = import_path(path, name=name, force=force)
    except FeedError as exc:
        _fail(exc)
    _print_installed("Imported", info)


@signatures.command("update")
@click.option("--url", help="Base URL of the Echap files (default: upstream, or signatures.update_url in config.yaml).")
@click.option("--cafile", type=click.Path(dir_okay=False, path_type=Path), help="Trust this CA bundle (PEM) instead of the system's.")
@click.option("--force", is_flag=True, help="Replace the installed copy even if the new one is much smaller.")
def update_cmd(url: str | None, cafile: Path | None, force: bool) -> None:
    """Download the latest Echap stalkerware indicators (uses the internet)."""
    from techsafe.signatures.update import check_url, configured_base_url, update_echap

    try:
        base = check_url(url or configured_base_url())
        click.echo(f"Downloading stalkerware indicators from {base} (the only time techsafe uses the internet)...")
        result = update_echap(base, cafile=cafile, force=force)
    except FeedError as exc:
        _fail(exc)
    _print_installed("Updated", result.info)
    if result.skipped:
        click.echo(f"  not on the server (optional): {', '.join(result.skipped)}")


@signatures.command("remove")
@click.argument("name")
def remove_cmd(name: str) -> None:
    """Remove an installed feed."""
    from techsafe.signatures import store

    try:
        removed = store.remove(name)
    except FeedError as exc:
        _fail(exc)
    if not removed:
        raise click.ClickException(f"no installed feed named {name!r} (see `techsafe signatures status`)")
    click.echo(f"Removed feed {name}.")


def _print_installed(verb: str, info: FeedInfo) -> None:
    click.echo(f"{verb} feed '{info.name}' ({info.kind}, version {_short_version(info)}, SHA-256 {info.sha256[:12]}):")
    for line in describe_counts(info.counts):
        click.echo(f"  {line}")
    for warning in info.warnings:
        click.echo(f"  warning: {warning}")
