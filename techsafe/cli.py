"""The command line. Thin: parse options, call the library, render.

Sub-commands live in techsafe/commands/<name>.py and are imported only when
used, so `techsafe --help` stays instant (no scapy, pymobiledevice3, yara).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import click

from techsafe import __version__

# name -> (module, attribute, one-line help shown by --help)
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "scan": ("techsafe.commands.scan", "scan", "Scan a connected phone (and trackers or the home network)."),
    "analyze": ("techsafe.commands.analyze", "analyze", "Analyze a case folder, an acquisition, a dump, a backup or a capture."),
    "demo": ("techsafe.commands.demo", "demo", "Practice scan of a simulated phone (no phone needed)."),
    "signatures": ("techsafe.commands.signatures", "signatures", "Import, update and show indicator feeds."),
    "doctor": ("techsafe.commands.doctor", "doctor", "Check that adb, devices and permissions are ready."),
    "playbook": ("techsafe.commands.playbook", "playbook", "Show the remediation guide for a finding kind."),
    "report": ("techsafe.commands.report", "report", "Write the evidence report of a case (HTML, Markdown, JSON, CSV)."),
    "case": ("techsafe.commands.case", "case", "Verify or export a case folder."),
    "trackers": ("techsafe.commands.trackers", "trackers", "Sweep for, locate and ring Bluetooth trackers."),
    "network": ("techsafe.commands.network", "network", "Home network: devices, cameras, router, traffic."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | {n for n in SUBCOMMANDS if _available(n)})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        cmd = super().get_command(ctx, name)
        if cmd is not None or name not in SUBCOMMANDS:
            return cmd
        module, attr, _ = SUBCOMMANDS[name]
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                return None
            raise
        return getattr(mod, attr)

    def invoke(self, ctx: click.Context):
        """Every command's one-line error in one form, `techsafe: MESSAGE` on
        stderr (commands.common.fail), instead of click's `Error: MESSAGE` for
        the click.ClickException a command raises. Usage errors (a wrong
        option or argument) keep click's usage line and hint."""
        try:
            return super().invoke(ctx)
        except click.UsageError:
            raise
        except click.ClickException as exc:
            from techsafe.commands.common import fail

            fail(exc.format_message(), exc.exit_code)
        except KeyboardInterrupt:  # commands that keep data say what they kept; this is the plain fallback
            from techsafe.commands.common import EXIT_INTERRUPTED, fail

            fail("stopped (Ctrl-C)", EXIT_INTERRUPTED)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(n, SUBCOMMANDS[n][2]) for n in self.list_commands(ctx) if n in SUBCOMMANDS]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _available(name: str) -> bool:
    spec = importlib.util.find_spec(SUBCOMMANDS[name][0])
    return spec is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="techsafe")
def cli() -> None:
    """techsafe finds what someone can use to watch, follow or control a phone's owner.

    Start with `techsafe demo` (no phone needed), then `techsafe doctor` and
    `techsafe scan --device` with the phone connected over USB.
    Nothing leaves this laptop except `techsafe signatures update`.
    """


def main() -> None:
    try:
        cli(prog_name="techsafe")
    except KeyboardInterrupt:
        click.echo("\nStopped. Anything already collected is kept in the case folder.", err=True)
        sys.exit(130)
