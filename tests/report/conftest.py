"""Fixtures for the report tests (helpers live in report_case.py)."""

from __future__ import annotations

import hashlib

import pytest
from report_case import PERSONAL, HOSTILE_TITLE, echap_stalkerware  # noqa: F401

from techsafe.case import Case
from techsafe.model import Analysis, Evidence, Finding, IndicatorMatch, NotChecked, Severity, TimelineEvent


@pytest.fixture
def sample_analysis(shared) -> Analysis:
    app, package, version = echap_stalkerware(shared)
    return Analysis(
        findings=(
            Finding(
                "android.app.stalkerware",
                Severity.CRITICAL,
                f"The stalkerware app {app} is installed: it can send messages, location and photos to someone else.",
                package,
                (
                    Evidence("artifacts/android/packages.txt", f"package:/data/app/{package}-1/base.apk={package} installer=null", 12),
                    Evidence("artifacts/android/dumpsys_account.txt", f"Account {{name={PERSONAL['account']}, type=com.whatsapp}}", 2),
                    Evidence("artifacts/android/getprop.txt", f"[ro.serialno]: [{PERSONAL['serial']}]", 2),
                ),
                IndicatorMatch("echap", version, app, "package", package),
                facts=(("installer", "none (sideloaded)"), ("first_install", "2024-02-03 10:11:12")),
            ),
            Finding(
                "android.accessibility.enabled",
                Severity.HIGH,
                f"{app} can read everything on the screen (accessibility service on).",
                f"{package}/.AccessService",
                (Evidence("artifacts/android/dumpsys_accessibility.txt", f"Enabled services:{{{{{package}/.AccessService}}}}", 9),),
            ),
            Finding(
                "android.device_admin.active",
                Severity.HIGH,
                f"{app} has device admin rights: it can stop itself being uninstalled.",
                f"{package}/.AdminReceiver",
                (Evidence("artifacts/android/dumpsys_device_policy.txt", f"admin={package}/.AdminReceiver", 4),),
            ),
            Finding(
                "android.app.sideloaded",
                Severity.MEDIUM,
                HOSTILE_TITLE,
                "org.example.<b>bold</b>",
                (Evidence("artifacts/android/packages.txt", "package:/data/app/x/base.apk=org.example installer=null", 30),),
            ),
            Finding(
                "android.usb_debugging.enabled",
                Severity.LOW,
                "USB debugging is on.",
                "adb_enabled",
                (Evidence("artifacts/android/settings_global.txt", "adb_enabled=1", 3),),
            ),
        ),
        not_checked=(
            NotChecked("android.notification_listeners", "the phone refused `dumpsys notification`", "artifacts/android/dumpsys_notification.txt"),
        ),
        device=(
            ("model", "SM-G991B"),
            ("android_version", "13"),
            ("serial", PERSONAL["serial"]),
            ("imei", PERSONAL["imei"]),
            ("phone_number", PERSONAL["phone"]),
            ("accounts", f"{PERSONAL['email']} (com.google), {PERSONAL['account']} (com.whatsapp)"),
            ("wifi_ssid", PERSONAL["wifi"]),
            ("sim_iccid", PERSONAL["iccid"]),
            ("device_name", PERSONAL["device_name"]),
        ),
        timeline=(
            TimelineEvent("2024-02-03T10:11:12Z", "installed", package, f"stalkerware {app}"),
            TimelineEvent("2024-02-04T08:00:00Z", "updated", package, "version 7.2"),
            TimelineEvent("2024-02-05T09:30:00Z", "contacted", "=HYPERLINK(\"http://evil\")", "formula in a device string"),
            TimelineEvent("2024-03-01T12:00:00Z", "seen", "wifi", f"joined {PERSONAL['wifi']}; call from {PERSONAL['phone_local']}"),
        ),
        checked=("android.apps.signatures", "android.accessibility", "android.device_admin", "android.usb_debugging"),
    )


@pytest.fixture
def sample_case(tmp_path, techsafe_home, shared, sample_analysis) -> Case:
    """A sealed case as a scan leaves it."""
    from techsafe.report.sign import seal_case

    case = Case.create(tmp_path / "case-test", operator="caseworker-7")
    accessibility = (shared / "captures/android/spytrap-adb/accessibility/plain.txt").read_bytes()
    case.add_artifact("android", "dumpsys_accessibility.txt", accessibility, command="dumpsys accessibility")
    getprop = (
        f"[ro.product.model]: [SM-G991B]\n[ro.serialno]: [{PERSONAL['serial']}]\n"
        f"[persist.sys.device_name]: [{PERSONAL['device_name']}]\n"
    ).encode()
    case.add_artifact("android", "getprop.txt", getprop, command="getprop")
    accounts = f"Accounts: 2\n  Account {{name={PERSONAL['account']}, type=com.whatsapp}}\n".encode()
    case.add_artifact("android", "dumpsys_account.txt", accounts, command="dumpsys account")
    ioc = (shared / "indicators/echap/ioc.yaml").read_bytes()
    case.update_info(
        signature_sources=[
            {"name": "echap", "version": echap_stalkerware(shared)[2], "sha256": hashlib.sha256(ioc).hexdigest(), "entries": 147}
        ]
    )
    case.write_findings(sample_analysis)
    seal_case(case)
    return case


@pytest.fixture
def run_cli():
    """Invoke the real click CLI in-process; returns the click Result."""
    from click.testing import CliRunner

    from techsafe.cli import cli

    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

    return run
