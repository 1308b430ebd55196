"""Synthetic Android 14 phones of any size, for the benchmarks.

Built on the demo phone's generator (fixtures/devices/make_android14_demo.py:
Pixel 7, ~140 system apps, ~30 Play apps and the planted TheTruthSpy
stalkerware) plus as many extra Play Store apps as asked for. Everything is
deterministic (fixed seeds).

Sizes follow a real phone: the Android 7 full dump in
../shared/captures/android/isdi/ holds 271 packages in a 2.4 MB
`dumpsys package` (about 9 KB per package, most of it the intent-resolver
tables, Key Set Manager and Dexopt state). The demo generator trims those
tables, so each synthetic app gets its resolver entries, dexopt and compiler
lines back, to reach that size per package.

Latencies (seconds) are those of the demo profile (a Pixel 7 over USB 3,
order of magnitude measured with `time adb shell ...`), with the commands
whose work grows with the number of apps scaled linearly so that the demo's
~170-package figures are kept: `dumpsys package` = 0.5 + 0.012 s per app
(300 apps: 4.1 s), `pm list packages` = 0.6 + 0.0018 s per app, appops and
intent queries likewise. One `dumpsys package <id>` costs 0.35 s (a new adb
shell stream, a binder call into the package service and its own dump).
"""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Mapping

REPO = Path(__file__).resolve().parents[1]
GENERATOR = REPO / "fixtures" / "devices" / "make_android14_demo.py"

PER_PACKAGE_LATENCY_S = 0.35
ROOT_PROBE_NOTE = "No such file or directory"

_VENDORS = ("acme", "globex", "initech", "hooli", "vandelay", "soylent", "tyrell", "wonka", "cyberdyne",
            "aperture", "oscorp", "wayneent", "pied", "dunder", "prestige", "gringotts", "duff", "krusty",
            "monarch", "nakatomi", "sirius", "stark", "umbrellaco", "virtucon", "zorg")
_PRODUCTS = ("notes", "weather", "fitness", "recipes", "scanner", "wallet", "radio", "podcasts", "chess",
             "sudoku", "transit", "parking", "banking", "flashcards", "meditation", "translate", "camera",
             "gallery", "keyboard", "launcher", "browser", "calendar", "tasks", "budget", "shopping")
_OPTIONAL_RUNTIME = ("CAMERA", "RECORD_AUDIO", "READ_CONTACTS", "ACCESS_FINE_LOCATION", "POST_NOTIFICATIONS",
                     "ACCESS_COARSE_LOCATION", "READ_MEDIA_IMAGES")


def load_generator() -> ModuleType:
    """A fresh copy of the demo generator module (its seeded RNG and caches
    start anew, so each phone is deterministic on its own)."""
    spec = importlib.util.spec_from_file_location("techsafe_bench_demo_generator", GENERATOR)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{GENERATOR}: cannot load the demo phone generator")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


@dataclass(frozen=True)
class SyntheticPhone:
    packages: int
    outputs: Mapping[str, bytes]  # allow-listed shell command -> stdout
    per_package: Mapping[str, bytes]  # package id -> `dumpsys package <id>` stdout
    latency: Mapping[str, float]  # shell command -> seconds before the phone answers
    package_names: tuple[str, ...]
    stalkerware: str  # the planted app every scan must report

    def total_bytes(self) -> int:
        return sum(len(v) for v in self.outputs.values())

    def profile(self, *, with_per_package: bool = True):
        """A DeviceProfile for SimulatedPhone (per-command latencies included)."""
        from techsafe.scanners.android.commands import PACKAGE_ID, per_package
        from techsafe.simulate.profile import CommandOutput, DeviceProfile

        cmds = {cmd: CommandOutput(out, latency_s=self.latency.get(cmd, 0.05)) for cmd, out in self.outputs.items()}
        if with_per_package:
            for name, out in self.per_package.items():
                if PACKAGE_ID.match(name):  # `android` itself has no dot: the allow-list never asks for it
                    cmds[per_package("dumpsys package {package}", name)] = CommandOutput(out, latency_s=PER_PACKAGE_LATENCY_S)
        return DeviceProfile(serial=f"SYNTH{self.packages:05d}", name="panther", model="Pixel 7", device="panther",
                             commands=MappingProxyType(cmds), default_latency_s=0.05)

    def write_androidqf(self, folder: Path) -> Path:
        """The phone as an androidqf acquisition folder (androidqf's layout:
        dumpsys.txt with `DUMP OF SERVICE x:` sections, getprop.txt,
        settings_<ns>.txt, packages.json as acquisition/packages.go writes it)."""
        folder.mkdir(parents=True, exist_ok=True)
        sections = []
        for cmd, out in self.outputs.items():
            if cmd.startswith("dumpsys "):
                sections.append(b"DUMP OF SERVICE " + cmd.split(" ", 1)[1].encode() + b":\n" + out)
        (folder / "dumpsys.txt").write_bytes(b"\n".join(sections))
        (folder / "getprop.txt").write_bytes(self.outputs["getprop"])
        for ns in ("secure", "global", "system"):
            (folder / f"settings_{ns}.txt").write_bytes(self.outputs[f"settings list {ns}"])
        (folder / "packages.json").write_text(json.dumps(self._androidqf_packages(), indent=1))
        return folder

    def _androidqf_packages(self) -> list[dict]:
        system = set(self.outputs["pm list packages -s"].decode().replace("package:", "").split())
        entries = []
        rng = random.Random(self.packages)
        for line in self.outputs["pm list packages -f -i -U -u"].decode().splitlines():
            path_name, _, rest = line[len("package:"):].partition("  installer=")
            path, _, name = path_name.rpartition("=")
            installer, _, uid = rest.partition(" uid:")
            digest, cert = f"{rng.getrandbits(256):064x}", f"{rng.getrandbits(256):064x}"
            org = (name.split('.') + [name])[1].title()
            subject = f"CN={org}, O={org} Inc., C=US"
            entries.append({
                "name": name,
                "files": [{"path": path, "local_name": "", "md5": digest[:32], "sha1": digest[:40],
                           "sha256": digest, "sha512": digest * 2, "error": "", "verified_certificate": True,
                           "certificate": {"Md5": cert[:32], "Sha1": cert[:40], "Sha256": cert,
                                           "ValidFrom": "2019-03-01T10:00:00Z", "ValidTo": "2049-02-22T10:00:00Z",
                                           "Issuer": subject, "Subject": subject, "SignatureAlgorithm": "SHA256-RSA",
                                           "SerialNumber": rng.getrandbits(62)},
                           "certificate_error": "", "trusted_certificate": False}],
                "installer": installer, "uid": int(uid) if uid.isdigit() else -1, "disabled": False,
                "system": name in system, "third_party": name not in system,
            })
        return entries


def _extra_apps(gen: ModuleType, apps: list, count: int) -> list:
    rng = random.Random(7000 + count)
    next_uid = max(a.app_id for a in apps) + 1
    taken = {a.name for a in apps}
    extra = []
    i = 0
    while len(extra) < count:
        vendor, product = _VENDORS[i % len(_VENDORS)], _PRODUCTS[(i // len(_VENDORS)) % len(_PRODUCTS)]
        name = f"com.{vendor}.{product}" + (f"{i // (len(_VENDORS) * len(_PRODUCTS))}" if i >= 625 else "")
        i += 1
        if name in taken:
            continue
        taken.add(name)
        granted = tuple(p for p in _OPTIONAL_RUNTIME if rng.random() < 0.3)
        requested = tuple(gen.perm(p) for p in gen.BASE_INSTALL) + tuple(gen.perm(p) for p in granted)
        month = 1 + rng.randrange(10)
        app = gen.App(
            name=name, label=f"{vendor.title()} {product.title()}",
            code_path=f"/data/app/~~{gen.path_salt()}/{name}-{gen.path_salt()}", app_id=next_uid,
            version_code=rng.randrange(10, 900000), version_name=f"{rng.randrange(1, 30)}.{rng.randrange(10)}.{rng.randrange(10)}",
            min_sdk=26, target_sdk=34, kind="user", installer="com.android.vending",
            first_install=f"2024-{month:02d}-{1 + rng.randrange(27):02d} 1{rng.randrange(10)}:0{rng.randrange(10)}:31",
            last_update=f"2024-10-{1 + rng.randrange(30):02d} 0{rng.randrange(10)}:1{rng.randrange(10)}:07",
            requested=requested, abi="arm64-v8a", splits="[base, config.arm64_v8a, config.en, config.xxhdpi]")
        app.install_granted = tuple(p for p in requested if p.split(".")[-1] not in gen.RUNTIME)
        app.runtime = tuple((gen.perm(p), True, gen.USER_FLAGS) for p in granted)
        extra.append(app)
        next_uid += 1
    return extra


def _resolver_tables(gen: ModuleType, apps: list) -> str:
    """Activity/Receiver/Service resolver entries for every app that is not a
    resource overlay (ComputerEngine.dump `Activity Resolver Table:` ...)."""
    acts, recvs, svcs = ["Activity Resolver Table:", "  Non-Data Actions:"], ["Receiver Resolver Table:", "  Non-Data Actions:"], \
        ["Service Resolver Table:", "  Non-Data Actions:"]
    for app in apps:
        if "/overlay/" in app.code_path:
            continue
        h = gen.hexhash
        acts += ["      android.intent.action.MAIN:", f"        {h()} {app.name}/.MainActivity filter {h()}",
                 '          Action: "android.intent.action.MAIN"', '          Category: "android.intent.category.LAUNCHER"',
                 f"        {h()} {app.name}/.SettingsActivity filter {h()}",
                 '          Action: "android.intent.action.APPLICATION_PREFERENCES"',
                 '          Category: "android.intent.category.DEFAULT"']
        recvs += ["      android.intent.action.BOOT_COMPLETED:", f"        {h()} {app.name}/.BootReceiver filter {h()}",
                  '          Action: "android.intent.action.BOOT_COMPLETED"',
                  "      android.intent.action.MY_PACKAGE_REPLACED:", f"        {h()} {app.name}/.UpdateReceiver filter {h()}",
                  '          Action: "android.intent.action.MY_PACKAGE_REPLACED"',
                  "      com.google.firebase.MESSAGING_EVENT:", f"        {h()} {app.name}/com.google.firebase.iid.FirebaseInstanceIdReceiver filter {h()}",
                  '          Action: "com.google.android.c2dm.intent.RECEIVE"', "          mPriority=0, mOrder=0, mHasStaticPartialTypes=false, mHasDynamicPartialTypes=false"]
        svcs += ["      com.google.firebase.MESSAGING_EVENT:",
                 f"        {h()} {app.name}/com.google.firebase.messaging.FirebaseMessagingService filter {h()}",
                 '          Action: "com.google.firebase.MESSAGING_EVENT"', "          mPriority=-500, mOrder=0, mHasStaticPartialTypes=false, mHasDynamicPartialTypes=false",
                 "      androidx.work.impl.background.systemjob.SystemJobService:",
                 f"        {h()} {app.name}/androidx.work.impl.background.systemjob.SystemJobService filter {h()}",
                 '          Action: "android.app.job.JobService"']
    schemes = ["  Schemes:", "      https:"]
    providers = ["Registered ContentProviders:"]
    authorities = ["ContentProvider Authorities:"]
    for app in apps:
        if app.kind not in ("user", "sideloaded", "updated"):
            continue
        h = gen.hexhash
        host = app.name.split(".")[1] + ".example"
        schemes += [f"        {h()} {app.name}/.DeepLinkActivity filter {h()}", '          Action: "android.intent.action.VIEW"',
                    '          Category: "android.intent.category.DEFAULT"', '          Category: "android.intent.category.BROWSABLE"',
                    '          Scheme: "https"', '          Scheme: "http"', f'          Authority: "www.{host}": -1 WILD',
                    f'          Authority: "links.{host}": -1', '          Path: "PatternMatcher{PREFIX: /open}"',
                    "          AutoVerify=true"]
        for suffix in ("androidx-startup", "fileprovider", "firebaseinitprovider"):
            providers += [f"  {app.name}/androidx.startup.InitializationProvider:",
                          f"    Provider{{{h()} {app.name}/androidx.startup.InitializationProvider}}"] if suffix == "androidx-startup" else \
                         [f"  {app.name}/.{suffix.title()}:", f"    Provider{{{h()} {app.name}/.{suffix.title()}}}"]
            authorities += [f"  [{app.name}.{suffix}]:", f"    Provider{{{h()} {app.name}/.{suffix.title()}}}",
                            f"      applicationInfo=ApplicationInfo{{{h()} {app.name}}}"]
    acts[1:1] = schemes
    return "\n".join(acts + [""] + recvs + [""] + svcs + [""] + providers + [""] + authorities) + "\n\n"


def _dexopt(gen: ModuleType, apps: list) -> str:
    out = ["Dexopt state:"]
    for app in apps:
        if app.kind in ("user", "sideloaded", "updated"):
            out += [f"  [{app.name}]", f"    path: {app.source_dir}",
                    "      arm64: [status=speed-profile] [reason=bg-dexopt] [primary-abi]",
                    f"        [location is {app.code_path}/oat/arm64/base.odex]"]
    out += ["", "Compiler stats:"]
    for app in apps:
        if app.kind in ("user", "sideloaded", "updated"):
            out += [f"  [{app.name}]", f"     base.apk - {gen.rng.randrange(300, 9000)}"]
    return "\n".join(out) + "\n"


def _appops(apps: list) -> str:
    """AppOpsService.dump, Android 10-15 layout (see parsers/appops.py)."""
    out = ["Current AppOps Service state:", "  Settings:", "    top_state_settle_time=+5s0ms", ""]
    for app in apps:
        if app.kind == "system" and "/overlay/" in app.code_path:
            continue
        out += [f"  Uid u0a{app.app_id - 10000 if app.app_id >= 10000 else app.app_id}:", "    state=cch",
                f"    Package {app.name}:", "      WAKE_LOCK (allow):", "        null=[Access: 2024-11-04 10:12:03.104 (-30m15s)]"]
        if any(p.endswith("ACCESS_FINE_LOCATION") for p, *_ in app.runtime):
            out += ["      COARSE_LOCATION (allow):", "        null=[Access: 2024-11-04 09:58:41.010 (-43m37s)]",
                    "      FINE_LOCATION (allow):", "        null=[Access: 2024-11-04 09:58:41.010 (-43m37s)]"]
        if app.kind == "sideloaded":
            out += ["      SYSTEM_ALERT_WINDOW (allow):", "      GET_USAGE_STATS (allow):"]
    return "\n".join(out) + "\n"


def _query(apps: list, what: str, cls: str) -> str:
    """PackageManagerShellCommand `query-activities --brief` output."""
    found = [a for a in apps if "/overlay/" not in a.code_path and not a.disabled_components]
    out = [f"{len(found)} {what}s found:"]
    for i, app in enumerate(found):
        out += [f"  {what.title()} #{i}:", "    priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=false",
                f"    {app.name}/{cls}"]
    return "\n".join(out) + "\n"


def _scaled_latency(gen: ModuleType, n: int) -> dict[str, float]:
    latency = dict(gen.LATENCY)
    for cmd in ("pm list packages -f -i -U -u", "pm list packages -f -i -u", "pm list packages -f -u", "pm list packages"):
        latency[cmd] = round(0.6 + 0.0018 * n, 3)
    latency.update({
        "pm list packages -s": round(0.45 + 0.001 * n, 3),
        "dumpsys package": round(0.5 + 0.012 * n, 3),
        "cmd package query-activities --brief -a android.intent.action.MAIN -c android.intent.category.LAUNCHER": round(0.3 + 0.001 * n, 3),
        "cmd package query-services --brief -a android.net.VpnService": round(0.3 + 0.0005 * n, 3),
        "dumpsys appops": round(0.2 + 0.0025 * n, 3),
        "dumpsys telephony.registry": 0.15,
    })
    return latency


def make_phone(n_packages: int) -> SyntheticPhone:
    from techsafe.scanners.android.commands import BY_KEY, ROOT_PROBE_PATHS

    gen = load_generator()
    apps = gen.build_packages()
    if n_packages > len(apps):
        apps += _extra_apps(gen, apps, n_packages - len(apps))
    full = gen.render_dumpsys_package(apps)
    marker = "\nKey Set Manager:\n"
    head, _, tail = full.partition(marker)
    full = head + "\n" + _resolver_tables(gen, apps) + marker.lstrip("\n") + tail + _dexopt(gen, apps)
    launcher = [a for a in apps if a.kind != "system" or a.name in ("com.android.settings", "com.google.android.apps.maps")]
    outputs = {
        "getprop": gen.render_getprop(gen.getprop()),
        "pm list packages -f -i -U -u": gen.render_pm_list(apps, paths=True, installer=True, uid=True),
        "pm list packages -f -i -u": gen.render_pm_list(apps, paths=True, installer=True, uid=False),
        "pm list packages -f -u": gen.render_pm_list(apps, paths=True, installer=False, uid=False),
        "pm list packages": gen.render_pm_list(apps, paths=False, installer=False, uid=False),
        "pm list packages -s": gen.render_pm_list(apps, paths=False, installer=False, uid=False, only_system=True),
        "dumpsys package": full,
        "dumpsys accessibility": gen.render_accessibility(apps),
        "dumpsys device_policy": gen.render_device_policy(apps),
        "settings list secure": gen.render_settings(gen.secure_settings()),
        "settings list global": gen.render_settings(gen.global_settings()),
        "settings list system": gen.render_settings(gen.system_settings()),
        "pm list users": gen.render_users(),
        "dumpsys account": gen.render_accounts(apps),
        BY_KEY["launcher_activities"].shell: _query(launcher, "activity", ".MainActivity"),
        BY_KEY["vpn_services"].shell: "No services found\n",
        "dumpsys appops": _appops(apps),
        "dumpsys telephony.registry": "last known state:\n  Phone Id=0\n    mCallState=0\n    mRingingCallState=0\n"
                                      "    mCallForwarding=false\n    mDataActivity=0\n",
        BY_KEY["root_paths"].shell: "".join(f"ls: {p}: {ROOT_PROBE_NOTE}\n" for p in ROOT_PROBE_PATHS),
        BY_KEY["user_ca_certs"].shell: "ls: /data/misc/user/0/cacerts-added: No such file or directory\n",
    }
    per_package = {app.name: gen.render_dumpsys_package_one(app, apps).encode() for app in apps}
    return SyntheticPhone(
        packages=len(apps),
        outputs=MappingProxyType({k: v.encode() for k, v in outputs.items()}),
        per_package=MappingProxyType(per_package),
        latency=MappingProxyType(_scaled_latency(gen, len(apps))),
        package_names=tuple(a.name for a in apps),
        stalkerware=gen.STALKER,
    )


if __name__ == "__main__":
    import time

    for n in map(int, sys.argv[1:] or ["300"]):
        t0 = time.monotonic()
        phone = make_phone(n)
        size = len(phone.outputs["dumpsys package"])
        print(f"{phone.packages} packages: dumpsys package {size / 1e6:.2f} MB ({size / phone.packages / 1e3:.1f} KB/pkg), "
              f"all outputs {phone.total_bytes() / 1e6:.2f} MB, built in {time.monotonic() - t0:.2f} s")
