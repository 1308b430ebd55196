"""`techsafe scan`: scan a connected phone (and, later, trackers and the network)."""

from __future__ import annotations

from pathlib import Path

import click

from techsafe.commands.common import EXIT_INCOMPLETE, EXIT_NO_DEVICE, fail, new_case, show

CONNECT_HELP = (
    "No phone found. Connect the phone with a USB cable, unlock it, and turn on USB debugging: "
    "Settings > About phone > tap 'Build number' 7 times, then Settings > System > Developer options > "
    "USB debugging. For an iPhone: unlock it and tap 'Trust' when asked. Then run `techsafe doctor`."
)


@click.command()
@click.option("--device", "device", is_flag=False, flag_value="auto", default=None, metavar="[android:SERIAL|ios:UDID]",
              help="Scan a connected phone; with several attached, name one.")
@click.option("--case", "case_dir", type=click.Path(path_type=Path), help="Case folder (default: a new folder under ./cases/).")
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON.")
@click.option("--auth-timeout", default=120.0, show_default=True, help="Seconds to wait for 'Allow USB debugging'.")
@click.option("--adb-port", type=int, default=None, help="adb server port (default: $ANDROID_ADB_SERVER_PORT or 5037).")
def scan(device: str | None, case_dir: Path | None, as_json: bool, auth_timeout: float, adb_port: int | None) -> None:
    """Scan a connected phone for stalkerware and risky settings."""
    if device is None:
        fail("say what to scan: --device (a connected phone)", EXIT_NO_DEVICE)
    from techsafe.scanners.android import acquire as android

    try:
        client = android.adb_client(adb_port)
        devices = android.list_android_devices(client)
    except android.AdbUnavailable as exc:
        fail(f"{exc}. Run `techsafe doctor`.")
    target = pick_device(device, devices)
    run_android_scan(client, target.serial, case_dir, as_json=as_json, auth_timeout=auth_timeout)


def pick_device(spec: str, devices: list) -> "object":
    if spec != "auto":
        platform, _, serial = spec.partition(":")
        if platform != "android" or not serial:
            fail(f"--device {spec!r}: expected android:SERIAL", EXIT_NO_DEVICE)
        for d in devices:
            if d.serial == serial:
                return d
        fail(f"no Android phone with serial {serial!r} is connected", EXIT_NO_DEVICE)
    if not devices:
        fail(CONNECT_HELP, EXIT_NO_DEVICE)
    if len(devices) > 1:
        listing = "; ".join(f"{d.spec} ({d.model or d.state})" for d in devices)
        fail(f"several phones are connected: {listing}. Pick one with --device android:SERIAL", EXIT_NO_DEVICE)
    return devices[0]


def run_android_scan(client, serial: str, case_dir: Path | None, *, as_json: bool, auth_timeout: float,
                     case_prefix: str = "case", banner: str | None = None) -> None:
    """Shared by `scan` and `demo`: authorise, acquire, analyze, show."""
    import sys

    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

    from techsafe.commands.common import console
    from techsafe.scanners.android import acquire as android
    from techsafe.scanners.android.commands import COMMANDS
    from techsafe.workflow import analyze_and_seal, feed_warning, load_indicators

    err = console(stderr=True)
    state = {d.serial: d.state for d in android.list_android_devices(client)}.get(serial, "gone")
    if state != "device":
        with err.status("Unlock the phone and tap Allow (\"Allow USB debugging?\")…", spinner="dots"):
            state = android.wait_until_authorized(client, serial, auth_timeout)
        if state != "device":
            fail(
                f"the phone did not allow USB debugging within {auth_timeout:.0f} s (state: {state}). "
                "Unlock it, tap Allow on the 'Allow USB debugging?' prompt, and run the scan again.",
                EXIT_NO_DEVICE,
            )
    case = new_case(case_dir, case_prefix)
    indicators = load_indicators()
    warnings = [w for w in (feed_warning(indicators),) if w]
    if banner and not as_json:
        err.print(banner)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  console=err, transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task("Reading the phone (read-only)…", total=len(COMMANDS))

        def tick(key: str, status: str) -> None:
            if status in ("done", "failed"):
                progress.advance(task)

        report = android.acquire_android(case, client, serial, progress=tick)
    analysis = analyze_and_seal(case, indicators)
    show(analysis, case, as_json=as_json, warnings=warnings)
    if report.incomplete:
        what = "the phone was disconnected during the scan" if report.device_lost else "some commands did not finish"
        fail(
            f"{what}; not collected: {', '.join(report.incomplete)}. Everything collected so far is kept in "
            f"{case.root}. Reconnect the phone and scan again (findings above cover only what was collected).",
            EXIT_INCOMPLETE,
        )
