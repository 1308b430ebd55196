from __future__ import annotations

import pytest

from techsafe.case import Case


@pytest.fixture(autouse=True)
def _isolated(techsafe_home, monkeypatch):
    # Every iOS test: private TECHSAFE_HOME (pair records, feeds) and no usbmuxd from the environment.
    monkeypatch.delenv("USBMUXD_SOCKET_ADDRESS", raising=False)
    return techsafe_home


@pytest.fixture
def indicators():
    """The real indicator set: with an empty TECHSAFE_HOME, the bundled catalogue only."""
    from techsafe.signatures import load_indicators

    return load_indicators()


@pytest.fixture
def new_case(tmp_path):
    n = {"i": 0}

    def make() -> Case:
        n["i"] += 1
        return Case.create(tmp_path / f"case{n['i']}")

    return make
