"""`techsafe analyze PATH`: the same checks on saved or offline data."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NoReturn

import click

from techsafe.commands.common import fail, interrupted, new_case, show


@click.command()
@click.argument("path_text", metavar="PATH", type=click.Path())
@click.option("--case", "case_dir", type=click.Path(path_type=Path),
              help="Case folder to store the input in (default: a new folder under ./cases/).")
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON.")
@click.option("--password", default=None, help="Password of an encrypted iPhone backup (asked when needed).")
@click.option("--public-key", "public_keys", multiple=True, metavar="KEY",
              help="A case sealed on another laptop: vouch for its key (ed25519:..., printed in its report).")
def analyze(path_text: str, case_dir: Path | None, as_json: bool, password: str | None,
            public_keys: tuple[str, ...] = ()) -> None:
    """Analyze PATH: a case folder (re-analyzed with today's signatures), an androidqf
    folder or zip, a dumpsys text dump, a bugreport, an iPhone backup, an iPhone
    installation_proxy app list (.plist), or a pcap/pcapng/btsnoop capture."""
    from techsafe import pipeline
    from techsafe.case import Case, CaseError
    from techsafe.workflow import analyze_and_seal, ensure_intact, feed_warning, load_indicators

    path = Path(path_text)
    if not path_text.strip() or not path.exists():  # "" would otherwise mean the current folder
        fail(f"{path_text or '(empty path)'}: no such file or folder")
    case = None
    fresh = copying = False
    before = None  # an existing case's files before this command wrote to it (see _stopped)
    try:
        if Case.is_case(path):
            case = Case.open(path)
            with case.lock():
                before = _snapshot(case.root)
                gaps = ensure_intact(case, public_keys)  # before anything is written to the case
                indicators = load_indicators()
                analysis = analyze_and_seal(case, indicators, gaps)
        else:
            found = pipeline.detect(path)
            if found is None:
                fail(
                    f"{path}: not a format techsafe reads (expected a case folder, an androidqf folder or zip, a dumpsys "
                    "text dump, a bugreport, an iPhone backup, an installation_proxy app list (.plist), or a "
                    "pcap/pcapng/btsnoop capture)"
                )
            if case_dir is not None and Path(case_dir).exists() and not Path(case_dir).is_dir():
                fail(f"{case_dir}: --case must be a folder (this is a file)")
            fresh = case_dir is None or not Path(case_dir).exists()
            copying = True
            case = new_case(case_dir, "case")
            with case.lock():
                before = None if fresh else _snapshot(case.root)
                gaps = () if fresh else ensure_intact(case, public_keys)  # never add to (and re-seal) a changed case
                try:
                    _ingest(path, case, found, password)
                    copying = False
                except pipeline.InputError as exc:
                    # A refused import leaves no half-made case; an existing
                    # case is left as it was.
                    if fresh:
                        shutil.rmtree(case.root, ignore_errors=True)
                    fail(str(exc))
                indicators = load_indicators()
                analysis = analyze_and_seal(case, indicators, gaps)
    except KeyboardInterrupt:
        _stopped(path, case, fresh=fresh, copying=copying, before=before)
    except (CaseError, pipeline.InputError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{exc.filename or path}: {exc.strerror or exc}")
    warnings = [w for w in (feed_warning(indicators),) if w]
    show(analysis, case, as_json=as_json, warnings=warnings)


def _snapshot(root: Path) -> tuple[tuple[str, int, int], ...]:
    """(path, size, mtime) of every file in a case folder: cheap, no hashing."""
    out = []
    for p in sorted(root.rglob("*")):
        try:
            st = p.lstat()
        except OSError:
            continue
        if not p.is_dir():
            out.append((p.relative_to(root).as_posix(), st.st_size, st.st_mtime_ns))
    return tuple(out)


def _stopped(path: Path, case, *, fresh: bool, copying: bool, before) -> NoReturn:
    """Ctrl-C: say what is kept and how to finish, in one line, exit 130;
    the case log records it (as `techsafe scan` does) unless that would be
    the only change to a sealed case (its seal would then no longer hold)."""
    import signal

    from techsafe.case import MANIFEST

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
    if case is None or not case.root.is_dir():
        interrupted(f"stopped (Ctrl-C) while reading {path}; nothing was changed or analyzed")
    root = case.root
    if fresh and copying:  # a half-made case is no evidence: it goes
        shutil.rmtree(root, ignore_errors=True)
        interrupted(f"stopped (Ctrl-C) while copying {path}; nothing was kept or analyzed")
    doing = f"while copying {path}; nothing was analyzed" if copying else "before the analysis finished"
    sealed = before is not None and any(rel == MANIFEST for rel, _, _ in before)
    add_again = f"run `techsafe analyze {path} --case {root}` again to add it"
    if (not fresh and before is None) or (sealed and _snapshot(root) == before):  # nothing written yet
        interrupted(f"stopped (Ctrl-C) {doing}; {root} was not changed; "
                    + (add_again if copying else f"run `techsafe analyze {root}` to finish"))
    if sealed and _roll_back(root, before):  # an import into a sealed case, cut short
        interrupted(f"stopped (Ctrl-C) {doing}; {root} was put back as it was (its seal holds); {add_again}")
    if sealed:
        interrupted(f"stopped (Ctrl-C) {doing}; {root} keeps everything, but techsafe had started writing to it, "
                    f"so it no longer matches its seal and `techsafe analyze` will refuse it "
                    f"(`techsafe case verify {root}` lists what changed)", case=case, event="analyze.interrupted")
    if copying:
        interrupted(f"stopped (Ctrl-C) {doing}; {root} keeps what it held and what was copied so far; "
                    f"run `techsafe analyze {root}` to analyze that", case=case, event="analyze.interrupted")
    kept = f"the copy of {path} is kept in {root}" if fresh else f"{root} keeps what it held"
    interrupted(f"stopped (Ctrl-C) {doing}; {kept}; run `techsafe analyze {root}` to finish",
                case=case, event="analyze.interrupted")


def _roll_back(root: Path, before) -> bool:
    """Undo what an interrupted import added to a sealed case: its new files go,
    its append-only indexes are cut back to their sealed length. True when the
    case matches its seal again."""
    from techsafe.report.sign import verify_case

    sizes = {rel: size for rel, size, _ in before}
    kept_dirs = {parent.as_posix() for rel in sizes for parent in Path(rel).parents}
    for p in sorted(root.rglob("*"), reverse=True):  # children before their folders
        rel = p.relative_to(root).as_posix()
        try:
            if p.is_dir() and not p.is_symlink():
                if rel not in kept_dirs:
                    p.rmdir()
            elif rel not in sizes:
                p.unlink()
            elif rel.endswith(".jsonl") and p.stat().st_size > sizes[rel]:
                os.truncate(p, sizes[rel])
        except OSError:
            return False
    return verify_case(root).ok


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
