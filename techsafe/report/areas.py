"""Plain names for check areas (the `area` ids of techsafe/checks.py).

One table, used by every report format. An id not listed here is shown by
`area_name` in a readable form of its own last parts, never left out.
"""

from __future__ import annotations

AREA_NAMES: dict[str, str] = {
    # Android
    "android.apps.signatures": "Apps compared with known stalkerware and spyware lists",
    "android.apps.installers": "Where each app was installed from",
    "android.apps.identity": "App signing certificates and app code",
    "android.apps.files": "App files copied from the phone",
    "android.apps.disguised": "Apps disguised as other apps",
    "android.apps.hidden": "Apps hidden from the home screen",
    "android.apps.permissions": "App permissions",
    "android.apps.special_access": "Apps with special access",
    "android.accessibility": "Accessibility services (screen reading)",
    "android.device_admin": "Device admin and device owner apps",
    "android.notification_listeners": "Apps that read notifications",
    "android.accounts": "Accounts on the phone",
    "android.users": "Other users and work profiles",
    "android.root": "Rooting",
    "android.root.files": "Rooting files",
    "android.bootloader": "Bootloader lock",
    "android.call_forwarding": "Call forwarding",
    "android.network.proxy": "Network proxy",
    "android.network.vpn": "Always-on VPN",
    "android.network.vpn_apps": "VPN apps",
    "android.network.user_ca_certs": "Added security certificates",
    "android.debugging": "Developer options and wireless debugging",
    "android.usb_debugging": "USB debugging",
    "android.play_protect": "Google Play Protect",
    "android.settings.system": "System settings",
    "android.location": "Apps that use location in the background",
    "android.location.google": "Google location sharing",
    # iPhone
    "ios.acquisition": "Reading the iPhone",
    "ios.apps": "Apps compared with known stalkerware and spyware lists",
    "ios.jailbreak": "Jailbreak",
    "ios.profiles": "Configuration profiles",
    "ios.provisioning": "Provisioning profiles",
    "ios.management": "Supervision and device management",
    "ios.os": "iOS version and security updates",
    "ios.developer": "Developer mode",
    "ios.backup": "Backup encryption",
    "ios.accounts": "Accounts signed in",
    "ios.location": "Apps that may always use location",
    "ios.permissions": "App permissions",
    "ios.findmy": "Find My",
    "ios.location.sharing": "Location sharing in Find My",
    "ios.location.significant": "Significant Locations",
    # Bluetooth trackers
    "trackers.capture": "Bluetooth sweep",
    "trackers.separated": "Trackers away from their owner",
    "trackers.stateless": "Trackers that cannot be told apart over time",
    "trackers.near_owner": "Trackers near their owner",
    # Home network
    "network.scan": "Home network scan",
    "network.lan": "Home network devices, router and DNS",
    "network.devices": "Cameras, doorbells and other devices on the network",
    "network.router": "Router port forwards (UPnP)",
    "network.router.manual": "Router settings to check by hand",
    "network.dns": "DNS server",
    "network.traffic": "Phone traffic compared with stalkerware servers",
}


def area_name(area: str) -> str:
    """The plain name of a check area, e.g. android.apps.signatures ->
    "Apps compared with known stalkerware and spyware lists"."""
    if area in AREA_NAMES:
        return AREA_NAMES[area]
    words = area.split(".", 1)[-1].replace(".", " ").replace("_", " ").strip()
    return (words[:1].upper() + words[1:]) if words else area
