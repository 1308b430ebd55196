"""A cut-down copy of a feed never silently replaces the complete one."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner

from techsafe.cli import cli
from techsafe.signatures import store


def _cut_down(echap_dir: Path, dest: Path, apps: int) -> Path:
    """The shared Echap folder with only the first `apps` ioc.yaml entries (same VERSION, same samples.csv)."""
    shutil.copytree(echap_dir, dest)
    entries = yaml.safe_load((echap_dir / "ioc.yaml").read_text("utf-8"))
    assert len(entries) == 147
    (dest / "ioc.yaml").write_text(yaml.safe_dump(entries[:apps], sort_keys=False), "utf-8")
    return dest


def _import(*args: str):
    return CliRunner().invoke(cli, ["signatures", "import", *map(str, args)])


def test_cut_down_echap_folder_is_refused_unless_forced(echap_dir: Path, tmp_path: Path) -> None:
    assert _import(echap_dir).exit_code == 0
    (before,) = store.installed()[0]
    cut = _cut_down(echap_dir, tmp_path / "cut", 10)
    result = _import(cut)
    assert result.exit_code == 1
    assert result.output == (
        f"techsafe: {cut}: has 10 stalkerware apps, fewer than half of the 147 installed in 'echap' "
        "(truncated?); use --force to replace it anyway\n"
    )
    assert [f.info.sha256 for f in store.installed()[0]] == [before.info.sha256]
    forced = _import(cut, "--force")
    assert forced.exit_code == 0, forced.output
    assert "  10 stalkerware apps\n" in forced.output


def test_same_version_with_fewer_entries_is_refused(echap_dir: Path, tmp_path: Path) -> None:
    assert _import(echap_dir).exit_code == 0
    cut = _cut_down(echap_dir, tmp_path / "cut", 140)  # more than half, but the same VERSION with less data
    result = _import(cut)
    assert result.exit_code == 1
    version = (echap_dir / "VERSION").read_text().split()[0][:12]
    assert result.output.startswith(f"techsafe: {cut}: has ")
    assert f"installed in 'echap' under the same version {version} (truncated?); use --force" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_bigger_or_equal_feed_still_replaces(echap_dir: Path, tmp_path: Path) -> None:
    cut = _cut_down(echap_dir, tmp_path / "cut", 10)
    assert _import(cut).exit_code == 0  # nothing installed yet: nothing to compare with
    assert _import(echap_dir).exit_code == 0
    assert _import(echap_dir).exit_code == 0  # re-import of the same copy
