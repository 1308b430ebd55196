"""The jinja2 environment for every HTML output (reports and playbooks).

Autoescape is on for everything: finding titles, subjects and excerpts come
from a device that an abuser may control.
"""

from __future__ import annotations

import functools
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


@functools.lru_cache(maxsize=1)
def environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["stylesheet"] = (TEMPLATE_DIR / "report.css").read_text("utf-8")
    return env
