"""Installed feeds on disk: atomic replacement, the index cache, speed, status."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from techsafe.cli import cli
from techsafe.signatures import FeedError, load_indicators
from techsafe.signatures import store
from techsafe.signatures.importer import import_path


def test_failed_import_keeps_previous_copy(echap_dir: Path, tmp_path: Path) -> None:
    good = import_path(echap_dir)
    truncated = tmp_path / "ioc.yaml"
    truncated.write_bytes((echap_dir / "ioc.yaml").read_bytes()[:20000])  # cut at a line: still valid YAML
    with pytest.raises(FeedError, match=r"fewer than half of the \d+ installed in 'echap' \(truncated\?\)"):
        import_path(truncated)
    feeds, problems = store.installed()
    assert [(f.info.name, f.info.sha256) for f in feeds] == [("echap", good.sha256)] and problems == []
    assert not [p for p in store.feeds_root().iterdir() if p.name.startswith(".")]  # no temp dirs left
    forced = import_path(truncated, force=True)
    assert forced.sha256 != good.sha256


def test_interrupted_swap_is_recovered(echap_dir: Path) -> None:
    good = import_path(echap_dir)
    root = store.feeds_root()
    os.rename(root / "echap", root / ".old-echap-1234abcd")  # crash between the two renames
    ind = load_indicators()
    assert [f.sha256 for f in ind.feeds if f.name == "echap"] == [good.sha256]


def test_cache_is_keyed_by_file_contents(echap_dir: Path) -> None:
    import_path(echap_dir)
    folder = store.feeds_root() / "echap"
    cached = json.loads((folder / "index.json").read_text())
    cached["key"] = "0" * 64  # stale cache: must be rebuilt, not trusted
    (folder / "index.json").write_text(json.dumps(cached))
    assert load_indicators().match_package("com.systemservice").name == "TheTruthSpy"
    assert json.loads((folder / "index.json").read_text())["key"] != "0" * 64
    # A feed file changed behind our back: left out, named in problems, scan goes on.
    with open(folder / "ioc.yaml", "ab") as fh:
        fh.write(b"\n- name: Injected\n  packages: [com.injected]\n")
    ind = load_indicators()
    assert ind.problems == ("feed 'echap': ioc.yaml changed since import; re-import it",)
    assert ind.match_package("com.injected") is None
    assert ind.match_package("com.systemservice").match.source == "techsafe-catalogue"


def test_load_is_fast_with_full_echap(echap_dir: Path, stix_dir: Path) -> None:
    import_path(echap_dir)
    import_path(stix_dir / "cytrox.stix2")
    load_indicators()  # warm imports
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        load_indicators()
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.150, timings


def test_status_warns_about_age(echap_dir: Path) -> None:
    import_path(echap_dir)
    ind = load_indicators()
    ok, message = ind.stalkerware_feed_status(now=dt.datetime(2026, 7, 1, tzinfo=dt.timezone.utc))
    assert ok and message == "The stalkerware feed 'echap' is 9 days old (data dated 2026-06-21)."
    ok, message = ind.stalkerware_feed_status(now=dt.datetime(2026, 12, 3, tzinfo=dt.timezone.utc))
    assert not ok and message.startswith("The stalkerware feed 'echap' is 164 days old (data dated 2026-06-21)")
    result = CliRunner().invoke(cli, ["signatures", "status"], env={"COLUMNS": "160"})
    assert result.exit_code == 0
    assert "echap" in result.output and "6555" in result.output and "techsafe-catalogue" in result.output
    assert ("Warning:" in result.output) == (dt.datetime.now(dt.timezone.utc) > dt.datetime(2026, 7, 21, 21, tzinfo=dt.timezone.utc))


def test_remove(echap_dir: Path) -> None:
    import_path(echap_dir)
    assert CliRunner().invoke(cli, ["signatures", "remove", "echap"]).exit_code == 0
    assert [f.kind for f in load_indicators().feeds] == ["catalogue"]
    result = CliRunner().invoke(cli, ["signatures", "remove", "echap"])
    assert result.exit_code == 1 and "no installed feed named 'echap'" in result.output


# --- domain matching: label boundaries only -------------------------------------
@pytest.fixture(scope="module")
def echap_set(shared: Path):
    return load_indicators([shared / "indicators" / "echap"], installed=False, catalogue=False)


def test_domain_label_boundaries(echap_set) -> None:
    assert echap_set.match_domain("copy9.com").match.value == "copy9.com"
    assert echap_set.match_domain("A.B.COPY9.COM.").match.value == "copy9.com"
    assert echap_set.match_domain("notevil-copy9.com") is None
    assert echap_set.match_domain("xcopy9.com") is None
    assert echap_set.match_domain("copy9.com.example.org") is None
    assert echap_set.match_domain("com") is None
    assert echap_set.match_domain("") is None and echap_set.match_domain("..") is None


label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(prefix=st.lists(label, min_size=1, max_size=4), glue=label)
def test_domain_property(echap_set, prefix: list[str], glue: str) -> None:
    sub = ".".join(prefix)
    assert echap_set.match_domain(f"{sub}.copy9.com").match.value == "copy9.com"
    # Letters glued to the front are not a label boundary.
    joined = f"{glue}copy9.com"
    hit = echap_set.match_domain(joined)
    assert hit is None or hit.match.value == joined
