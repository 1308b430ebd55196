"""Playbooks: every registered finding kind has a dedicated, valid guide, and
terminal, Markdown and HTML are rendered from the same source."""

from __future__ import annotations

import re

import pytest

from techsafe.checks import registered_kinds
from techsafe.playbooks import (
    PlaybookError,
    has_dedicated_playbook,
    load_all,
    load_playbook,
    parse_playbook,
    playbook_dir,
    render_html,
    render_markdown,
    render_text,
)

ALL = load_all()


def test_every_registered_kind_has_a_dedicated_playbook():
    kinds = registered_kinds()
    assert "android.app.stalkerware" in kinds  # the registry really loaded
    missing = sorted(k for k in kinds if not has_dedicated_playbook(k))
    assert missing == [], f"write playbooks/<kind>.yaml for: {missing}"


@pytest.mark.parametrize("pid", sorted(ALL))
def test_playbook_content_rules(pid):
    pb = ALL[pid]
    assert pb.safety[0].startswith("Changing or removing this may alert")  # shared safety first
    assert any("advocate" in s for s in pb.safety)
    assert pb.document_first[0].startswith("Keep the techsafe evidence report")
    assert pb.variants and all(v.steps for v in pb.variants)
    for v in pb.variants:
        for step in v.steps:
            assert not step.abuser_may_notice or step.notice_note
    raw = (playbook_dir() / f"{pid}.yaml").read_text("utf-8")
    # no network resources, no links that would send app ids anywhere
    assert not re.search(r"https?://|www\.|\.com/|search\?q=", raw), pid
    # plain language: short sentences
    for sentence in re.split(r"(?<=[.!?])\s+", " ".join(_all_text(pb))):
        assert len(sentence.split()) <= 45, (pid, sentence)


def test_samsung_and_pixel_variants_where_menus_differ():
    for pid in ("android.app.stalkerware", "android.accessibility.enabled", "android.device_admin.active",
                "android.notification_listener", "android.profile_owner"):  # fmt: skip
        names = " ".join(v.applies_to for v in ALL[pid].variants)
        assert "Pixel" in names and "Samsung" in names, pid


def test_fallback_to_family():
    assert load_playbook("android.app.stalkerware").id == "android.app.stalkerware"
    assert load_playbook("android.app.new_kind").id == "android.app"
    assert load_playbook("android.something").id == "android"
    assert load_playbook("satellite.thing").id == "general"
    with pytest.raises(PlaybookError, match="not a finding kind"):
        load_playbook("../../etc/passwd")


def test_three_renderings_from_one_source():
    pb = load_playbook("android.app.stalkerware")
    text, md, html = render_text(pb, width=200), render_markdown(pb), render_html(pb)
    for out in (text, md, html):
        assert out.index("Safety first") < out.index("Document first") < out.index("Steps:") < out.index("Check it worked")
    import html as htmllib

    plain_html = htmllib.unescape(re.sub(r"<[^>]+>", " ", html))
    for v in pb.variants:
        for step in v.steps:
            assert step.text in " ".join(text.split())
            assert step.text in " ".join(plain_html.split())
    notices = sum(s.abuser_may_notice for v in pb.variants for s in v.steps)
    assert md.count("**The abuser may notice:**") == notices
    assert html.count('class="notice"') == notices
    assert text.count("⚠ The abuser may notice") == notices


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("safety"), "missing 'safety'"),
        (lambda d: d["variants"][0]["steps"][0].pop("abuser_may_notice"), "'abuser_may_notice' must be true or false"),
        (lambda d: d["variants"][0]["steps"][0].update(abuser_may_notice=True, notice_note=""), "say how the abuser could notice"),
        (lambda d: d.update(extra=1), "unknown key 'extra'"),
        (lambda d: d.update(id="android.other"), "must be a kind and match the file name"),
        (lambda d: d.update(variants=[]), "needs at least one set of steps"),
    ],
)
def test_schema_errors_are_one_line_and_name_the_file(mutate, message, tmp_path):
    import yaml

    path = playbook_dir() / "android.usb_debugging.enabled.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    mutate(data)
    with pytest.raises(PlaybookError) as exc:
        parse_playbook(data, path)
    assert str(exc.value).startswith(f"{path}: ") and message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_broken_yaml_file_is_a_clear_error(tmp_path):
    (tmp_path / "general.yaml").write_text("schema: [unclosed\n")
    with pytest.raises(PlaybookError, match=r"general\.yaml: not valid YAML"):
        load_playbook("x.y", directory=tmp_path)


def test_cli_shows_a_playbook(techsafe_home):
    from click.testing import CliRunner

    from techsafe.cli import cli

    r = CliRunner().invoke(cli, ["playbook", "android.usb_debugging.enabled", "--format", "md"])
    assert r.exit_code == 0 and r.output.startswith("# USB debugging is turned on\n")
    r = CliRunner().invoke(cli, ["playbook", "android.app.unknown_kind"])  # neither registered nor a file
    assert r.exit_code == 1 and r.output.startswith("techsafe: no guide for 'android.app.unknown_kind': not a known finding kind; ")
    r = CliRunner().invoke(cli, ["playbook", "a/b"])
    assert r.exit_code == 1 and "not a known finding kind" in r.output
    r = CliRunner().invoke(cli, ["playbook", "--list"])
    assert r.exit_code == 0 and "android.app.stalkerware" in r.output
    r = CliRunner().invoke(cli, ["playbook", "android.device_owner", "--format", "html"])
    assert r.exit_code == 0 and r.output.startswith("<!DOCTYPE html>") and "default-src 'none'" in r.output


def _all_text(pb):
    yield pb.summary
    for group in (pb.what_it_lets_them_do, pb.safety, pb.options_besides_removal, pb.document_first,
                  pb.check_it_worked, pb.if_not_found):  # fmt: skip
        yield from group
    for v in pb.variants:
        for s in v.steps:
            yield s.text
            yield s.notice_note
