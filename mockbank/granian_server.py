"""granian, the Rust HTTP server, for ``mockbank serve --server granian`` (``pip install 'mockbank[fast]'``).

It answered 1.1-1.4x waitress's requests per second here while waitress ran 8 requests at once per process;
against waitress running one at a time on the thread that read it (``--active-threads``, the default on SQLite)
it answers 0.5-0.8x of them (``bench/README.md``). And granian writes every status line itself with the standard reason phrase, so a
rejected signature goes out as ``401 Unauthorized``, not ``401 Invalid Signature`` (the JSON body, with its
diagnosis, is the same).

granian always serves from worker processes of its own, even with one worker. mockbank binds the listening
socket itself (so ``--port 0`` and a busy port behave as with waitress) and hands it to granian, the way granian
shares its socket on macOS and Windows. Each worker builds its app with ``app_factory``, which opens its own
store connection; the parent seeded the database before. A worker that dies (even by ``kill -9``) is replaced
by granian; one that dies again within a few seconds of that stops the server, with an error on stderr. A
worker whose parent died (even by ``kill -9``) stops, so no orphan keeps serving the port.

What the waitress server has and granian maps differently (see README, "mockbank serve --server"):

- ``--max-connections`` is granian's backpressure: connections a worker handles at once; more wait;
- ``--header-timeout`` is its HTTP/1 header read timeout, which also ends a keep-alive connection that sends
  no next request in that time; ``--idle-timeout`` has no granian setting;
- ``--max-header-bytes`` bounds its HTTP/1 read buffer (at least 8 KiB); a larger head gets granian's own 431;
- ``/_mock/*`` requests have no threads of their own: ``--threads`` (+2) is one pool for every request;
- a body without ``Content-Length`` is read by :class:`ChunkedBodyLimit` up to one byte past ``--max-body``.
"""

from __future__ import annotations

import io
import logging
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from werkzeug.exceptions import RequestEntityTooLarge

from mockbank.faults import DROPPED
from mockbank.http_server import ServerLimits, raise_file_limit
from mockbank.workers import ORPHAN_GRACE_SECONDS

INSTALL_HINT = "--server granian needs granian, which is not installed: pip install 'mockbank[fast]'"
#: The banner's line under granian, so a user knows what the speed costs.
REASON_PHRASES = ("standard reason phrases only (401 Unauthorized, not 401 Invalid Signature); "
                  "clients that read the phrase need --server waitress")
#: hyper, under granian, refuses a read buffer smaller than this.
MIN_BUFFER_BYTES = 8192
#: A stopping worker gets this long for its running requests before it is killed.
STOP_SECONDS = 5
BACKLOG = 1024


class QuietFilter(logging.Filter):
    """Leaves out of granian's log what mockbank chose: a dropped-connection fault (granian logs the error that
    drops it, with a traceback) and the warning about more Python threads than CPU cores (``--threads``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)  # granian's Rust side puts a traceback in the message itself
        return not (message.rstrip().endswith(f"ConnectionAbortedError: {DROPPED}")
                    or message.startswith("Configuration allows spawning up to"))


#: granian's own log lines (startup chatter is INFO) go to stderr, warnings and errors only, never its access log.
_LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"granian": {"format": "mockbank (granian): %(levelname)s %(message)s"}},
    "filters": {"quiet": {"()": QuietFilter}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "granian", "stream": "ext://sys.stderr",
                            "filters": ["quiet"]}},
    "loggers": {"_granian": {"handlers": ["stderr"], "level": "WARNING", "propagate": False}},
}


class GranianUnavailable(RuntimeError):
    """``--server granian`` cannot run here: granian is not installed, or the platform is not Linux."""


def require() -> None:
    """GranianUnavailable, in one line saying what to do, unless granian can serve here.

    Linux only: mockbank hands granian the socket it bound through granian's internals, whose signatures
    differ on macOS and Windows and were checked on Linux alone.
    """
    if not sys.platform.startswith("linux"):
        raise GranianUnavailable(f"--server granian runs on Linux only ({sys.platform} here): use the default "
                                 "--server waitress")
    try:
        import granian  # noqa: F401
    except ImportError:
        raise GranianUnavailable(INSTALL_HINT) from None


@dataclass(frozen=True)
class _WorkerApp:
    """What a granian worker calls to get its WSGI app (picklable: workers may be spawned, not forked)."""

    app_factory: Callable[[], Any]
    parent: int
    max_body: int

    def __call__(self) -> Any:
        threading.Thread(target=_stop_when_orphaned, args=(self.parent,), name="mockbank-parent-watch",
                         daemon=True).start()
        return WithoutProcessEnvironment(ChunkedBodyLimit(self.app_factory(), self.max_body))


def _stop_when_orphaned(parent: int) -> None:
    """In a worker: once the parent is gone, stop as on SIGTERM (running requests get a few seconds)."""
    while os.getppid() == parent:
        time.sleep(1)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(ORPHAN_GRACE_SECONDS)
    os._exit(1)


class WithoutProcessEnvironment:
    """granian starts every WSGI environ from a copy of ``os.environ``; this drops the variables that would pass
    for request headers (``HTTP_PROXY`` would become a ``Proxy`` header in the journal) unless the request set
    them."""

    def __init__(self, app: Callable):
        self.app = app
        self.inherited = {name: value for name, value in os.environ.items()
                          if name.startswith("HTTP_") or name in ("CONTENT_TYPE", "CONTENT_LENGTH")}

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        for name, value in self.inherited.items():
            if environ.get(name) == value:
                del environ[name]
        return self.app(environ, start_response)


class ChunkedBodyLimit:
    """A body without ``Content-Length`` (HTTP/1.1 chunked, or HTTP/2) over ``max_body`` answers 413, as under
    waitress.

    granian hands the app such a body as a stream, and werkzeug reads it up to ``MAX_CONTENT_LENGTH`` and stops
    there without a word: the app would see a body cut short (a 400 "not JSON"). This reads it first, up to one
    byte past the limit; a body that fits is handed on whole, a longer one as a stream that refuses to be read
    (werkzeug's ``RequestEntityTooLarge``), so mockbank answers its JSON 413 and journals the request.
    """

    def __init__(self, app: Callable, max_body: int):
        self.app = app
        self.max_body = max_body

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        if "CONTENT_LENGTH" not in environ:
            body = _read_up_to(environ["wsgi.input"], self.max_body + 1)
            environ["wsgi.input"] = io.BytesIO(body) if len(body) <= self.max_body else _TooLarge()
            environ["wsgi.input_terminated"] = True
        return self.app(environ, start_response)


def _read_up_to(stream: Any, size: int) -> bytes:
    body = bytearray()
    while len(body) < size and (chunk := stream.read(size - len(body))):
        body += chunk
    return bytes(body)


class _TooLarge(io.RawIOBase):
    """The body of a request whose body is over the limit: reading it raises werkzeug's 413."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise RequestEntityTooLarge()


def _server_class():
    from granian import Granian
    from granian.net import SocketHolder

    class SharedSocketGranian(Granian):
        """granian on a socket bound beforehand (granian binds its own, once per worker on Linux)."""

        def __init__(self, listener: socket.socket, **options: Any):
            self.listener = listener
            super().__init__("mockbank", address=listener.getsockname()[0], port=listener.getsockname()[1],
                             **options)

        def _init_shared_socket(self) -> None:
            self.listener.set_inheritable(True)
            self._ssp = None
            self._shd = SocketHolder(self.listener.fileno(), False, BACKLOG)  # (fd, is a Unix socket, backlog)
            self._sfd = self.listener.fileno()
            self._sso = self.listener  # MPServer passes it to spawned workers, which keeps the descriptor open

    return SharedSocketGranian


def serve_socket(app_factory: Callable[[], Any], listener: socket.socket, limits: ServerLimits,
                 workers: int = 1) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM): ``workers`` granian processes, each with ``app_factory()``.

    ``app_factory`` must be picklable (a module-level function or a partial of one) where workers are spawned.
    """
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings

    listener.listen(BACKLOG)
    raise_file_limit(limits.connection_limit)
    server = _server_class()(
        listener, interface=Interfaces.WSGI, workers=workers, websockets=False,
        blocking_threads=limits.threads + limits.control_threads, backpressure=limits.connection_limit,
        backlog=BACKLOG, http1_settings=HTTP1Settings(header_read_timeout=limits.header_timeout * 1000,
                                                      max_buffer_size=max(MIN_BUFFER_BYTES, limits.max_header_bytes)),
        log_dictconfig=_LOGGING, log_level="warning", log_access=False, respawn_failed_workers=True,
        respawn_interval=1.0, workers_kill_timeout=STOP_SECONDS)
    server.serve(target_loader=_WorkerApp(app_factory, os.getpid(), limits.max_body), wrap_loader=False)
