"""The live Bluetooth path end to end: techsafe -> bleak's real BlueZ backend
-> a real dbus-daemon -> a simulated BlueZ (techsafe/simulate/bluez.py).

Mocked, because it cannot exist on this machine: the Bluetooth controller and
bluetoothd (no kernel Bluetooth, no /dev/vhci). Everything above the D-Bus
API is real: the CLI commands, bleak (BleakScanner, BleakClient, its BlueZ
manager), dbus-fast and the D-Bus daemon. The tags advertise the documented
frames of tracker_frames.py; the simulated BlueZ splits them into Device1
properties with its own parser (as bluetoothd's eir_parse does).

Ring protocols checked here (documented in families.py): AirTag sound
service 7dfc9000-… / characteristic 7dfc9001-…, opcode 0xAF (AirGuard,
seemoo-lab); DULT non-owner control point 8e0c0001-… in service 15190001-…,
Sound_Start 0x0300 / Sound_Stop 0x0301 little-endian (IETF DULT draft).
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

import tracker_frames as F
from techsafe.case import Case
from techsafe.cli import cli
from techsafe.scanners.trackers.analyze import analyze
from techsafe.scanners.trackers.live import ADAPTER_LOST, NO_ADAPTER
from techsafe.scanners.trackers.sighting import parse_ad
from techsafe.scanners.trackers.sweeps import load_sweeps
from techsafe.simulate.bluez import GattService, GattWrite, PrivateBus, SimulatedBluez, SimulatedTag

AIRTAG = "C1:00:00:00:00:0A"
TILE = "E1:00:00:00:00:0E"
GADGET = "F0:00:00:00:00:5A"
AIRTAG_RSSI = (-58, -49, -66)
TILE_RSSI = (-80, -91)

GAP = GattService("00001800-0000-1000-8000-00805f9b34fb", ("00002a00-0000-1000-8000-00805f9b34fb",))
AIRTAG_SOUND = GattService("7dfc9000-7d1c-4951-86aa-8d9728f8d66c", ("7dfc9001-7d1c-4951-86aa-8d9728f8d66c",))
FINDMY = GattService("0000fd44-0000-1000-8000-00805f9b34fb", ("4f860003-943b-49ef-bed4-2f730304427a",))
DULT = GattService("15190001-12f4-c226-88ed-2ac5579f2a85", ("8e0c0001-1d68-fb92-bf61-48377421680e",))

FRAMES = {AIRTAG: F.AIRTAG_SEPARATED, TILE: F.TILE, GADGET: F.UNKNOWN}


def room(airtag_services=(GAP, AIRTAG_SOUND)) -> list[SimulatedTag]:
    """What is in radio range: a separated AirTag, a Tile, and a gadget that is no tracker."""
    return [
        SimulatedTag(AIRTAG, F.FLAGS + FRAMES[AIRTAG], AIRTAG_RSSI, services=airtag_services),
        SimulatedTag(TILE, F.FLAGS + FRAMES[TILE], TILE_RSSI, address_type="public"),
        SimulatedTag(GADGET, F.FLAGS + FRAMES[GADGET], (-70,)),
    ]


@pytest.fixture
def bluez(monkeypatch, techsafe_home):
    """Factory: bluez(tags, powered=True) -> a running SimulatedBluez that bleak talks to."""
    bus = PrivateBus().start()
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", bus.address)
    started: list[SimulatedBluez] = []

    def start(tags, **kwargs) -> SimulatedBluez:
        sim = SimulatedBluez(bus.address, tags, **kwargs).start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()
    bus.stop()


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, env={"COLUMNS": "200"})


def sweep_into(case_dir, *extra: str):
    return run("trackers", "sweep", "--duration", "2", "--case", str(case_dir), *extra)


def test_sweep_finds_exactly_the_separated_airtag_and_the_tile(bluez, tmp_path):
    sim = bluez(room())
    out = sweep_into(tmp_path / "case", "--place", "clinic")
    assert out.exit_code == 0, out.output
    table = {line.split("│")[7].strip(): line for line in out.output.splitlines() if line.count("│") >= 8}
    assert set(table) == {AIRTAG, TILE, GADGET}
    assert re.search(r"AirTag\s*│ yes\s*│ separated", table[AIRTAG])
    assert re.search(r"Tile\s*│ yes\s*│ unknown", table[TILE])  # Tile has no owner state
    assert re.search(r"Unidentified device\s*│ no\s*│ -", table[GADGET])
    assert f"Sweep stored in {tmp_path / 'case'}" in out.output

    case = Case.open(tmp_path / "case")
    result = analyze(case, None)
    assert [(f.kind, f.severity.label, f.subject) for f in result.findings] == [
        ("tracker.airtag.separated", "high", f"AirTag {AIRTAG}"),
        ("tracker.tile", "medium", f"Tile {TILE}"),
    ]
    assert dict(result.device) == {"ble.sweeps": "1", "ble.trackers_seen": "2", "ble.other_devices_seen": "1"}
    assert result.not_checked == ()
    assert result.findings[0].fact("places") == "clinic"
    assert result.findings[0].fact("strongest_signal") == "-49 dBm"

    # Stored sightings carry exactly what the tags sent over the air, as the offline paths read it.
    [sweep], gaps = load_sweeps(case)
    assert gaps == [] and sweep.complete and sweep.place == "clinic"
    for s in sweep.sightings:
        ad = parse_ad(F.FLAGS + FRAMES[s.address])
        assert (s.manufacturer_data, s.service_data, s.service_uuids, s.name) == (
            ad.manufacturer_data, ad.service_data, ad.service_uuids, ad.name)
    rssi = {a: {s.rssi for s in sweep.sightings if s.address == a} for a in FRAMES}
    assert rssi == {AIRTAG: set(AIRTAG_RSSI), TILE: set(TILE_RSSI), GADGET: {-70}}

    # bleak drove discovery the BlueZ way and left the adapter idle.
    calls = sim.calls
    assert calls[:3] == ["ObjectManager.GetManagedObjects", "Adapter1.SetDiscoveryFilter", "Adapter1.StartDiscovery"]
    assert calls[-2:] == ["Adapter1.StopDiscovery", "Adapter1.SetDiscoveryFilter"]

    history = run("trackers", "history", str(tmp_path / "case"))
    assert history.exit_code == 0, history.output
    assert "Other Bluetooth devices (not trackers): 1 Unidentified device." in history.output


def test_scan_trackers_gives_the_same_findings(bluez, tmp_path):
    bluez(room())
    out = run("scan", "--trackers", "--duration", "2", "--case", str(tmp_path / "case"), "--json")
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert [(f["kind"], f["severity"], f["subject"]) for f in report["findings"]] == [
        ("tracker.airtag.separated", "high", f"AirTag {AIRTAG}"),
        ("tracker.tile", "medium", f"Tile {TILE}"),
    ]
    assert report["device"]["ble.other_devices_seen"] == "1"
    assert report["not_checked"] == []
    assert (tmp_path / "case" / "findings.json").is_file()


def test_locate_shows_readings_of_that_tag_only(bluez):
    bluez(room())
    out = run("trackers", "locate", AIRTAG, "--duration", "5")
    assert out.exit_code == 0, out.output
    readings = [line for line in out.output.splitlines() if " dBm " in line]
    values = [int(line.split()[0]) for line in readings]
    assert len(values) >= 10 and set(values) == set(AIRTAG_RSSI)  # one per advertisement, none of the Tile's
    words = {-58: "hot: a few metres", -49: "very hot: within about a metre", -66: "warm: same room"}
    assert all(line.endswith(words[v]) for line, v in zip(readings, values))


def test_ring_after_a_sweep_writes_the_airtag_sound_opcode_and_nothing_else(bluez, tmp_path):
    sim = bluez(room())
    assert sweep_into(tmp_path / "case").exit_code == 0

    refused = run("trackers", "ring", AIRTAG, "--case", str(tmp_path / "case"), input="n\n")
    assert refused.exit_code == 0 and refused.output.rstrip().endswith("Not rung.")
    assert "Device1.Connect" not in sim.calls and sim.writes == []

    out = run("trackers", "ring", AIRTAG, "--case", str(tmp_path / "case"), input="y\n")
    assert out.exit_code == 0, out.output
    assert out.output.startswith("Before you ring a tracker: the sound is heard by everyone nearby")
    assert out.output.index("Ring it now?") < out.output.index("the tracker was asked to play its sound")
    assert sim.writes == [GattWrite(AIRTAG, AIRTAG_SOUND.uuid, AIRTAG_SOUND.characteristics[0], b"\xaf", "request")]
    assert sim.calls.count("Device1.Connect") == 1 and sim.calls[-1] == "Device1.Disconnect"


def test_ring_uses_dult_when_offered_start_then_stop(bluez):
    # Newer AirTag firmware offers the cross-vendor DULT control point too; it comes first.
    sim = bluez(room(airtag_services=(GAP, DULT, FINDMY, AIRTAG_SOUND)))
    out = run("trackers", "ring", AIRTAG, "--family", "airtag", "--yes")
    assert out.exit_code == 0, out.output
    assert "the tracker was asked to play its sound" in out.output
    control = DULT.characteristics[0]
    assert sim.writes == [GattWrite(AIRTAG, DULT.uuid, control, b"\x00\x03", "request"),
                          GattWrite(AIRTAG, DULT.uuid, control, b"\x01\x03", "request")]


def test_ring_a_tag_without_sound_control_writes_nothing(bluez):
    sim = bluez(room(airtag_services=(GAP,)))
    out = run("trackers", "ring", AIRTAG, "--family", "airtag", "--yes")
    assert out.exit_code == 0, out.output
    assert "offers none of the known sound controls" in out.output
    assert sim.writes == []


def test_sweep_with_adapter_off_leaves_no_case_folder(bluez, tmp_path, monkeypatch):
    sim = bluez(room(), powered=False)
    (tmp_path / "clinic").mkdir()
    monkeypatch.chdir(tmp_path / "clinic")
    out = run("trackers", "sweep", "--duration", "2")
    assert out.exit_code == 2
    assert out.output.strip().splitlines()[-1] == f"techsafe: {NO_ADAPTER}"
    assert list((tmp_path / "clinic").iterdir()) == []  # no ./cases/trackers-… left behind
    out = run("trackers", "sweep", "--duration", "2", "--case", str(tmp_path / "named"))
    assert out.exit_code == 2 and not (tmp_path / "named").exists()
    assert "Adapter1.StartDiscovery" not in sim.calls


def test_scan_trackers_with_adapter_off_says_the_case_is_kept(bluez, tmp_path):
    bluez(room(), powered=False)
    out = run("scan", "--trackers", "--duration", "2", "--case", str(tmp_path / "case"))
    assert out.exit_code == 3
    assert f"tracker sweep: {NO_ADAPTER}" in out.output
    assert f"Everything collected so far is kept in {tmp_path / 'case'}" in out.output


def test_adapter_pulled_out_mid_sweep_keeps_what_was_seen(bluez, tmp_path):
    sim = bluez(room())
    sim.unplug_adapter(after_rounds=4)  # about 0.8 s into the 2 s sweep
    out = sweep_into(tmp_path / "case")
    assert out.exit_code == 3, out.output
    assert f"Not complete: {ADAPTER_LOST}" in " ".join(out.output.split())
    result = analyze(Case.open(tmp_path / "case"), None)
    assert [(f.kind, f.severity.label) for f in result.findings] == [("tracker.airtag.separated", "high"),
                                                                      ("tracker.tile", "medium")]
    assert [n.reason for n in result.not_checked] == ["this sweep was interrupted: trackers may have been missed"]
