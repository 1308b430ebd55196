"""Fixtures for the network scanner tests."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


@pytest.fixture(scope="session")
def shared() -> Path:
    # Fail, never skip: the tests are meant to run against the real feeds.
    assert (SHARED / "indicators" / "echap" / "ioc.yaml").is_file(), f"shared data missing at {SHARED}"
    return SHARED.resolve()


@pytest.fixture(autouse=True)
def techsafe_home(tmp_path_factory, monkeypatch) -> Path:
    home = tmp_path_factory.mktemp("techsafe-home")
    monkeypatch.setenv("TECHSAFE_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def echap(shared):
    """The real Echap feed from shared/, parsed in memory (not installed)."""
    from techsafe.signatures import load_indicators

    return load_indicators([shared / "indicators" / "echap"], installed=False, catalogue=False)
