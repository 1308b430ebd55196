"""YAML for data we did not write: safe_load only (no python tags, no code)."""

from __future__ import annotations

from typing import Any

from techsafe.signatures.records import FeedError


def load_yaml(data: bytes, filename: str) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FeedError(f"{filename}: not UTF-8 text (byte {exc.start})") from None
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader, never the full one
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or exc.__class__.__name__
        raise FeedError(f"{filename}: not valid YAML{where}: {_one_line(str(problem))}") from None
    except RecursionError:
        raise FeedError(f"{filename}: YAML nested too deeply") from None


def _one_line(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
