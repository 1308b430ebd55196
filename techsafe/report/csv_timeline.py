"""The timeline as CSV (one row per event), for spreadsheets and case files."""

from __future__ import annotations

import csv
import io
from typing import Any

COLUMNS = ("time", "event", "subject", "detail")
# A cell starting with one of these is run as a formula by spreadsheet apps;
# subjects and details come from the device, so they are neutralised.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def render_csv(content: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for event in content.get("timeline", ()):
        writer.writerow([safe_cell(str(event.get(c, ""))) for c in COLUMNS])
    return out.getvalue()


def safe_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value
