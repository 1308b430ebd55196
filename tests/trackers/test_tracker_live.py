"""The live path (bleak) as far as this machine allows.

This machine (and CI) has no Bluetooth controller: the kernel has no
Bluetooth support (no /dev/vhci, so no virtual controller either). These
tests run bleak's real BlueZ backend against a D-Bus address where nothing
listens, which is what a laptop without Bluetooth looks like, and bleak's real
AdvertisementData type through the conversion used by live sweeps. Scanning,
locating and ringing a real tag need hardware and are not exercised here.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import tracker_frames as F
from techsafe.cli import cli
from techsafe.scanners.trackers.decoders import SEPARATED, identify
from techsafe.scanners.trackers.live import NO_ADAPTER, TrackersUnavailable, meter, sighting_from_bleak, sweep
from techsafe.scanners.trackers.sighting import parse_ad


@pytest.fixture
def no_bluetooth(tmp_path, monkeypatch, techsafe_home):
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path}/no-bluez-here")
    return tmp_path


def test_bleak_advertisement_becomes_the_same_sighting():
    from bleak.backends.scanner import AdvertisementData

    ad = parse_ad(F.FLAGS + F.AIRTAG_SEPARATED + F.ad(0x03, b"\x0f\x18") + F.dult(0x01, near_owner=False))
    adv = AdvertisementData(
        local_name=None,
        manufacturer_data=dict(ad.manufacturer_data),
        service_data={f"0000{k}-0000-1000-8000-00805f9b34fb": v for k, v in ad.service_data},
        service_uuids=[f"0000{u}-0000-1000-8000-00805f9b34fb" for u in ad.service_uuids],
        tx_power=None,
        rssi=-61,
        platform_data=(),
    )
    s = sighting_from_bleak("c1:00:00:00:00:0a", adv, time_us=5)
    assert (s.address, s.rssi, s.service("fcb2"), s.service_uuids) == ("C1:00:00:00:00:0A", -61, ad.service_data[0][1], ("180f",))
    assert s.manufacturer(0x004C) == ad.manufacturer_data[0][1]
    # The DULT frame wins over the brand frame: it is the cross-vendor standard.
    assert (identify(s).family, identify(s).state) == ("dult", SEPARATED)


def test_sweep_without_adapter_raises_plain_reason(no_bluetooth):
    from techsafe.case import Case

    case = Case.create(no_bluetooth / "case")
    with pytest.raises(TrackersUnavailable, match="no Bluetooth adapter"):
        sweep(case, 1.0, "clinic")
    assert case.artifacts("trackers") == []


def test_sweep_command_without_adapter(no_bluetooth):
    out = CliRunner().invoke(cli, ["trackers", "sweep", "--duration", "1", "--case", str(no_bluetooth / "c")])
    assert out.exit_code == 2
    assert out.output.strip().splitlines()[-1] == f"techsafe: {NO_ADAPTER}"


def test_locate_command_without_adapter(no_bluetooth):
    out = CliRunner().invoke(cli, ["trackers", "locate", "C1:00:00:00:00:0A", "--duration", "5"])
    assert out.exit_code == 2 and NO_ADAPTER in out.output


def test_ring_shows_the_safety_note_first_and_asks(no_bluetooth):
    out = CliRunner().invoke(cli, ["trackers", "ring", "C1:00:00:00:00:0A", "--family", "airtag"], input="n\n")
    assert out.exit_code == 0
    assert out.output.startswith("Before you ring a tracker: the sound is heard by everyone nearby")
    assert "Apple does not document that the owner is told" in out.output
    assert out.output.rstrip().endswith("Not rung.")


def test_ring_refuses_families_that_cannot_ring(no_bluetooth):
    out = CliRunner().invoke(cli, ["trackers", "ring", "E1:00:00:00:00:0E", "--family", "tile"])
    assert out.exit_code == 1
    assert "Before you ring a tracker" in out.output
    assert "a Tile cannot be made to ring by techsafe" in out.output
    out = CliRunner().invoke(cli, ["trackers", "ring", "E1:00:00:00:00:0E", "--family", "toaster"])
    assert out.exit_code == 1 and "unknown tracker family 'toaster'" in out.output


def test_ring_after_confirmation_without_adapter(no_bluetooth):
    out = CliRunner().invoke(cli, ["trackers", "ring", "C1:00:00:00:00:0A", "--family", "pebblebee", "--yes"])
    assert out.exit_code == 2 and NO_ADAPTER in out.output


@pytest.mark.parametrize("rssi, word", [(-45, "very hot"), (-60, "hot"), (-70, "warm"), (-90, "cold"), (None, "no signal")])
def test_meter(rssi, word):
    assert meter(rssi).startswith(word)
