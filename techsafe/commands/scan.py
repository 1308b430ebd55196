"""`techsafe scan`: scan a connected phone (Android over adb, iPhone over usbmux)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from techsafe.commands.common import EXIT_INCOMPLETE, EXIT_NO_DEVICE, console, fail, interrupted, new_case, show

CONNECT_HELP = (
    "No phone found. Android: connect it with a USB data cable, unlock it, and turn on USB debugging "
    "(Settings > About phone > tap 'Build number' 7 times, then Settings > System > Developer options > "
    "USB debugging). iPhone: connect it, unlock it and tap 'Trust' when asked. Then run `techsafe doctor`."
)


@dataclass(frozen=True)
class PhoneChoice:
    platform: str  # android | ios
    ident: str  # adb serial or UDID
    label: str  # model or name, for the list shown when several are attached
    state: str = "device"

    @property
    def spec(self) -> str:
        return f"{self.platform}:{self.ident}"


@click.command()
@click.option("--device", "device", is_flag=False, flag_value="auto", default=None, metavar="[android:SERIAL|ios:UDID]",
              help="Scan a connected phone; with several attached, name one.")
@click.option("--trackers", is_flag=True, help="Sweep for Bluetooth trackers nearby.")
@click.option("--duration", default=60.0, show_default=True, type=click.FloatRange(1, 3600),
              help="Seconds of the tracker sweep (1 to 3600).")
@click.option("--place", default=None, help="A label for where this tracker sweep happens (e.g. 'clinic').")
@click.option("--network", is_flag=True, help="Look at this laptop's local network (cameras, doorbells, router).")
@click.option("--iface", default=None, help="Network interface for --network (default: the one with the default route).")
@click.option("--case", "case_dir", type=click.Path(path_type=Path), help="Case folder (default: a new folder under ./cases/).")
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON.")
@click.option("--auth-timeout", default=120.0, show_default=True,
              help="Seconds to wait for 'Allow USB debugging' (Android) or 'Trust' (iPhone).")
@click.option("--adb-port", type=int, default=None, help="adb server port (default: $ANDROID_ADB_SERVER_PORT or 5037).")
@click.option("--backup", is_flag=True, help="iPhone: also make a local backup into the case, as Finder/iTunes does (the phone briefly shows "
                   "that it is syncing), and analyze it: accounts, location and app permissions.")
@click.option("--password", default=None, help="iPhone: password for an encrypted backup (asked when needed).")
@click.option("--pull-apks", "pull_apks", type=click.Choice(["none", "suspicious", "all"]), default="suspicious",
              show_default=True, help="Android: copy app files to check signing certificates and code "
              "(suspicious = apps not from a store, and flagged apps).")
def scan(device: str | None, trackers: bool, duration: float, place: str | None, network: bool, iface: str | None,
         case_dir: Path | None, as_json: bool, auth_timeout: float, adb_port: int | None, backup: bool,
         password: str | None, pull_apks: str = "suspicious") -> None:
    """Scan a connected phone, Bluetooth trackers nearby and/or the home network. Read-only.

    All parts of one scan go into one case folder and one report.
    """
    if device is None and not trackers and not network:
        fail("say what to scan: --device (a connected phone), --trackers, --network", EXIT_NO_DEVICE)
    steps = []
    if device is not None:
        phones, adb = discover_phones(adb_port, want=device.partition(":")[0] if device != "auto" else "")
        target = pick_phone(device, phones)
        _refuse_second_phone(case_dir, target.platform)
        if target.platform == "android":
            wait_for_android(adb, target.ident, auth_timeout)
            steps.append(lambda case: android_step(case, adb, target.ident, pull_apks=pull_apks))
        else:
            steps.append(lambda case: ios_step(case, target.ident, trust_timeout=auth_timeout, backup=backup,
                                               password=password))
    if trackers:
        steps.append(lambda case: trackers_step(case, duration, place))
    if network:
        steps.append(lambda case: network_step(case, iface))
    run_steps(steps, case_dir, as_json=as_json)


def _refuse_second_phone(case_dir: Path | None, platform: str) -> None:
    from techsafe.case import Case, CaseError
    from techsafe.pipeline import InputError, ensure_one_phone

    if case_dir is None or not Case.is_case(case_dir):
        return
    try:
        ensure_one_phone(Case.open(case_dir), platform)
    except (InputError, CaseError) as exc:
        fail(str(exc), EXIT_NO_DEVICE)


def run_steps(steps, case_dir: Path | None, *, as_json: bool, case_prefix: str = "case", banner: str | None = None,
              simulated: bool = False) -> None:
    """Create the case, run every acquisition step into it, analyze once, show.

    A step returns what it could not collect; the scan still analyzes what
    exists and then exits non-zero saying what is missing.
    """
    from techsafe.workflow import analyze_and_seal, feed_warning, load_indicators

    from techsafe.case import CaseError
    from techsafe.workflow import ensure_intact

    case = new_case(case_dir, case_prefix)
    try:
        gaps = ensure_intact(case) if case.artifacts() else ()  # never add to (and re-seal) a changed case
    except CaseError as exc:
        fail(str(exc))
    if simulated:
        if case.artifacts() and case.info.get("simulated") is not True:
            fail(f"{case.root}: holds a real scan; a practice scan goes into a new case folder")
        case.update_info(simulated=True)  # every report of this case says it is practice, not evidence
    indicators = load_indicators()
    warnings = [w for w in (feed_warning(indicators),) if w]
    if banner and not as_json:
        console(stderr=True).print(banner)
    from techsafe.model import NotChecked

    missing: list[str] = []
    try:
        with case.lock():
            for step in steps:
                missing += step(case)
            analysis = analyze_and_seal(case, indicators, gaps + tuple(NotChecked("scan", m) for m in missing))
    except KeyboardInterrupt:
        interrupted(f"stopped (Ctrl-C). Everything collected so far is kept in {case.root}; "
                    f"`techsafe analyze {case.root}` checks it and lists what is missing.", case=case, event="scan.interrupted")
    except OSError as exc:  # the disk filled or the case folder vanished: say so, keep what was written
        fail(
            f"could not write to the case folder {case.root}: {exc.strerror or type(exc).__name__}. Everything "
            f"written before this is kept; free some space, then run `techsafe analyze {case.root}`."
        )
    show(analysis, case, as_json=as_json, warnings=warnings)
    if missing:
        fail(
            f"not everything could be collected: {'; '.join(missing)}. Everything collected so far is kept in "
            f"{case.root}. The findings above cover only what was collected.",
            EXIT_INCOMPLETE,
        )


def discover_phones(adb_port: int | None, want: str = "") -> tuple[list[PhoneChoice], object]:
    """Every phone adb or usbmuxd can see. adb problems are fatal only when
    no iPhone is attached either (the caseworker may have only an iPhone)."""
    from techsafe.scanners.android import acquire as android

    phones: list[PhoneChoice] = []
    client, adb_error = None, None
    if want in ("", "android"):
        try:
            client = android.adb_client(adb_port)
            phones += [PhoneChoice("android", d.serial, d.model or d.state, d.state)
                       for d in android.list_android_devices(client)]
        except android.AdbUnavailable as exc:
            adb_error = exc
    if want in ("", "ios"):
        from techsafe.scanners.ios.acquire import list_ios_devices

        phones += [PhoneChoice("ios", d.udid, d.name or d.product_type, "device" if d.paired else "untrusted")
                   for d in list_ios_devices()]
    if not phones and adb_error is not None:
        fail(f"{adb_error}. Run `techsafe doctor`.")
    return phones, client


def pick_phone(spec: str, phones: list[PhoneChoice]) -> PhoneChoice:
    if spec != "auto":
        platform, _, ident = spec.partition(":")
        if platform not in ("android", "ios") or not ident:
            fail(f"--device {spec!r}: expected android:SERIAL or ios:UDID", EXIT_NO_DEVICE)
        for p in phones:
            if p.platform == platform and p.ident == ident:
                return p
        fail(f"no {'Android phone' if platform == 'android' else 'iPhone'} {ident!r} is connected", EXIT_NO_DEVICE)
    if not phones:
        fail(CONNECT_HELP, EXIT_NO_DEVICE)
    if len(phones) > 1:
        listing = "; ".join(f"{p.spec} ({p.label})" for p in phones)
        fail(f"several phones are connected: {listing}. Pick one with --device android:SERIAL or --device ios:UDID",
             EXIT_NO_DEVICE)
    return phones[0]


def wait_for_android(client, serial: str, auth_timeout: float) -> None:
    """While the phone shows "Allow USB debugging?": a spinner, then a clear message."""
    from techsafe.scanners.android import acquire as android

    state = {d.serial: d.state for d in android.list_android_devices(client)}.get(serial, "gone")
    if state == "device":
        return
    with console(stderr=True).status("Unlock the phone and tap Allow (\"Allow USB debugging?\")…", spinner="dots"):
        state = android.wait_until_authorized(client, serial, auth_timeout)
    if state != "device":
        fail(
            f"the phone did not allow USB debugging within {auth_timeout:.0f} s (state: {state}). "
            "Unlock it, tap Allow on the 'Allow USB debugging?' prompt, and run the scan again.",
            EXIT_NO_DEVICE,
        )


def android_step(case, client, serial: str, pull_apks: str = "suspicious") -> list[str]:
    import sys

    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

    from techsafe.scanners.android import acquire as android
    from techsafe.scanners.android.commands import COMMANDS

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  console=console(stderr=True), transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task("Reading the phone (read-only)…", total=len(COMMANDS))

        def tick(key: str, status: str) -> None:
            if status in ("done", "failed"):
                progress.advance(task)

        report = android.acquire_android(case, client, serial, progress=tick)
    if pull_apks != "none" and not report.device_lost:
        pull_app_files(case, client, serial, pull_apks)
    if not report.incomplete:
        return []
    what = "the phone was disconnected during the scan" if report.device_lost else "some phone commands did not finish"
    return [f"{what} ({', '.join(report.incomplete)})"]


def pull_app_files(case, client, serial: str, mode: str) -> None:
    """Copy suspicious (or all) APKs into the case after a first analysis (issue 3)."""
    import sys

    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

    from techsafe.scanners.android.apks import pull_after_first_analysis
    from techsafe.workflow import load_indicators

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), console=console(stderr=True),
                  transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task("Copying app files to check who made them…", total=None)

        def tick(package: str, status: str) -> None:
            if status != "start":
                progress.advance(task)

        pull_after_first_analysis(case, client.device(serial), load_indicators(), mode, progress=tick)


def ios_step(case, udid: str, *, trust_timeout: float, backup: bool = False, password: str | None = None,
             usbmux_address: str | None = None) -> list[str]:
    from techsafe.scanners.ios.acquire import IosAcquireError, TrustPending, acquire_ios

    with console(stderr=True).status("Reading the iPhone (read-only)…", spinner="dots") as status:
        try:
            missing = acquire_ios(case, udid, backup=backup, password=password, wait_trust_s=trust_timeout,
                                  progress=lambda msg: status.update(msg), usbmux_address=usbmux_address)
        except TrustPending as exc:
            case.log("acquire.error", platform="ios", error="not trusted")
            fail(f"{exc} The case folder {case.root} is kept.", EXIT_NO_DEVICE)
        except IosAcquireError as exc:
            case.log("acquire.error", platform="ios", error=str(exc)[:200])
            return [str(exc)]
    return [f"iPhone: {', '.join(missing)}"] if missing else []


def trackers_step(case, duration: float, place: str | None) -> list[str]:
    from techsafe.scanners.trackers.live import TrackersUnavailable, sweep

    with console(stderr=True).status(f"Listening for Bluetooth trackers for {duration:.0f} s…", spinner="dots"):
        try:
            missing = sweep(case, duration, place)
        except TrackersUnavailable as exc:
            case.log("acquire.error", platform="trackers", error=str(exc)[:200])
            return [f"tracker sweep: {exc}"]
    return [f"tracker sweep: {', '.join(missing)}"] if missing else []


def network_step(case, iface: str | None) -> list[str]:
    from techsafe.scanners.network.acquire import scan_network
    from techsafe.scanners.network.lan import LanError

    with console(stderr=True).status("Looking at the local network…", spinner="dots") as status:
        try:
            skipped = scan_network(case, iface, progress=lambda msg: status.update(msg))
        except LanError as exc:
            case.log("acquire.error", platform="network", error=str(exc)[:200])
            return [f"network: {exc}"]
    # Same exit status as `techsafe network scan`: a skipped step (e.g. the
    # ARP sweep without privileges) means the picture may be incomplete.
    return [f"network: skipped {step}" for step in skipped]
