"""--redact: no planted personal value survives in any format, and every
format uses the same token for the same value."""

from __future__ import annotations

import json
import re

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
