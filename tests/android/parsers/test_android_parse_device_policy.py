"""`dumpsys device_policy`. No shared capture exists: the fixtures follow
AOSP DevicePolicyManagerService.dump with Owners.dump (Android 7-11, hand
indentation) and OwnersData.dump / DevicePolicyData.dump (Android 12-14,
IndentingPrintWriter), and Android 5-6 `Enabled Device Admins (User 0):`."""

from __future__ import annotations

import pytest

from techsafe.scanners.android.facts import DeviceAdmin, DevicePolicyState, ParseError
from techsafe.scanners.android.parsers.device_policy import parse_device_policy

ANDROID7_NONE = """\
Current Device Policy Manager state:
  Enabled Device Admins (User 0, provisioningState: 0):

    mPasswordOwner=-1

  Constants:
    DAS_DIED_SERVICE_RECONNECT_BACKOFF_SEC: 3600
"""

ANDROID10_ADMIN = """\
Current Device Policy Manager state:
  Immutable state:
    mHasFeature=true
    mIsWatch=false
  Enabled Device Admins (User 0, provisioningState: 0):
    com.google.android.gms/.mdm.receivers.MdmDeviceAdminReceiver:
      uid=10014
      testOnlyAdmin=false
      policies:
        force-lock
        wipe-data
      passwordQuality=0x0
      minimumPasswordLength=0
      disableCamera=false
    com.stalker.app/.AdminRcv:
      uid=10230
      testOnlyAdmin=false
      policies:
        wipe-data
        reset-password
        limit-password
        watch-login
      parentAdmin:
        uid=10230
        com.fake/.NotAnAdmin:
    mPasswordOwner=-1
    mUserControlDisabledPackages=null
"""

ANDROID13_OWNERS = """\
Current Device Policy Manager state:
  Immutable state:
    mHasFeature=true
  Device Owner:
    admin=ComponentInfo{com.mdm.control/com.mdm.control.DeviceAdmin}
    name=Control
    package=com.mdm.control
    isOrganizationOwnedDevice=true
    User ID: 0

  Device Owner Type: 0

  Profile Owner (User 10):
    admin=ComponentInfo{com.work.dpc/com.work.dpc.AdminReceiver}
    name=Work
    package=com.work.dpc
    isOrganizationOwnedDevice=false

  Enabled Device Admins (User 0, provisioningState: 3):
    com.mdm.control/.DeviceAdmin:
      uid=10300
      testOnlyAdmin=false
      policies:
        wipe-data

  Enabled Device Admins (User 10, provisioningState: 3):
    com.work.dpc/.AdminReceiver:
      uid=1010301
"""


def test_android7_no_admins_is_a_clean_result():
    assert parse_device_policy(ANDROID7_NONE) == DevicePolicyState(admins=())


def test_android10_admins_and_nested_details():
    state = parse_device_policy(ANDROID10_ADMIN)
    assert state == DevicePolicyState(
        admins=(
            DeviceAdmin("com.google.android.gms/.mdm.receivers.MdmDeviceAdminReceiver", 0),
            DeviceAdmin("com.stalker.app/.AdminRcv", 0),
        ),
    )


def test_android13_device_owner_profile_owner_multi_user():
    state = parse_device_policy(ANDROID13_OWNERS)
    assert state.device_owner == "com.mdm.control/com.mdm.control.DeviceAdmin"
    assert state.profile_owners == ((10, "com.work.dpc/com.work.dpc.AdminReceiver"),)
    assert state.admins == (
        DeviceAdmin("com.mdm.control/.DeviceAdmin", 0),
        DeviceAdmin("com.work.dpc/.AdminReceiver", 10),
    )


def test_owner_with_package_only_and_android5_header():
    text = (
        "Current Device Policy Manager state:\n"
        "  Device Owner: \n"
        "    package=com.old.owner\n"
        "  Enabled Device Admins (User 0):\n"
        "    com.old.owner/.Admin:\n"
        "      uid=10100\n"
    )
    state = parse_device_policy(text)
    assert state.device_owner == "com.old.owner"
    assert state.admins == (DeviceAdmin("com.old.owner/.Admin", 0),)


def test_truncated_before_admin_list_raises():
    cut = ANDROID13_OWNERS[: ANDROID13_OWNERS.index("  Enabled Device Admins")]
    with pytest.raises(ParseError, match="truncated"):
        parse_device_policy(cut)


@pytest.mark.parametrize(
    "text",
    ["", "Can't find service: device_policy", "Current Device Policy Manager state:\n", "\x00\x01\x02"],
)
def test_unknown_output_raises(text):
    with pytest.raises(ParseError):
        parse_device_policy(text)
