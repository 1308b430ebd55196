"""Accounts and users the survivor may not know about: a second Google
account, accounts an organisation manages, secondary users, work profiles."""

from __future__ import annotations

from typing import Iterator

from techsafe.checks import check
from techsafe.model import Finding, Severity
from techsafe.scanners.android.context import AndroidContext
from techsafe.scanners.android.parsers.users import FLAG_GUEST, is_managed_profile

# Account types through which someone else (an employer, a school, whoever
# enrolled the phone) can manage or see part of the phone.
MANAGED_ACCOUNT_TYPES = {
    "com.google.work": "a Google account managed by an organisation",
    "com.microsoft.workaccount": "a work account (Microsoft Entra / Intune)",
    "com.google.android.gm.exchange": "an Exchange work e-mail account (it can enforce phone policies)",
    "com.android.exchange": "an Exchange work e-mail account (it can enforce phone policies)",
}


def _owner_accounts(ctx: AndroidContext):
    # Accounts of the main user; a work profile's accounts belong to its manager.
    return [a for a in ctx.accounts if a.user in (None, 0)]


@check("android", area="android.accounts", kinds=("android.account.google_multiple", "android.account.managed"))
def accounts(ctx: AndroidContext) -> Iterator[Finding]:
    """android.account.google_multiple: more than one Google account on the
    phone (medium). android.account.managed: an account an organisation
    manages (medium)."""
    item = ctx.input("dumpsys_account")
    owner = _owner_accounts(ctx)
    google = list(dict.fromkeys(a.name for a in owner if a.type == "com.google"))
    if len(google) > 1:
        yield Finding(
            "android.account.google_multiple",
            Severity.MEDIUM,
            f"There are {len(google)} Google accounts on this phone: each can see its location history, "
            "photos and backups; check the survivor knows and controls every one.",
            "Google accounts",
            tuple(item.evidence(f"name={n}, type=com.google}}") for n in google),
            facts=(("accounts", "; ".join(google)),),
        )
    for acc in owner:
        if acc.type in MANAGED_ACCOUNT_TYPES:
            yield Finding(
                "android.account.managed",
                Severity.MEDIUM,
                f"This phone has {MANAGED_ACCOUNT_TYPES[acc.type]}: check who runs it.",
                acc.type,
                (item.evidence(f"type={acc.type}}}"),),
                facts=(("account", acc.name), ("type", acc.type)),
            )


@check("android", area="android.users", kinds=("android.user.secondary", "android.work_profile"))
def users(ctx: AndroidContext) -> Iterator[Finding]:
    """android.work_profile: a work profile (run by an organisation or whoever
    set it up) (medium). android.user.secondary: another user or a guest on
    the phone (medium)."""
    key = "users" if "users" in ctx.inputs else "dumpsys_user"
    for user in ctx.users:
        if user.id == 0:
            continue
        evidence = (ctx.input(key).evidence(f"UserInfo{{{user.id}:"),)
        facts = (("user id", str(user.id)), ("name", user.name), ("running", "yes" if user.running else "no"))
        if is_managed_profile(user):
            yield Finding(
                "android.work_profile",
                Severity.MEDIUM,
                "This phone has a work profile: whoever manages it can see and control the apps inside it.",
                f"user {user.id}",
                evidence,
                facts=facts,
            )
        else:
            guest = _flag(user.flags) & FLAG_GUEST
            yield Finding(
                "android.user.secondary",
                Severity.MEDIUM,
                ("This phone has a guest user" if guest else "This phone has another user")
                + ": check who set it up and who can switch to it.",
                f"user {user.id}",
                evidence,
                facts=facts,
            )


def _flag(text: str) -> int:
    try:
        return int(text, 16)
    except ValueError:
        return 0
