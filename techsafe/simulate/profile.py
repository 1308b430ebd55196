"""What a simulated Android phone answers: a `DeviceProfile`.

A profile is data only (no behaviour): the phone's identity, the exact output
of each shell command, the files `adb pull` can fetch, and optional faults.
`adb_device.py` serves it over the real ADB wire protocol.

Profile folder format (fixtures/devices/<name>/profile.yaml)
------------------------------------------------------------

    serial: R58N12ABCDE            # ro.serialno (informational; adb names a
                                   # TCP device "127.0.0.1:PORT")
    product:                       # the CNXN banner the adb server shows
      name: a54xnsxx               # ro.product.name
      model: SM-A546B              # ro.product.model
      device: a54x                 # ro.product.device
    default_latency: 0.05          # seconds before any answer (optional, 0)
    commands:                      # exact shell command -> answer
      getprop: outputs/getprop.txt                   # shorthand: stdout file
      "pm list packages -f -i -U -u":
        file: outputs/packages.txt                   # stdout, path relative to the folder
        latency: 0.8                                 # this command only
      "dumpsys package": {file: outputs/dumpsys_package.txt, latency: 1.5}
      "pm list users": {stdout: "Users:\\n\\tUserInfo{0:Owner:c13} running\\n"}
      "dumpsys device_policy": {stderr: "Permission Denial\\n", exit: 1}
    files:                         # device path -> file next to profile.yaml
      /data/app/~~Qx==/com.example.spy-1/base.apk: apks/spy.apk
      /sdcard/notes.txt: {text: "hello\\n"}           # or inline text
    faults:                        # optional, usually given to SimulatedPhone instead
      hang: ["dumpsys account"]    # never answered
      disconnect_after: 5          # TCP closed when the 6th command arrives
      auth_delay_s: 2.0            # "Allow USB debugging?" shown this long

Command entry keys: `file` or `stdout` (inline text) for stdout, `stderr` or
`stderr_file`, `exit` (default 0), `latency` (seconds). Keys of `commands`
are matched exactly (after stripping surrounding spaces) against what adb
sends, so use the strings in techsafe/scanners/android/commands.py
(`COMMANDS[i].shell` / `.fallbacks`, `per_package(...)`). A command with no
entry gets what a real Android shell prints (see adb_device.unknown_command).
Text files are served byte-for-byte: keep real device line endings.

Other builders: `profile_from_text_dump` (a `DUMP OF SERVICE` text dump) and
`profile_from_androidqf` (an androidqf acquisition folder).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from techsafe.scanners.android.commands import BY_KEY


class ProfileError(ValueError):
    """A profile folder or input dump is unusable; the message names the file."""


@dataclass(frozen=True)
class CommandOutput:
    stdout: bytes = b""
    stderr: bytes = b""
    exit_code: int = 0
    latency_s: float | None = None  # None: the profile's default latency


@dataclass(frozen=True)
class DeviceFile:
    """A file `adb pull` can fetch; read from `source` on demand (APKs are big)."""

    data: bytes | None = None
    source: Path | None = None
    mode: int = 0o100644  # S_IFREG | rw-r--r--
    mtime: int = 1_700_000_000

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.source is not None
        return self.source.read_bytes()

    def size(self) -> int:
        return len(self.data) if self.data is not None else self.source.stat().st_size  # type: ignore[union-attr]


@dataclass(frozen=True)
class Faults:
    hang: frozenset[str] = frozenset()  # commands that are never answered
    disconnect_after: int | None = None  # drop TCP when command N+1 arrives
    auth_delay_s: float | None = None  # show "unauthorized" this long first


@dataclass(frozen=True)
class DeviceProfile:
    serial: str = "SIMULATED0001"
    name: str = "techsafe_sim"  # ro.product.name
    model: str = "Simulated Phone"  # ro.product.model
    device: str = "sim"  # ro.product.device
    commands: Mapping[str, CommandOutput] = field(default_factory=lambda: MappingProxyType({}))
    files: Mapping[str, DeviceFile] = field(default_factory=lambda: MappingProxyType({}))
    default_latency_s: float = 0.0
    faults: Faults = Faults()

    def answer(self, command: str) -> CommandOutput | None:
        return self.commands.get(command.strip())

    def latency(self, output: CommandOutput) -> float:
        return self.default_latency_s if output.latency_s is None else output.latency_s


def make_profile(commands: Mapping[str, CommandOutput | bytes | str] | None = None,
                 files: Mapping[str, bytes | DeviceFile] | None = None, **kwargs) -> DeviceProfile:
    """Convenience for tests: plain bytes/str become stdout with exit 0."""
    cmds = {k: _as_output(v) for k, v in (commands or {}).items()}
    fls = {k: v if isinstance(v, DeviceFile) else DeviceFile(data=bytes(v)) for k, v in (files or {}).items()}
    return DeviceProfile(commands=MappingProxyType(cmds), files=MappingProxyType(fls), **kwargs)


def _as_output(value: CommandOutput | bytes | str) -> CommandOutput:
    if isinstance(value, CommandOutput):
        return value
    return CommandOutput(stdout=value.encode() if isinstance(value, str) else bytes(value))


# --------------------------------------------------------------------------- profile.yaml


def load_profile(folder: str | Path) -> DeviceProfile:
    """Load fixtures/devices/<name>/ (profile.yaml + the files it names)."""
    import yaml

    folder = Path(folder)
    spec_path = folder / "profile.yaml"
    try:
        spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"{spec_path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ProfileError(f"{spec_path}: not valid YAML ({_first_line(exc)})") from None
    if not isinstance(spec, dict):
        raise ProfileError(f"{spec_path}: expected a mapping at the top level")
    product = spec.get("product") or {}
    if not isinstance(product, dict):
        raise ProfileError(f"{spec_path}: 'product' must be a mapping")

    commands = {}
    for cmd, entry in (spec.get("commands") or {}).items():
        commands[str(cmd).strip()] = _command_entry(folder, spec_path, str(cmd), entry)
    files = {}
    for device_path, entry in (spec.get("files") or {}).items():
        files[str(device_path)] = _file_entry(folder, spec_path, str(device_path), entry)
    faults_spec = spec.get("faults") or {}
    try:
        faults = Faults(
            hang=frozenset(str(c) for c in faults_spec.get("hang", ())),
            disconnect_after=_opt_int(faults_spec.get("disconnect_after")),
            auth_delay_s=_opt_float(faults_spec.get("auth_delay_s")),
        )
        return DeviceProfile(
            serial=str(spec.get("serial", "SIMULATED0001")),
            name=str(product.get("name", "techsafe_sim")),
            model=str(product.get("model", "Simulated Phone")),
            device=str(product.get("device", "sim")),
            commands=MappingProxyType(commands),
            files=MappingProxyType(files),
            default_latency_s=float(spec.get("default_latency", 0.0)),
            faults=faults,
        )
    except (TypeError, ValueError, AttributeError) as exc:
        raise ProfileError(f"{spec_path}: bad value ({exc})") from None


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _opt_int(v) -> int | None:
    return None if v is None else int(v)


def _opt_float(v) -> float | None:
    return None if v is None else float(v)


def _inside(folder: Path, spec_path: Path, rel: str) -> Path:
    # Profile files stay inside the profile folder (no ../ escapes).
    path = (folder / rel).resolve()
    if folder.resolve() not in path.parents:
        raise ProfileError(f"{spec_path}: {rel!r} points outside the profile folder")
    if not path.is_file():
        raise ProfileError(f"{spec_path}: {rel!r} does not exist")
    return path


def _text(value) -> bytes:
    return str(value).encode("utf-8")


def _command_entry(folder: Path, spec_path: Path, cmd: str, entry) -> CommandOutput:
    if isinstance(entry, str):
        return CommandOutput(stdout=_inside(folder, spec_path, entry).read_bytes())
    if not isinstance(entry, dict):
        raise ProfileError(f"{spec_path}: command {cmd!r} must be a file name or a mapping")
    unknown = set(entry) - {"file", "stdout", "stderr", "stderr_file", "exit", "latency"}
    if unknown:
        raise ProfileError(f"{spec_path}: command {cmd!r} has unknown keys {sorted(unknown)}")
    stdout = _inside(folder, spec_path, entry["file"]).read_bytes() if "file" in entry else _text(entry.get("stdout", ""))
    if "stderr_file" in entry:
        stderr = _inside(folder, spec_path, entry["stderr_file"]).read_bytes()
    else:
        stderr = _text(entry.get("stderr", ""))
    try:
        return CommandOutput(stdout, stderr, int(entry.get("exit", 0)) & 0xFF, _opt_float(entry.get("latency")))
    except (TypeError, ValueError):
        raise ProfileError(f"{spec_path}: command {cmd!r}: 'exit' and 'latency' must be numbers") from None


def _file_entry(folder: Path, spec_path: Path, device_path: str, entry) -> DeviceFile:
    if not device_path.startswith("/"):
        raise ProfileError(f"{spec_path}: device path {device_path!r} must be absolute")
    if isinstance(entry, str):
        return DeviceFile(source=_inside(folder, spec_path, entry))
    if isinstance(entry, dict) and "text" in entry:
        return DeviceFile(data=_text(entry["text"]))
    if isinstance(entry, dict) and "file" in entry:
        return DeviceFile(source=_inside(folder, spec_path, entry["file"]))
    raise ProfileError(f"{spec_path}: file {device_path!r} must be a file name or {{text: ...}}")


# --------------------------------------------------------------------------- text dumps

# "DUMP OF SERVICE package" (Android 7 full dump) or "DUMP OF SERVICE package:" (androidqf).
_SECTION = re.compile(rb"^DUMP OF (SERVICE|SETTINGS) ([A-Za-z0-9_.\-]+):?\r?$", re.M)
# Trailer lines dumpsys adds after each service when run without arguments.
_TRAILER_LINE = re.compile(rb"-{9} .* was the duration of dumpsys .*|-{20,}\r?")


def _strip_trailer(body: bytes) -> bytes:
    # Line by line from the end: linear even on a hostile dump full of dashes.
    end = len(body)
    while end > 0 and body[end - 1:end] == b"\n":
        start = body.rfind(b"\n", 0, end - 1) + 1
        if not _TRAILER_LINE.fullmatch(body, start, end - 1):
            break
        end = start
    return body[:end]


def split_dump_sections(raw: bytes) -> dict[tuple[str, str], bytes]:
    """(`SERVICE`|`SETTINGS`, name) -> the section body exactly as in the dump,
    minus the "--------- N s was the duration" / dashes trailer lines that only
    a bare `dumpsys` prints. The first occurrence of a name wins."""
    sections: dict[tuple[str, str], bytes] = {}
    matches = list(_SECTION.finditer(raw))
    for i, m in enumerate(matches):
        start = m.end() + 1 if raw[m.end():m.end() + 1] == b"\n" else m.end()
        end = matches[i + 1].start() if i + 1 < len(matches) else len(raw)
        key = (m.group(1).decode(), m.group(2).decode())
        sections.setdefault(key, _strip_trailer(raw[start:end]))
    return sections


@dataclass(frozen=True)
class DumpedPackage:
    """What `pm list packages` needs, read from one `Package [..]` block."""

    name: str
    code_path: str
    uid: int | None
    installer: str  # "null" when the dump has none, as pm prints it
    system: bool


_PKG_HEADER = re.compile(r"^  Package \[([^\]]+)\] \([0-9a-f]+\):$")


def packages_from_dumpsys_package(text: str) -> list[DumpedPackage]:
    """Packages in the `Packages:` part of `dumpsys package`, in dump order."""
    result: list[DumpedPackage] = []
    block: dict[str, str] | None = None
    name = ""
    in_packages = False

    def flush():
        if block is not None:
            flags = block.get("pkgFlags", block.get("flags", ""))
            uid = block.get("userId") or block.get("appId", "")  # appId= on Android 14
            result.append(DumpedPackage(
                name=name,
                code_path=block.get("codePath", ""),
                uid=int(uid) if uid.isdigit() else None,
                installer=block.get("installerPackageName", "null") or "null",
                system=" SYSTEM " in f" {flags.strip('[] ')} ",
            ))

    for line in text.splitlines():
        if line == "Packages:":
            in_packages = True
            continue
        if not in_packages:
            continue
        if line and not line.startswith(" "):  # next top-level section
            break
        m = _PKG_HEADER.match(line)
        if m:
            flush()
            name, block = m.group(1), {}
            continue
        if block is not None and line.startswith("    ") and not line.startswith("     "):
            key, sep, value = line.strip().partition("=")
            if sep and " " not in key:
                block.setdefault(key, value.split(" ")[0] if key in ("userId", "appId") else value)
    flush()
    return result


def apk_path(code_path: str) -> str:
    """sourceDir as `pm list packages -f` prints it, from codePath: Android 5+
    keeps /data/app/<pkg>-N/base.apk and /system/app/<Name>/<Name>.apk."""
    if code_path.endswith(".apk") or not code_path:
        return code_path
    if code_path.startswith("/data/app/"):
        return code_path + "/base.apk"
    return f"{code_path}/{code_path.rstrip('/').rsplit('/', 1)[-1]}.apk"


def pm_list_packages(packages: list[DumpedPackage], *, paths: bool, installer: bool, uid: bool) -> bytes:
    """The output format of PackageManagerShellCommand.runListPackages (AOSP):
    `package:<sourceDir>=<name>  installer=<pkg|null> uid:<uid>`."""
    lines = []
    for p in packages:
        line = "package:"
        if paths:
            line += apk_path(p.code_path) + "="
        line += p.name
        if installer:
            line += f"  installer={p.installer}"
        if uid and p.uid is not None:
            line += f" uid:{p.uid}"
        lines.append(line + "\n")
    return "".join(lines).encode()


def _package_list_commands(packages: list[DumpedPackage], *, supports_uid: bool) -> dict[str, CommandOutput]:
    first, *fallbacks = BY_KEY["packages"].variants  # -f -i -U -u, -f -i -u, -f -u, plain
    cmds = {
        fallbacks[0]: CommandOutput(pm_list_packages(packages, paths=True, installer=True, uid=False)),
        fallbacks[1]: CommandOutput(pm_list_packages(packages, paths=True, installer=False, uid=False)),
        fallbacks[2]: CommandOutput(pm_list_packages(packages, paths=False, installer=False, uid=False)),
        BY_KEY["packages_system"].shell: CommandOutput(
            pm_list_packages([p for p in packages if p.system], paths=False, installer=False, uid=False)),
    }
    if supports_uid:
        cmds[first] = CommandOutput(pm_list_packages(packages, paths=True, installer=True, uid=True))
    else:
        # Android 7's pm has no -U (added in 8.0): it rejects the option.
        cmds[first] = CommandOutput(stderr=b"Error: Unknown option: -U\n", exit_code=1)
    return cmds


_FINGERPRINT = re.compile(r"fingerprint=([^/\s]+)/([^/\s]+)/([^:\s]+):([^/\s]+)/([^/\s]+)/([^:\s]+):([^/\s]+)/(\S+)")
_SDK = re.compile(r"sdkVersion=(\d+)")


def _getprop_from_dumpsys_package(text: str) -> tuple[bytes, dict[str, str]]:
    """A minimal `getprop` from the build fingerprint in `Database versions:`
    (brand/name/device:release/id/incremental:type/tags, per AOSP Build.java)."""
    head = text[:4000]
    m = _FINGERPRINT.search(head)
    sdk = _SDK.search(head)
    props: dict[str, str] = {}
    if m:
        brand, name, device, release, build_id, incremental, build_type, tags = m.groups()
        props.update({
            "ro.build.fingerprint": m.group(0).split("=", 1)[1],
            "ro.build.id": build_id,
            "ro.build.tags": tags,
            "ro.build.type": build_type,
            "ro.build.version.incremental": incremental,
            "ro.build.version.release": release,
            "ro.product.brand": brand,
            "ro.product.device": device,
            "ro.product.model": name,  # the fingerprint has no model; name is closest
            "ro.product.name": name,
        })
    if sdk:
        props["ro.build.version.sdk"] = sdk.group(1)
    return _getprop_output(props), props


def _getprop_output(props: dict[str, str]) -> bytes:
    return "".join(f"[{k}]: [{v}]\n" for k, v in sorted(props.items())).encode()


def _parse_getprop(raw: bytes) -> dict[str, str]:
    props = {}
    for m in re.finditer(r"^\[([^\]]+)\]: \[([^\]]*)\]$", raw.decode("utf-8", "replace"), re.M):
        props[m.group(1)] = m.group(2)
    return props


def _commands_from_sections(sections: dict[tuple[str, str], bytes]) -> dict[str, CommandOutput]:
    cmds = {}
    for (kind, name), body in sections.items():
        cmd = f"dumpsys {name}" if kind == "SERVICE" else f"settings list {name}"
        cmds[cmd] = CommandOutput(body)
    return cmds


def profile_from_text_dump(path: str | Path, *, serial: str = "DUMP0001", default_latency_s: float = 0.0) -> DeviceProfile:
    """A phone that answers like the one a `DUMP OF SERVICE` text dump came from.

    - bare `dumpsys` -> the whole file (that is what a bare dumpsys prints);
    - each `DUMP OF SERVICE <name>` section -> `dumpsys <name>`;
      each `DUMP OF SETTINGS <ns>` -> `settings list <ns>` (bodies verbatim);
    - `pm list packages` (every allow-listed variant) and `pm list packages -s`
      from the `Packages:` blocks of the package section, in dump order:
      path from codePath (see apk_path), installer from installerPackageName,
      system from the SYSTEM pkgFlag; `-U` is rejected when the dump's SDK < 26;
    - `getprop` with the build properties that the package section's
      fingerprint and sdkVersion give (nothing invented beyond those).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read ({exc.strerror})") from None
    sections = split_dump_sections(raw)
    if not sections:
        raise ProfileError(f"{path}: no 'DUMP OF SERVICE' or 'DUMP OF SETTINGS' sections")
    cmds = _commands_from_sections(sections)
    cmds["dumpsys"] = CommandOutput(raw)
    props: dict[str, str] = {}
    package_text = sections.get(("SERVICE", "package"), b"").decode("utf-8", "replace")
    if package_text:
        getprop, props = _getprop_from_dumpsys_package(package_text)
        if props:
            cmds["getprop"] = CommandOutput(getprop)
        packages = packages_from_dumpsys_package(package_text)
        if packages:
            sdk = int(props.get("ro.build.version.sdk", "0") or 0)
            cmds.update(_package_list_commands(packages, supports_uid=sdk >= 26))
    return DeviceProfile(
        serial=serial,
        name=props.get("ro.product.name", "dump"),
        model=props.get("ro.product.model", "dump"),
        device=props.get("ro.product.device", "dump"),
        commands=MappingProxyType(cmds),
        default_latency_s=default_latency_s,
    )


def profile_from_androidqf(folder: str | Path, *, serial: str = "ANDROIDQF0001", default_latency_s: float = 0.0) -> DeviceProfile:
    """A phone that answers like the one an androidqf folder was taken from.

    dumpsys.txt sections -> `dumpsys <name>`; getprop.txt -> `getprop`;
    settings_<ns>.txt -> `settings list <ns>`; packages.json -> the
    `pm list packages` variants (path = first entry of `files`, installer,
    uid; `-s` lists entries with "system": true).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ProfileError(f"{folder}: not a folder")
    cmds: dict[str, CommandOutput] = {}
    dumpsys = folder / "dumpsys.txt"
    if dumpsys.is_file():
        cmds.update(_commands_from_sections(split_dump_sections(dumpsys.read_bytes())))
    props: dict[str, str] = {}
    getprop = folder / "getprop.txt"
    if getprop.is_file():
        raw = getprop.read_bytes()
        cmds["getprop"] = CommandOutput(raw)
        props = _parse_getprop(raw)
    for settings in sorted(folder.glob("settings_*.txt")):
        cmds[f"settings list {settings.stem[len('settings_'):]}"] = CommandOutput(settings.read_bytes())
    packages_json = folder / "packages.json"
    if packages_json.is_file():
        cmds.update(_package_list_commands(_androidqf_packages(packages_json), supports_uid=True))
    if not cmds:
        raise ProfileError(f"{folder}: no androidqf files (dumpsys.txt, getprop.txt, packages.json, settings_*.txt)")
    return DeviceProfile(
        serial=serial,
        name=props.get("ro.product.name", "androidqf"),
        model=props.get("ro.product.model", "androidqf"),
        device=props.get("ro.product.device", "androidqf"),
        commands=MappingProxyType(cmds),
        default_latency_s=default_latency_s,
    )


def _androidqf_packages(path: Path) -> list[DumpedPackage]:
    try:
        entries = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: not valid JSON ({_first_line(exc)})") from None
    if not isinstance(entries, list):
        raise ProfileError(f"{path}: expected a list of packages")
    result = []
    for e in entries:
        if not isinstance(e, dict) or not isinstance(e.get("name"), str):
            raise ProfileError(f"{path}: a package entry has no name")
        files = e.get("files") or []
        first = files[0].get("path", "") if files and isinstance(files[0], dict) else ""
        uid = e.get("uid")
        result.append(DumpedPackage(
            name=e["name"],
            code_path=str(first),
            uid=uid if isinstance(uid, int) else None,
            installer=str(e.get("installer") or "null"),
            system=bool(e.get("system")),
        ))
    return result
