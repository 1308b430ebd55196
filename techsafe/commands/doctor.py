"""`techsafe doctor`: is everything ready to scan, and what to do if not."""

from __future__ import annotations

import click

from techsafe.commands.common import console

ADVICE = {
    "unauthorized": "Unlock the phone and tap Allow on 'Allow USB debugging?'. No prompt? Unplug, replug, "
                    "and in Developer options tap 'Revoke USB debugging authorisations', then try again.",
    "offline": "Unplug and replug the cable; try another cable or USB port (some cables only charge).",
    "no permissions": "This computer's USB rules block the phone: install Debian's 'android-sdk-platform-tools-common' "
                      "(udev rules) or run techsafe with permission to access USB devices.",
}


@click.command()
@click.option("--adb-port", type=int, default=None, help="adb server port (default: $ANDROID_ADB_SERVER_PORT or 5037).")
def doctor(adb_port: int | None) -> None:
    """Check adb, connected phones and indicator feeds; say what to do about each problem."""
    out = console()
    problems = 0

    def ok(msg: str) -> None:
        out.print(f"[green]✓[/green] {msg}")

    def bad(msg: str, advice: str) -> None:
        nonlocal problems
        problems += 1
        out.print(f"[red]✗[/red] {msg}\n    → {advice}")

    from techsafe.scanners.android import acquire as android

    try:
        binary = android.adb_binary()
        ok(f"adb program found: {binary}")
        client = android.adb_client(adb_port)
        ok(f"adb server running (port {adb_port or android.adb_port()})")
        devices = android.list_android_devices(client)
        if not devices:
            bad("no Android phone visible",
                "Connect it with a USB data cable, unlock it, and turn on USB debugging (Settings > About phone > "
                "tap Build number 7 times; then Developer options > USB debugging).")
        for d in devices:
            if d.state == "device":
                ok(f"Android phone {d.spec} ({d.model or 'model unknown'}) is connected and allows USB debugging")
            else:
                bad(f"Android phone {d.spec} is '{d.state}'", ADVICE.get(d.state, "Unplug and replug the phone."))
    except android.AdbUnavailable as exc:
        bad(str(exc), "Reinstall techsafe (it ships adb), or install Debian's 'adb' package.")

    from techsafe.workflow import load_indicators

    try:
        indicators = load_indicators()
        good, message = indicators.stalkerware_feed_status()
        if good:
            ok(message)
        else:
            bad(message, "Run `techsafe signatures update` (needs internet) or `techsafe signatures import PATH`.")
    except Exception as exc:  # a broken feed must not hide the other checks
        bad(f"indicator feeds could not be loaded ({type(exc).__name__})", "Run `techsafe signatures status`.")

    from techsafe.doctor_checks import all_checks

    for extra in all_checks():
        good, message, advice = extra()
        ok(message) if good else bad(message, advice)

    out.print("All good." if problems == 0 else f"{problems} problem{'s' if problems != 1 else ''} found.")
    raise SystemExit(0 if problems == 0 else 1)
