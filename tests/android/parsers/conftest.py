"""Fixtures for the Android parser tests: every test gets an isolated
TECHSAFE_HOME, and the shared captures are checked to exist (a missing
../shared FAILS the tests through the `shared` fixture, never skips them)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated(techsafe_home, shared):
    return shared
