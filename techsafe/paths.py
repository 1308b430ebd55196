"""Where techsafe keeps its own files on the laptop.

TECHSAFE_HOME overrides everything (tests, portable installs on an encrypted
stick); otherwise the platform's per-user folders via platformdirs.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _home() -> Path | None:
    value = os.environ.get("TECHSAFE_HOME")
    return Path(value) if value else None


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def config_dir() -> Path:
    """Keys and settings (0700)."""
    home = _home()
    if home:
        return _ensure(home / "config")
    import platformdirs

    return _ensure(Path(platformdirs.user_config_dir("techsafe")))


def data_dir() -> Path:
    """Imported indicator feeds and other downloaded data."""
    home = _home()
    if home:
        return _ensure(home / "data")
    import platformdirs

    return _ensure(Path(platformdirs.user_data_dir("techsafe")))


def resource_dir(name: str) -> Path:
    """A folder shipped with techsafe: signatures, playbooks, fixtures/devices.

    In a wheel they are packaged under techsafe/_data/; in a source checkout
    (editable install, tests) they sit at the repository root.
    """
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / name
