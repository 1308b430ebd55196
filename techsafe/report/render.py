"""One entry point for every file format of the report."""

from __future__ import annotations

from typing import Any, Callable

FORMATS = ("html", "md", "json", "csv")
EXTENSIONS = {"html": "html", "md": "md", "json": "json", "csv": "csv"}


def render(content: dict[str, Any], fmt: str) -> str:
    return _renderer(fmt)(content)


def _renderer(fmt: str) -> Callable[[dict[str, Any]], str]:
    if fmt == "html":
        from techsafe.report.html import render_html

        return render_html
    if fmt == "md":
        from techsafe.report.markdown import render_markdown

        return render_markdown
    if fmt == "json":
        from techsafe.report.json_report import render_json

        return render_json
    if fmt == "csv":
        from techsafe.report.csv_timeline import render_csv

        return render_csv
    raise ValueError(f"unknown report format {fmt!r} (choose from {', '.join(FORMATS)})")
