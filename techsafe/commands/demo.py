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
def demo(platform: str, case_dir: Path | None, as_json: bool) -> None:
    """Practice scan of a simulated phone (android or ios), with real findings."""
    from techsafe.paths import resource_dir

    folder = resource_dir("fixtures/devices") / PROFILES[platform]
    if not folder.is_dir():
        fail(f"{folder}: the demo phone profile is missing from this installation")
    banner = "Practice scan of a SIMULATED phone (nothing real is scanned)."
    if platform == "ios":
        from techsafe.commands.scan import run_ios_scan
        from techsafe.simulate.ios_harness import SimulatedIPhone

        with SimulatedIPhone(folder) as phone:
            run_ios_scan(phone.udid, case_dir, as_json=as_json, trust_timeout=30, usbmux_address=phone.usbmux_address,
                         case_prefix="demo", banner=banner)
        return
    from techsafe.commands.scan import run_android_scan
    from techsafe.simulate.harness import SimulatedPhone
    from techsafe.simulate.profile import ProfileError, load_profile

    try:
        profile = load_profile(folder)
    except ProfileError as exc:
        fail(str(exc))
    with SimulatedPhone(profile) as phone:
        from techsafe.scanners.android.acquire import adb_client

        client = adb_client(phone.adb_port, start=False)
        run_android_scan(client, phone.serial, case_dir, as_json=as_json, auth_timeout=30,
                         case_prefix="demo", banner=banner)
