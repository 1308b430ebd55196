"""`pm list users`, `dumpsys user` and `dumpsys account`. No shared captures:
fixtures follow AOSP UserInfo.toString(), PackageManagerShellCommand.runListUsers,
UserManagerService.dump and AccountManagerService.dump (Account.toString())."""

from __future__ import annotations

import pytest

from techsafe.scanners.android.facts import Account, AndroidUser, ParseError
from techsafe.scanners.android.parsers.accounts import parse_accounts
from techsafe.scanners.android.parsers.users import is_managed_profile, parse_users


def test_pm_list_users_with_work_profile_and_odd_names():
    text = (
        "Users:\n"
        "\tUserInfo{0:Owner:c13} running\n"
        "\tUserInfo{10:Work profile:1030} running\n"
        "\tUserInfo{11:Name: with {braces}:30}\n"
        "\tUserInfo{12:Guest:14}\n"
    )
    users = parse_users(text)
    assert users == (
        AndroidUser(0, "Owner", "c13", True),
        AndroidUser(10, "Work profile", "1030", True),
        AndroidUser(11, "Name: with {braces}", "30", False),
        AndroidUser(12, "Guest", "14", False),
    )
    assert [is_managed_profile(u) for u in users] == [False, True, True, False]


def test_dumpsys_user_form():
    text = (
        "Users:\n"
        "  UserInfo{0:Owner:c13} serialNo=0 isPrimary=true parentId=-1\n"
        "    Type: android.os.usertype.full.SYSTEM\n"
        "    Flags: 3091 (ADMIN|FULL|INITIALIZED|PRIMARY|SYSTEM)\n"
        "    State: RUNNING_UNLOCKED\n"
        "  UserInfo{10:Work profile:1030} serialNo=10 isPrimary=false parentId=0\n"
        "    State: -1\n"
        "\n"
        "  Device owner id:-10000\n"
    )
    assert parse_users(text) == (
        AndroidUser(0, "Owner", "c13", True),
        AndroidUser(10, "Work profile", "1030", False),
    )


@pytest.mark.parametrize("text", ["", "Users:\n", "Error: couldn't get users", "UserInfo{x:y}"])
def test_users_unknown_output_raises(text):
    with pytest.raises(ParseError):
        parse_users(text)


ACCOUNTS = """\
User UserInfo{0:Owner:13}:
  Accounts: 3
    Account {name=someone@example.com, type=com.google}
    Account {name=someone@example.com, type=com.google}
    Account {name=odd, type=name, type=com.whatsapp}

  Active Sessions: 0

  RegisteredServicesCache: 2 services
    ServiceInfo: AuthenticatorDescription {type=com.google}, ComponentInfo{com.google.android.gms/.auth.GoogleAuthenticator}, uid 10014
User UserInfo{10:Work profile:1030}:
  Accounts: 1
    Account {name=someone@example.com, type=com.google}
"""


def test_accounts_per_user_dedupe():
    assert parse_accounts(ACCOUNTS) == (
        Account("someone@example.com", "com.google", 0),
        Account("odd, type=name", "com.whatsapp", 0),
        Account("someone@example.com", "com.google", 10),
    )


def test_accounts_none_is_a_clean_result():
    assert parse_accounts("User UserInfo{0:Owner:13}:\n  Accounts: 0\n\n  Active Sessions: 0\n") == ()


@pytest.mark.parametrize("text", ["", "Can't find service: account", "Account {name=x, type=y}"])
def test_accounts_unknown_output_raises(text):
    with pytest.raises(ParseError):
        parse_accounts(text)


def test_parse_error_messages_carry_no_personal_data():
    with pytest.raises(ParseError) as info:
        parse_accounts("someone@example.com is not an account dump")
    assert "someone" not in str(info.value)
