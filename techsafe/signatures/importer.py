"""`techsafe signatures import PATH`: read a feed from disk, validate, install.

PATH may be an Echap ioc.yaml or watchware.yaml, a folder holding them (then
samples.csv, rules.yar, network.csv and VERSION are taken too), or a STIX 2
bundle (.stix2 / .json). Nothing is installed unless the whole feed parses.
"""

from __future__ import annotations

import re
from pathlib import Path

from techsafe.signatures import store
from techsafe.signatures.echap import ALL_FILES, YAML_FILES, looks_like_echap_yaml, role_of
from techsafe.signatures.index import ParsedFeed
from techsafe.signatures.records import FeedError, FeedInfo
from techsafe.signatures.safeyaml import load_yaml

MAX_FILE_BYTES = 64 * 1024 * 1024  # the real Echap files are < 1 MB together


def read_capped(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise FeedError(f"{path}: cannot read ({exc.strerror or exc.__class__.__name__})") from None
    if len(data) > limit:
        raise FeedError(f"{path}: larger than {limit // (1024 * 1024)} MB, refusing to read it")
    return data


def collect(path: Path) -> tuple[str, str, dict[str, bytes]]:
    """(kind, default feed name, files) for PATH, without installing anything."""
    if path.is_dir():
        files: dict[str, bytes] = {}
        for filename in ALL_FILES:
            for candidate in (path / filename, path / "generated" / filename):  # upstream repo layout
                if candidate.is_file():
                    files[filename] = read_capped(candidate)
                    break
        if not any(n in files for n in YAML_FILES):
            raise FeedError(f"{path}: no ioc.yaml or watchware.yaml in this folder")
        return "echap", "echap", files
    if not path.is_file():
        raise FeedError(f"{path}: no such file or folder")
    data = read_capped(path)
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        if path.suffix.lower() in (".yaml", ".yml"):
            pass  # JSON is valid YAML too: an Echap file written as JSON still counts as Echap
        else:
            return "stix2", "stix2-" + _slug(path.name.split(".")[0]), {_slug(path.name): data}
    if path.name in YAML_FILES:
        role = path.name
    else:
        try:
            doc = load_yaml(data, str(path))
        except FeedError:
            doc = None
        if not looks_like_echap_yaml(doc):
            raise FeedError(f"{path}: neither an Echap ioc.yaml/watchware.yaml nor a STIX 2 bundle")
        role = role_of(doc)
    return "echap", ("echap" if role == "ioc.yaml" else "echap-watchware"), {role: data}


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-.") or "feed"
    return slug[:48]


def parse_path(path: Path) -> tuple[str, str, dict[str, bytes], ParsedFeed]:
    kind, name, files = collect(path)
    try:
        parsed = store.parse_files(kind, files)
    except FeedError as exc:
        raise FeedError(_name_the_file(str(exc), path, files)) from None
    return kind, name, files, parsed


def _name_the_file(message: str, path: Path, files: dict[str, bytes]) -> str:
    """Parsers name the feed file ('ioc.yaml: ...'); the user needs the path they gave."""
    for filename in files:
        if message.startswith(filename + ":"):
            where = path / filename if path.is_dir() else path
            return f"{where}:{message[len(filename) + 1:]}"
    return f"{path}: {message}"


def import_path(path: Path, name: str | None = None, force: bool = False) -> FeedInfo:
    """Validate PATH completely, then install it as feed `name`. FeedError on any problem."""
    path = Path(path)
    kind, default_name, files, parsed = parse_path(path)
    name = store.check_name(name or default_name)
    check_not_shrunk(name, parsed, force=force, what=str(path))
    return store.install(name, kind, files, parsed, source=str(path.resolve()))


# Counts compared with the installed copy: the total, and the app/family lists
# (a cut-down ioc.yaml beside the full samples.csv keeps the total high).
SHRINK_KEYS: tuple[str, ...] = ("indicators", "stalkerware_apps", "watchware_apps", "families")


def shrink_problem(installed: FeedInfo, parsed: ParsedFeed) -> str | None:
    """Why `parsed` looks like a truncated copy of `installed`, or None.

    Refused: fewer than half of any count in SHRINK_KEYS, or the same version
    label with fewer entries in any of them (same version means same data)."""
    same_version = bool(parsed.version) and parsed.version == installed.version
    pairs = [(k.replace("_", " "), installed.counts.get(k, 0), parsed.counts.get(k, 0)) for k in SHRINK_KEYS]
    for label, before, after in pairs:
        if before and after * 2 < before:
            return f"has {after} {label}, fewer than half of the {before} installed in '{installed.name}'"
    for label, before, after in pairs:
        if same_version and after < before:
            return (
                f"has {after} {label}, fewer than the {before} installed in '{installed.name}' "
                f"under the same version {parsed.version[:12]}"
            )
    return None


def check_not_shrunk(name: str, parsed: ParsedFeed, force: bool, what: str) -> None:
    """Refuse a feed that looks like a truncated copy of the installed one
    (see shrink_problem), unless forced. Used by import and update alike."""
    if force:
        return
    feeds, _ = store.installed()
    for feed in feeds:
        if feed.info.name == name:
            problem = shrink_problem(feed.info, parsed)
            if problem:
                raise FeedError(f"{what}: {problem} (truncated?); use --force to replace it anyway")
