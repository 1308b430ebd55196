"""Every parser that reads hostile bytes, as one table shared by the property
tests (tests/reliability/) and the fuzzing harness (fuzz/run.py).

A target is `fn(data: bytes)`: it may return anything or raise one of the
documented error types (`allowed`); any other exception is a bug. Seeds are
real inputs (../shared) or small inputs built here from the documented
formats (cited next to each builder), so mutations start from valid shapes.
"""

from __future__ import annotations

import io
import plistlib
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[2]
SHARED = (REPO / ".." / "shared").resolve()
DEMO = REPO / "fixtures" / "devices" / "android14-demo" / "outputs"


@dataclass(frozen=True)
class Target:
    name: str
    family: str  # android | ios | trackers | network | feeds
    fn: Callable[[bytes], Any]
    allowed: tuple[type[BaseException], ...]
    seeds: Callable[[], list[bytes]] = field(default=lambda: [])


def shared_file(rel: str) -> bytes:
    path = SHARED / rel
    if not path.is_file():
        raise AssertionError(f"shared test data missing: {path}")
    return path.read_bytes()


def _text(fn: Callable[[str], Any]) -> Callable[[bytes], Any]:
    # The analyzer decodes device output this way (inputs.py), so do we.
    return lambda data: fn(data.decode("utf-8", "replace"))


# ---- builders for formats nobody shared ------------------------------------

def ble_ad_airtag() -> bytes:
    # Apple Find My "separated" Offline Finding advertisement: AD type 0xFF,
    # company 0x004C, TLV type 0x12 length 0x19 (OpenHaystack firmware layout).
    return bytes([0x1E, 0xFF, 0x4C, 0x00, 0x12, 0x19, 0x10]) + bytes(range(1, 23)) + b"\x01\x00"


def ble_ad_smarttag() -> bytes:
    # Samsung SmartTag: 16-bit service data UUID 0xFD5A (decoders/samsung.py).
    body = b"\x5a\xfd" + bytes([0x12]) + (7).to_bytes(3, "little") + bytes(8) + b"\x03" + b"\xaa" * 4
    return bytes([len(body) + 1, 0x16]) + body


def hci_adv_report(ad: bytes, addr: bytes = bytes.fromhex("665544332211"), rssi: int = -60) -> bytes:
    # H4 packet: 0x04 event, LE Meta 0x3E, sub-event 0x02 LE Advertising Report
    # (Bluetooth Core 5.x, Vol 4 Part E 7.7.65.2).
    params = bytes([0x02, 1, 0x00, 0x01]) + addr + bytes([len(ad)]) + ad + struct.pack("b", rssi)
    return bytes([0x04, 0x3E, len(params)]) + params


def btsnoop_file(packets: list[bytes]) -> bytes:
    # btsnoop v1 (RFC 1761-style header; datalink 1002 = HCI UART H4).
    out = b"btsnoop\x00" + struct.pack(">II", 1, 1002)
    ts = 0x00DCDDB30F2F8000 + 1_700_000_000_000_000
    for i, p in enumerate(packets):
        out += struct.pack(">IIIIq", len(p), len(p), 3, 0, ts + i * 1000) + p
    return out


def pcap_file(linktype: int, packets: list[bytes]) -> bytes:
    # libpcap classic format (pcap-savefile(5)), microsecond, little endian.
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)
    for i, p in enumerate(packets):
        out += struct.pack("<IIII", 1_700_000_000 + i, 0, len(p), len(p)) + p
    return out


def pcapng_file(linktype: int, packets: list[bytes]) -> bytes:
    # pcapng (IETF draft-ietf-opsawg-pcapng): SHB, IDB, EPBs.
    def block(btype: int, body: bytes) -> bytes:
        body += b"\x00" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", linktype, 0, 65535))
    for i, p in enumerate(packets):
        out += block(6, struct.pack("<IIIII", 0, 0, i, len(p), len(p)) + p)
    return out


def dns_name(name: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".") if p) + b"\x00"


def mdns_response() -> bytes:
    # RFC 6762/6763 answer: PTR -> SRV, TXT and A (RFC 1035 wire format).
    inst = "Front Door._hap._tcp.local"
    rr = []
    rr.append(dns_name("_hap._tcp.local") + struct.pack(">HHIH", 12, 1, 120, len(dns_name(inst))) + dns_name(inst))
    srv = struct.pack(">HHH", 0, 0, 8080) + dns_name("door.local")
    rr.append(dns_name(inst) + struct.pack(">HHIH", 33, 1, 120, len(srv)) + srv)
    txt = b"".join(bytes([len(x)]) + x for x in (b"md=Doorbell Pro", b"ci=17"))
    rr.append(dns_name(inst) + struct.pack(">HHIH", 16, 1, 120, len(txt)) + txt)
    rr.append(dns_name("door.local") + struct.pack(">HHIH", 1, 1, 120, 4) + bytes([192, 168, 1, 23]))
    return struct.pack(">HHHHHH", 0, 0x8400, 0, len(rr), 0, 0) + b"".join(rr)


SSDP = (b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nLOCATION: http://192.168.1.1:1900/rootDesc.xml\r\n"
        b"SERVER: Linux UPnP/1.0\r\nST: upnp:rootdevice\r\nUSN: uuid:1::upnp:rootdevice\r\n\r\n")
UPNP_XML = b"""<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion><major>1</major><minor>0</minor></specVersion>
<device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>
<friendlyName>Router</friendlyName><manufacturer>ACME</manufacturer><modelName>R1</modelName><modelNumber>1</modelNumber>
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType>
<serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>
<controlURL>/ctl/IPConn</controlURL></service></serviceList></device></deviceList></device></root>"""
SOAP_MAPPING = b"""<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
<u:GetGenericPortMappingEntryResponse xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:1">
<NewRemoteHost></NewRemoteHost><NewExternalPort>8554</NewExternalPort><NewProtocol>TCP</NewProtocol>
<NewInternalPort>554</NewInternalPort><NewInternalClient>192.168.1.23</NewInternalClient><NewEnabled>1</NewEnabled>
<NewPortMappingDescription>cam</NewPortMappingDescription><NewLeaseDuration>0</NewLeaseDuration>
</u:GetGenericPortMappingEntryResponse></s:Body></s:Envelope>"""
WSD = b"""<?xml version="1.0"?><e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"
xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"><e:Body><d:ProbeMatches><d:ProbeMatch>
<d:Types>dn:NetworkVideoTransmitter</d:Types><d:Scopes>onvif://www.onvif.org/hardware/IPC-1 onvif://www.onvif.org/name/Cam</d:Scopes>
<d:XAddrs>http://192.168.1.30/onvif/device_service</d:XAddrs></d:ProbeMatch></d:ProbeMatches></e:Body></e:Envelope>"""


def ether_ipv4_udp_dns() -> bytes:
    from scapy.all import DNS, DNSQR, IP, UDP, Ether, raw

    return raw(Ether() / IP(src="192.168.1.5", dst="1.1.1.1") / UDP(sport=5353, dport=53)
               / DNS(rd=1, qd=DNSQR(qname="spy.example.com")))


def client_hello() -> bytes:
    # TLS 1.2 ClientHello with an SNI extension (RFC 8446 4.1.2, RFC 6066 3).
    sni = b"c2.example.net"
    ext_sni = struct.pack(">HHHBH", 0, len(sni) + 5, len(sni) + 3, 0, len(sni)) + sni
    body = b"\x03\x03" + bytes(32) + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00" + struct.pack(">H", len(ext_sni)) + ext_sni
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


# ---- the targets -------------------------------------------------------------

def _android_targets() -> list[Target]:
    from techsafe.scanners.android import parsers as p
    from techsafe.scanners.android.facts import ParseError
    from techsafe.scanners.android.parsers import appops, certs, intent_query, root, settings_dump, telephony

    demo = lambda name: lambda: [(DEMO / name).read_bytes()]  # noqa: E731
    cap = lambda *rel: lambda: [shared_file(f"captures/android/{r}") for r in rel]  # noqa: E731
    pe = (ParseError,)
    return [
        Target("android.split_dump", "android", _text(p.split_dump), pe, cap("mvt/bugreport/dumpstate.txt")),
        Target("android.getprop", "android", _text(p.parse_getprop), pe, cap("mvt/android_data/getprop.txt")),
        Target("android.settings", "android", _text(p.parse_settings), pe, demo("settings_secure.txt")),
        Target("android.package_list", "android", _text(p.parse_package_list), pe, demo("packages.txt")),
        Target("android.dumpsys_package", "android", _text(p.parse_dumpsys_package), pe,
               cap("spytrap-adb/package/fdroid.txt") if (SHARED / "captures/android/spytrap-adb/package/fdroid.txt").exists()
               else demo("dumpsys_package_com.systemservice.txt")),
        Target("android.accessibility", "android", _text(p.parse_accessibility), pe,
               cap("spytrap-adb/accessibility/plain.txt", "spytrap-adb/accessibility/plain2.txt")),
        Target("android.device_policy", "android", _text(p.parse_device_policy), pe, demo("dumpsys_device_policy.txt")),
        Target("android.users", "android", _text(p.parse_users), pe, demo("users.txt")),
        Target("android.accounts", "android", _text(p.parse_accounts), pe, demo("dumpsys_account.txt")),
        Target("android.androidqf_packages", "android", _text(p.parse_androidqf_packages), pe,
               cap("mvt/androidqf/packages.json")),
        Target("android.appops", "android", _text(appops.parse_appops), pe, cap("mvt/android_data/dumpsys_appops.txt")
               if (SHARED / "captures/android/mvt/android_data/dumpsys_appops.txt").exists() else lambda: [b""]),
        Target("android.settings_dump", "android", _text(settings_dump.parse_dumpsys_settings), pe,
               lambda: [b"DUMP OF SETTINGS secure:\n_id:1 name:adb_enabled value:1\n"]),
        Target("android.telephony", "android", _text(telephony.parse_telephony_registry), pe,
               lambda: [b"  mCallForwarding=true\n  mCallForwarding=false\n"]),
        Target("android.intent_query", "android", _text(intent_query.parse_intent_query), pe,
               lambda: [b"2 activities found:\n  com.a.b/.Main\n  com.c.d/com.c.d.Launch\n"]),
        Target("android.root_listing", "android", _text(root.parse_root_listing), pe,
               lambda: [b"ls: /system/bin/su: No such file or directory\n-rwsr-x--- 1 root root 1 2024-01-01 00:00 /sbin/su\n"]),
        Target("android.root_binaries_json", "android", _text(root.parse_root_binaries_json), pe,
               cap("mvt/androidqf/root_binaries.json")),
        Target("android.user_ca_listing", "android", _text(certs.parse_user_ca_listing), pe,
               lambda: [b"-rw-r--r-- 1 system system 1 2024-01-01 00:00 9a5ba575.0\n"]),
    ]


def _ios_targets() -> list[Target]:
    from techsafe.scanners.ios import parsers as p
    from techsafe.scanners.ios.plists import ParseError, keyed_archive_root, load_plist

    backup = SHARED / "captures/ios/mvt-backup"

    def backup_files(kind: bytes) -> list[bytes]:
        files = sorted(x for x in backup.glob("??/*") if x.is_file())
        assert files, f"shared iOS backup missing: {backup}"
        return [x.read_bytes() for x in files if x.read_bytes()[:len(kind)] == kind][:3]

    plist_seeds = lambda: [shared_file("captures/ios/mvt-backup/Info.plist")] + backup_files(b"bplist")  # noqa: E731
    profile_list = plistlib.dumps({"Status": "Acknowledged", "OrderedIdentifiers": ["com.x"],
                                   "ProfileMetadata": {"com.x": {"PayloadDisplayName": "MDM", "PayloadRemovalDisallowed": True}}})
    prov = plistlib.dumps({"Status": 0, "Payload": [b"\x30\x82" + plistlib.dumps({"Name": "x", "TeamName": "T",
                           "Entitlements": {"get-task-allow": True}, "ProvisionedDevices": ["a"]})]})
    pe = (ParseError,)
    return [
        Target("ios.plist", "ios", lambda d: load_plist(d, "x"), pe, plist_seeds),
        Target("ios.keyed_archive", "ios", lambda d: keyed_archive_root(d, "x"), pe, plist_seeds),
        Target("ios.installation_proxy", "ios", lambda d: p.apps_from_installation_proxy(d, "x"), pe,
               lambda: [shared_file("captures/ios/isdi/ios_apps.plist")]),
        Target("ios.profile_list", "ios", lambda d: p.profiles_from_profile_list(d, "x"), pe, lambda: [profile_list]),
        Target("ios.profile_stub", "ios", lambda d: p.profile_from_stub(d, "x"), pe, lambda: [profile_list]),
        Target("ios.profile_events", "ios", lambda d: p.profile_events(d, "x"), pe, lambda: [profile_list]),
        Target("ios.provisioning_profiles", "ios", lambda d: p.provisioning_profiles(d, "x"), pe, lambda: [prov]),
        Target("ios.location_clients", "ios", lambda d: p.location_clients(d, "x"), pe, plist_seeds),
        Target("ios.global_preferences", "ios", lambda d: p.global_preferences(d, "x"), pe, plist_seeds),
        Target("ios.tcc_db", "ios", lambda d: p.tcc_grants(d, "x"), pe, lambda: backup_files(b"SQLite format 3")),
        Target("ios.accounts_db", "ios", lambda d: p.accounts(d, "x"), pe, lambda: backup_files(b"SQLite format 3")),
    ]


def _tracker_targets() -> list[Target]:
    from techsafe.scanners.trackers.captures import read_capture
    from techsafe.scanners.trackers.decoders import identify
    from techsafe.scanners.trackers.sighting import parse_ad, sighting_from_ad

    ads = [ble_ad_airtag(), ble_ad_smarttag(), b"\x02\x01\x06"]
    h4 = [hci_adv_report(a) for a in ads]

    def decode(data: bytes):
        s = sighting_from_ad(1_700_000_000_000_000, "AA:BB:CC:DD:EE:FF", "random", -50, data, "fuzz")
        return identify(s)

    sightings = (b'{"format": "techsafe.ble-sightings/1", "started": "2024-01-01T00:00:00Z"}\n'
                 b'{"time": "2024-01-01T00:00:01Z", "address": "AA:BB:CC:DD:EE:FF", "rssi": -40, "ad": "'
                 + ble_ad_airtag().hex().encode() + b'"}\n')
    return [
        Target("trackers.ad_fields", "trackers", parse_ad, (), lambda: ads),
        Target("trackers.decoders", "trackers", decode, (), lambda: ads),
        Target("trackers.btsnoop", "trackers", read_capture, (), lambda: [btsnoop_file(h4)]),
        Target("trackers.pcap", "trackers", read_capture, (), lambda: [pcap_file(201, h4), pcap_file(251, [b"\xd6\xbe\x89\x8e" + b"\x02\x25" + bytes(6) + ads[0]])]),
        Target("trackers.pcapng", "trackers", read_capture, (), lambda: [pcapng_file(201, h4)]),
        Target("trackers.sightings_jsonl", "trackers", read_capture, (), lambda: [sightings]),
    ]


def _network_targets() -> list[Target]:
    from techsafe.scanners.network import decoders, parse
    from techsafe.scanners.network.pcapfile import CaptureFormatError, CaptureReader

    def read_traffic(data: bytes):
        reader = CaptureReader(io.BytesIO(data))
        frames = list(reader)
        return reader.problem, len(frames)

    dns_payload = lambda: [mdns_response(), ether_ipv4_udp_dns()[42:]]  # noqa: E731
    return [
        Target("network.mdns", "network", parse.mdns_records, (), lambda: [mdns_response()]),
        Target("network.dns_names", "network", decoders.dns_names, (), dns_payload),
        Target("network.ssdp", "network", parse.ssdp_headers, (), lambda: [SSDP]),
        Target("network.upnp_xml", "network", lambda d: parse.upnp_description(d, "http://192.168.1.1:1900/x.xml"), (),
               lambda: [UPNP_XML]),
        Target("network.soap_port_mapping", "network", parse.soap_port_mapping, (), lambda: [SOAP_MAPPING]),
        Target("network.wsd", "network", parse.wsd_probe_matches, (), lambda: [WSD]),
        Target("network.tls_sni", "network", lambda d: decoders.client_hello_sni(decoders.tls_handshake_bytes(d)), (),
               lambda: [client_hello()]),
        Target("network.http_host", "network", decoders.http_host, (), lambda: [b"GET / HTTP/1.1\r\nHost: x.example:80\r\n\r\n"]),
        Target("network.resolv_conf", "network", parse.resolv_conf_servers, (), lambda: [b"nameserver 192.168.1.1\n"]),
        Target("network.pcap", "network", read_traffic, (CaptureFormatError,),
               lambda: [pcap_file(1, [ether_ipv4_udp_dns()]), pcapng_file(1, [ether_ipv4_udp_dns()])]),
    ]


def _feed_targets() -> list[Target]:
    from techsafe.signatures.echap import check_yara, parse_echap
    from techsafe.signatures.records import FeedError
    from techsafe.signatures.safeyaml import load_yaml
    from techsafe.signatures.stix2 import parse_pattern, parse_stix2

    ioc = lambda: [shared_file("indicators/echap/ioc.yaml")[:20_000]]  # noqa: E731
    fe = (FeedError,)
    return [
        Target("feeds.yaml", "feeds", lambda d: load_yaml(d, "x.yaml"), fe, ioc),
        Target("feeds.echap", "feeds", lambda d: parse_echap({"ioc.yaml": d}), fe, ioc),
        Target("feeds.echap_csv", "feeds",
               lambda d: parse_echap({"ioc.yaml": shared_file("indicators/echap/ioc.yaml"), "samples.csv": d}), fe,
               lambda: [shared_file("indicators/echap/samples.csv")[:4000]]),
        Target("feeds.echap_yara", "feeds",
               lambda d: parse_echap({"ioc.yaml": shared_file("indicators/echap/ioc.yaml"), "rules.yar": d}), fe,
               lambda: [shared_file("indicators/echap/rules.yar")[:6000]]),
        Target("feeds.yara_compile", "feeds", check_yara, (), lambda: [shared_file("indicators/echap/rules.yar")[:6000]]),
        Target("feeds.stix2", "feeds", lambda d: parse_stix2(d, "x.stix2"), fe,
               lambda: [shared_file("indicators/stix2/otx-pulse.stix2.json"), shared_file("indicators/stix2/cytrox.stix2")[:30_000]]),
        Target("feeds.stix2_pattern", "feeds", lambda d: parse_pattern(d.decode("utf-8", "replace")), (),
               lambda: [b"[domain-name:value = 'a.example' OR url:value = 'http://b.example/x']"]),
    ]


def all_targets() -> list[Target]:
    return _android_targets() + _ios_targets() + _tracker_targets() + _network_targets() + _feed_targets()


def targets_by_name() -> dict[str, Target]:
    return {t.name: t for t in all_targets()}


FAMILIES = ("android", "ios", "trackers", "network", "feeds")
