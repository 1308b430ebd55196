"""`techsafe playbook KIND`: an unknown kind is an error with suggestions, never
a silent general guide; a registered kind without its own file says which
family guide it shows."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from techsafe.cli import cli


@pytest.fixture
def run(techsafe_home):
    def invoke(*args: str):
        return CliRunner(env={"COLUMNS": "300"}).invoke(cli, ["playbook", *args], catch_exceptions=False)

    return invoke


def test_unknown_kind_fails_with_close_matches(run):
    result = run("stalkerware")
    assert result.exit_code == 1
    assert result.stdout == ""  # no guide shown
    assert result.stderr == (
        "techsafe: no guide for 'stalkerware': not a known finding kind; "
        "did you mean android.app.stalkerware, ios.app.stalkerware?\n"
    )


def test_misspelt_kind_suggests_the_right_one_first(run):
    result = run("android.app.stalkerwre")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        "techsafe: no guide for 'android.app.stalkerwre': not a known finding kind; did you mean android.app.stalkerware, "
    )


def test_unknown_kind_without_close_match(run):
    result = run("zzzz.qqqq")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "techsafe: no guide for 'zzzz.qqqq': not a known finding kind; see `techsafe playbook --list`.\n"
    )


def test_known_kind_shows_its_own_guide(run):
    result = run("android.app.stalkerware", "--format", "md")
    assert result.exit_code == 0
    assert result.stdout.startswith("# Stalkerware is installed on this phone\n")
    assert result.stderr == ""


def test_registered_kind_without_a_file_falls_back_to_its_family_and_says_so(run, monkeypatch):
    from techsafe import checks

    real = checks.registered_kinds
    monkeypatch.setattr(checks, "registered_kinds", lambda: real() | {"android.app.brand_new_check"})
    result = run("android.app.brand_new_check", "--format", "md")
    assert result.exit_code == 0
    assert result.stderr == (
        "No dedicated guide for android.app.brand_new_check yet; showing the guide for its family (android.app).\n"
    )
    family = run("android.app", "--format", "md")
    assert family.exit_code == 0 and family.stderr == ""
    assert result.stdout == family.stdout


def test_a_very_long_unknown_kind_is_not_echoed_in_full(run):
    kind = "x" * 5000
    result = run(kind)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (
        f"techsafe: no guide for '{'x' * 60}\u2026 (5000 characters)': not a known finding kind; "
        "see `techsafe playbook --list`.\n"
    )


@pytest.mark.parametrize("kind", ["Android.App.Stalkerware", "ANDROID.APP.STALKERWARE", " android.app.stalkerware "])
def test_kind_lookup_is_case_insensitive(run, kind):
    result = run(kind, "--format", "md")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# Stalkerware is installed on this phone\n")
