"""The report as JSON: the report value itself, for other tools."""

from __future__ import annotations

import json
from typing import Any


def render_json(content: dict[str, Any]) -> str:
    return json.dumps(content, indent=2, ensure_ascii=False) + "\n"
