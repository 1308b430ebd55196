"""The report as one self-contained HTML file (no external resources)."""

from __future__ import annotations

from typing import Any

from techsafe.report.content import SEVERITY_MEANING
from techsafe.report.templating import environment


def render_html(content: dict[str, Any]) -> str:
    return environment().get_template("report.html.j2").render(r=content, meanings=SEVERITY_MEANING)
