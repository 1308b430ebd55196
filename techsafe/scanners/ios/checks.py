"""iOS checks: facts (context.py) -> findings, one small function per lever.

Severities follow the DESIGN.md rubric: known stalkerware critical; a way for
someone else to watch or control the phone (MDM, root certificate,
supervision, jailbreak, visible monitoring app) high; dual-use or
non-App-Store apps, accounts and other profiles medium; context low/info.
"""

from __future__ import annotations

from typing import Iterable

from techsafe.checks import Unavailable, check
from techsafe.model import Evidence, Finding, Severity
from techsafe.scanners.ios import findmy, profile_types
from techsafe.scanners.ios.context import IosContext
from techsafe.scanners.ios.facts import IosApp
from techsafe.scanners.ios.parsers import TCC_SERVICES

# Oldest iOS major release Apple still ships security fixes for (checked
# 2025: iOS 16 received 16.7.x fixes; 15 and older get none for most models).
OLDEST_PATCHED_MAJOR = 16

# Apps that exist only on a jailbroken phone (package managers, root file
# managers, the jailbreak apps themselves), and TrollStore-style installers.
JAILBREAK_APPS: dict[str, str] = {
    "com.saurik.Cydia": "Cydia",
    "org.coolstar.SileoStore": "Sileo",
    "org.coolstar.sileo": "Sileo",
    "xyz.willy.Zebra": "Zebra",
    "com.tigisoftware.Filza": "Filza",
    "com.tigisoftware.FilzaEscaped": "Filza",
    "com.opa334.TrollStore": "TrollStore",
    "com.opa334.Dopamine": "Dopamine",
    "com.opa334.trollstorepersistencehelper": "TrollStore",
    "science.xnu.undecimus": "unc0ver",
    "kjc.loader": "checkra1n",
    "com.samiiau.loader": "palera1n",
    "org.coolstar.electra": "Electra",
    "org.coolstar.electra1141": "Electra",
    "org.coolstar.chimera": "Chimera",
    "org.coolstar.odyssey": "Odyssey",
    "org.coolstar.taurine": "Taurine",
    "me.apptapp.installer": "Installer",
}
# A lockdown service that only a jailbreak adds (full-filesystem AFC).
JAILBREAK_SERVICES = ("com.apple.afc2",)

_APP_KIND = {
    "stalkerware": ("ios.app.stalkerware", Severity.CRITICAL, "is known stalkerware: someone can secretly read this phone"),
    "spyware": ("ios.app.stalkerware", Severity.CRITICAL, "is known spyware: someone can secretly read this phone"),
    "watchware": ("ios.app.watchware", Severity.HIGH, "is a monitoring app that lets another person watch this phone"),
    "monitoring": ("ios.app.dual_use", Severity.MEDIUM, "can be used to monitor this phone"),
    "family-locator": ("ios.app.dual_use", Severity.MEDIUM, "shares this phone's location with other people"),
    "parental-control": ("ios.app.dual_use", Severity.MEDIUM, "lets another person control and watch this phone"),
    "anti-theft": ("ios.app.dual_use", Severity.MEDIUM, "can track and control this phone remotely"),
    "remote-access": ("ios.app.dual_use", Severity.MEDIUM, "lets another person see or control this phone's screen"),
    "doorbell": ("ios.app.connected_device", Severity.LOW, "controls a doorbell or camera: check who else has access"),
    "camera": ("ios.app.connected_device", Severity.LOW, "controls or streams a camera: check who else has access"),
    "tracker": ("ios.app.connected_device", Severity.LOW, "controls a location tracker: check whose it is"),
}


def app_subject(name: str, bundle_id: str) -> str:
    """A finding's subject for an app: its name, with the bundle id that identifies it."""
    return f"{name} ({bundle_id})" if name and name != bundle_id else bundle_id


def _app_label(ctx: IosContext, bundle_id: str) -> str:
    """app_subject() with the app's name when the app list has it (a backup's may not)."""
    try:
        apps_, _ = ctx.apps
    except Unavailable:
        return bundle_id
    for app in apps_:
        if app.bundle_id.lower() == bundle_id.lower():
            return app_subject(app.name, bundle_id)
    return bundle_id


def _app_facts(app: IosApp) -> tuple[tuple[str, str], ...]:
    facts = [("bundle_id", app.bundle_id)]
    if app.name:
        facts.append(("name", app.name))
    if app.version:
        facts.append(("version", app.version))
    if app.signer:
        facts.append(("signer", app.signer))
    if app.distributor:
        facts.append(("distributor", app.distributor))
    facts.append(("source", app.source))
    return tuple(facts)


@check("ios", area="ios.apps", kinds=tuple(dict.fromkeys(k for k, _, _ in _APP_KIND.values())) + ("ios.app.not_app_store",))
def apps(ctx: IosContext) -> Iterable[Finding]:
    apps_, artifact = ctx.apps
    for app in apps_:
        hit = ctx.indicators.match_bundle(app.bundle_id) if ctx.indicators is not None else None
        if hit is not None and hit.category in _APP_KIND:
            kind, sev, what = _APP_KIND[hit.category]
            yield Finding(kind, sev, f"{app.display} {what}.", app_subject(app.name, app.bundle_id),
                          (Evidence(artifact, f"CFBundleIdentifier = {app.bundle_id}"),), hit.match, facts=_app_facts(app))
        if app.app_store is False and not app.is_system and app.bundle_id not in JAILBREAK_APPS:
            how = f"from another marketplace ({app.distributor})" if app.distributor else f"signed by \"{app.signer}\""
            yield Finding("ios.app.not_app_store", Severity.MEDIUM,
                          f"{app.display} was not installed from the App Store ({how}).", app_subject(app.name, app.bundle_id),
                          (Evidence(artifact, f"SignerIdentity = {app.signer}"),), facts=_app_facts(app))
    ctx.every_app_read()


@check("ios", area="ios.jailbreak", kinds=("ios.jailbreak",))
def jailbreak(ctx: IosContext) -> Iterable[Finding]:
    apps_, artifact = ctx.apps
    for app in apps_:
        if app.bundle_id in JAILBREAK_APPS:
            yield Finding("ios.jailbreak", Severity.HIGH,
                          f"This iPhone shows signs of a jailbreak: the {JAILBREAK_APPS[app.bundle_id]} app is installed.",
                          app_subject(app.name or JAILBREAK_APPS[app.bundle_id], app.bundle_id),
                          (Evidence(artifact, f"CFBundleIdentifier = {app.bundle_id}"),), facts=_app_facts(app))
    for service in JAILBREAK_SERVICES:
        name = f"lockdown/start_service/{service}.plist"
        if name in ctx.records:
            from techsafe.scanners.ios.plists import ParseError, load_dict

            try:
                resp = load_dict(ctx.raw(name, "jailbreak service probe"), name)
            except (ParseError, Unavailable):
                continue
            if "Port" in resp and not resp.get("Error"):
                yield Finding("ios.jailbreak", Severity.HIGH,
                              "This iPhone shows signs of a jailbreak: it offers a service only a jailbreak adds.",
                              f"Jailbreak service ({service})", (Evidence(ctx.path(name), f"StartService {service}: Port given"),),
                              facts=(("service", service),))
    ctx.every_app_read()


_PAYLOAD_WORDS = {
    "com.apple.mdm": "device management (MDM)",
    "com.apple.security.root": "root certificate",
    "com.apple.security.pem": "certificate",
    "com.apple.security.pkcs1": "certificate",
    "com.apple.security.pkcs12": "identity certificate",
    "com.apple.vpn.managed": "VPN",
    "com.apple.vpn.managed.applayer": "per-app VPN",
    "com.apple.wifi.managed": "Wi-Fi",
    "com.apple.applicationaccess": "restrictions",
    "com.apple.notificationsettings": "notification settings",
    "com.apple.webcontent-filter": "web content filter",
    "com.apple.proxy.http.global": "global HTTP proxy",
    "com.apple.dnsSettings.managed": "DNS settings",
    "com.apple.app.lock": "single app mode",
}


@check("ios", area="ios.profiles", kinds=("ios.profile.mdm", "ios.profile.root_ca", "ios.profile.other"))
def profiles(ctx: IosContext) -> Iterable[Finding]:
    profiles_, artifact = ctx.profiles
    for p in profiles_:
        types = p.payload_types
        if types:
            kinds_words = ", ".join(dict.fromkeys(_PAYLOAD_WORDS.get(t, t) for t in types))
            is_mdm, is_root = "com.apple.mdm" in types, "com.apple.security.root" in types
        else:  # a live phone lists no payloads: judge from the names (profile_types.py)
            guess = profile_types.from_name(p)
            kinds_words = guess.words or "contents not reported by the iPhone"
            is_mdm, is_root = guess.kind == profile_types.MDM, guess.kind == profile_types.ROOT_CA
        org = p.organization or "an unnamed organisation"
        facts = [("identifier", p.identifier), ("organization", p.organization), ("payloads", kinds_words)]
        if p.installed:
            facts.append(("installed", p.installed))
        if p.removal_disallowed:
            facts.append(("removal", "disallowed"))
        ev = (Evidence(artifact, f"profile {p.identifier}"),)
        name = p.display_name or p.identifier
        subject = f"Profile \"{name}\""
        if is_mdm:
            yield Finding("ios.profile.mdm", Severity.HIGH,
                          f"A device-management (MDM) profile \"{name}\" from {org} lets them control and watch this iPhone.",
                          subject, ev, facts=tuple(facts))
        elif is_root:
            yield Finding("ios.profile.root_ca", Severity.HIGH,
                          f"A profile \"{name}\" from {org} installs a root certificate that can let someone read this iPhone's web traffic.",
                          subject, ev, facts=tuple(facts))
        else:
            yield Finding("ios.profile.other", Severity.MEDIUM,
                          f"A configuration profile \"{name}\" from {org} is installed ({kinds_words}): check the survivor knows it.",
                          subject, ev, facts=tuple(facts))


@check("ios", area="ios.provisioning", kinds=("ios.profile.provisioning",))
def provisioning(ctx: IosContext) -> Iterable[Finding]:
    profs, artifact = ctx.provisioning
    for p in profs:
        if p.provisions_all_devices:
            facts = (("name", p.name), ("uuid", p.uuid), ("team", p.team), ("app_id", p.app_id),
                     ("created", p.created), ("expires", p.expires))
            yield Finding("ios.profile.provisioning", Severity.MEDIUM,
                          f"An enterprise developer profile from \"{p.team or p.name}\" lets apps outside the App Store run on this iPhone.",
                          f"Developer profile \"{p.name or p.team or p.uuid}\"",
                          (Evidence(artifact, f"provisioning profile {p.name}"),), facts=tuple((k, v) for k, v in facts if v))


@check("ios", area="ios.management", kinds=("ios.supervised",))
def supervised(ctx: IosContext) -> Iterable[Finding]:
    cc, artifact = ctx.cloud_configuration
    if cc.get("IsSupervised") is True:
        org = cc.get("OrganizationName") if isinstance(cc.get("OrganizationName"), str) else ""
        yield Finding("ios.supervised", Severity.HIGH,
                      f"This iPhone is supervised{' by ' + org if org else ''}: an organisation can control it remotely.",
                      "Supervision", (Evidence(artifact, "IsSupervised = true"),),
                      facts=(("organization", org), ("mdm_unremovable", str(cc.get("IsMDMUnremovable") is True).lower())))


@check("ios", area="ios.os", kinds=("ios.os.outdated",))
def os_version(ctx: IosContext) -> Iterable[Finding]:
    dev = ctx.device
    version = dev.get("ios_version", "")
    try:
        major = int(version.split(".")[0])
    except ValueError:
        raise Unavailable("the iOS version was not reported") from None
    if major < OLDEST_PATCHED_MAJOR:
        src = "lockdown/values.plist" if ctx.is_live else "backup/Info.plist"
        yield Finding("ios.os.outdated", Severity.MEDIUM,
                      f"This iPhone runs iOS {version}, which no longer gets security updates: spyware can get in more easily.",
                      "iOS version", (Evidence(ctx.path(src), f"ProductVersion = {version}"),),
                      facts=(("ios_version", version), ("model", dev.get("model", ""))))


@check("ios", area="ios.developer", kinds=("ios.developer_mode",))
def developer_mode(ctx: IosContext) -> Iterable[Finding]:
    if not ctx.is_live:
        raise Unavailable(ctx.not_in_app_list("developer mode") if ctx.is_app_list
                          else "developer mode is only read from a connected iPhone")
    amfi = ctx.lockdown_domain("com.apple.security.mac.amfi")
    if amfi.get("DeveloperModeStatus") is True:
        yield Finding("ios.developer_mode", Severity.LOW,
                      "Developer mode is on: apps can be installed on this iPhone from a computer.",
                      "Developer mode", (Evidence(ctx.path("lockdown/com.apple.security.mac.amfi.plist"), "DeveloperModeStatus = true"),))


@check("ios", area="ios.backup", kinds=("ios.backup.not_encrypted",))
def backup_encryption(ctx: IosContext) -> Iterable[Finding]:
    if ctx.is_live:
        dom = ctx.lockdown_domain("com.apple.mobile.backup")
        will = dom.get("WillEncrypt")
        if will is False:
            yield Finding("ios.backup.not_encrypted", Severity.LOW,
                          "Backups of this iPhone to a computer are not encrypted: anyone with that computer can read them.",
                          "Backup encryption", (Evidence(ctx.path("lockdown/com.apple.mobile.backup.plist"), "WillEncrypt = false"),))
        return
    if ctx.is_backup:
        manifest = ctx.backup_manifest
        if manifest is None or manifest.get("IsEncrypted") is not True:
            yield Finding("ios.backup.not_encrypted", Severity.LOW,
                          "This backup is not encrypted: anyone who has a copy of it can read the phone's messages and photos.",
                          "Backup encryption", (Evidence(ctx.path("backup/Manifest.db"), "Manifest.db is plain SQLite"),))
        return
    raise Unavailable(ctx.not_in_app_list("backup encryption") if ctx.is_app_list else "backup encryption was not read")


@check("ios", area="ios.accounts", kinds=("ios.account.signed_in",))
def accounts(ctx: IosContext) -> Iterable[Finding]:
    accts, artifact = ctx.accounts
    for a in accts:
        facts = [("account_type", a.account_type)]
        if a.active is not None:
            facts.append(("turned_on", "yes" if a.active else "no"))  # a turned-off account keeps its password
        an = "An" if a.account_type[:1].lower() in "aeiou" else "A"
        yield Finding("ios.account.signed_in", Severity.MEDIUM,
                      f"{an} {a.account_type} account is signed in on this iPhone: check the survivor knows and controls it.",
                      f"{a.account_type} account ({a.username})" if a.username else f"{a.account_type} account", (Evidence(artifact, f"account type {a.account_type}"),),
                      facts=tuple(facts))


@check("ios", area="ios.location", kinds=("ios.location.always",))
def location_always(ctx: IosContext) -> Iterable[Finding]:
    clients, artifact = ctx.location_clients
    for c in clients:
        if c.authorization == "always" and "." in c.client and not c.client.startswith("com.apple.") and not c.client.startswith("/"):
            yield Finding("ios.location.always", Severity.LOW,
                          f"The app {c.client} may use this iPhone's location at any time (\"Always\").",
                          _app_label(ctx, c.client), (Evidence(artifact, f"{c.client}: Authorization = {c.raw}"),),
                          facts=(("bundle_id", c.client),))


@check("ios", area="ios.permissions", kinds=("ios.app.permissions",))
def permissions(ctx: IosContext) -> Iterable[Finding]:
    grants, artifact = ctx.tcc
    per_app: dict[str, list[str]] = {}
    for g in grants:
        if g.allowed and g.service in TCC_SERVICES and "." in g.client and not g.client.startswith("com.apple."):
            per_app.setdefault(g.client, [])
            word = TCC_SERVICES[g.service]
            if word not in per_app[g.client]:
                per_app[g.client].append(word)
    for client, words in sorted(per_app.items()):
        words = sorted(words)
        yield Finding("ios.app.permissions", Severity.INFO,
                      f"The app {client} is allowed to use: {', '.join(words)}.",
                      _app_label(ctx, client), (Evidence(artifact, f"access: {client}"),),
                      facts=(("bundle_id", client), ("permissions", ", ".join(words))))


# ---- Find My and location sharing (backup; what each file shows: findmy.py)


@check("ios", area="ios.findmy", kinds=("ios.findmy.enabled", "ios.findmy.off"))
def find_my(ctx: IosContext) -> Iterable[Finding]:
    state, artifact = ctx.find_my
    facts = [("find_my_iphone", "on" if state.enabled else "off")]
    if state.lost_mode_type:
        facts.append(("lost_mode_type", str(state.lost_mode_type)))  # meaning undocumented: shown, not judged
    ev = (Evidence(artifact, f"{state.source} = {str(state.enabled).lower()}"),)
    if state.enabled:
        yield Finding("ios.findmy.enabled", Severity.LOW,
                      "Find My iPhone is on: anyone who knows this iPhone's Apple ID password can see where it is.",
                      "Find My iPhone", ev, facts=tuple(facts))
    else:
        yield Finding("ios.findmy.off", Severity.LOW,
                      "Find My iPhone is off: if this iPhone is lost or taken, it cannot be found, locked or erased from a distance.",
                      "Find My iPhone", ev, facts=tuple(facts))


@check("ios", area="ios.location.sharing", kinds=("ios.location.sharing",))
def location_sharing(ctx: IosContext) -> Iterable[Finding]:
    try:
        people, artifact = ctx.find_my_people
    except Unavailable as exc:
        # Never a silent "no sharing": the backup may simply not hold it.
        raise Unavailable(f"{exc.reason}; check Find My > People on the iPhone", exc.artifact) from None
    if people > 0:
        who = "1 person" if people == 1 else f"{people} people"
        yield Finding("ios.location.sharing", Severity.HIGH,
                      f"Find My location sharing is set up with {who}: someone may be able to see where this iPhone is.",
                      "Find My location sharing", (Evidence(artifact, f"numberOfFriendsFollowersKey = {people}"),),
                      facts=(("people", str(people)),
                             ("direction", "not in the backup: sharing with them, seeing theirs, or both")))


@check("ios", area="ios.location.significant", kinds=("ios.location.significant_locations",))
def significant_locations(ctx: IosContext) -> Iterable[Finding]:
    try:
        clients, artifact = ctx.location_clients
    except Unavailable as exc:
        # Its own words: the ios.location line already says why clients.plist itself is missing.
        reason = exc.reason.replace("location permissions (clients.plist)", "the Significant Locations setting (in clients.plist)", 1)
        raise Unavailable(reason if reason != exc.reason else f"Significant Locations: {exc.reason}", exc.artifact) from None
    on = findmy.significant_locations(clients)
    if on is None:
        raise Unavailable("Significant Locations: the location permissions list has no entry for it", artifact)
    if on:
        yield Finding("ios.location.significant_locations", Severity.LOW,
                      "Significant Locations is on: this iPhone keeps a list of places the survivor goes, "
                      "which anyone who can unlock it can read.",
                      "Significant Locations", (Evidence(artifact, f"{findmy.SIGNIFICANT_LOCATIONS_BUNDLE}: Authorization = 3"),))
