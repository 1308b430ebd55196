"""Who made a device and what it is: doorbell, camera, speaker/display, router, other.

Vendor names come from the IEEE OUI registry bundled with `netaddr` (offline,
maintained upstream; no hand-made MAC table). Classification combines what the
device says about itself: HomeKit category, ONVIF, UPnP device type and model,
service names, open camera ports, and the maker.
"""

from __future__ import annotations

import re
from functools import lru_cache

# HomeKit Accessory Protocol `ci` (category identifier), HAP spec R2 table 12-3.
HAP_CATEGORIES = {"17": "camera", "18": "doorbell", "24": "speaker", "26": "speaker", "31": "display", "32": "display", "33": "router"}

# Doorbell and camera makers -> brand key (playbook facts: who has shared access, how to review it).
BRANDS: tuple[tuple[str, str], ...] = (
    ("ring", "ring"),
    ("nest", "nest"),
    ("google", "nest"),
    ("arlo", "arlo"),
    ("netgear", "arlo"),
    ("eufy", "eufy"),
    ("anker", "eufy"),
    ("wyze", "wyze"),
    ("blink", "blink"),
    ("immedia", "blink"),  # Blink's OUI holder
    ("simplisafe", "simplisafe"),
    ("reolink", "reolink"),
    ("tapo", "tapo"),
    ("tp-link", "tapo"),
    ("hikvision", "hikvision"),
    ("hangzhou hikvision", "hikvision"),
    ("ezviz", "hikvision"),
    ("dahua", "dahua"),
    ("amcrest", "dahua"),
    ("lorex", "lorex"),
    ("swann", "swann"),
    ("axis", "axis"),
    ("ubiquiti", "ubiquiti"),
    ("logitech", "logitech"),
    ("canary", "canary"),
    ("amazon", "ring"),  # Ring devices often carry Amazon OUIs
)
CAMERA_ONLY_BRANDS = frozenset({"reolink", "hikvision", "dahua", "lorex", "swann", "wyze", "eufy", "arlo", "blink", "canary", "simplisafe", "ring"})
CAMERA_PORTS = frozenset({554, 8554, 37777, 34567})

_DOORBELL = re.compile(r"door\s*bell|doorbell|video\s*door|\bdoorcam|\bchime\b", re.I)
_CAMERA = re.compile(r"camera|\bcam\b|\bipc\b|\bnvr\b|\bdvr\b|video|spotlight|floodlight|stick\s*up", re.I)
_SPEAKER = re.compile(r"speaker|chromecast|google\s*home|nest\s*(mini|audio|hub)|echo|sonos|homepod|display", re.I)


@lru_cache(maxsize=4096)
def oui_vendor(mac: str) -> str:
    """Registered organisation of a MAC's OUI, "" when unknown or locally administered."""
    try:
        first = int(mac.split(":")[0], 16)
    except (ValueError, IndexError):
        return ""
    if first & 0x02:  # locally administered (randomised) addresses have no registered owner
        return ""
    try:
        from netaddr import EUI

        return str(EUI(mac).oui.registration().org).strip()
    except Exception:  # unknown OUI, malformed address
        return ""


def brand_of(*texts: str) -> str:
    joined = " ".join(t.lower() for t in texts if t)
    for needle, brand in BRANDS:
        if re.search(r"(^|[^a-z])" + re.escape(needle) + r"([^a-z]|$)", joined):
            return brand
    return ""


def classify(
    *,
    vendor: str,
    is_gateway: bool,
    hap_category: str,
    service_types: tuple[str, ...],
    upnp_types: tuple[str, ...],
    descriptions: tuple[str, ...],
    onvif: bool,
    open_ports: tuple[int, ...],
) -> tuple[str, str]:
    """(class, reason) with class in doorbell, camera, speaker, router, other."""
    hap = HAP_CATEGORIES.get(hap_category, "")
    text = " ".join(descriptions)
    if hap == "doorbell":
        return "doorbell", f"HomeKit category {hap_category} (video doorbell)"
    if _DOORBELL.search(text):
        return "doorbell", "describes itself as a doorbell"
    if hap == "camera":
        return "camera", f"HomeKit category {hap_category} (IP camera)"
    if onvif:
        return "camera", "answers ONVIF discovery as a video transmitter"
    if any("camera" in t.lower() or "nvr" in t.lower() for t in upnp_types) or _CAMERA.search(text):
        return "camera", "describes itself as a camera"
    if any(s in ("_rtsp._tcp", "_axis-video._tcp", "_onvif._tcp") for s in service_types):
        return "camera", "offers a video stream service"
    if is_gateway or any("InternetGatewayDevice" in t for t in upnp_types):
        return "router", "the network's gateway"
    if set(open_ports) & CAMERA_PORTS:
        return "camera", "has a video stream port open (" + ", ".join(str(p) for p in sorted(set(open_ports) & CAMERA_PORTS)) + ")"
    if hap in ("speaker", "display") or any(s in ("_googlecast._tcp", "_airplay._tcp") for s in service_types) or _SPEAKER.search(text):
        return "speaker", "a smart speaker or display"
    if brand_of(vendor) in CAMERA_ONLY_BRANDS:
        return "camera", f"made by {vendor}, a camera maker"
    return "other", ""
