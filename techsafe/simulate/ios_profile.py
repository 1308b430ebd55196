"""A simulated iPhone's description: what its lockdownd and services answer.

A profile is a YAML file (safe_load) with:

  udid, trust: trusted | pending | denied | after:N   (pairing behaviour)
  values:   lockdownd default-domain values (DeviceName, ProductType, ProductVersion...)
  domains:  {domain: {key: value}} for GetValue with a Domain
  apps:     installation_proxy entries (CFBundleIdentifier, ApplicationType, SignerIdentity...)
  profiles: configuration profiles (PayloadIdentifier, PayloadDisplayName,
            PayloadOrganization, PayloadContent: [{PayloadType}], InstallDate, IsActive)
  cloud_configuration: MCInstall GetCloudConfiguration reply (IsSupervised...)
  provisioning: provisioning profiles (Name, TeamName, UUID, ProvisionsAllDevices, ...)
  extra_services: service names only a jailbroken phone offers (com.apple.afc2)
  profile_list_payloads: false (default) answers GetProfileList as a real
            iPhone does, metadata only; true adds each PayloadContent
  backup:   what a mobilebackup2 backup of this phone holds (accounts,
            location, tcc, findmy, global_preferences): see
            techsafe/simulate/ios_backup_content.py; {} = only the files
            derived from the profile's own profiles and cloud_configuration
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any


class ProfileError(ValueError):
    pass


@dataclass(frozen=True)
class IosProfile:
    udid: str
    values: dict[str, Any]
    domains: dict[str, dict[str, Any]] = field(default_factory=dict)
    apps: tuple[dict[str, Any], ...] = ()
    profiles: tuple[dict[str, Any], ...] = ()
    cloud_configuration: dict[str, Any] = field(default_factory=dict)
    provisioning: tuple[dict[str, Any], ...] = ()
    extra_services: tuple[str, ...] = ()
    trust: str = "trusted"
    profile_list_payloads: bool = False
    backup: dict[str, Any] = field(default_factory=dict)

    def with_(self, **changes: Any) -> "IosProfile":
        return replace(self, **changes)


def _dates(value: Any) -> Any:
    """YAML timestamps and ISO strings under *Date keys become datetimes (plist <date>)."""
    if isinstance(value, dict):
        return {k: (_to_dt(v) if isinstance(k, str) and k.endswith("Date") else _dates(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates(v) for v in value]
    return value


def _to_dt(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None) if v.tzinfo else v
    if isinstance(v, str):
        try:
            return dt.datetime.fromisoformat(v.replace("Z", "+00:00")).replace(tzinfo=None)
        except ValueError:
            return v
    return v


def load_ios_profile(path: Path | str) -> IosProfile:
    import yaml

    path = Path(path)
    if path.is_dir():
        path = path / "profile.yaml"
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: not a readable iOS device profile ({type(exc).__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("values"), dict) or not data.get("udid"):
        raise ProfileError(f"{path}: an iOS device profile needs 'udid' and 'values'")
    data = _dates(data)
    return IosProfile(
        udid=str(data["udid"]),
        values=dict(data["values"]),
        domains={str(k): dict(v) for k, v in (data.get("domains") or {}).items()},
        apps=tuple(data.get("apps") or ()),
        profiles=tuple(data.get("profiles") or ()),
        cloud_configuration=dict(data.get("cloud_configuration") or {}),
        provisioning=tuple(data.get("provisioning") or ()),
        extra_services=tuple(data.get("extra_services") or ()),
        trust=str(data.get("trust", "trusted")),
        profile_list_payloads=data.get("profile_list_payloads") is True,
        backup=dict(data.get("backup") or {}),
    )
