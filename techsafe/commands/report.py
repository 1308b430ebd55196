"""`techsafe report CASE`: write the evidence report in one format."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from techsafe.report.render import EXTENSIONS, FORMATS


@click.command("report")
@click.argument("case_path", metavar="CASE", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="html",
    show_default=True,
    help="html, md and json: the whole report. csv: the timeline only (time, event, subject, detail), no findings.",
)
@click.option("--redact", is_flag=True, help="Replace phone numbers, e-mails, IMEI/serial/ICCID, accounts and Wi-Fi names.")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="Output file ('-' for standard output). Default: CASE/reports/."
)
@click.option("--force", is_flag=True, help="Replace the -o file if it exists.")
@click.option("--public-key", "public_keys", multiple=True, metavar="KEY",
              help="Trust a case signed on another laptop by this key (ed25519:..., printed in its report).")
def report(case_path: Path, fmt: str, redact: bool, output: Path | None, force: bool = False,
           public_keys: tuple[str, ...] = ()) -> None:
    """Write the evidence report of CASE.

    HTML, Markdown and JSON carry the whole report (summary, findings with
    evidence and guides, timeline, what could not be checked). CSV is the
    timeline only (time, event, subject, detail), without the findings.
    """
    from techsafe.case import Case, CaseError, atomic_write
    from techsafe.report.content import ReportError, build_report
    from techsafe.report.render import render
    from techsafe.report.sign import SigningError, public_key_text, seal_case, verify_case

    try:
        case = Case.open(case_path)
    except CaseError as exc:
        raise click.ClickException(str(exc)) from None
    if output is not None and str(output) != "-":
        _refuse_evidence_path(case.root, output)  # before anything is read, locked or written
        if output.exists() and not force:
            raise click.ClickException(f"{output}: already exists; choose another -o file, or add --force to replace it")

    try:
        lock = case.acquire_lock()  # held until this command ends: no other command changes the case meanwhile
    except CaseError as exc:
        raise click.ClickException(str(exc)) from None
    click.get_current_context().call_on_close(lambda: os.close(lock))
    # Verify before anything is written: re-sealing must never bless a case
    # that was changed after it was sealed.
    check = verify_case(case.root, public_keys)
    problems = [p.message for p in check.problems]
    if check.ok:
        integrity = {"status": f"passed ({check.files_checked} files match the signed manifest)", "problems": [],
                     "warning": ""}
    elif not check.sealed:
        # An interrupted scan is sealed by `techsafe analyze`; a case without a
        # manifest at report time may have been edited, so it is never sealed here.
        integrity = {"status": "not sealed", "problems": problems,
                     "warning": "this case has no signed manifest, so nothing shows that these findings match what "
                                f"was collected. To re-check the evidence and seal it, run: techsafe analyze {case.root}"}
    else:
        integrity = {"status": "failed", "problems": problems,
                     "warning": "this case failed its integrity check before this report was written."}

    try:
        content = build_report(case, integrity=integrity)
    except (ReportError, SigningError) as exc:
        raise click.ClickException(str(exc)) from None
    if redact:
        from techsafe.report.redact import redact_report

        content = redact_report(content)
    text = render(content, fmt)

    if output is not None and str(output) == "-":
        sys.stdout.write(text)
    else:
        suffix = "-redacted" if redact else ""
        target = output or case.root / "reports" / f"report{suffix}.{EXTENSIONS[fmt]}"
        inside = case.root.resolve() in target.resolve().parents
        if inside and check.ok and check.signer != public_key_text():
            # Writing into it would need a new seal, and this laptop's key would replace the one vouched for.
            raise click.ClickException(
                f"{case.root}: sealed on another laptop; write the report outside the case with -o FILE")
        try:
            atomic_write(target, text.encode("utf-8"))
        except OSError as exc:
            raise click.ClickException(f"{target}: cannot write the report ({exc.strerror})") from None
        if inside and check.ok:
            seal_case(case)  # the report joins the signed manifest
        click.echo(f"Report written to {target}")
    if not check.ok:
        click.echo(f"Warning: {case.root}: {integrity['warning'].rstrip('.')}. The report says so; "
                   f"`techsafe case verify {case.root}` lists every problem.", err=True)
        sys.exit(1)


def _refuse_evidence_path(case_root: Path, output: Path) -> None:
    """A report may go outside the case or under CASE/reports/, never over the
    evidence of this case or of any other."""
    root = case_root.resolve()
    target = output.resolve()
    other = next((p for p in target.parents if p != root and root not in p.parents and (p / "case.json").is_file()), None)
    if other is not None:
        raise click.ClickException(f"{output}: inside another case folder ({other}); write the report outside it")
    if target != root and root not in target.parents:
        return
    reports = root / "reports"
    if reports in target.parents:
        return
    raise click.ClickException(
        f"{output}: inside the case folder; write the report under {case_root / 'reports'}/ or outside the case"
    )
