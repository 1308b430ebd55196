"""`techsafe case verify|export`: evidence integrity and safe hand-over."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.group("case")
def case() -> None:
    """Verify or export a case folder."""


@case.command("verify")
@click.argument("case_path", metavar="CASE", type=click.Path(path_type=Path))
@click.option(
    "--public-key",
    "public_keys",
    multiple=True,
    metavar="ed25519:KEY",
    help="Trust this signing key (as printed in the report). This laptop's own key is always trusted.",
)
def verify(case_path: Path, public_keys: tuple[str, ...]) -> None:
    """Check every file of CASE against its signed manifest."""
    from techsafe.case import Case, CaseError
    from techsafe.report.sign import fingerprint, verify_case

    try:
        opened = Case.open(case_path)
        for key in public_keys:
            fingerprint(key)  # rejects a mistyped key with a clear message
    except CaseError as exc:
        raise click.ClickException(str(exc)) from None
    except ValueError as exc:
        raise click.ClickException(f"--public-key: {exc}") from None
    result = verify_case(case_path, public_keys)
    try:
        changed, _ = opened.index_problems()  # artifacts against the hashes recorded as they arrived
    except CaseError as exc:
        changed = [str(exc)]
    problems = [p.message for p in result.problems] + changed
    if not problems:
        click.echo(
            f"OK: {result.files_checked} files match the signed manifest; "
            f"signed by {result.signer} ({fingerprint(result.signer)})"
        )
        return
    for message in problems:
        click.echo(message)
    click.echo(f"FAILED: {len(problems)} problem(s) in {case_path}", err=True)
    sys.exit(1)


@case.command("export")
@click.argument("case_path", metavar="CASE", type=click.Path(path_type=Path))
@click.option("--encrypt-to", "recipients", multiple=True, metavar="AGE_RECIPIENT", help="age or ssh public key (repeatable).")
@click.option("--passphrase", is_flag=True, help="Encrypt with a passphrase (asked twice, never shown).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Archive to write (default: CASE.tar.gz.age next to CASE).")
@click.option("--force", is_flag=True, help="Replace the archive if it already exists.")
def export(case_path: Path, recipients: tuple[str, ...], passphrase: bool, output: Path | None, force: bool) -> None:
    """Write CASE as one age-encrypted archive (readable with the `age` tool)."""
    from techsafe.case import Case, CaseError
    from techsafe.report.export import ExportError, export_case, parse_recipients

    if bool(recipients) == passphrase:
        raise click.UsageError("choose exactly one of --encrypt-to AGE_RECIPIENT or --passphrase")
    try:
        c = Case.open(case_path)
        targets = parse_recipients(recipients) if recipients else None
    except (CaseError, ExportError) as exc:
        raise click.ClickException(str(exc)) from None
    target = output or c.root.parent / f"{c.root.name}.tar.gz.age"
    if (target.exists() or target.is_symlink()) and not force:
        # An earlier export may be the copy already handed over: never replace it silently.
        raise click.ClickException(f"{target}: already exists; use --force to replace it, or -o another file")
    secret = None
    if passphrase:
        secret = click.prompt("Passphrase", hide_input=True, confirmation_prompt=True)
        if len(secret) < 8:
            raise click.ClickException("passphrase too short (use at least 8 characters, ideally a few words)")
    try:
        export_case(c, target, recipients=targets, passphrase=secret)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Encrypted case written to {target}")
