"""Helpers for the report tests: a realistic case built in the test: real third-party artifacts
(../shared captures, a real Echap stalkerware entry) plus findings as the
Android analyzer writes them, and personal values for the redaction tests."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

# Personal values planted in the case; none may survive --redact.
PERSONAL = {
    "email": "jane.doe.survivor@example.com",
    "phone": "+44 7700 900123",
    "phone_local": "(555) 010-9999",
    "imei": "490154203237518",  # valid Luhn
    "serial": "R58M12ABCDE",
    "iccid": "8944501234567890123",
    "account": "JaneD_1987",
    "wifi": "Janes Home WiFi",
    "device_name": "Janes Galaxy",
}

HOSTILE_TITLE = 'The app "<script>alert(1)</script>" was installed from outside the app store.'


def echap_stalkerware(shared: Path) -> tuple[str, str, str]:
    """(app name, package id, feed version) of the first Echap stalkerware entry."""
    entries = yaml.safe_load((shared / "indicators/echap/ioc.yaml").read_text("utf-8"))
    version = (shared / "indicators/echap/VERSION").read_text("utf-8").split()[0][:12]
    for entry in entries:
        if entry.get("type") == "stalkerware" and entry.get("packages"):
            return entry["name"], entry["packages"][0], version
    raise AssertionError("no stalkerware entry in the Echap feed")




def load_json(path: Path):
    return json.loads(path.read_text("utf-8"))
