"""Router port mappings over real HTTP (loopback) from the simulated IGD of igd_sim.py.

IGDv2 gateways are asked for the whole list (GetListOfPortMappings); those
that refuse it, and v1 gateways, are walked with GetGenericPortMappingEntry.
The namespace scenario (test_lan_scan.py) runs the v2 gateway end to end.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from igd_sim import MAPPINGS, IgdSim, response
from techsafe.case import Case
from techsafe.scanners.network import parse
from techsafe.scanners.network.acquire import router_port_mappings
from techsafe.scanners.network.inventory import build_inventory
from techsafe.scanners.network.lan import Lan

LAN = Lan("lo", "127.0.0.2", "127.0.0.0/24", "", "127.0.0.1")


@pytest.fixture
def gateway():
    servers = []

    def start(variant: str, mappings=MAPPINGS) -> tuple[IgdSim, str]:
        sim = IgdSim(variant, mappings)

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body):
                self.send_response(status)
                self.send_header("Content-Type", 'text/xml; charset="utf-8"')
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                self._send(200, sim.description("127.0.0.1"))

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self._send(*sim.control(self.headers.get("SOAPAction", ""), body))

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return sim, f"http://127.0.0.1:{server.server_address[1]}/desc.xml"

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


def _scan(tmp_path, sim: IgdSim, location: str):
    case = Case.create(tmp_path / "case")
    case.add_artifact("network", "lan.json", json.dumps(LAN.to_json()).encode(), command="test")
    assert router_port_mappings(case, LAN, [("127.0.0.1", location, sim.description("127.0.0.1"))])
    inv = build_inventory(case)
    igd = sorted(r.path.rsplit("/", 1)[-1] for r in case.artifacts("network") if "/igd/" in r.path)
    got = [(m.mapping.external_port, m.mapping.protocol, m.mapping.internal_client, m.mapping.internal_port, m.mapping.description) for m in inv.mappings]
    return inv, igd, got


EXPECTED = [(ext, proto, client, port, desc) for ext, proto, client, port, desc in MAPPINGS]


def test_v2_gateway_lists_all_mappings_at_once(tmp_path, gateway):
    sim, location = gateway("v2")
    inv, igd, got = _scan(tmp_path, sim, location)
    assert sim.calls == ["GetListOfPortMappings", "GetListOfPortMappings"]  # TCP, UDP; no walk
    assert igd == ["list-tcp.xml", "list-udp.xml"]
    assert got == EXPECTED
    assert inv.igd_seen and inv.gaps == ()


def test_v2_gateway_refusing_the_list_is_walked(tmp_path, gateway):
    sim, location = gateway("v2-nolist")
    inv, igd, got = _scan(tmp_path, sim, location)
    assert sim.calls == ["GetListOfPortMappings"] + ["GetGenericPortMappingEntry"] * 3  # 2 mappings, then 713
    assert igd == ["list-tcp.xml", "mapping-0.xml", "mapping-1.xml", "mapping-2.xml"]
    assert got == EXPECTED
    assert inv.gaps == ()  # the refusal (606) is not a gap: the walk read everything


def test_v1_gateway_is_walked(tmp_path, gateway):
    sim, location = gateway("v1")
    inv, igd, got = _scan(tmp_path, sim, location)
    assert set(sim.calls) == {"GetGenericPortMappingEntry"}
    assert igd == ["mapping-0.xml", "mapping-1.xml", "mapping-2.xml"]
    assert got == EXPECTED and inv.gaps == ()


def test_v2_udp_mapping_and_empty_tcp_list(tmp_path, gateway):
    sim, location = gateway("v2", [(3478, "UDP", "127.0.0.9", 3478, "Game & voice")])
    inv, igd, got = _scan(tmp_path, sim, location)
    assert igd == ["list-tcp.xml", "list-udp.xml"]  # TCP answered 730: nothing of that protocol
    assert got == [(3478, "UDP", "127.0.0.9", 3478, "Game & voice")]
    assert inv.gaps == ()


def test_soap_port_listing_formats_and_hostile_documents():
    sim = IgdSim("v2")
    body = b"<NewStartPort>1</NewStartPort><NewEndPort>65535</NewEndPort><NewProtocol>TCP</NewProtocol><NewManage>1</NewManage><NewNumberOfPorts>0</NewNumberOfPorts>"
    status, escaped = sim.control(f'"{sim.service}#GetListOfPortMappings"', body)
    assert status == 200 and b"&lt;p:PortMappingList" in escaped
    assert [(m.external_port, m.internal_client, m.lease_s) for m in parse.soap_port_listing(escaped)] == [
        (8554, "192.0.2.30", 0), (51413, "192.0.2.50", 0)
    ]
    svc = sim.service
    bomb = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><p:PortMappingList xmlns:p="x">&b;</p:PortMappingList>'
    assert parse.soap_port_listing(response(svc, "GetListOfPortMappings", f"<NewPortListing><![CDATA[{bomb}]]></NewPortListing>")) is None
    half = "<p:PortMappingList xmlns:p='x'><p:PortMappingEntry><p:NewExternalPort>80</p:NewExternalPort></p:PortMappingEntry></p:PortMappingList>"
    assert parse.soap_port_listing(response(svc, "GetListOfPortMappings", f"<NewPortListing><![CDATA[{half}]]></NewPortListing>")) is None
    assert parse.soap_port_listing(response(svc, "GetListOfPortMappings", "<NewPortListing></NewPortListing>")) == []
    assert parse.soap_port_listing(b"<not xml") is None
    assert parse.soap_port_listing(sim.control(f'"{svc}#GetListOfPortMappings"', body.replace(b"TCP", b"UDP"))[1]) == "730"


def test_unreadable_list_without_walk_is_a_visible_gap(tmp_path):
    case = Case.create(tmp_path / "case")
    case.add_artifact("network", "lan.json", json.dumps(LAN.to_json()).encode(), command="test")
    case.add_artifact("network", "igd/list-tcp.xml", b"<garbage", command="test", meta={"format": "igd-list", "from": "127.0.0.1"})
    inv = build_inventory(case)
    assert [(g.area, g.reason) for g in inv.gaps] == [("network.router", "the router's port-mapping list could not be read")]
