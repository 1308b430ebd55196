"""`techsafe analyze PATH`: the same checks on saved or offline data."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from techsafe.commands.common import fail, new_case, show


@click.command()
@click.argument("path_text", metavar="PATH", type=click.Path())
@click.option("--case", "case_dir", type=click.Path(path_type=Path),
              help="Case folder to store the input in (default: a new folder under ./cases/).")
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON.")
@click.option("--password", default=None, help="Password of an encrypted iPhone backup (asked when needed).")
def analyze(path_text: str, case_dir: Path | None, as_json: bool, password: str | None) -> None:
    """Analyze PATH: a case folder (re-analyzed with today's signatures), an androidqf
    folder or zip, a dumpsys text dump, a bugreport, an iPhone backup, or a capture."""
    from techsafe import pipeline
    from techsafe.case import Case, CaseError
    from techsafe.workflow import analyze_and_seal, ensure_intact, feed_warning, load_indicators

    path = Path(path_text)
    if not path_text.strip() or not path.exists():  # "" would otherwise mean the current folder
        fail(f"{path_text or '(empty path)'}: no such file or folder")
    try:
        if Case.is_case(path):
            case = Case.open(path)
            with case.lock():
                gaps = ensure_intact(case)  # before anything is written to the case
                case.log("reanalyze")
                indicators = load_indicators()
                analysis = analyze_and_seal(case, indicators, gaps)
        else:
            found = pipeline.detect(path)
            if found is None:
                fail(
                    f"{path}: not a format techsafe reads (expected a case folder, an androidqf folder or zip, a dumpsys "
                    "text dump, a bugreport, an iPhone backup, or a pcap/pcapng/btsnoop capture)"
                )
            if case_dir is not None and Path(case_dir).exists() and not Path(case_dir).is_dir():
                fail(f"{case_dir}: --case must be a folder (this is a file)")
            fresh = case_dir is None or not Path(case_dir).exists()
            case = new_case(case_dir, "case")
            with case.lock():
                gaps = () if fresh else ensure_intact(case)  # never add to (and re-seal) a changed case
                try:
                    _ingest(path, case, found, password)
                except (pipeline.InputError, KeyboardInterrupt) as exc:
                    # A refused or interrupted import leaves no half-made case;
                    # an existing case is left as it was (its seal still holds
                    # unless the import had started copying files).
                    if fresh:
                        shutil.rmtree(case.root, ignore_errors=True)
                    if isinstance(exc, KeyboardInterrupt):
                        fail(f"stopped (Ctrl-C) while copying {path}; nothing was analyzed"
                             + ("" if fresh else f", and {case.root} keeps what it had"), 130)
                    fail(str(exc))
                indicators = load_indicators()
                analysis = analyze_and_seal(case, indicators, gaps)
    except (CaseError, pipeline.InputError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{exc.filename or path}: {exc.strerror or exc}")
    warnings = [w for w in (feed_warning(indicators),) if w]
    show(analysis, case, as_json=as_json, warnings=warnings)


def _ingest(path: Path, case, found: tuple[str, str], password: str | None) -> None:
    """iPhone backups may need a password: ask once, only when encrypted."""
    from techsafe import pipeline

    platform, what = found
    if platform != "ios":
        pipeline.ingest(path, case)
        return
    import sys

    from techsafe.scanners.ios import sources as ios

    pipeline.ensure_one_phone(case, platform)
    try:
        ios.ingest(path, case, password=password)
    except pipeline.InputError as exc:
        if password is not None or "encrypted" not in str(exc) or not sys.stdin.isatty():
            raise
        ios.ingest(path, case, password=click.prompt("Backup password", hide_input=True, err=True))
    case.log("ingest", platform=platform, input=what)
