"""The timeline as CSV (one row per event), for spreadsheets and case files."""

from __future__ import annotations

import csv
import io
from typing import Any

COLUMNS = ("time", "event", "subject", "detail")
# A cell starting with one of these is run as a formula by spreadsheet apps;
# subjects and details come from the device, so they are neutralised.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# First data row of a `techsafe demo` case: the CSV travels alone, without the
# HTML/Markdown banner, so it must carry the practice marker itself.
SIMULATED_NOTE = ("", "note", "", "PRACTICE SCAN OF A SIMULATED PHONE (techsafe demo): not evidence about a real phone")


def render_csv(content: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    if content.get("simulated") is True:
        writer.writerow(SIMULATED_NOTE)
    for event in content.get("timeline", ()):
        writer.writerow([safe_cell(str(event.get(c, ""))) for c in COLUMNS])
    return out.getvalue()


def safe_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value
