"""A feed that labels the phone's own system apps as stalkerware is refused
(import, update, re-read), and the stale-feed warning is about the Echap feed
whatever else is installed."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from techsafe.cli import cli
from techsafe.signatures import FeedError, load_indicators
from techsafe.signatures import store
from techsafe.signatures.importer import import_path
from techsafe.signatures.validation import core_platform_app

EVIL = "- name: Evil Monitor\n  type: stalkerware\n  packages:\n  - com.evil.monitor\n  - {package}\n"


def _write(folder: Path, filename: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / filename).write_text(text)
    return folder / filename


@pytest.mark.parametrize(
    "package",
    ["com.android.systemui", "com.google.android.gms", "android", "com.android.vending", "com.android.providers.telephony"],
)
def test_import_refuses_stalkerware_entry_naming_a_core_android_app(tmp_path: Path, package: str) -> None:
    path = _write(tmp_path / "feed", "ioc.yaml", EVIL.format(package=package))
    result = CliRunner().invoke(cli, ["signatures", "import", str(path)])
    assert result.exit_code == 1
    assert result.output == (
        f"techsafe: {path}: stalkerware entry 'Evil Monitor' lists {package}, a core Android system app; "
        "refusing to import this feed (it would report the phone's own system as spying)\n"
    )
    assert store.installed() == ([], [])


def test_refusal_names_the_file_inside_a_folder(tmp_path: Path, echap_dir: Path) -> None:
    folder = tmp_path / "echap"
    shutil.copytree(echap_dir, folder)
    (folder / "watchware.yaml").write_text(
        (echap_dir / "watchware.yaml").read_text() + "\n- name: Fake Safari\n  type: watchware\n  ios_bundles:\n  - com.apple.mobilesafari\n"
    )
    with pytest.raises(FeedError) as exc:
        import_path(folder)
    assert str(exc.value) == (
        f"{folder / 'watchware.yaml'}: watchware entry 'Fake Safari' lists com.apple.mobilesafari, a core iOS system app; "
        "refusing to import this feed (it would report the phone's own system as spying)"
    )
    assert store.installed() == ([], [])


def test_extra_feed_paths_are_validated_too(tmp_path: Path) -> None:
    path = _write(tmp_path / "feed", "ioc.yaml", EVIL.format(package="com.android.systemui"))
    with pytest.raises(FeedError, match=r"ioc\.yaml: stalkerware entry 'Evil Monitor' lists com\.android\.systemui"):
        load_indicators([path], installed=False)


def test_ordinary_apps_with_platform_like_names_are_accepted(tmp_path: Path) -> None:
    # Real stalkerware hides behind system-looking names; only the platform's own ids are refused.
    path = _write(tmp_path / "feed", "ioc.yaml", EVIL.format(package="com.android.systemui.update"))
    info = import_path(path, name="clinic")
    assert info.counts["stalkerware_packages"] == 2
    assert load_indicators().match_package("com.android.systemui.update").category == "stalkerware"
    assert load_indicators().match_package("com.android.systemui") is None


def test_core_platform_list() -> None:
    assert core_platform_app("package", "com.google.android.gsf") == "Android"
    assert core_platform_app("package", "com.android.providers.contacts") == "Android"
    assert core_platform_app("bundle", "com.apple.preferences") == "iOS"
    assert core_platform_app("package", "com.android.systemuix") is None
    assert core_platform_app("package", "com.apple.android.music") is None  # an Android app, not iOS itself
    assert core_platform_app("bundle", "com.life360.safetymap") is None


def test_the_real_feeds_pass(echap_dir: Path, stix_dir: Path) -> None:
    assert import_path(echap_dir).counts["stalkerware_packages"] == 613
    assert import_path(stix_dir / "cytrox.stix2").kind == "stix2"


def _fresh_clinic_feed(tmp_path: Path) -> Path:
    folder = tmp_path / "clinic"
    _write(folder, "ioc.yaml", EVIL.format(package="com.evil.helper"))
    _write(folder, "VERSION", "0123456789abcdef0123456789abcdef01234567 Tue Dec 1 10:00:00 2026 +0000\n")
    return folder


def test_stale_echap_warns_even_when_a_fresher_stalkerware_feed_is_installed(tmp_path: Path, echap_dir: Path) -> None:
    import_path(echap_dir)  # data dated 2026-06-21
    import_path(_fresh_clinic_feed(tmp_path), name="clinic")  # data dated 2026-12-01
    ok, message = load_indicators().stalkerware_feed_status(now=dt.datetime(2026, 12, 3, tzinfo=dt.timezone.utc))
    assert not ok
    assert message == (
        "The stalkerware feed 'echap' is 164 days old (data dated 2026-06-21); apps added since then will be missed. "
        "Run `techsafe signatures update`."
    )


def test_missing_echap_warns_even_when_another_stalkerware_feed_is_installed(tmp_path: Path) -> None:
    import_path(_fresh_clinic_feed(tmp_path), name="clinic")
    ok, message = load_indicators().stalkerware_feed_status(now=dt.datetime(2026, 12, 3, tzinfo=dt.timezone.utc))
    assert not ok
    assert message == (
        "The Echap stalkerware feed is not installed (the other feeds, clinic, do not replace its list of stalkerware "
        "apps), so lesser-known stalkerware will be missed. "
        "Run `techsafe signatures update` (needs internet) or `techsafe signatures import FOLDER`."
    )
