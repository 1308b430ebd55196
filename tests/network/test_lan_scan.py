"""End to end: `techsafe network scan` against simulated devices in real network namespaces.

Topology (all addresses in 192.0.2.0/24 TEST-NET-1, only inside namespaces this
test creates and deletes):

    <p>-scan  s0 192.0.2.2 ----+
    <p>-home  br0 192.0.2.1 (the router: UPnP IGD v1, or v2 for one test; MAC of AVM)
    <p>-door  d0 192.0.2.20 (Ring doorbell, Ring LLC MAC)
    <p>-cam   c0 192.0.2.30 (Reolink camera, Reolink MAC, RTSP on 554)

Needs root and iproute2 (CI runs as root). The scan runs as a real CLI process
inside the scanner namespace: with raw sockets (ARP sweep) and without CAP_NET_RAW via setpriv
(no raw sockets: falls back to the kernel's neighbour table).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.netns

HERE = Path(__file__).resolve().parent
PREFIX = f"ts{os.getpid() % 100000}"
NS = {name: f"{PREFIX}-{name}" for name in ("scan", "home", "door", "cam")}
GATEWAY_MAC = "3c:a6:2f:00:00:01"  # AVM (FRITZ!Box)
DOORBELL_MAC = "34:3e:a4:00:00:20"  # Ring LLC
CAMERA_MAC = "ec:71:db:00:00:30"  # Reolink Innovation Limited
UNEXPECTED_DNS = "203.0.113.53"  # TEST-NET-3: only written into the scanner's resolv.conf, never contacted


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=30)


def in_ns(ns: str, *args: str) -> None:
    sh("ip", "netns", "exec", NS[ns], *args)


def start_device(ns: str, role: str, ip: str, *extra: str) -> subprocess.Popen:
    p = subprocess.Popen(
        ["ip", "netns", "exec", NS[ns], sys.executable, str(HERE / "sim_device.py"), role, ip, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    line = p.stdout.readline()
    assert line.strip() == b"ready", (role, line, p.stderr.read() if p.poll() is not None else b"")
    return p


def stop_device(p: subprocess.Popen) -> None:
    try:
        os.killpg(p.pid, 15)
    except ProcessLookupError:
        pass
    p.wait(timeout=10)


@pytest.fixture(scope="module")
def home_network():
    assert os.geteuid() == 0, "network namespace tests need root (CI runs as root)"
    procs: dict[str, subprocess.Popen] = {}
    etc = Path("/etc/netns") / NS["scan"]
    try:
        for ns in NS.values():
            sh("ip", "netns", "add", ns)
        in_ns("home", "ip", "link", "add", "br0", "address", GATEWAY_MAC, "type", "bridge", "mcast_snooping", "0")
        for ns, ifname, peer, mac, addr in (
            ("scan", "s0", "h-scan", "02:00:00:00:00:02", "192.0.2.2/24"),
            ("door", "d0", "h-door", DOORBELL_MAC, "192.0.2.20/24"),
            ("cam", "c0", "h-cam", CAMERA_MAC, "192.0.2.30/24"),
        ):
            in_ns("home", "ip", "link", "add", peer, "type", "veth", "peer", "name", ifname, "netns", NS[ns])
            in_ns("home", "ip", "link", "set", peer, "master", "br0", "up")
            in_ns(ns, "ip", "link", "set", ifname, "address", mac)
            in_ns(ns, "ip", "addr", "add", addr, "dev", ifname)
            in_ns(ns, "ip", "link", "set", ifname, "up")
            in_ns(ns, "ip", "link", "set", "lo", "up")
            in_ns(ns, "ip", "route", "add", "default", "via", "192.0.2.1")
        in_ns("home", "ip", "addr", "add", "192.0.2.1/24", "dev", "br0")
        in_ns("home", "ip", "link", "set", "br0", "up")
        in_ns("home", "ip", "link", "set", "lo", "up")
        # `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf.
        etc.mkdir(parents=True, exist_ok=True)
        (etc / "resolv.conf").write_text(f"# written by the test\nnameserver 192.0.2.1\nnameserver {UNEXPECTED_DNS}\nnameserver 1.1.1.1\n")
        for ns, role, ip in (("home", "gateway", "192.0.2.1"), ("door", "doorbell", "192.0.2.20"), ("cam", "camera", "192.0.2.30")):
            procs[role] = start_device(ns, role, ip)
        time.sleep(0.5)  # let zeroconf finish probing/announcing its names
        yield procs
    finally:
        for p in procs.values():
            stop_device(p)
        for ns in NS.values():
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        if etc.exists():
            for f in etc.iterdir():
                f.unlink()
            etc.rmdir()


@pytest.fixture
def igd_v2_gateway(home_network):
    """The same home, its router swapped for an IGDv2 one (WANIPConnection:2, GetListOfPortMappings)."""
    stop_device(home_network.pop("gateway"))
    home_network["gateway"] = start_device("home", "gateway", "192.0.2.1", "v2")
    try:
        yield home_network
    finally:
        stop_device(home_network.pop("gateway"))
        home_network["gateway"] = start_device("home", "gateway", "192.0.2.1")


def run_scan(tmp_path: Path, unprivileged: bool, command: tuple[str, ...] = ("network", "scan")) -> tuple[subprocess.CompletedProcess, dict]:
    case = tmp_path / "case"
    home = tmp_path / "home"
    home.mkdir()
    cmd = ["ip", "netns", "exec", NS["scan"]]
    if unprivileged:
        # Without CAP_NET_RAW (as for a normal user, or root in a locked-down container).
        # Not a different uid: the test's Python lives under /root, unreadable to others.
        cmd += ["setpriv", "--bounding-set=-net_raw", "--inh-caps=-net_raw"]
    cmd += [sys.executable, "-m", "techsafe", *command, "--iface", "s0", "--case", str(case), "--json"]
    env = dict(os.environ, TECHSAFE_HOME=str(home), PYTHONPATH=str(HERE.parents[1]))
    proc = subprocess.run(cmd, capture_output=True, timeout=120, env=env)
    assert proc.stdout, proc.stderr.decode()
    return proc, json.loads(proc.stdout)


def summary(findings: list[dict]) -> list[tuple]:
    return sorted((f["kind"], f["severity"], f["subject"]) for f in findings)


EXPECTED = [
    ("network.device.camera", "low", "192.0.2.30"),
    ("network.device.doorbell", "low", "192.0.2.20"),
    ("network.dns.unexpected", "medium", UNEXPECTED_DNS),
    ("network.upnp.port_mapping", "medium", "51413/TCP -> 192.0.2.50:51413"),
    ("network.upnp.port_mapping_to_camera", "high", "8554/TCP -> 192.0.2.30:554"),
]


@pytest.mark.parametrize("unprivileged", [False, True], ids=["raw-sockets", "no-raw-sockets"])
def test_scan_finds_exactly_the_doorbell_camera_and_router_holes(home_network, tmp_path, unprivileged):
    proc, report = run_scan(tmp_path, unprivileged)
    assert summary(report["findings"]) == EXPECTED, proc.stderr.decode()
    by_subject = {f["subject"]: f for f in report["findings"]}
    door = by_subject["192.0.2.20"]
    cam = by_subject["192.0.2.30"]
    assert door["facts"]["vendor"] == "Ring LLC"
    assert door["facts"]["brand"] == "ring"
    assert door["facts"]["mac"] == DOORBELL_MAC
    assert door["facts"]["why"] == "HomeKit category 18 (video doorbell)"
    assert door["title"] == (
        'A video doorbell is on this network: Ring Video Doorbell Pro 2 "Front Door" at 192.0.2.20. '
        "Check who else has access to it in its app."
    )
    assert cam["facts"]["vendor"] == "Reolink Innovation Limited"
    assert cam["facts"]["brand"] == "reolink"
    assert cam["facts"]["open_ports"] == "554"
    assert cam["facts"]["why"] == "answers ONVIF discovery as a video transmitter"
    hole = by_subject["8554/TCP -> 192.0.2.30:554"]
    assert hole["title"] == (
        "The router lets anyone on the internet reach a camera: outside port 8554/TCP goes to "
        'Reolink RLC-510A "Driveway" at 192.0.2.30 port 554.'
    )
    not_checked = {(n["area"], n["reason"]) for n in report["not_checked"]}
    assert ("network.router.manual", _manual()) in not_checked
    assert ("network.traffic", "no traffic capture in this case") in not_checked
    if unprivileged:
        assert proc.returncode == 3  # incomplete: said out loud
        assert ("network.scan", "skipped: arp-sweep (needs root or CAP_NET_RAW)") in not_checked
    else:
        assert proc.returncode == 0, proc.stderr.decode()
        assert not any(a == "network.scan" for a, _ in not_checked)
    # The inventory classifies exactly the three devices (the router is not a finding).
    from techsafe.case import Case
    from techsafe.scanners.network.inventory import build_inventory

    inv = build_inventory(Case.open(tmp_path / "case"))
    assert [(h.ip, h.kind, h.mac) for h in inv.hosts] == [
        ("192.0.2.1", "router", GATEWAY_MAC),
        ("192.0.2.20", "doorbell", DOORBELL_MAC),
        ("192.0.2.30", "camera", CAMERA_MAC),
    ]


def _igd_artifacts(case_dir: Path) -> list[str]:
    from techsafe.case import Case

    return sorted(r.path.rsplit("/", 1)[-1] for r in Case.open(case_dir).artifacts("network") if "/igd/" in r.path)


def test_igd_v2_gateway_lists_its_mappings(igd_v2_gateway, tmp_path):
    proc, report = run_scan(tmp_path, unprivileged=False)
    assert proc.returncode == 0, proc.stderr.decode()
    assert summary(report["findings"]) == EXPECTED
    # One GetListOfPortMappings per protocol, no index walk.
    assert _igd_artifacts(tmp_path / "case") == ["list-tcp.xml", "list-udp.xml"]
    hole = next(f for f in report["findings"] if f["kind"] == "network.upnp.port_mapping_to_camera")
    assert hole["evidence"][0]["artifact"] == "artifacts/network/igd/list-tcp.xml"
    assert not any(n["area"] == "network.router" and "refused" in n["reason"] for n in report["not_checked"])


def test_scan_command_with_network_finds_the_same(home_network, tmp_path):
    """`techsafe scan --network --iface s0`: the combined scan command, same exact findings."""
    proc, report = run_scan(tmp_path, unprivileged=False, command=("scan", "--network"))
    assert proc.returncode == 0, proc.stderr.decode()
    assert summary(report["findings"]) == EXPECTED
    not_checked = {(n["area"], n["reason"]) for n in report["not_checked"]}
    assert ("network.router.manual", _manual()) in not_checked
    assert not any(area in ("network.scan", "scan") for area, _ in not_checked)
    assert _igd_artifacts(tmp_path / "case") == ["mapping-0.xml", "mapping-1.xml", "mapping-2.xml"]


def _manual() -> str:
    from techsafe.scanners.network.analyze import MANUAL_FORWARDS

    return MANUAL_FORWARDS


def test_refuses_public_and_large_networks():
    import ipaddress

    from techsafe.scanners.network.lan import LanError, check_scannable

    check_scannable(ipaddress.ip_network("192.168.1.0/24"))
    with pytest.raises(LanError, match="not a private home network"):
        check_scannable(ipaddress.ip_network("203.0.114.0/24"))
    with pytest.raises(LanError, match="at most 1024"):
        check_scannable(ipaddress.ip_network("10.0.0.0/16"))
