"""Shared helpers for the Android checks."""

from __future__ import annotations

from techsafe.scanners.android.context import AndroidContext, describe_installer
from techsafe.scanners.android.facts import PackageInfo


def app_label(ctx: AndroidContext, package: str, fallback: str = "") -> str:
    hit = ctx.indicators.match_package(package)
    return (hit.name if hit and hit.name else fallback) or package


def app_facts(pkg: PackageInfo | None) -> tuple[tuple[str, str], ...]:
    if pkg is None:
        return (("installed", "not in the list of apps"),)
    facts = [("installed_from", describe_installer(pkg.installer, pkg.name))]
    for name, value in (
        ("version", pkg.version_name),
        ("first_installed", pkg.first_install),
        ("last_updated", pkg.last_update),
    ):
        if value:
            facts.append((name, value))
    return tuple(facts)
