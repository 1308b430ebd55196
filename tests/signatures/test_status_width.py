"""`techsafe signatures status` fits an 80-column terminal without cutting anything off."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from techsafe.cli import cli
from techsafe.signatures.importer import import_path


def test_status_fits_80_columns_and_cuts_nothing(echap_dir: Path, stix_dir: Path) -> None:
    echap = import_path(echap_dir)
    import_path(stix_dir / "otx-pulse.stix2.json")
    result = CliRunner(env={"COLUMNS": "80"}).invoke(cli, ["signatures", "status"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in result.output
    table = result.output[: result.output.index("Warning")] if "Warning" in result.output else result.output
    for word in ("echap", "a04c5c1958bf", "6555", echap.sha256[:8], "catalogue", "2026.12.0", "built in"):
        assert word in table
    # a long feed name may wrap inside its cell, but every letter is there, in order
    first_cells = "".join(line.split("  ")[0].strip() for line in lines if line.startswith(" ") and "  " in line)
    assert "techsafe-catalogue" in first_cells and "stix2-otx-pulse" in first_cells
