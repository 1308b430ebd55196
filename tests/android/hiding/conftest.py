"""Fixtures for the issue-3 (part 2) tests: isolated TECHSAFE_HOME and the
shared captures (a missing ../shared FAILS through the `shared` fixture)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated(techsafe_home, shared):
    return shared
