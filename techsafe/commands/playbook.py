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
    known = known_kinds()
    kind = resolve_kind(kind, known)
    if kind not in known:
        raise click.ClickException(unknown_kind_message(kind, known))
    try:
        pb = load_playbook(kind)
    except PlaybookError as exc:
        raise click.ClickException(str(exc)) from None
    if pb.id != kind:
        click.echo(f"No dedicated guide for {kind} yet; showing the guide for its family ({pb.id}).", err=True)
    if fmt == "md":
        sys.stdout.write(render_markdown(pb, heading_level=1))
    elif fmt == "html":
        sys.stdout.write(render_html_page(pb))
    else:
        from rich.console import Console

        Console().print(render_terminal(pb))


def known_kinds() -> set[str]:
    """Every kind a guide can be shown for: a finding kind some check registers, or a guide file."""
    from techsafe.checks import registered_kinds
    from techsafe.playbooks import available_ids

    return registered_kinds() | set(available_ids())


MAX_SHOWN = 60  # characters of an unknown kind echoed back in a message
MAX_KIND = 200  # longer than any real kind: not looked up, only cut and refused


def resolve_kind(kind: str, known: set[str]) -> str:
    """The known kind KIND names, compared case-insensitively (Android.App.Stalkerware works)."""
    kind = kind.strip()
    if kind in known:
        return kind
    by_lower = {k.lower(): k for k in known}
    return by_lower.get(kind.lower(), kind)


def shown(kind: str) -> str:
    """KIND as it may be echoed: at most MAX_SHOWN characters."""
    return kind if len(kind) <= MAX_SHOWN else kind[:MAX_SHOWN] + f"… ({len(kind)} characters)"


def close_matches(kind: str, known: set[str], n: int = 5) -> list[str]:
    """Kinds ending in `.kind` first (stalkerware -> android.app.stalkerware), then difflib's."""
    import difflib

    if len(kind) > MAX_KIND:
        return []
    kind = kind.lower()

    ordered = sorted(known)
    suffix = [k for k in ordered if kind and k.endswith("." + kind)]
    fuzzy = difflib.get_close_matches(kind, ordered, n=n, cutoff=0.6)
    return list(dict.fromkeys(suffix + fuzzy))[:n]


def unknown_kind_message(kind: str, known: set[str]) -> str:
    matches = close_matches(kind, known)
    hint = f"did you mean {', '.join(matches)}?" if matches else "see `techsafe playbook --list`."
    return f"no guide for {shown(kind)!r}: not a known finding kind; {hint}"
