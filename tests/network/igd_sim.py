"""A simulated UPnP Internet Gateway Device: description and SOAP control answers.

Variants:
  v1         InternetGatewayDevice:1 / WANIPConnection:1, GetGenericPortMappingEntry only
  v2         InternetGatewayDevice:2 / WANIPConnection:2, also GetListOfPortMappings
             (the listing sent entity-escaped for TCP and in CDATA for UDP, as
             real gateways do both: miniupnpd uses CDATA)
  v2-nolist  WANIPConnection:2 that refuses GetListOfPortMappings with 606
             (Action not authorized), as routers with DeviceProtection do

Formats: UPnP Device Architecture 2.0 (description, SOAP faults);
UPnP IGD WANIPConnection:1 2.4.14 (GetGenericPortMappingEntry, fault 713) and
WANIPConnection:2 2.5.22 / 2.3.25.2 (GetListOfPortMappings, the PortMappingList
document in urn:schemas-upnp-org:gw:WANIPConnection; fault 730 when nothing
is in the range).
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

CAMERA_IP = "192.0.2.30"
MAPPINGS = [
    # (external port, protocol, internal client, internal port, description)
    (8554, "TCP", CAMERA_IP, 554, "RLC-510A RTSP"),
    (51413, "TCP", "192.0.2.50", 51413, "Transmission at 51413"),
]
VARIANTS = ("v1", "v2", "v2-nolist")


class IgdSim:
    def __init__(self, variant: str = "v1", mappings=MAPPINGS) -> None:
        assert variant in VARIANTS, variant
        self.variant = variant
        self.mappings = list(mappings)
        self.version = 1 if variant == "v1" else 2
        self.service = f"urn:schemas-upnp-org:service:WANIPConnection:{self.version}"
        self.calls: list[str] = []  # SOAP actions received, in order

    @property
    def device_type(self) -> str:
        return f"urn:schemas-upnp-org:device:InternetGatewayDevice:{self.version}"

    def service_list(self) -> str:
        v = self.version
        return f"""
    <deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:{v}</deviceType>
      <friendlyName>WANDevice</friendlyName><manufacturer>AVM Berlin</manufacturer><modelName>WANDevice</modelName>
      <deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:{v}</deviceType>
        <friendlyName>WANConnectionDevice</friendlyName><manufacturer>AVM Berlin</manufacturer><modelName>WANConnectionDevice</modelName>
        <serviceList><service><serviceType>{self.service}</serviceType>
          <serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId><controlURL>/igdupnp/control/WANIPConn1</controlURL>
          <eventSubURL>/igdupnp/control/WANIPConn1</eventSubURL><SCPDURL>/igdconnSCPD.xml</SCPDURL></service></serviceList>
      </device></deviceList></device></deviceList>"""

    def description(self, ip: str) -> bytes:
        return f"""<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
  <specVersion><major>1</major><minor>0</minor></specVersion>
  <device>
    <deviceType>{self.device_type}</deviceType>
    <friendlyName>FRITZ!Box 7590</friendlyName>
    <manufacturer>AVM Berlin</manufacturer>
    <modelName>FRITZ!Box 7590</modelName>
    <modelNumber>FRITZ!Box 7590</modelNumber>
    <UDN>uuid:a1b2c3d4-0000-1000-8000-0000000000aa</UDN>{self.service_list()}
  </device>
</root>""".encode()

    # ---- SOAP control ----------------------------------------------------
    def control(self, soap_action: str, body: bytes) -> tuple[int, bytes]:
        action = soap_action.strip('"').rsplit("#", 1)[-1]
        self.calls.append(action)
        if not soap_action.strip('"').startswith(self.service + "#"):
            return 500, fault(401, "Invalid Action")
        if action == "GetGenericPortMappingEntry":
            return self._entry(body)
        if action == "GetListOfPortMappings" and self.version == 2:
            if self.variant == "v2-nolist":
                return 500, fault(606, "Action not authorized")
            return self._listing(body)
        return 500, fault(401, "Invalid Action")

    def _entry(self, body: bytes) -> tuple[int, bytes]:
        index = _arg(body, "NewPortMappingIndex")
        if index is None or not index.isdigit():
            return 500, fault(402, "Invalid Args")
        if int(index) >= len(self.mappings):
            return 500, fault(713, "SpecifiedArrayIndexInvalid")
        ext, proto, client, port, desc = self.mappings[int(index)]
        return 200, response(
            self.service,
            "GetGenericPortMappingEntry",
            f"<NewRemoteHost></NewRemoteHost><NewExternalPort>{ext}</NewExternalPort><NewProtocol>{proto}</NewProtocol>"
            f"<NewInternalPort>{port}</NewInternalPort><NewInternalClient>{client}</NewInternalClient><NewEnabled>1</NewEnabled>"
            f"<NewPortMappingDescription>{escape(desc)}</NewPortMappingDescription><NewLeaseDuration>0</NewLeaseDuration>",
        )

    def _listing(self, body: bytes) -> tuple[int, bytes]:
        args = {k: _arg(body, k) for k in ("NewStartPort", "NewEndPort", "NewProtocol", "NewManage", "NewNumberOfPorts")}
        if any(v is None for v in args.values()):
            return 500, fault(402, "Invalid Args")
        start, end, number = int(args["NewStartPort"]), int(args["NewEndPort"]), int(args["NewNumberOfPorts"])
        if start > end:
            return 500, fault(733, "InconsistentParameters")
        chosen = [m for m in self.mappings if m[1] == args["NewProtocol"] and start <= m[0] <= end]
        if number:
            chosen = chosen[:number]
        if not chosen:
            return 500, fault(730, "PortMappingNotFound")
        entries = "".join(
            "<p:PortMappingEntry>"
            f"<p:NewRemoteHost></p:NewRemoteHost><p:NewExternalPort>{ext}</p:NewExternalPort><p:NewProtocol>{proto}</p:NewProtocol>"
            f"<p:NewInternalPort>{port}</p:NewInternalPort><p:NewInternalClient>{client}</p:NewInternalClient>"
            f"<p:NewEnabled>1</p:NewEnabled><p:NewDescription>{escape(desc)}</p:NewDescription><p:NewLeaseTime>0</p:NewLeaseTime>"
            "</p:PortMappingEntry>"
            for ext, proto, client, port, desc in chosen
        )
        listing = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<p:PortMappingList xmlns:p="urn:schemas-upnp-org:gw:WANIPConnection" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:schemaLocation="urn:schemas-upnp-org:gw:WANIPConnection http://www.upnp.org/schemas/gw/WANIPConnection-v2.xsd">'
            f"{entries}</p:PortMappingList>"
        )
        inner = escape(listing) if args["NewProtocol"] == "TCP" else f"<![CDATA[{listing}]]>"
        return 200, response(self.service, "GetListOfPortMappings", f"<NewPortListing>{inner}</NewPortListing>")


def _arg(body: bytes, name: str) -> str | None:
    m = re.search(rb"<" + name.encode() + rb">([^<]*)</" + name.encode() + rb">", body)
    return m.group(1).decode().strip() if m else None


def response(service: str, action: str, inner: str) -> bytes:
    return f"""<?xml version="1.0"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>
<u:{action}Response xmlns:u="{service}">{inner}</u:{action}Response></s:Body></s:Envelope>""".encode()


def fault(code: int, text: str) -> bytes:
    return f"""<?xml version="1.0"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>
<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>
<UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>{code}</errorCode><errorDescription>{text}</errorDescription></UPnPError>
</detail></s:Fault></s:Body></s:Envelope>""".encode()
