"""Command outputs for the hiding-place commands, written from their AOSP
sources (each parser module's docstring names the file): used to extend the
android14-demo profile in the end-to-end tests."""

from __future__ import annotations

from techsafe.scanners.android.commands import BY_KEY, ROOT_PROBE_PATHS


def launcher_output(packages: list[str]) -> bytes:
    """`cmd package query-activities --brief -a MAIN -c LAUNCHER` (Android 7.1-14 layout)."""
    lines = [f"{len(packages)} activities found:"]
    for i, pkg in enumerate(packages):
        lines += [f"  Activity #{i}:",
                  "    priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=false",
                  f"    {pkg}/.MainActivity"]
    return ("\n".join(lines) + "\n").encode()


def telephony_output(forwarding: bool) -> bytes:
    """`dumpsys telephony.registry`, Android 10+ layout (fields under Phone Id)."""
    value = "true" if forwarding else "false"
    return (
        "last known state:\n"
        "  Phone Id=0\n"
        "    mCallState=0\n"
        "    mRingingCallState=0\n"
        "    mForegroundCallState=0\n"
        "    mCallIncomingNumber=\n"
        "    mMessageWaiting=false\n"
        f"    mCallForwarding={value}\n"
        "    mDataActivity=0\n"
        "local logs:\n"
        f"  2024-11-03T22:01:12.004 - notifyCallForwardingChangedForSubscriber: subId=1 cfi={value}\n"
    ).encode()


def root_listing_output(present: tuple[str, ...] = ()) -> bytes:
    """`ls -l -d <probe paths> 2>&1` on toybox (Android 6+)."""
    lines = []
    for path in ROOT_PROBE_PATHS:
        if path in present:
            lines.append(f"-rwxr-xr-x 1 root root 75364 2024-10-31 23:50 {path}")
        elif path.startswith("/data/adb/"):
            lines.append(f"ls: {path}: Permission denied")
        else:
            lines.append(f"ls: {path}: No such file or directory")
    return ("\n".join(lines) + "\n").encode()


APPOPS_14 = (
    "Current AppOps Service state:\n"
    "  Settings:\n"
    "    top_state_settle_time=+5s0ms\n"
    "  Uid u0a346:\n"
    "    state=fgsvc\n"
    "    Package com.systemservice:\n"
    "      SYSTEM_ALERT_WINDOW (allow):\n"
    "          Access: [fgsvc-s] 2024-11-04 08:12:09.112 (-2h30m9s0ms)\n"
    "      REQUEST_INSTALL_PACKAGES (default):\n"
).encode()

USER_CA_DENIED = b"ls: /data/misc/user/0/cacerts-added: Permission denied\n"
NO_VPN = b"No services found\n"


def extra_commands(launcher_packages: list[str], *, forwarding: bool = False) -> dict[str, bytes]:
    """shell command -> stdout for every command the demo profile does not answer."""
    return {
        BY_KEY["launcher_activities"].shell: launcher_output(launcher_packages),
        BY_KEY["vpn_services"].shell: NO_VPN,
        BY_KEY["dumpsys_appops"].shell: APPOPS_14,
        BY_KEY["dumpsys_telephony.registry"].shell: telephony_output(forwarding),
        BY_KEY["root_paths"].shell: root_listing_output(),
        BY_KEY["user_ca_certs"].shell: USER_CA_DENIED,
    }
