"""A simulated home-network device, run inside its own network namespace.

    python sim_device.py doorbell|camera|gateway IP

doorbell  Ring Video Doorbell: HomeKit `_hap._tcp` (ci=18) over mDNS (python-zeroconf,
          a real responder), SSDP root device with a UPnP description.
camera    Reolink RLC-510A: `_rtsp._tcp` over mDNS, SSDP + description, ONVIF
          WS-Discovery ProbeMatch, an RTSP listener on 554.
gateway   UPnP IGD (InternetGatewayDevice:1, WANIPConnection:1) with two port
          mappings, one to the camera's RTSP port; GetGenericPortMappingEntry
          answers SOAP fault 713 past the end (UPnP IGD WANIPConnection:1 spec 2.4.14).
Prints "ready" when listening; runs until killed.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLE, IP = sys.argv[1], sys.argv[2]
CAMERA_IP = "192.0.2.30"
MAPPINGS = [
    # (external port, protocol, internal client, internal port, description)
    (8554, "TCP", CAMERA_IP, 554, "RLC-510A RTSP"),
    (51413, "TCP", "192.0.2.50", 51413, "Transmission at 51413"),
]
DEVICES = {
    "doorbell": ("urn:schemas-upnp-org:device:Basic:1", "Front Door", "Ring", "Video Doorbell Pro 2"),
    "camera": ("urn:schemas-upnp-org:device:Basic:1", "Driveway", "Reolink", "RLC-510A"),
    "gateway": ("urn:schemas-upnp-org:device:InternetGatewayDevice:1", "FRITZ!Box 7590", "AVM Berlin", "FRITZ!Box 7590"),
}
UUID = {"doorbell": "a1b2c3d4-0000-1000-8000-0000000000d0", "camera": "a1b2c3d4-0000-1000-8000-0000000000ca", "gateway": "a1b2c3d4-0000-1000-8000-0000000000aa"}


def description() -> bytes:
    dtype, fname, maker, model = DEVICES[ROLE]
    services = ""
    if ROLE == "gateway":
        services = """
    <deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType>
      <friendlyName>WANDevice</friendlyName><manufacturer>AVM Berlin</manufacturer><modelName>WANDevice</modelName>
      <deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType>
        <friendlyName>WANConnectionDevice</friendlyName><manufacturer>AVM Berlin</manufacturer><modelName>WANConnectionDevice</modelName>
        <serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>
          <serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId><controlURL>/igdupnp/control/WANIPConn1</controlURL>
          <eventSubURL>/igdupnp/control/WANIPConn1</eventSubURL><SCPDURL>/igdconnSCPD.xml</SCPDURL></service></serviceList>
      </device></deviceList></device></deviceList>"""
    return f"""<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
  <specVersion><major>1</major><minor>0</minor></specVersion>
  <device>
    <deviceType>{dtype}</deviceType>
    <friendlyName>{fname}</friendlyName>
    <manufacturer>{maker}</manufacturer>
    <modelName>{model}</modelName>
    <modelNumber>{model}</modelNumber>
    <UDN>uuid:{UUID[ROLE]}</UDN>{services}
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
        if ROLE != "gateway" or "GetGenericPortMappingEntry" not in self.headers.get("SOAPAction", ""):
            return self._send(500, fault(401, "Invalid Action"))
        try:
            index = int(body.split(b"<NewPortMappingIndex>")[1].split(b"<")[0])
        except (IndexError, ValueError):
            return self._send(500, fault(402, "Invalid Args"))
        if index >= len(MAPPINGS):
            return self._send(500, fault(713, "SpecifiedArrayIndexInvalid"))
        ext, proto, client, port, desc = MAPPINGS[index]
        self._send(
            200,
            f"""<?xml version="1.0"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>
<u:GetGenericPortMappingEntryResponse xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:1">
<NewRemoteHost></NewRemoteHost><NewExternalPort>{ext}</NewExternalPort><NewProtocol>{proto}</NewProtocol>
<NewInternalPort>{port}</NewInternalPort><NewInternalClient>{client}</NewInternalClient><NewEnabled>1</NewEnabled>
<NewPortMappingDescription>{desc}</NewPortMappingDescription><NewLeaseDuration>0</NewLeaseDuration>
</u:GetGenericPortMappingEntryResponse></s:Body></s:Envelope>""".encode(),
        )


def fault(code: int, text: str) -> bytes:
    return f"""<?xml version="1.0"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>
<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>
<UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>{code}</errorCode><errorDescription>{text}</errorDescription></UPnPError>
</detail></s:Fault></s:Body></s:Envelope>""".encode()


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
