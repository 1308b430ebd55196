"""Who really made an app, beyond its package name.

Stalkerware renames its package per build (one family ships a random
`com.sec.android.<random>` per download), so the package list alone misses
it. These checks read the pulled APK files (apk_facts): a signing certificate,
an APK hash or a YARA rule from an indicator feed names the family whatever
the package is called. A heuristic flags apps from outside the stores that
pose as system software and hold the powers stalkerware needs.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Iterator

from techsafe.checks import NotApplicable, Unavailable, check
from techsafe.model import Evidence, Finding, IndicatorMatch, Severity
from techsafe.scanners.android.apk_facts import ApkFacts
from techsafe.scanners.android.checks.apps import CATEGORY_FINDINGS, _signature_hit
from techsafe.scanners.android.checks.capabilities import capability_holders
from techsafe.scanners.android.checks.common import app_facts, app_label
from techsafe.scanners.android.context import KNOWN_STORES, AndroidContext

IDENTITY_KINDS = tuple(dict.fromkeys(k for k, _, _ in CATEGORY_FINDINGS.values())) + ("android.app.suspicious_code",)
HOW = {"certificate": "its signing certificate", "sha256": "its app file", "yara": "its code"}


# ---------------------------------------------------------------- signature matches


def _identity_hit(ctx: AndroidContext, apks: tuple[ApkFacts, ...]):
    """(SignatureHit-like (category, name, IndicatorMatch), evidence) for the
    strongest match: certificate, then file hash, then a family YARA rule."""
    for facts in apks:
        ident = facts.identity
        if ident is None:
            continue
        for cert in ident.certificates:
            for digest in (cert.sha1, cert.sha256):
                hit = ctx.indicators.match_cert(digest)
                if hit:
                    return hit.category, hit.name or hit.match.entry, hit.match, "certificate", Evidence(
                        facts.artifact, f"signing certificate SHA-1 {cert.sha1} SHA-256 {cert.sha256}")
    for facts in apks:
        if facts.identity is None:
            continue
        hit = ctx.indicators.match_file_sha256(facts.identity.sha256)
        if hit:
            return hit.category, hit.name or hit.match.entry, hit.match, "sha256", Evidence(
                facts.artifact, f"SHA-256 {facts.identity.sha256}")
    for facts in apks:
        for y in facts.yara:
            if not y.heuristic:
                match = IndicatorMatch(y.source, y.version, y.family, "yara", f"{y.rule} in {y.entry}")
                return "stalkerware", y.family, match, "yara", Evidence(facts.artifact, f"YARA rule {y.rule} matched {y.entry}")
    return None


def _apk_facts(apks: tuple[ApkFacts, ...]) -> tuple[tuple[str, str], ...]:
    out = []
    for facts in apks[:4]:
        if facts.identity is None:
            continue
        out.append(("apk_sha256", facts.identity.sha256))
        for cert in facts.identity.certificates[:2]:
            out.append(("certificate_sha1", cert.sha1))
            out.append(("certificate_sha256", cert.sha256))
        if facts.identity.schemes:
            out.append(("signature_schemes", ", ".join(facts.identity.schemes)))
    # several APKs (splits) may repeat facts: keep the first of each pair
    return tuple(dict.fromkeys(out))


@check("android", area="android.apps.identity", kinds=IDENTITY_KINDS)
def identified_by_apk(ctx: AndroidContext) -> Iterator[Finding]:
    apks = ctx.apk_facts
    if not apks.recorded:
        raise Unavailable("no app files (APKs) were copied, so signing certificates and app code were not checked")
    for name in sorted(apks.by_package):
        files = apks.by_package[name]
        pkg = ctx.package(name)
        found = _identity_hit(ctx, files)
        facts = app_facts(pkg) + _apk_facts(files)
        if found is not None:
            category, family, match, by, evidence = found
            match = dataclasses.replace(match, field=by)  # one vocabulary: certificate | sha256 | yara
            if category not in CATEGORY_FINDINGS:
                continue
            kind, severity, what = CATEGORY_FINDINGS[category]
            by_name = _signature_hit(ctx, pkg) if pkg else ctx.indicators.match_package(name)
            if by_name is not None and CATEGORY_FINDINGS.get(by_name.category, ("",))[0] == kind:
                continue  # the package-name check already reports it
            how = HOW[by]
            if severity == Severity.CRITICAL:
                title = f"{what.capitalize()} “{family}” is installed on this phone as “{name}” (recognised by {how})."
            else:
                title = f"“{name}” is “{family}”, {what} (recognised by {how})."
            yield Finding(kind, severity, title, name, (evidence,) + ctx.package_evidence(name), match,
                          facts=facts + (("category", category),))
            continue
        heuristic = [y for f in files for y in f.yara if y.heuristic]
        if heuristic:
            y = heuristic[0]
            artifact = next(f.artifact for f in files if y in f.yara)
            yield Finding(
                "android.app.suspicious_code",
                Severity.HIGH,
                f"“{app_label(ctx, name)}” contains code typical of stalkerware ({y.description or y.family}).",
                name,
                (Evidence(artifact, f"YARA rule {y.rule} matched {y.entry}"),) + ctx.package_evidence(name),
                IndicatorMatch(y.source, y.version, y.family, "yara", f"{y.rule} in {y.entry}"),
                facts=facts,
            )


@check("android", area="android.apps.files", kinds=())
def app_files_examined(ctx: AndroidContext) -> Iterator[Finding]:
    """Says out loud which app files could not be copied or examined."""
    apks = ctx.apk_facts
    if not apks.recorded:
        raise NotApplicable  # nothing was copied: android.apps.identity says so
    gaps = [f"{n.package} ({n.reason})" for n in apks.not_pulled]
    for name in sorted(apks.by_package):
        for facts in apks.by_package[name]:
            for problem in facts.problems[:3]:
                gaps.append(f"{name} ({problem})")
    if apks.rules_problem and apks.by_package:
        gaps.insert(0, f"code scan ({apks.rules_problem})")
    if gaps:
        shown = "; ".join(gaps[:8]) + (f"; and {len(gaps) - 8} more" if len(gaps) > 8 else "")
        raise Unavailable(f"some app files could not be copied or fully examined: {shown}")
    return iter(())


# ---------------------------------------------------------------- renamed stalkerware heuristic

# Package-id prefixes of the platform and big vendors: apps from outside the
# stores have no business there.
SYSTEM_PREFIXES = (
    "android.", "com.android.", "com.google.android.", "com.sec.android.", "com.samsung.android.",
    "com.samsung.", "com.huawei.android.", "com.miui.", "com.xiaomi.", "com.qualcomm.", "com.mediatek.",
    "com.oneplus.", "com.coloros.", "com.motorola.", "com.lge.", "com.sonymobile.",
)
# Words stalkerware uses to look like part of the phone ("System Service",
# "WiFi", "Update", "Sync Service"...), as they appear inside a package id.
SYSTEM_WORDS = re.compile(
    r"(?:^|[._])(?:system[._]?(?:service|update|app|manager|core|info)s?|sys[._]?(?:service|update)s?|"
    r"(?:wi[._-]?fi|wlan)[a-z]*|(?:soft(?:ware)?[._]?)?updat(?:e|er|es)|sync[._]?(?:service|adapter|manager)?s?|"
    r"(?:google|play)[._]?services?|device[._]?(?:service|health|care)|battery[._]?(?:service|saver)?|"
    r"security[._]?(?:service|update)s?)(?:$|[._])",
    re.I,
)
POWER_PERMISSIONS = {
    "android.permission.READ_SMS": "read SMS",
    "android.permission.RECEIVE_SMS": "receive SMS",
    "android.permission.READ_CALL_LOG": "read the call log",
    "android.permission.ACCESS_BACKGROUND_LOCATION": "location in the background",
}


def imitated_name(package: str) -> str:
    """Plain words for how `package` poses as system software, or ""."""
    for prefix in SYSTEM_PREFIXES:
        if package.startswith(prefix):
            return f"its id starts with {prefix}* like the phone's own software"
    if SYSTEM_WORDS.search(package):
        return "its id sounds like a part of the phone (system service, Wi-Fi, update or sync)"
    return ""


def _identified(ctx: AndroidContext, name: str, pkg) -> bool:
    hit = _signature_hit(ctx, pkg)
    if hit is not None and hit.category in ("stalkerware", "spyware"):
        return True
    try:
        files = ctx.apk_facts.by_package.get(name, ())
    except Exception:
        return False
    found = _identity_hit(ctx, files) if files else None
    return found is not None and found[0] in ("stalkerware", "spyware")


@check("android", area="android.apps.disguised", kinds=("android.app.disguised",))
def disguised_apps(ctx: AndroidContext) -> Iterator[Finding]:
    packages = ctx.packages
    holders = capability_holders(ctx)
    for name in sorted(packages):
        pkg = packages[name]
        if pkg.system is True or pkg.installer is None or pkg.installer in KNOWN_STORES:
            continue  # from the ROM, from a store, or we cannot tell where it came from
        how = imitated_name(name)
        if not how:
            continue
        powers = list(holders.get(name, []))
        powers += [words for perm, words in POWER_PERMISSIONS.items() if pkg.granted(perm)]
        if not powers or _identified(ctx, name, pkg):
            continue  # no dangerous power, or already reported as known stalkerware
        yield Finding(
            "android.app.disguised",
            Severity.HIGH,
            f"“{name}” poses as system software but was not installed from an app store, and it has "
            f"{_words(powers)}.",
            name,
            ctx.package_evidence(name),
            facts=app_facts(pkg) + (("imitates", how), ("holds", ", ".join(powers))),
        )
    ctx.every_app_list_read()  # after the findings: they stand, the area is not checked


def _words(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
