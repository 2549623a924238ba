"""The console's access log: one line per API request (time, method, path, status, elapsed ms, a 401's cause).

:func:`log_request` emits to the ``mockbank.access`` logger; :func:`configure` (``mockbank serve``) sends it
to the console as text or JSON lines, or nowhere with ``--quiet``. Secrets never reach it: it logs no
headers and no bodies.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any, TextIO

ACCESS = logging.getLogger("mockbank.access")
LOG_FORMATS = ("text", "json")


def log_request(entry: dict[str, Any], prefix: str = "") -> None:
    """Log one journaled request; ``prefix`` is its sandbox's mount (``/sandboxes/<id>``) if any."""
    if not ACCESS.isEnabledFor(logging.INFO):
        return
    verdict = entry.get("verdict") or {}
    fields = {"time": entry["time"], "method": entry["method"], "path": prefix + entry["path"],
              "status": "dropped" if entry.get("dropped") else entry["status"], "elapsedMs": entry["durationMs"]}
    if verdict.get("ok") is False:
        fields["cause"] = verdict.get("cause")
    ACCESS.info("%s %s %s %s", fields["method"], fields["path"], fields["status"], fields["elapsedMs"],
                extra={"access": fields})


class TextFormatter(logging.Formatter):
    """``2026-11-24T10:00:00.123Z POST /payment 401 5.8 ms cause=key-byte-order``"""

    def format(self, record: logging.LogRecord) -> str:
        fields = record.access
        line = f"{fields['time']} {fields['method']} {fields['path']} {fields['status']} {fields['elapsedMs']:.1f} ms"
        return line + (f" cause={fields['cause']}" if "cause" in fields else "")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(record.access, ensure_ascii=False)


class _AccessLogHandler(logging.StreamHandler):
    """Writes the access log; once its stream is closed (``mockbank serve | head``) it stops, quietly, and the
    requests go on (logging would otherwise print a traceback for every one)."""

    def handleError(self, record: logging.LogRecord) -> None:
        if isinstance(sys.exc_info()[1], BrokenPipeError) or getattr(self.stream, "closed", False):
            ACCESS.removeHandler(self)
            ACCESS.setLevel(logging.WARNING)
            return
        super().handleError(record)


def configure(stream: TextIO, log_format: str = "text", quiet: bool = False) -> None:
    """Print the access log on ``stream`` (unless ``quiet``), and silence waitress's queue-depth warnings
    (under many concurrent clients it writes one per request: the access log says what happens)."""
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    for handler in list(ACCESS.handlers):
        ACCESS.removeHandler(handler)
    ACCESS.propagate = False
    if quiet:
        ACCESS.setLevel(logging.WARNING)
        return
    handler = _AccessLogHandler(stream)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    ACCESS.addHandler(handler)
    ACCESS.setLevel(logging.INFO)
