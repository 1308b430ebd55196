"""`techsafe doctor` through the real adb server and the simulated phone."""

import dataclasses
from pathlib import Path

from click.testing import CliRunner

from techsafe.cli import cli
from techsafe.simulate.profile import load_profile

DEMO = Path(__file__).resolve().parents[2] / "fixtures/devices/android14-demo"


def doctor(port: int):
    return CliRunner(env={"COLUMNS": "300"}).invoke(cli, ["doctor", "--adb-port", str(port)], catch_exceptions=False)


def test_authorised_phone_is_reported_ready(techsafe_home, simulated_phone):
    phone = simulated_phone(dataclasses.replace(load_profile(DEMO), default_latency_s=0.0))
    out = doctor(phone.adb_port).output
    assert f"Android phone android:{phone.serial}" in out
    assert "is connected and allows USB debugging" in out


def test_unauthorised_phone_gets_the_allow_advice(techsafe_home, simulated_phone):
    phone = simulated_phone(load_profile(DEMO), auth_delay_s=60, wait=False)
    phone.wait_for_state("unauthorized", timeout_s=10)
    result = doctor(phone.adb_port)
    assert result.exit_code == 1
    assert f"Android phone android:{phone.serial} is 'unauthorized'" in result.output
    assert "tap Allow" in result.output


def test_no_phone_and_no_feed_are_problems_with_advice(techsafe_home, adb_server):
    result = doctor(adb_server.port)
    assert result.exit_code == 1
    assert "no Android phone visible" in result.output and "USB debugging" in result.output
    assert "signatures update" in result.output
