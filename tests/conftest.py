"""Fixtures shared by every test: the real-data folder, an isolated
TECHSAFE_HOME, and simulated Android phones on a private real adb server."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()


@pytest.fixture(scope="session")
def shared() -> Path:
    """../shared (third-party real data). Missing data is a failure, never a skip."""
    if not (SHARED / "README.md").is_file():
        pytest.fail(f"shared test data not found at {SHARED} (expected ../shared beside the repo)")
    return SHARED


@pytest.fixture(autouse=True)
def techsafe_home(tmp_path, monkeypatch) -> Path:
    """Every test gets its own keys, feeds and ledgers: none touches the real user's."""
    home = tmp_path / "techsafe-home"
    home.mkdir()
    monkeypatch.setenv("TECHSAFE_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def adb_server(tmp_path_factory):
    """One private real adb server (bundled adb binary) for the whole session,
    on a free port with its own HOME; killed at the end."""
    from techsafe.simulate.harness import AdbServer

    server = AdbServer(home=tmp_path_factory.mktemp("adb-home"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def simulated_phone(adb_server):
    """Factory: `phone = simulated_phone(profile, **faults)` -> a connected
    SimulatedPhone (state `device` unless wait=False); stopped after the test."""
    from techsafe.simulate.harness import SimulatedPhone

    phones = []

    def start(profile, **kwargs):
        phone = SimulatedPhone(profile, adb_server=adb_server, **kwargs)
        phones.append(phone)
        return phone.start()

    yield start
    for phone in phones:
        phone.stop()
