"""End to end: `techsafe network traffic --live IFACE --duration N` in real network namespaces.

    <p>-lap    t0 192.0.2.2    the caseworker's laptop (hotspot): runs the capture
    <p>-phone  p0 192.0.2.10   a phone (MAC 02:00:00:00:00:10) whose apps talk to C2 servers

The phone's traffic (sim_phone.py: DNS, a real OpenSSL ClientHello, a QUIC
Initial) is sent once while the capture runs on t0; the findings must be
exactly the three C2 contacts, once each, from that phone. Addresses are
TEST-NET-1, only inside the two namespaces this test creates and deletes.
Needs root and iproute2 (CI runs as root).
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
PREFIX = f"tl{os.getpid() % 100000}"
NS = {"lap": f"{PREFIX}-lap", "phone": f"{PREFIX}-phone"}
PHONE = ("02:00:00:00:00:10", "192.0.2.10")
LAPTOP = "192.0.2.2"


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=30)


def in_ns(ns: str, *args: str) -> None:
    sh("ip", "netns", "exec", NS[ns], *args)


@pytest.fixture(scope="module")
def hotspot():
    assert os.geteuid() == 0, "network namespace tests need root (CI runs as root)"
    listener = None
    try:
        for ns in NS.values():
            sh("ip", "netns", "add", ns)
        in_ns("lap", "ip", "link", "add", "t0", "type", "veth", "peer", "name", "p0", "netns", NS["phone"])
        for ns, ifname, mac, addr in (("lap", "t0", "02:00:00:00:00:02", LAPTOP), ("phone", "p0", PHONE[0], PHONE[1])):
            # No IPv6: its router/neighbour solicitations would only add noise to the capture.
            in_ns(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            in_ns(ns, "ip", "link", "set", ifname, "address", mac)
            in_ns(ns, "ip", "addr", "add", f"{addr}/24", "dev", ifname)
            in_ns(ns, "ip", "link", "set", ifname, "up")
            in_ns(ns, "ip", "link", "set", "lo", "up")
        # A TCP listener on the laptop so the phone's TLS client gets to send its ClientHello.
        listener = subprocess.Popen(
            ["ip", "netns", "exec", NS["lap"], sys.executable, "-c",
             "import socket,time\ns=socket.create_server(('%s',443))\nprint('ready',flush=True)\n"
             "while True:\n c,_=s.accept()\n time.sleep(5)\n c.close()" % LAPTOP],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        )
        assert listener.stdout.readline().strip() == b"ready", listener.stderr.read()
        yield NS
    finally:
        if listener is not None:
            os.killpg(listener.pid, 15)
            listener.wait(timeout=10)
        for ns in NS.values():
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def _capture_socket_open() -> bool:
    out = subprocess.run(["ip", "netns", "exec", NS["lap"], "cat", "/proc/net/packet"], capture_output=True, timeout=10).stdout
    return len(out.splitlines()) > 1  # header + one line per AF_PACKET socket in this namespace


def test_live_capture_finds_exactly_the_phones_c2_contacts(hotspot, tmp_path, shared):
    home = tmp_path / "home"
    env = dict(os.environ, TECHSAFE_HOME=str(home), PYTHONPATH=str(HERE.parents[1]))
    sh_env = subprocess.run(
        [sys.executable, "-m", "techsafe", "signatures", "import", str(shared / "indicators" / "echap")],
        capture_output=True, env=env, timeout=60,
    )
    assert sh_env.returncode == 0, sh_env.stderr.decode()
    capture = subprocess.Popen(
        ["ip", "netns", "exec", NS["lap"], sys.executable, "-m", "techsafe", "network", "traffic",
         "--live", "t0", "--duration", "4", "--case", str(tmp_path / "case"), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    deadline = time.monotonic() + 30
    while not _capture_socket_open():
        assert capture.poll() is None, capture.stderr.read().decode()
        assert time.monotonic() < deadline, "the capture never started"
        time.sleep(0.05)
    phone = subprocess.run(
        ["ip", "netns", "exec", NS["phone"], sys.executable, str(HERE / "sim_phone.py"), LAPTOP],
        capture_output=True, timeout=30, env=dict(os.environ, PYTHONPATH=f"{HERE}{os.pathsep}{HERE.parents[1]}"),
    )
    assert phone.stdout.strip() == b"sent", phone.stderr.decode()
    out, err = capture.communicate(timeout=60)
    assert capture.returncode == 0, err.decode()
    report = json.loads(out)
    device = f"{PHONE[1]} ({PHONE[0]})"
    got = sorted((f["kind"], f["severity"], f["subject"], f["facts"]["via"], f["facts"]["count"], f["facts"]["devices"], f["facts"]["observed"]) for f in report["findings"])
    assert got == [
        ("network.traffic.stalkerware_c2", "critical", "apollospy.com", "dns-query", "1", device, "apollospy.com"),
        ("network.traffic.stalkerware_c2", "critical", "guestspy.com", "tls-sni", "1", device, "x1.guestspy.com"),
        ("network.traffic.stalkerware_c2", "critical", "protocol-a.exactspy.com", "quic-sni", "1", device, "protocol-a.exactspy.com"),
    ]
    assert all(f["facts"]["app"] in ("Reptilicus", "TheTruthSpy") for f in report["findings"])
    assert b"captured" in err
    from techsafe.case import Case

    (rec,) = Case.open(tmp_path / "case").artifacts("network")
    assert rec.path == "artifacts/network/traffic/capture-1.pcap"
