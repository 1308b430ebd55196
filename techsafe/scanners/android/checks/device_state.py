"""How the phone itself is set up: root, bootloader, call forwarding,
traffic routed elsewhere (proxy, VPN, added certificates), remote debugging."""

from __future__ import annotations

from typing import Iterator

from techsafe.checks import Unavailable, check
from techsafe.model import Evidence, Finding, Severity
from techsafe.scanners.android.checks.common import app_facts, app_label
from techsafe.scanners.android.context import KNOWN_STORES, AndroidContext

ROOT_PACKAGES = {
    "com.topjohnwu.magisk": "Magisk",
    "io.github.vvb2060.magisk": "Magisk (alpha)",
    "io.github.huskydg.magisk": "Kitsune Magisk",
    "me.weishu.kernelsu": "KernelSU",
    "com.rifsxd.ksunext": "KernelSU Next",
    "me.bmax.apatch": "APatch",
    "eu.chainfire.supersu": "SuperSU",
    "com.koushikdutta.superuser": "Superuser",
    "com.noshufou.android.su": "Superuser",
    "com.thirdparty.superuser": "Superuser",
    "com.kingroot.kinguser": "KingRoot",
    "com.kingo.root": "Kingo Root",
}
# Base names that mean root on their own (busybox alone does not).
ROOT_BINARIES = frozenset({"su", "daemonsu", "magisk", "magiskhide", "magiskpolicy", "ksud", "apd", ".su"})


def _root_binary(path: str) -> bool:
    base = path.rstrip("/").rsplit("/", 1)[-1]
    return base in ROOT_BINARIES or base in ("magisk", "ksu", "ap") and path.startswith("/data/adb/") or "Superuser" in base or base == "SuperSU"


def _optional(probe):
    try:
        return probe()
    except Unavailable:
        return None


@check("android", area="android.root", kinds=("android.root", "android.build.debuggable"))
def root(ctx: AndroidContext) -> Iterator[Finding]:
    """android.root: the phone is rooted (an app can do anything, including
    hide itself) (high). android.build.debuggable: a developer build that
    gives a connected computer full control (low)."""
    from techsafe.scanners.android.parsers.root import parse_root_binaries_json, parse_root_listing

    evidence: list[Evidence] = []
    reasons: list[str] = []
    listing = ctx.optional("root_paths", parse_root_listing)
    if listing:
        item = ctx.input("root_paths")
        for probe in listing:
            if probe.state == "present" and _root_binary(probe.path):
                evidence.append(item.evidence(probe.path, line=probe.line))
                reasons.append(f"{probe.path} exists")
    found = ctx.optional("androidqf_root_binaries", parse_root_binaries_json)
    if found:
        item = ctx.input("androidqf_root_binaries")
        for path in found:
            if _root_binary(path):
                evidence.append(item.evidence(f'"{path}"'))
                reasons.append(f"{path} exists")
    packages = _optional(lambda: ctx.packages) or {}
    for name, tool in sorted(ROOT_PACKAGES.items()):
        if name in packages:
            evidence.extend(ctx.package_evidence(name))
            reasons.append(f"the rooting app {tool} ({name}) is installed")
    props = _optional(lambda: ctx.props) or {}
    if props.get("ro.secure") == "0":
        evidence.append(ctx.input("getprop").evidence("[ro.secure]"))
        reasons.append("ro.secure=0: a connected computer gets full control")
    if listing is None and found is None and not packages and not props:
        raise Unavailable("neither the list of apps, device properties nor root files could be read")
    if reasons:
        yield Finding(
            "android.root",
            Severity.HIGH,
            "This phone is rooted: an app with root can read everything on it and hide itself.",
            "Root access",
            tuple(evidence),
            facts=(("why", "; ".join(dict.fromkeys(reasons))),),
        )
    if props.get("ro.debuggable") == "1" and props.get("ro.secure") != "0":
        yield Finding(
            "android.build.debuggable",
            Severity.LOW,
            "This phone runs a developer build (debuggable): a computer it is connected to can get full control.",
            "Developer build",
            (ctx.input("getprop").evidence("[ro.debuggable]"),),
            facts=(("build type", props.get("ro.build.type", "")),),
        )


@check("android", area="android.root.files", kinds=())
def root_files_readable(ctx: AndroidContext) -> Iterator[Finding]:
    """Says out loud when no listing of rooting tools' files was collected."""
    from techsafe.scanners.android.parsers.root import parse_root_binaries_json, parse_root_listing

    if "androidqf_root_binaries" in ctx.inputs:
        ctx.parsed("androidqf_root_binaries", parse_root_binaries_json)
    else:
        ctx.parsed("root_paths", parse_root_listing)
    return iter(())


@check("android", area="android.bootloader", kinds=("android.bootloader.unlocked",))
def bootloader(ctx: AndroidContext) -> Iterator[Finding]:
    """android.bootloader.unlocked: the bootloader is unlocked (low): someone
    holding the phone can replace its software. Not root by itself; a custom
    OS with a locked bootloader (GrapheneOS, verified boot "yellow") is not."""
    props = ctx.props
    item = ctx.input("getprop")
    evidence = []
    for key, unlocked in (("ro.boot.flash.locked", "0"), ("ro.boot.vbmeta.device_state", "unlocked"),
                          ("ro.boot.verifiedbootstate", "orange")):
        if props.get(key) == unlocked:
            evidence.append(item.evidence(f"[{key}]"))
    if evidence:
        yield Finding(
            "android.bootloader.unlocked",
            Severity.LOW,
            "The bootloader is unlocked: someone holding the phone can change its software. This alone does not mean it is rooted.",
            "Bootloader",
            tuple(evidence),
            facts=(("verified boot", props.get("ro.boot.verifiedbootstate", "unknown")),),
        )


@check("android", area="android.call_forwarding", kinds=("android.call_forwarding",))
def call_forwarding(ctx: AndroidContext) -> Iterator[Finding]:
    """android.call_forwarding: calls are forwarded to another number (high)."""
    item = ctx.input("dumpsys_telephony.registry")
    states = ctx.call_forwarding
    for state in states:
        if not state.active:
            continue
        sim = f"SIM {state.phone_id + 1}"
        yield Finding(
            "android.call_forwarding",
            Severity.HIGH,
            f"Calls to this phone ({sim}) are forwarded to another number: someone else may be getting the calls.",
            sim,
            (item.evidence("mCallForwarding=true", line=state.line),),
            facts=(("how to see the number", "Phone app > Settings > Calls > Call forwarding, or dial *#21#"),),
        )


def _setting(ctx: AndroidContext, key: str, namespaces: tuple[str, ...]) -> tuple[str, str] | None:
    found = ctx.setting(key, namespaces)
    if found is None or found[1].strip() in ("", "null"):
        return None
    return found


@check("android", area="android.network.proxy", kinds=("android.network.proxy",))
def proxy(ctx: AndroidContext) -> Iterator[Finding]:
    """android.network.proxy: web traffic is sent through another computer (high)."""
    for key in ("http_proxy", "global_http_proxy_host"):
        found = _setting(ctx, key, ("global",))
        if found is None or found[1].strip() in (":0", "0"):
            continue
        yield Finding(
            "android.network.proxy",
            Severity.HIGH,
            "Web traffic from this phone is sent through another computer (a proxy) that can watch it.",
            "HTTP proxy",
            (ctx.setting_evidence(found[0], key),),
            facts=(("proxy", found[1].strip()[:200]),),
        )
        return


@check("android", area="android.network.vpn", kinds=("android.network.vpn_always_on",))
def always_on_vpn(ctx: AndroidContext) -> Iterator[Finding]:
    """android.network.vpn_always_on: all traffic always goes through a VPN app (medium)."""
    found = _setting(ctx, "always_on_vpn_app", ("secure",))
    if found is None:
        return
    package = found[1].strip()
    lockdown = _optional(lambda: ctx.setting("always_on_vpn_lockdown", ("secure",)))
    pkg = (_optional(lambda: ctx.packages) or {}).get(package)
    yield Finding(
        "android.network.vpn_always_on",
        Severity.MEDIUM,
        f"All internet traffic always goes through the VPN app “{app_label(ctx, package)}”: check who set it up.",
        package,
        (ctx.setting_evidence(found[0], "always_on_vpn_app"),),
        facts=app_facts(pkg) + (("blocks traffic without the VPN", "yes" if lockdown and lockdown[1].strip() == "1" else "no"),),
    )


@check("android", area="android.network.vpn_apps", kinds=("android.network.vpn_app",))
def vpn_apps(ctx: AndroidContext) -> Iterator[Finding]:
    """android.network.vpn_app: an installed app that can route the phone's
    traffic as a VPN (low when not from a store, info otherwise)."""
    vpn = ctx.vpn_packages
    item = ctx.input("vpn_services")
    packages = _optional(lambda: ctx.packages) or {}
    for name in sorted(vpn):
        pkg = packages.get(name)
        if pkg is not None and pkg.system:
            continue
        from_store = pkg is not None and pkg.installer in KNOWN_STORES
        yield Finding(
            "android.network.vpn_app",
            Severity.INFO if from_store else Severity.LOW,
            f"“{app_label(ctx, name)}” is a VPN app: when turned on, the phone's traffic goes through it.",
            name,
            (item.evidence(f"{name}/"),),
            facts=app_facts(pkg),
        )


@check("android", area="android.network.user_ca_certs", kinds=("android.network.user_ca_cert",))
def user_certificates(ctx: AndroidContext) -> Iterator[Finding]:
    """android.network.user_ca_cert: a certificate added by hand lets whoever
    holds it read encrypted traffic routed to them (medium)."""
    try:
        certs = ctx.user_ca_certs
    except Unavailable as exc:
        raise Unavailable(
            "certificates added by the user cannot be listed from a computer on this phone; check on the phone: "
            "Settings > Security > Encryption & credentials > User credentials",
            exc.artifact,
        ) from None
    if certs:
        item = ctx.input("user_ca_certs")
        yield Finding(
            "android.network.user_ca_cert",
            Severity.MEDIUM,
            f"{len(certs)} security certificate(s) were added by hand: whoever holds them can read encrypted traffic sent through them.",
            "User certificates",
            tuple(item.evidence(c) for c in certs[:10]),
            facts=(("certificates", ", ".join(certs[:20])),),
        )


@check("android", area="android.debugging", kinds=("android.wireless_debugging.enabled", "android.developer_options.enabled"))
def debugging(ctx: AndroidContext) -> Iterator[Finding]:
    """android.wireless_debugging.enabled: a paired computer on the same Wi-Fi
    can control the phone (low). android.developer_options.enabled: developer
    options on although USB debugging is off (info; with USB debugging on they
    are needed for this scan and not reported)."""
    wifi = ctx.setting("adb_wifi_enabled", ("global",))
    if wifi and wifi[1].strip() == "1":
        yield Finding(
            "android.wireless_debugging.enabled",
            Severity.LOW,
            "Wireless debugging is on: a computer paired with this phone can control it over Wi-Fi.",
            "Wireless debugging",
            (ctx.setting_evidence(wifi[0], "adb_wifi_enabled"),),
        )
    dev = ctx.setting("development_settings_enabled", ("global", "secure"))
    usb = ctx.setting("adb_enabled", ("global", "secure"))
    if dev and dev[1].strip() == "1" and not (usb and usb[1].strip() == "1"):
        yield Finding(
            "android.developer_options.enabled",
            Severity.INFO,
            "Developer options are turned on: ask whether the survivor turned them on.",
            "Developer options",
            (ctx.setting_evidence(dev[0], "development_settings_enabled"),),
        )
