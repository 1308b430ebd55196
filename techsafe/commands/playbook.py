"""`techsafe playbook KIND`: the remediation guide for a finding kind."""

from __future__ import annotations

import sys

import click


@click.command("playbook")
@click.argument("kind", required=False)
@click.option("--format", "fmt", type=click.Choice(["terminal", "md", "html"]), default="terminal", show_default=True)
@click.option("--list", "list_all", is_flag=True, help="List the guides that exist.")
def playbook(kind: str | None, fmt: str, list_all: bool) -> None:
    """Show the remediation guide for KIND (e.g. android.app.stalkerware)."""
    from techsafe.playbooks import (
        PlaybookError,
        load_all,
        load_playbook,
        render_html_page,
        render_markdown,
        render_terminal,
    )

    if list_all or not kind:
        try:
            books = load_all()
        except PlaybookError as exc:
            raise click.ClickException(str(exc)) from None
        for pid, pb in books.items():
            click.echo(f"{pid:40} {pb.title}")
        if not kind:
            return
    try:
        pb = load_playbook(kind)
    except PlaybookError as exc:
        raise click.ClickException(str(exc)) from None
    if pb.id != kind:
        click.echo(f"No guide for {kind} yet; showing the nearest one ({pb.id}).", err=True)
    if fmt == "md":
        sys.stdout.write(render_markdown(pb, heading_level=1))
    elif fmt == "html":
        sys.stdout.write(render_html_page(pb))
    else:
        from rich.console import Console

        Console().print(render_terminal(pb))
