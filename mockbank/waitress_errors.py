"""Waitress's own error answers as mockbank's JSON errors.

Waitress refuses some requests before any application sees them: a request line or URI it cannot
parse (a raw ``\\xff`` byte in the path), headers over ``max_request_header_size`` (256 KiB), an invalid
Content-Length or chunk size, a body over its own limit. It answers those with a plain-text page; this
module makes the same answers ``{"error", "message"}`` JSON with the same status. They never reach the
app, so they are not in the journal.

Waitress has no option for its error pages: its channel's ``error_task_class`` is the hook, set on each
server's ``channel_class``.
"""

from __future__ import annotations

import json
from typing import Any

from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer
from waitress.task import ErrorTask

from mockbank.web import JSON_MIMETYPE

_CODES = {413: "payload-too-large", 500: "internal-error"}


class JsonErrorTask(ErrorTask):
    """Answers a request waitress refused with mockbank's error body."""

    def execute(self) -> None:
        error = self.request.error
        code = _CODES.get(error.code, error.reason.lower().replace(" ", "-"))
        message = f"{error.reason}: {error.body}" if error.body else error.reason
        body = (json.dumps({"error": code, "message": message}, ensure_ascii=False) + "\n").encode("utf-8")
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", JSON_MIMETYPE))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class JsonErrorChannel(HTTPChannel):
    error_task_class = JsonErrorTask


def answer_errors_as_json(socket_map: dict[Any, Any]) -> None:
    """Make every waitress server in ``socket_map`` (the ``map`` given to ``create_server``) answer JSON errors."""
    for dispatcher in socket_map.values():
        if isinstance(dispatcher, BaseWSGIServer):
            dispatcher.channel_class = JsonErrorChannel
