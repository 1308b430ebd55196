"""`techsafe --help` must stay instant: heavy libraries load only when a
command needs them (issue: performance, start-up)."""

import subprocess
import sys

HEAVY = ("scapy", "pymobiledevice3", "yara", "bleak", "zeroconf", "adbutils", "rich", "jinja2", "cryptography", "yaml")


def _modules_after(args: list[str]) -> set[str]:
    code = (
        "import sys\n"
        "from techsafe.cli import cli\n"
        f"try:\n    cli.main({args!r}, prog_name='techsafe', standalone_mode=False)\n"
        "except SystemExit:\n    pass\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_help_imports_no_heavy_module():
    loaded = _modules_after(["--help"])
    assert not {m for m in HEAVY if m in loaded}, sorted(m for m in HEAVY if m in loaded)


def test_version_imports_no_heavy_module():
    loaded = _modules_after(["--version"])
    assert not {m for m in HEAVY if m in loaded}


def test_help_lists_every_command():
    out = subprocess.run([sys.executable, "-m", "techsafe", "--help"], capture_output=True, text=True, check=True).stdout
    for name in ("scan", "analyze", "demo", "signatures", "doctor"):
        assert f"  {name} " in out
