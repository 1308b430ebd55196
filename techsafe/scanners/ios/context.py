"""The iOS check context: lazily parsed facts from the case's ios artifacts.

A property raises Unavailable (-> a visible "not checked" line) when the
artifact it needs is missing, incomplete or unparseable. Live scans and
backups feed the same properties; each property says which sources it reads.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from techsafe.case import Case
from techsafe.checks import Unavailable
from techsafe.model import ArtifactRecord
from techsafe.scanners.ios import backup as bk
from techsafe.scanners.ios import findmy, parsers, sqlite_ro
from techsafe.scanners.ios.facts import ConfigProfile, IosApp, ProfileEvent
from techsafe.scanners.ios.plists import ParseError, load_dict, text

PREFIX = "artifacts/ios/"


def _cached(func: Callable) -> property:
    """A lazy property that also caches Unavailable, so each artifact is parsed once."""
    name = "_c_" + func.__name__

    @functools.wraps(func)
    def get(self):
        if name not in self._cache:
            try:
                self._cache[name] = ("ok", func(self))
            except Unavailable as exc:
                self._cache[name] = ("err", exc)
        kind, value = self._cache[name]
        if kind == "err":
            raise value
        return value

    return property(get)


class IosContext:
    def __init__(self, case: Case, indicators: Any) -> None:
        self.case = case
        self.indicators = indicators
        self._cache: dict[str, Any] = {}
        self.records: dict[str, ArtifactRecord] = {
            r.path[len(PREFIX):]: r for r in case.artifacts("ios") if r.path.startswith(PREFIX)
        }

    # ---- raw access -------------------------------------------------
    def path(self, name: str) -> str:
        return self.records[name].path if name in self.records else PREFIX + name

    def raw(self, name: str, area_reason: str) -> bytes:
        rec = self.records.get(name)
        if rec is None:
            raise Unavailable(area_reason, PREFIX + name)
        if not rec.complete:
            raise Unavailable(f"{area_reason} (the phone stopped answering: {rec.error or 'incomplete'})", rec.path)
        return self.case.read_artifact(rec.path)

    def names(self, prefix: str) -> list[str]:
        return sorted(n for n in self.records if n.startswith(prefix))

    @property
    def is_live(self) -> bool:
        return "lockdown/values.plist" in self.records

    @property
    def is_backup(self) -> bool:
        return "backup/Manifest.db" in self.records

    @property
    def is_app_list(self) -> bool:
        """Only an installation_proxy app list (`techsafe analyze ios_apps.plist`): no phone, no backup."""
        return not self.is_live and not self.is_backup and bool(self.names("installation_proxy/"))

    @staticmethod
    def not_in_app_list(what: str) -> str:
        return (f"an app list does not include {what}: it holds only the installed apps "
                "(scan the iPhone itself, `techsafe scan --device --backup`, to check this)")

    # ---- device -----------------------------------------------------
    @_cached
    def lockdown_values(self) -> dict[str, Any]:
        data = self.raw("lockdown/values.plist", "device information was not read")
        try:
            resp = load_dict(data, "lockdown values")
        except ParseError as exc:
            raise Unavailable(str(exc), self.path("lockdown/values.plist")) from None
        value = resp.get("Value", resp)
        if not isinstance(value, dict):
            raise Unavailable("lockdown values hold no device information", self.path("lockdown/values.plist"))
        return value

    def lockdown_domain(self, domain: str) -> dict[str, Any]:
        name = f"lockdown/{domain}.plist"
        data = self.raw(name, f"device setting {domain} was not read")
        try:
            resp = load_dict(data, domain)
        except ParseError as exc:
            raise Unavailable(str(exc), self.path(name)) from None
        value = resp.get("Value")
        return value if isinstance(value, dict) else {}

    @_cached
    def backup_info(self) -> dict[str, Any]:
        if self.is_app_list:
            raise Unavailable(self.not_in_app_list("the iOS version"))
        data = self.raw("backup/Info.plist", "the backup has no Info.plist")
        try:
            return load_dict(data, "Info.plist")
        except ParseError as exc:
            raise Unavailable(str(exc), self.path("backup/Info.plist")) from None

    @_cached
    def backup_manifest(self) -> dict[str, Any] | None:
        if "backup/Manifest.plist" not in self.records:
            return None
        try:
            return load_dict(self.raw("backup/Manifest.plist", "no Manifest.plist"), "Manifest.plist")
        except ParseError:
            return None

    @_cached
    def device(self) -> dict[str, str]:
        """model, iOS version, build, name: from lockdown (live) or Info.plist (backup)."""
        if self.is_live:
            v = self.lockdown_values
            src = {"ProductType": v.get("ProductType"), "ProductVersion": v.get("ProductVersion"),
                   "BuildVersion": v.get("BuildVersion"), "DeviceName": v.get("DeviceName"),
                   "UniqueDeviceID": v.get("UniqueDeviceID")}
        else:
            v = self.backup_info
            src = {"ProductType": v.get("Product Type"), "ProductVersion": v.get("Product Version"),
                   "BuildVersion": v.get("Build Version"), "DeviceName": v.get("Device Name"),
                   "UniqueDeviceID": v.get("Unique Identifier") or v.get("Target Identifier")}
        out = {
            "platform": "ios",
            "model": text(src["ProductType"], 64),
            "ios_version": text(src["ProductVersion"], 32),
            "build": text(src["BuildVersion"], 32),
            "name": text(src["DeviceName"], 128),
            "udid": text(src["UniqueDeviceID"], 64),
        }
        return {k: v for k, v in out.items() if v}

    # ---- backup files -----------------------------------------------
    @_cached
    def manifest_rows(self) -> list[tuple[str, str, str]]:
        """(fileID, domain, relativePath) of the files analysis wants, from Manifest.db."""
        name = "backup/Manifest.decrypted.db" if "backup/Manifest.decrypted.db" in self.records else "backup/Manifest.db"
        data = self.raw(name, "the backup has no Manifest.db")
        sql, params = bk.wanted_sql()
        try:
            with sqlite_ro.open_copy(data, "Manifest.db") as conn:
                rows = sqlite_ro.query(conn, sql, params, "Manifest.db")
        except ParseError as exc:
            raise Unavailable(str(exc), self.path(name)) from None
        return [(r[0], r[1], r[2]) for r in rows if all(isinstance(x, str) for x in r[:3])]

    @_cached
    def backup_domains(self) -> list[str]:
        name = "backup/Manifest.decrypted.db" if "backup/Manifest.decrypted.db" in self.records else "backup/Manifest.db"
        data = self.raw(name, "the backup has no Manifest.db")
        try:
            with sqlite_ro.open_copy(data, "Manifest.db") as conn:
                rows = sqlite_ro.query(conn, "SELECT DISTINCT domain FROM Files", what="Manifest.db")
        except ParseError as exc:
            raise Unavailable(str(exc), self.path(name)) from None
        return [r[0] for r in rows if isinstance(r[0], str)]

    def backup_file(self, domain: str, rel: str, what: str) -> tuple[bytes, str]:
        """Bytes and artifact path of one backed-up file, or Unavailable saying why."""
        fid = bk.file_id(domain, rel)
        listed = any(r[0] == fid for r in self.manifest_rows)
        name = f"backup/files/{fid}"
        if name in self.records:
            return self.raw(name, what), self.records[name].path
        if listed:
            raise Unavailable(f"{what}: listed in Manifest.db but missing from the backup folder", self.path("backup/Manifest.db"))
        raise Unavailable(f"{what}: not in this backup", self.path("backup/Manifest.db"))

    def backup_files_under(self, domain: str, prefix: str) -> list[tuple[str, bytes, str]]:
        out = []
        for fid, d, rel in self.manifest_rows:
            if d == domain and rel.startswith(prefix) and f"backup/files/{fid}" in self.records:
                name = f"backup/files/{fid}"
                out.append((rel, self.case.read_artifact(self.records[name].path), self.records[name].path))
        return out

    # ---- apps -------------------------------------------------------
    def every_app_read(self) -> None:
        """Raises Unavailable when entries of the app list could not be read.
        Checks about apps call it after their findings: those stand, and the
        area is listed as not checked (an app may hide behind a bad entry)."""
        self.apps  # noqa: B018 - reading the list counts its unreadable entries
        if "unreadable_apps" in self._cache:
            count, artifact = self._cache["unreadable_apps"]
            raise Unavailable(f"{count} entr{'y' if count == 1 else 'ies'} of the app list could not be read "
                              "(no readable bundle id, CFBundleIdentifier)", artifact)

    @_cached
    def apps(self) -> tuple[list[IosApp], str]:
        """Installed apps and the artifact they came from."""
        names = self.names("installation_proxy/")
        if names:
            apps: dict[str, IosApp] = {}
            for n in names:
                try:
                    found, unreadable = parsers.read_app_list(self.raw(n, "the app list was not read"), n)
                except ParseError as exc:
                    raise Unavailable(str(exc), self.path(n)) from None
                for a in found:
                    apps.setdefault(a.bundle_id, a)
                if unreadable:
                    self._cache.setdefault("unreadable_apps", (unreadable, self.path(n)))
            if not apps:  # an iPhone always has apps: none readable is no list, never "nothing risky"
                raise Unavailable("the app list has no entry with a readable bundle id (CFBundleIdentifier)",
                                  self.path(names[0]))
            return sorted(apps.values(), key=lambda a: a.bundle_id), self.path(names[0])
        if self.is_backup:
            info = self.backup_info
            return parsers.apps_from_backup(info, self.backup_manifest, self.backup_domains), self.path("backup/Info.plist")
        raise Unavailable("the list of installed apps was not read")

    # ---- profiles ---------------------------------------------------
    @_cached
    def profiles(self) -> tuple[list[ConfigProfile], str]:
        if "mcinstall/profile_list.plist" in self.records or self.is_live:
            name = "mcinstall/profile_list.plist"
            try:
                return parsers.profiles_from_profile_list(self.raw(name, "configuration profiles were not read"), name), self.path(name)
            except ParseError as exc:
                raise Unavailable(str(exc), self.path(name)) from None
        if self.is_backup:
            out = []
            files = self.backup_files_under(bk.CONFIG_PROFILES_DOMAIN, "Library/ConfigurationProfiles/")
            listed = [r for r in self.manifest_rows if r[1] == bk.CONFIG_PROFILES_DOMAIN]
            if listed and not files:
                raise Unavailable("configuration profile files are listed in Manifest.db but missing from the backup folder",
                                  self.path("backup/Manifest.db"))
            for rel, data, path in files:
                base = rel.rsplit("/", 1)[-1]
                if base.startswith("profile-"):  # profile-<hash>.stub, as MVT selects them
                    try:
                        out.append(parsers.profile_from_stub(data, base))
                    except ParseError as exc:
                        raise Unavailable(str(exc), path) from None
            return out, self.path("backup/Manifest.db")
        raise Unavailable(self.not_in_app_list("configuration profiles") if self.is_app_list
                          else "configuration profiles were not read")

    @_cached
    def profile_events(self) -> list[ProfileEvent]:
        if not self.is_backup:
            return []
        for rel, data, path in self.backup_files_under(bk.CONFIG_PROFILES_DOMAIN, "Library/ConfigurationProfiles/"):
            if rel.endswith("MCProfileEvents.plist"):
                try:
                    return parsers.profile_events(data, "MCProfileEvents.plist")
                except ParseError:
                    return []
        return []

    # ---- management -------------------------------------------------
    @_cached
    def cloud_configuration(self) -> tuple[dict[str, Any], str]:
        """MCInstall GetCloudConfiguration (live) or CloudConfigurationDetails.plist (backup)."""
        if self.is_live:
            name = "mcinstall/cloud_configuration.plist"
            try:
                resp = load_dict(self.raw(name, "device management (cloud configuration) was not read"), name)
            except ParseError as exc:
                raise Unavailable(str(exc), self.path(name)) from None
            cc = resp.get("CloudConfiguration")
            return (cc if isinstance(cc, dict) else {}), self.path(name)
        if self.is_backup:
            data, path = self.backup_file(bk.CONFIG_PROFILES_DOMAIN, "Library/ConfigurationProfiles/CloudConfigurationDetails.plist",
                                          "cloud configuration")
            try:
                return load_dict(data, "CloudConfigurationDetails.plist"), path
            except ParseError as exc:
                raise Unavailable(str(exc), path) from None
        raise Unavailable(self.not_in_app_list("device management (supervision)") if self.is_app_list
                          else "device management (cloud configuration) was not read")

    @_cached
    def provisioning(self) -> tuple[list, str]:
        name = "misagent/copy_all.plist"
        if not self.is_live:
            raise Unavailable(self.not_in_app_list("provisioning profiles") if self.is_app_list
                              else "provisioning profiles are only read from a connected iPhone")
        try:
            return parsers.provisioning_profiles(self.raw(name, "provisioning profiles were not read"), name), self.path(name)
        except ParseError as exc:
            raise Unavailable(str(exc), self.path(name)) from None

    # ---- privacy (backup) -------------------------------------------
    def _backup_parsed(self, domain: str, rel: str, what: str, parse: Callable[[bytes, str], Any]) -> tuple[Any, str]:
        if self.is_app_list:
            raise Unavailable(self.not_in_app_list(what))
        if not self.is_backup:
            failed = self.records.get("backup/status")
            if failed is not None and not failed.complete:  # --backup was asked for but did not finish
                raise Unavailable(f"{what} was not read: the backup did not complete ({failed.error or 'incomplete'})",
                                  failed.path)
            raise Unavailable(f"{what} is only read from a backup (use --backup on a live scan)")
        data, path = self.backup_file(domain, rel, what)
        try:
            return parse(data, what), path
        except ParseError as exc:
            raise Unavailable(str(exc), path) from None

    @_cached
    def tcc(self):
        return self._backup_parsed("HomeDomain", "Library/TCC/TCC.db", "app permissions (TCC.db)", parsers.tcc_grants)

    @_cached
    def location_clients(self):
        return self._backup_parsed("RootDomain", "Library/Caches/locationd/clients.plist",
                                   "location permissions (clients.plist)", parsers.location_clients)

    @_cached
    def accounts(self):
        return self._backup_parsed("HomeDomain", "Library/Accounts/Accounts3.sqlite", "accounts (Accounts3.sqlite)",
                                   parsers.accounts)

    @_cached
    def global_preferences(self):
        return self._backup_parsed("HomeDomain", "Library/Preferences/.GlobalPreferences.plist",
                                   "global preferences", parsers.global_preferences)

    # ---- Find My and location sharing (backup; see findmy.py) ---------
    @_cached
    def find_my(self):
        """(FindMyState, artifact): FMIPStateInfo.plist, else the searchpartyd preferences."""
        try:
            return self._backup_parsed(*findmy.FMIP_STATE, "Find My state (FMIPStateInfo.plist)", findmy.fmip_state)
        except Unavailable as first:
            if not self.is_backup:
                raise
            try:
                return self._backup_parsed(*findmy.SEARCHPARTYD_PREFS, "Find My state (searchpartyd preferences)",
                                           findmy.searchpartyd_state)
            except Unavailable:
                raise first from None

    @_cached
    def find_my_people(self):
        return self._backup_parsed(*findmy.FMFD_PREFS, "location sharing (com.apple.icloud.fmfd.plist)", findmy.people_count)

    @_cached
    def location_services(self):
        return self._backup_parsed(*findmy.LOCATIOND_PREFS, "the Location Services setting (com.apple.locationd.plist)",
                                   findmy.location_services)
