"""Apps that hide: installed, but with no icon on the home screen or in the
app list (no enabled launcher activity), so the survivor never sees them."""

from __future__ import annotations

from typing import Iterator

from techsafe.checks import check
from techsafe.model import Evidence, Finding, Severity
from techsafe.scanners.android.checks.capabilities import capability_holders
from techsafe.scanners.android.checks.common import app_facts, app_label
from techsafe.scanners.android.checks.visibility import SURVEILLANCE, access, can_see, labels
from techsafe.scanners.android.context import AndroidContext


@check("android", area="android.apps.hidden", kinds=("android.app.hidden",))
def hidden_apps(ctx: AndroidContext) -> Iterator[Finding]:
    """android.app.hidden: an app installed without any icon to open it (medium;
    high when it can also watch or control the phone)."""
    launcher = ctx.launcher_packages
    packages = ctx.packages
    holders = capability_holders(ctx)
    item = ctx.input("launcher_activities")
    for name, pkg in sorted(packages.items()):
        if pkg.system is not False or name in launcher or pkg.enabled is False:
            continue  # system apps legitimately run without icons; unknown counts as not system below
        if pkg.users and 0 not in pkg.users:
            continue  # only installed in another profile: the query covered user 0
        seen = access(ctx, pkg)
        held = holders.get(name, [])
        watching = sorted(labels(seen) & SURVEILLANCE) + [h for h in held if h not in labels(seen)]
        label = app_label(ctx, name)
        if watching:
            title = f"“{label}” has no app icon, so it is easy to miss, and it can use {', '.join(watching)}."
        else:
            title = f"“{label}” is installed but has no app icon, so it is easy to miss."
        facts = app_facts(pkg) + (("launcher icon", "none"),)
        if seen:
            facts += (("can_see", can_see(seen)),)
        yield Finding(
            "android.app.hidden",
            Severity.HIGH if watching else Severity.MEDIUM,
            title,
            name,
            ctx.package_evidence(name) + (Evidence(item.artifact, f"{name} is not among the apps with a launcher activity"),),
            facts=facts,
        )
    ctx.every_app_list_read()  # after the findings: they stand, the area is not checked
