"""A simulated home-network device, run inside its own network namespace.

    python sim_device.py doorbell|camera|gateway IP [v1|v2|v2-nolist]

doorbell  Ring Video Doorbell: HomeKit `_hap._tcp` (ci=18) over mDNS (python-zeroconf,
          a real responder), SSDP root device with a UPnP description.
camera    Reolink RLC-510A: `_rtsp._tcp` over mDNS, SSDP + description, ONVIF
          WS-Discovery ProbeMatch, an RTSP listener on 554.
gateway   UPnP IGD with two port mappings, one to the camera's RTSP port
          (igd_sim.py: v1 = WANIPConnection:1 walked with GetGenericPortMappingEntry
          until fault 713; v2 = WANIPConnection:2 with GetListOfPortMappings).
Prints "ready" when listening; runs until killed.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from igd_sim import IgdSim, fault

ROLE, IP = sys.argv[1], sys.argv[2]
IGD = IgdSim(sys.argv[3] if len(sys.argv) > 3 else "v1") if ROLE == "gateway" else None
DEVICES = {
    "doorbell": ("urn:schemas-upnp-org:device:Basic:1", "Front Door", "Ring", "Video Doorbell Pro 2"),
    "camera": ("urn:schemas-upnp-org:device:Basic:1", "Driveway", "Reolink", "RLC-510A"),
    "gateway": (IGD.device_type if IGD else "", "FRITZ!Box 7590", "AVM Berlin", "FRITZ!Box 7590"),
}
UUID = {"doorbell": "a1b2c3d4-0000-1000-8000-0000000000d0", "camera": "a1b2c3d4-0000-1000-8000-0000000000ca", "gateway": "a1b2c3d4-0000-1000-8000-0000000000aa"}


def description() -> bytes:
    if IGD is not None:
        return IGD.description(IP)
    dtype, fname, maker, model = DEVICES[ROLE]
    return f"""<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
  <specVersion><major>1</major><minor>0</minor></specVersion>
  <device>
    <deviceType>{dtype}</deviceType>
    <friendlyName>{fname}</friendlyName>
    <manufacturer>{maker}</manufacturer>
    <modelName>{model}</modelName>
    <modelNumber>{model}</modelNumber>
    <UDN>uuid:{UUID[ROLE]}</UDN>
  </device>
</root>""".encode()


class Http(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", 'text/xml; charset="utf-8"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._send(200, description()) if self.path == "/desc.xml" else self._send(404, b"")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if IGD is None:
            return self._send(500, fault(401, "Invalid Action"))
        self._send(*IGD.control(self.headers.get("SOAPAction", ""), body))


def multicast_listener(port: int, handle) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", port))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, struct.pack("4s4s", socket.inet_aton("239.255.255.250"), socket.inet_aton(IP)))
    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    out.bind((IP, 0))

    def loop():
        while True:
            data, addr = sock.recvfrom(65535)
            reply = handle(data)
            if reply:
                out.sendto(reply, addr)

    threading.Thread(target=loop, daemon=True).start()


def ssdp_reply(data: bytes) -> bytes | None:
    if not data.startswith(b"M-SEARCH"):
        return None
    dtype = DEVICES[ROLE][0]
    return (
        "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\n"
        f"LOCATION: http://{IP}:49000/desc.xml\r\nSERVER: Linux/4.9 UPnP/1.0 {DEVICES[ROLE][2]}/1.0\r\n"
        f"ST: {dtype}\r\nUSN: uuid:{UUID[ROLE]}::{dtype}\r\n\r\n"
    ).encode()


def wsd_reply(data: bytes) -> bytes | None:
    if b"Probe" not in data or b"NetworkVideoTransmitter" not in data:
        return None
    relates = data.split(b"MessageID>")[1].split(b"<")[0].decode() if b"MessageID>" in data else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing"
 xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">
<SOAP-ENV:Header><wsa:MessageID>uuid:{UUID[ROLE]}-1</wsa:MessageID><wsa:RelatesTo>{relates}</wsa:RelatesTo>
<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action></SOAP-ENV:Header>
<SOAP-ENV:Body><d:ProbeMatches><d:ProbeMatch>
<wsa:EndpointReference><wsa:Address>urn:uuid:{UUID[ROLE]}</wsa:Address></wsa:EndpointReference>
<d:Types>dn:NetworkVideoTransmitter</d:Types>
<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/hardware/RLC-510A onvif://www.onvif.org/name/Reolink onvif://www.onvif.org/location/country/china</d:Scopes>
<d:XAddrs>http://{IP}:8000/onvif/device_service</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion>
</d:ProbeMatch></d:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>""".encode()


def rtsp_listener() -> None:
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((IP, 554))
    srv.listen(16)

    def loop():
        while True:
            conn, _ = srv.accept()
            conn.close()  # a connect probe sends nothing; a real RTSP server would wait for OPTIONS

    threading.Thread(target=loop, daemon=True).start()


def mdns() -> object:
    from zeroconf import ServiceInfo, Zeroconf

    zc = Zeroconf(interfaces=[IP])
    if ROLE == "doorbell":
        info = ServiceInfo(
            "_hap._tcp.local.",
            "Front Door._hap._tcp.local.",
            addresses=[socket.inet_aton(IP)],
            port=51826,
            properties={"c#": "3", "ff": "0", "id": "5A:3C:11:9E:20:01", "md": "Ring Video Doorbell Pro 2", "pv": "1.1", "s#": "1", "sf": "0", "ci": "18", "sh": "x2Yd4g=="},
            server="Ring-Doorbell-Pro-2.local.",
        )
    else:
        info = ServiceInfo(
            "_rtsp._tcp.local.",
            "Driveway._rtsp._tcp.local.",
            addresses=[socket.inet_aton(IP)],
            port=554,
            properties={"model": "RLC-510A", "path": "/h264Preview_01_main"},
            server="Reolink-RLC-510A.local.",
        )
    zc.register_service(info)
    return zc


class QuietServer(ThreadingHTTPServer):
    def server_bind(self):
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn): nothing may leave the namespace.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = IP, self.server_address[1]


def main() -> None:
    server = QuietServer((IP, 49000), Http)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    multicast_listener(1900, ssdp_reply)
    keep = None
    if ROLE in ("doorbell", "camera"):
        keep = mdns()
    if ROLE == "camera":
        multicast_listener(3702, wsd_reply)
        rtsp_listener()
    print("ready", flush=True)
    threading.Event().wait()
    del keep


if __name__ == "__main__":
    main()
