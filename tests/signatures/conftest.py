"""Fixtures for the signatures tests: the shared real data and a private TECHSAFE_HOME."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


@pytest.fixture(scope="session")
def shared() -> Path:
    # Fail, never skip: these tests exist to run against third-party data.
    assert (SHARED / "indicators" / "echap" / "ioc.yaml").is_file(), f"shared data missing at {SHARED.resolve()}"
    return SHARED.resolve()


@pytest.fixture
def echap_dir(shared: Path) -> Path:
    return shared / "indicators" / "echap"


@pytest.fixture
def stix_dir(shared: Path) -> Path:
    return shared / "indicators" / "stix2"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own techsafe home: nothing touches the real data dir."""
    home = tmp_path / "techsafe-home"
    monkeypatch.setenv("TECHSAFE_HOME", str(home))
    monkeypatch.delenv("TECHSAFE_CA_BUNDLE", raising=False)
    return home
