"""`techsafe demo`: a practice scan of a simulated phone, no phone needed.

Starts the simulated phone and a private adb server (its own port, so a
caseworker's own adb is untouched), runs the real scan, and stops everything.
"""

from __future__ import annotations

from pathlib import Path

import click

from techsafe.commands.common import fail

PROFILES = {"android": "android14-demo", "ios": "ios17-demo"}


@click.command()
@click.argument("platform", type=click.Choice(sorted(PROFILES)), default="android")
@click.option("--case", "case_dir", type=click.Path(path_type=Path), help="Case folder (default: a new folder under ./cases/).")
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON.")
@click.option("--pull-apks", "pull_apks", type=click.Choice(["none", "suspicious", "all"]), default="suspicious",
              show_default=True, help="Android: copy app files to check signing certificates and code.")
@click.option("--backup", is_flag=True, help="iPhone: also take the simulated phone's backup (accounts, location, permissions).")
def demo(platform: str, case_dir: Path | None, as_json: bool, pull_apks: str = "suspicious", backup: bool = False) -> None:
    """Practice scan of a simulated phone (android or ios), with real findings."""
    from techsafe.paths import resource_dir

    folder = resource_dir("fixtures/devices") / PROFILES[platform]
    if not folder.is_dir():
        fail(f"{folder}: the demo phone profile is missing from this installation")
    banner = "Practice scan of a SIMULATED phone (nothing real is scanned)."
    if platform == "ios":
        from techsafe.commands.scan import ios_step, run_steps
        from techsafe.simulate.ios_harness import SimulatedIPhone

        with SimulatedIPhone(folder) as phone:
            step = lambda case: ios_step(case, phone.udid, trust_timeout=30, usbmux_address=phone.usbmux_address,  # noqa: E731
                                         backup=backup)
            run_steps([step], case_dir, as_json=as_json, case_prefix="demo", banner=banner,
                      simulated=True)
        return
    from techsafe.commands.scan import android_step, run_steps, wait_for_android
    from techsafe.simulate.harness import SimulatedPhone
    from techsafe.simulate.profile import ProfileError, load_profile

    try:
        profile = load_profile(folder)
    except ProfileError as exc:
        fail(str(exc))
    with SimulatedPhone(profile) as phone:
        from techsafe.scanners.android.acquire import adb_client

        client = adb_client(phone.adb_port, start=False)
        wait_for_android(client, phone.serial, 30)
        step = lambda case: android_step(case, client, phone.serial, pull_apks=pull_apks)  # noqa: E731
        run_steps([step], case_dir, as_json=as_json, case_prefix="demo", banner=banner,
                      simulated=True)
