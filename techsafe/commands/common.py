"""Helpers the commands share: console, errors, case creation, output."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from rich.console import Console

    from techsafe.case import Case
    from techsafe.model import Analysis

# Exit statuses a script can rely on.
EXIT_OK = 0
EXIT_ERROR = 1  # bad input (incl. a case that holds nothing for this command), tool problem
EXIT_NO_DEVICE = 2  # nothing to scan (no phone, no Bluetooth adapter), or a choice is needed
EXIT_INCOMPLETE = 3  # scan ran but not everything could be collected
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report it


def console(stderr: bool = False) -> "Console":
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """One plain line on stderr, non-zero exit."""
    click.echo(f"techsafe: {message}", err=True)
    sys.exit(code)


def interrupted(message: str, *, case: "Case | None" = None, event: str = "") -> NoReturn:
    """Ctrl-C: one plain line on stderr, exit 130; `event` goes to the case
    log first (e.g. "scan.interrupted") when a case is given."""
    if case is not None and event:
        try:
            case.log(event)
        except OSError:
            pass  # the message matters more than the log line
    fail(message, EXIT_INTERRUPTED)


def new_case(case_dir: Path | None, prefix: str = "case") -> "Case":
    from techsafe.case import Case, CaseError

    try:
        if case_dir is None:
            import datetime as dt
            import secrets

            stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
            case_dir = Path("cases") / f"{prefix}-{stamp}-{secrets.token_hex(2)}"
        return Case.create(case_dir)
    except (CaseError, OSError) as exc:
        fail(str(exc))


def show(analysis: "Analysis", case: "Case", *, as_json: bool, warnings: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(analysis.to_json(), indent=2, ensure_ascii=False))
        for w in warnings:
            click.echo(f"techsafe: warning: {w}", err=True)
        return
    from techsafe.report.terminal import render_summary

    render_summary(console(), analysis, str(case.root), warnings)
