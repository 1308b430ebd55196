"""The scan summary on the terminal (rich): device, counts, one line per
finding grouped by subject, and the next step for each."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from techsafe.model import Analysis, Severity

if TYPE_CHECKING:
    from rich.console import Console

STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


PLATFORM_NAMES = {"android": "Android", "ios": "iOS"}


def device_line(device: dict[str, str]) -> str:
    """'Google Pixel 7 (Android 14)', 'Demo iPhone, iPhone14,5 (iOS 17.4.1)'; '' when nothing is known."""
    platform = PLATFORM_NAMES.get(device.get("platform", "").lower(), device.get("platform", ""))
    model = " ".join(v for k, v in device.items() if k in ("manufacturer", "model") and v)
    name = ", ".join(v for v in (device.get("name", ""), model) if v)
    version = device.get("android_version") or device.get("ios_version") or ""
    if not name and not version:
        return ""
    return f"{name or platform} ({platform} {version})".replace(" )", ")") if version else name


def render_summary(console: "Console", analysis: Analysis, case_dir: str, warnings: list[str] = ()) -> None:
    from rich.panel import Panel
    from rich.markup import escape
    from rich.text import Text

    # Text from the phone or an input file is data, never rich markup: a model
    # named "[/]" raised MarkupError and hid the findings.
    line = device_line(dict(analysis.device))
    if line:
        console.print(f"[bold]Device:[/bold] {escape(line)}")
    for w in warnings:
        console.print(f"[bold yellow]Warning:[/bold yellow] {escape(w)}")

    counts = analysis.counts
    attention = sum(counts[s.label] for s in (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM))
    line = Text()
    for sev in sorted(Severity, reverse=True):
        line.append(f" {counts[sev.label]} {sev.label} ", style=STYLE[sev] if counts[sev.label] else "dim")
    context = counts[Severity.LOW.label] + counts[Severity.INFO.label]
    if attention:
        headline = f"{attention} thing{'s' if attention != 1 else ''} need{'' if attention != 1 else 's'} attention"
        if context:
            headline += f" (and {context} for context)"
    elif not analysis.checked and not analysis.findings:
        headline = "Nothing could be checked — see below why; this is NOT an all clear"
    elif analysis.not_checked:
        headline = "Nothing risky found in what could be checked — but some parts could not be checked (below)"
    else:
        headline = "Nothing risky found in what was checked"
    console.print(Panel(line, title=headline, expand=False))

    groups: "OrderedDict[str, list]" = OrderedDict()
    for f in analysis.findings:
        groups.setdefault(f.subject, []).append(f)
    # A list, not a table: it stays readable in a narrow terminal window.
    for subject, findings in groups.items():
        console.print(Text(subject, style="bold underline"))
        for f in findings:
            row = Text("  ")
            row.append(f"{f.severity.label.upper():<8}", style=STYLE[f.severity])
            row.append(f" {f.title}")
            console.print(row)
            console.print(Text(f"           next: techsafe playbook {f.playbook}", style="dim"))
    if analysis.not_checked:
        console.print("[bold]Not checked[/bold] (do not read these as 'all clear'):")
        for n in analysis.not_checked:
            console.print(f"  • {escape(n.area)}: {escape(n.reason)}")
    console.print(f"Case folder: [bold]{escape(str(case_dir))}[/bold]  (report: techsafe report {escape(str(case_dir))})")
