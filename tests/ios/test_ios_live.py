"""Live scans of a simulated iPhone through the real pymobiledevice3 client.

Mocked: only the iPhone itself and usbmuxd (techsafe/simulate/ios_device.py,
which cannot exist on this machine); the client, pairing, TLS and framing are
pymobiledevice3's own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from techsafe.paths import resource_dir
from techsafe.scanners.ios import analyze, services
from techsafe.scanners.ios.acquire import IosAcquireError, TrustPending, acquire_ios, list_ios_devices
from techsafe.simulate.ios_harness import SimulatedIPhone, load_ios_profile

DEMO = resource_dir("fixtures/devices") / "ios17-demo"


@pytest.fixture(scope="module")
def demo_profile():
    return load_ios_profile(DEMO)


def _scan(phone, case, **kw):
    return acquire_ios(case, phone.udid, usbmux_address=phone.usbmux_address, **kw)


def _sent_only_allowed(phone) -> None:
    for entry in phone.requests:
        if entry[0] == "lockdown":
            assert entry[1] in services.ALLOWED_LOCKDOWN_REQUESTS, entry
            if entry[1] == "StartService":
                assert entry[2] in services.ALLOWED_SERVICES, entry
        if entry[0] == "service":
            allowed = {(r.service, next(iter(r.request.values()))) for r in services.SERVICE_REQUESTS}
            assert (entry[1], entry[2]) in allowed, entry


def test_demo_profile_is_what_the_issue_asks(demo_profile):
    assert demo_profile.values["ProductVersion"].startswith("17.")
    assert len(demo_profile.apps) >= 80


def test_demo_scan_exact_findings(demo_profile, new_case, indicators):
    case = new_case()
    with SimulatedIPhone(demo_profile) as phone:
        assert list_ios_devices(usbmux_address=phone.usbmux_address) == [
            __import__("techsafe.scanners.ios.acquire", fromlist=["IosDeviceRef"]).IosDeviceRef(
                demo_profile.udid, "Demo iPhone", "iPhone14,5", True)]
        said = []
        assert _scan(phone, case, progress=said.append) == []
        _sent_only_allowed(phone)
    assert said[0] == "Reading device information"
    a = analyze.analyze(case, indicators)
    assert [(f.kind, f.severity.label, f.subject) for f in a.findings] == [
        ("ios.jailbreak", "high", "Jailbreak service (com.apple.afc2)"),
        ("ios.profile.mdm", "high", 'Profile "Device Management"'),
        ("ios.jailbreak", "high", "Sileo (org.coolstar.SileoStore)"),
        ("ios.app.dual_use", "medium", "AnyDesk (com.philandro.anydesk)"),
        ("ios.profile.provisioning", "medium", 'Developer profile "SafeWatch In-House"'),
        ("ios.app.dual_use", "medium", "Life360 (com.life360.safetymap)"),
        ("ios.app.not_app_store", "medium", "SafeWatch Agent (com.safewatch.agent)"),
        ("ios.backup.not_encrypted", "low", "Backup encryption"),
        ("ios.app.connected_device", "low", "Google Home (com.google.Chromecast)"),
    ]
    # Raw ids stay in the facts, for the record.
    assert a.findings[0].fact("service") == "com.apple.afc2"
    assert a.findings[1].fact("identifier") == "com.northwind-devices.mdm.enroll"
    assert a.findings[4].fact("uuid") == "A1B2C3D4-0000-4000-8000-5AFE0A7C0001"
    assert a.findings[4].fact("name") == "SafeWatch In-House"
    mdm = a.findings[1]
    assert mdm.title == ('A device-management (MDM) profile "Device Management" from Northwind Device Services '
                         "lets them control and watch this iPhone.")
    assert mdm.fact("installed") == "2024-03-02T21:14:05Z"
    assert a.findings[6].title == ('SafeWatch Agent was not installed from the App Store '
                                   '(signed by "iPhone Distribution: SafeWatch Solutions Ltd").')
    assert a.findings[5].indicator.entry == "Life360"
    assert dict(a.device) == {
        "platform": "ios", "model": "iPhone14,5", "ios_version": "17.4.1", "build": "21E236", "name": "Demo iPhone",
        "udid": demo_profile.udid, "passcode_set": "yes", "developer_mode": "off", "supervised": "no",
        "source": "live", "apps_total": "84", "apps_user": "24",
    }
    # The phone lists profiles without their payloads: the MDM kind is judged from the name, and said so.
    assert mdm.fact("payloads") == "device management (MDM), judged from its name"
    # What only a backup holds is said out loud, never a silent "all clear".
    gaps = {n.area: n.reason for n in a.not_checked}
    assert set(gaps) == {"ios.accounts", "ios.location", "ios.permissions", "ios.findmy", "ios.location.sharing",
                         "ios.location.significant"}
    assert gaps["ios.location.sharing"] == ("location sharing (com.apple.icloud.fmfd.plist) is only read from a backup "
                                            "(use --backup on a live scan); check Find My > People on the iPhone")
    assert gaps["ios.location"] == "location permissions (clients.plist) is only read from a backup (use --backup on a live scan)"
    assert gaps["ios.location.significant"] == ("the Significant Locations setting (in clients.plist) is only read from "
                                                "a backup (use --backup on a live scan)")
    assert len(set(gaps.values())) == len(gaps)  # each "not checked" line says its own thing
    # Every reply is kept byte-for-byte; the app list came in 5 frames (20 apps each) + Complete.
    names = sorted(r.path for r in case.artifacts("ios"))
    assert [n for n in names if "installation_proxy" in n] == [
        f"artifacts/ios/installation_proxy/browse-{i:04d}.plist" for i in range(1, 7)]
    assert all(r.complete for r in case.artifacts("ios"))


def test_supervised_and_developer_mode(demo_profile, new_case, indicators):
    p = demo_profile.with_(cloud_configuration={"IsSupervised": True, "OrganizationName": "Northwind"},
                           domains={"com.apple.security.mac.amfi": {"DeveloperModeStatus": True},
                                    "com.apple.mobile.backup": {"WillEncrypt": True}},
                           values=dict(demo_profile.values, ProductVersion="15.8"), extra_services=(), profiles=())
    case = new_case()
    with SimulatedIPhone(p) as phone:
        assert _scan(phone, case) == []
    kinds = [(f.kind, f.severity.label) for f in analyze.analyze(case, indicators).findings]
    assert ("ios.supervised", "high") in kinds
    assert ("ios.developer_mode", "low") in kinds
    assert ("ios.os.outdated", "medium") in kinds
    assert not any(k == "ios.backup.not_encrypted" for k, _ in kinds)
    assert not any(k.startswith("ios.profile.m") for k, _ in kinds)


def test_untrusted_phone_times_out_with_plain_message(demo_profile, new_case):
    case = new_case()
    said = []
    with SimulatedIPhone(demo_profile.with_(trust="pending")) as phone:
        assert list_ios_devices(usbmux_address=phone.usbmux_address)[0].paired is False
        with pytest.raises(TrustPending) as exc:
            _scan(phone, case, wait_trust_s=0.5, progress=said.append)
    assert said == ["Unlock the iPhone and tap Trust"]
    assert str(exc.value) == "Unlock the iPhone and tap Trust, then start the scan again."
    assert case.artifacts("ios") == []


def test_phone_trusted_while_waiting_then_scanned(demo_profile, new_case):
    case = new_case()
    with SimulatedIPhone(demo_profile.with_(trust="after:1")) as phone:
        assert _scan(phone, case, wait_trust_s=5) == []
        assert ("lockdown", "Pair", "") in phone.requests
    # the pair record stays with techsafe's own config, not the user's home
    assert any(Path(case.root).parent.parent.rglob("ios-pairing/*.plist"))


def test_dont_trust_is_a_clear_error(demo_profile, new_case):
    with SimulatedIPhone(demo_profile.with_(trust="denied")) as phone:
        with pytest.raises(IosAcquireError) as exc:
            _scan(phone, new_case(), wait_trust_s=2)
    assert str(exc.value) == "The iPhone answered \"Don't Trust\": unplug it, plug it in again and tap Trust."


def test_no_phone_and_no_usbmuxd(demo_profile, new_case, tmp_path):
    with pytest.raises(IosAcquireError) as exc:
        acquire_ios(new_case(), None, usbmux_address=str(tmp_path / "nothing-here"))
    assert str(exc.value) == "Cannot reach the iPhone service (usbmuxd) on this laptop: run `techsafe doctor`."
    with SimulatedIPhone(demo_profile) as phone:
        with pytest.raises(IosAcquireError) as exc:
            acquire_ios(new_case(), "00008110-FFFFFFFFFFFFFFFF", usbmux_address=phone.usbmux_address)
    assert str(exc.value) == "No iPhone found: connect it with a USB cable and unlock it."


def test_phone_unplugged_mid_scan(demo_profile, new_case, indicators):
    case = new_case()
    with SimulatedIPhone(demo_profile, unplug_on_service="com.apple.mobile.MCInstall") as phone:
        not_done = _scan(phone, case)
    assert not_done == ["configuration profiles", "supervision and device management", "provisioning profiles"]
    a = analyze.analyze(case, indicators)
    gaps = {n.area: n.reason for n in a.not_checked}
    assert gaps["ios.profiles"] == ("configuration profiles were not read (the phone stopped answering: "
                                    "the iPhone stopped answering (unplugged or locked?))")
    assert "ios.management" in gaps and "ios.provisioning" in gaps
    # What was read before the phone vanished is still analyzed.
    assert ("ios.profile.mdm" not in {f.kind for f in a.findings})
    assert {"ios.apps", "ios.jailbreak", "ios.os"} <= set(a.checked)
    assert ("ios.app.not_app_store", "SafeWatch Agent (com.safewatch.agent)") in {(f.kind, f.subject) for f in a.findings}


def _profile(ident, name, org, *types, **extra):
    p = {"PayloadIdentifier": ident, "PayloadDisplayName": name, "PayloadOrganization": org,
         "PayloadUUID": "00000000-0000-4000-8000-" + f"{abs(hash(ident)) % 10**12:012d}",
         "PayloadContent": [{"PayloadType": t} for t in types]}
    p.update(extra)
    return p


PROFILES = (
    _profile("com.acme.wifi", "Acme Wi-Fi", "Acme", "com.apple.wifi.managed"),
    _profile("com.example.settings", "Settings", "", "com.apple.mdm"),  # an MDM profile with a bland name
    _profile("net.corp.trust", "Corporate Root Certificate", "Corp IT", "com.apple.security.root"),
    _profile("com.hexnode.enroll", "Hexnode", "Hexnode", "com.apple.mdm"),
)


def test_profile_kinds_when_the_phone_lists_no_payloads(demo_profile, new_case, indicators):
    """A real iPhone's GetProfileList carries no PayloadContent: kinds are judged from names, and an
    unknown one is still reported (medium), saying its contents were not reported."""
    case = new_case()
    with SimulatedIPhone(demo_profile.with_(profiles=PROFILES)) as phone:
        assert _scan(phone, case) == []
        _sent_only_allowed(phone)
    found = {f.fact("identifier"): f for f in analyze.analyze(case, indicators).findings if f.kind.startswith("ios.profile.")
             and f.kind != "ios.profile.provisioning"}
    assert {s: (f.kind, f.severity.label, f.fact("payloads")) for s, f in found.items()} == {
        "com.acme.wifi": ("ios.profile.other", "medium", "Wi-Fi, judged from its name"),
        "com.example.settings": ("ios.profile.other", "medium", "contents not reported by the iPhone"),
        "net.corp.trust": ("ios.profile.root_ca", "high", "root certificate, judged from its name"),
        "com.hexnode.enroll": ("ios.profile.mdm", "high", "device management (MDM), judged from its name"),
    }
    assert found["com.example.settings"].title == ('A configuration profile "Settings" from an unnamed organisation is '
                                                   "installed (contents not reported by the iPhone): check the survivor knows it.")


def test_profile_kinds_from_payload_types_when_listed(demo_profile, new_case, indicators):
    case = new_case()
    with SimulatedIPhone(demo_profile.with_(profiles=PROFILES, profile_list_payloads=True)) as phone:
        assert _scan(phone, case) == []
    found = {f.fact("identifier"): (f.kind, f.fact("payloads")) for f in analyze.analyze(case, indicators).findings
             if f.kind in ("ios.profile.mdm", "ios.profile.root_ca", "ios.profile.other")}
    assert found == {
        "com.acme.wifi": ("ios.profile.other", "Wi-Fi"),
        "com.example.settings": ("ios.profile.mdm", "device management (MDM)"),
        "net.corp.trust": ("ios.profile.root_ca", "root certificate"),
        "com.hexnode.enroll": ("ios.profile.mdm", "device management (MDM)"),
    }
