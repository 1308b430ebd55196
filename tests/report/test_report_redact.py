"""--redact: no planted personal value survives in any format, and every
format uses the same token for the same value."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from report_case import PERSONAL

from techsafe.report.redact import Redactor

FORMATS = ("html", "md", "json", "csv")


@pytest.fixture
def redacted(sample_case, run_cli, tmp_path) -> dict[str, str]:
    out = {}
    for fmt in FORMATS:
        path = tmp_path / f"r.{fmt}"
        result = run_cli("report", sample_case.root, "--format", fmt, "--redact", "-o", path)
        assert result.exit_code == 0, result.output
        out[fmt] = path.read_text("utf-8")
    return out


def test_no_personal_value_left_in_any_format(redacted):
    for fmt, text in redacted.items():
        for what, value in PERSONAL.items():
            variants = {value, value.replace(" ", ""), value.replace("'", "&#39;")}
            for v in variants:
                assert v not in text, f"{what} left in {fmt}"


def test_same_value_same_token_in_every_format(redacted):
    report = json.loads(redacted["json"])
    assert report["redacted"] is True
    device = {d["name"]: d["value"] for d in report["device"]}
    assert device["model"] == "SM-G991B"  # not personal: kept
    assert device["serial"] == "[serial-1]"
    assert device["imei"] == "[imei-1]"
    assert device["wifi_ssid"] == "[wifi-1]"
    assert device["sim_iccid"] == "[iccid-1]"
    assert re.fullmatch(r"\[email-1\] \(com\.google\), \[account-\d\] \(com\.whatsapp\)", device["accounts"])
    account_token = re.search(r"\[account-\d\]", device["accounts"]).group(0)
    stalker = report["findings"][0]
    excerpts = [e["excerpt"] for e in stalker["evidence"]]
    assert f"Account {{name={account_token}, type=com.whatsapp}}" in excerpts
    assert "[ro.serialno]: [[serial-1]]" in excerpts
    # the timeline detail names the Wi-Fi and a phone number
    detail = report["timeline"][-1]["detail"]
    assert detail.startswith("joined [wifi-1]; call from [phone-")
    # Markdown escapes brackets (no accidental links); rendered, it reads the same.
    shown = {fmt: text.replace("\\[", "[").replace("\\]", "]") for fmt, text in redacted.items()}
    for fmt in ("html", "md", "csv"):
        assert "[wifi-1]" in shown[fmt]
    for fmt in ("html", "md"):
        for token in ("[serial-1]", "[imei-1]", "[iccid-1]", "[email-1]", account_token):
            assert token in shown[fmt], (token, fmt)
    assert "Redacted copy" in redacted["html"] and "Redacted copy" in redacted["md"]


def test_evidence_that_is_not_personal_is_kept(redacted):
    report = json.loads(redacted["json"])
    assert report["signing"]["public_key"].startswith("ed25519:")
    assert all(len(a["sha256"]) == 64 for a in report["artifacts"])
    assert report["findings"][0]["indicator"]["value"] == report["findings"][0]["subject"]
    assert report["timeline"][0]["time"] == "2024-02-03T10:11:12Z"
    assert "first_install" in json.dumps(report) and "2024-02-03 10:11:12" in json.dumps(report)


@pytest.mark.parametrize(
    "text",
    [
        "firstInstallTime=2024-02-03 10:11:12",
        "versionCode=1700000000000 lastUpdate=1712345678",
        "ip 192.168.100.200 port 8080",
        "sha256 3f1234567890abcdef0123456789abcdef0123456789abcdef0123456789abcd",
        "Android 13, One UI 5.1, build TP1A.220624.014",
        "uid 10234 pid 4521",
    ],
)
def test_ordinary_numbers_are_not_redacted(text):
    assert Redactor().text(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call +1 415-555-0132 now", "call [phone-1] now"),
        ("tel:(020) 7946 0958", "tel:[phone-1]"),
        ("number 07700900123", "number [phone-1]"),
        ("IMEI 35-209900-176148-1", "IMEI [imei-1]"),
        ("imei=490154203237518", "imei=[imei-1]"),
        ("iccid 89441000301234567890", "iccid [iccid-1]"),
        ("Mail To: Someone.Else+tag@mail.example.org", "Mail To: [email-1]"),
    ],
)
def test_personal_shapes_are_redacted(text, expected):
    assert Redactor().text(text) == expected


# --- the demo phones, end to end: scan, then report --redact in every format -----------
ANDROID_PERSONAL = ("2A281FDH2004QC", "alex.demo.7734@gmail.com")  # serial, Google account
IOS_NAME = "Jane's iPhone"
IOS_UDID = "00008110-001A2B3C4D5E601E"
PROFILE_UUID = "A1B2C3D4-0000-4000-8000-5AFE0A7C0001"  # the demo's provisioning profile


@pytest.fixture
def demo_reports(run_cli, techsafe_home, tmp_path, monkeypatch):
    """platform -> (case id, {format: redacted text}, unredacted JSON report)."""
    from techsafe import paths

    # The iOS demo phone, renamed the way survivors' phones usually are named.
    devices = tmp_path / "devices"
    real = paths.resource_dir("fixtures/devices")
    shutil.copytree(real / "android14-demo", devices / "android14-demo")
    shutil.copytree(real / "ios17-demo", devices / "ios17-demo")
    profile = devices / "ios17-demo" / "profile.yaml"
    profile.write_text(profile.read_text("utf-8").replace("DeviceName: Demo iPhone", f'DeviceName: "{IOS_NAME}"'), "utf-8")
    original = paths.resource_dir
    monkeypatch.setattr(paths, "resource_dir", lambda name: devices if name == "fixtures/devices" else original(name))

    out = {}
    for platform in ("android", "ios"):
        monkeypatch.chdir(tmp_path / "devices")  # demo writes ./cases/demo-<time>-<id>/, an id full of digits
        before = set(Path("cases").glob("demo-*"))
        result = run_cli("demo", platform)
        assert result.exit_code == 0, result.output
        (case,) = set(Path("cases").glob("demo-*")) - before
        case = case.resolve()
        case_id = json.loads((case / "case.json").read_text("utf-8"))["case_id"]
        texts = {}
        for fmt in FORMATS:
            path = tmp_path / f"{platform}.{fmt}"
            result = run_cli("report", case, "--format", fmt, "--redact", "-o", path)
            assert result.exit_code == 0, result.output
            texts[fmt] = path.read_text("utf-8")
        plain = tmp_path / f"{platform}-plain.json"
        assert run_cli("report", case, "--format", "json", "-o", plain).exit_code == 0
        out[platform] = (case_id, texts, json.loads(plain.read_text("utf-8")))
    return out


def _variants(value: str) -> set[str]:
    return {value, value.replace("'", "&#39;"), value.replace("'", "&#x27;"), value.replace("'", "\\'")}


def test_demo_cases_keep_no_personal_value_in_any_format(demo_reports):
    case_id, texts, plain = demo_reports["ios"]
    device = {d["name"]: d["value"] for d in plain["device"]}
    assert (device["name"], device["udid"]) == (IOS_NAME, IOS_UDID)  # really in the unredacted report
    personal = {"android": ANDROID_PERSONAL, "ios": (IOS_NAME, IOS_UDID)}
    for platform, values in personal.items():
        for fmt, text in demo_reports[platform][1].items():
            for value in values:
                for v in _variants(value):
                    assert v not in text, (platform, fmt, value)


def test_demo_cases_same_token_for_the_same_value(demo_reports):
    _, texts, _ = demo_reports["ios"]
    report = json.loads(texts["json"])
    device = {d["name"]: d["value"] for d in report["device"]}
    assert (device["name"], device["udid"]) == ("[device-name-1]", "[udid-1]")
    assert (device["model"], device["ios_version"], device["apps_user"]) == ("iPhone14,5", "17.4.1", "24")
    shown = {fmt: text.replace("\\[", "[").replace("\\]", "]").replace("\\-", "-") for fmt, text in texts.items()}
    for fmt in ("html", "md"):
        assert "[device-name-1]" in shown[fmt] and "[udid-1]" in shown[fmt], fmt

    _, texts, _ = demo_reports["android"]
    report = json.loads(texts["json"])
    device = {d["name"]: d["value"] for d in report["device"]}
    assert device["serial"] == "[serial-1]"
    excerpts = [e["excerpt"] for f in report["findings"] for e in f["evidence"]]
    assert "Account {name=[account-1], type=com.google}" in excerpts


def test_demo_cases_keep_counts_case_ids_and_profile_uuids(demo_reports):
    for platform, (case_id, texts, plain) in demo_reports.items():
        assert re.fullmatch(r"demo-\d{8}-\d{6}-[0-9a-f]{4}", case_id)
        report = json.loads(texts["json"])
        assert report["case"]["case_id"] == plain["case"]["case_id"] == case_id
        for fmt, text in texts.items():
            assert "[phone-" not in text, (platform, fmt)  # no id or count mistaken for a phone number
            if fmt != "csv":  # the timeline CSV does not name the case
                assert case_id in text.replace("\\-", "-"), (platform, fmt)
    # Android: "Google accounts: 1" is a count, not an account name.
    report = json.loads(demo_reports["android"][1]["json"])
    (sharing,) = [f for f in report["findings"] if f["kind"] == "android.location.google_sharing"]
    assert [(x["name"], x["value"]) for x in sharing["facts"]] == [("google accounts", "1")]
    # iOS: the provisioning profile's UUID is evidence, kept exact in every format.
    for fmt, text in demo_reports["ios"][1].items():
        assert PROFILE_UUID in text, fmt
    report = json.loads(demo_reports["ios"][1]["json"])
    assert PROFILE_UUID in json.dumps(report["findings"]) and PROFILE_UUID in json.dumps(report["timeline"])


@pytest.mark.parametrize(
    "text",
    [
        "case demo-20261203-192305-01b9 written",
        "profile A1B2C3D4-0000-4000-8000-5AFE0A7C0001 installed",
        "UDID-like 00008110-001A2B3C4D5E601E-x and hex 0x1234567890ab",
        "Google accounts: 1",
    ],
)
def test_numbers_inside_longer_tokens_are_not_phone_numbers(text):
    assert Redactor().text(text) == text


def test_the_case_id_is_kept_even_where_it_looks_like_a_number():
    redactor = Redactor(keep=("demo-20261203-1923-0555",))
    assert redactor.text("see demo-20261203-1923-0555; call 020 7946 0958") == "see demo-20261203-1923-0555; call [phone-1]"


def test_device_name_and_udid_from_facts_and_plist_lines():
    from techsafe.report.redact import redact_report

    content = {
        "case": {"case_id": "case-20240101-0000-abcd"},
        "device": [{"name": "name", "value": IOS_NAME}, {"name": "udid", "value": IOS_UDID}, {"name": "apps_user", "value": "24"}],
        "findings": [
            {
                "facts": [{"name": "name", "label": "Name", "value": "Sileo"}, {"name": "google accounts", "value": "1"}],
                "evidence": [
                    {"excerpt": f"DeviceName = {IOS_NAME}"},
                    {"excerpt": f"UniqueDeviceID = {IOS_UDID}"},
                    {"excerpt": "SerialNumber = F2LXK1ABCDEF"},
                ],
            }
        ],
    }
    out = redact_report(content)
    assert [d["value"] for d in out["device"]] == ["[device-name-1]", "[udid-1]", "24"]
    assert [f["value"] for f in out["findings"][0]["facts"]] == ["Sileo", "1"]  # an app's name and a count stay
    assert [e["excerpt"] for e in out["findings"][0]["evidence"]] == [
        "DeviceName = [device-name-1]",
        "UniqueDeviceID = [udid-1]",
        "SerialNumber = [serial-1]",
    ]
    assert out["case"]["case_id"] == "case-20240101-0000-abcd"


def test_demo_reports_say_they_are_practice(demo_reports):
    """A demo report must never pass for evidence about a real phone."""
    for platform, (_, texts, plain) in demo_reports.items():
        assert plain["simulated"] is True, platform
        assert json.loads(texts["json"])["simulated"] is True, platform
        assert '<div class="warning" id="simulated-warning"><strong>PRACTICE SCAN OF A SIMULATED PHONE.</strong>' in texts["html"]
        assert "**PRACTICE SCAN OF A SIMULATED PHONE.** Made by `techsafe demo`: nothing here" in texts["md"], platform
