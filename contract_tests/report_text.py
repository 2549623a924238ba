"""The texts of the certification reports: report data as JSON text (exact amounts), text that XML 1.0 and HTML
accept, and long texts cut to a size a page can show."""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

#: Long texts (stderr, huge bodies) are cut to this many characters in the reports.
MAX_TEXT = 100_000

# Characters XML 1.0 forbids (C0 controls but tab/newline/return, lone surrogates, U+FFFE/U+FFFF).
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def to_json_text(value: Any, indent: int | None = 2) -> str:
    """JSON text of report data: Decimal amounts as numbers (``100.10`` stays ``100.10``), dates as ISO.

    ``indent=None`` gives one compact line (the body of a curl line). Never fails: anything else
    is written as its ``str``.
    """
    try:
        return _encode(value, indent, 0)
    except RecursionError:  # absurdly deep data: the standard encoder's text, amounts as strings
        return json.dumps(value, indent=indent, ensure_ascii=False, default=str)


def _encode(value: Any, indent: int | None, level: int) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else json.dumps(str(value))
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else json.dumps(str(value))
    if isinstance(value, (datetime, date, time)):
        return json.dumps(value.isoformat())
    if isinstance(value, dict):
        items = [(json.dumps(str(key), ensure_ascii=False), item) for key, item in value.items()]
        return _container("{", "}", [f"{key}: {_encode(item, indent, level + 1)}" if indent is not None
                                     else f"{key}:{_encode(item, indent, level + 1)}" for key, item in items],
                          indent, level)
    if isinstance(value, (list, tuple, set, frozenset)):
        return _container("[", "]", [_encode(item, indent, level + 1) for item in value], indent, level)
    return json.dumps(str(value), ensure_ascii=False)


def _container(opening: str, closing: str, parts: list[str], indent: int | None, level: int) -> str:
    if not parts:
        return opening + closing
    if indent is None:
        return opening + ",".join(parts) + closing
    inner, outer = " " * (indent * (level + 1)), " " * (indent * level)
    return opening + "\n" + ",\n".join(inner + part for part in parts) + "\n" + outer + closing



def clean(text: Any) -> str:
    """Text that XML 1.0 and HTML accept: forbidden control characters and lone surrogates removed."""
    return _INVALID_XML.sub("", text if isinstance(text, str) else str(text))


def cut(text: str, limit: int = MAX_TEXT, keep: str = "head") -> str:
    """``text`` cut to ``limit`` characters, keeping its start (JSON) or its ``"tail"`` (stderr, tracebacks)."""
    if len(text) <= limit:
        return text
    if keep == "tail":
        return f"... ({len(text) - limit} characters before this left out)\n" + text[-limit:]
    return text[:limit] + f"\n... ({len(text) - limit} more characters left out; report.json has them all)"
