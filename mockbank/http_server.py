"""waitress, configured to hold many slow or idle connections and to keep the control plane reachable.

- poll() instead of select(), so more than 1,024 sockets can be open, and a connection limit well above
  waitress's 100 (the file-descriptor limit is raised to fit it; on Windows, which has no poll(), at most 500);
- an idle timeout, and a header timeout counted from a request's first byte (waitress has none), checked
  every second, so slowloris connections are closed;
- header and body size limits applied by waitress before anything is spooled, answered as JSON (431, 413);
- ``/_mock/*`` requests (also below ``/sandboxes/<id>``) run on threads of their own, so API requests held by
  a ``delayMs`` fault never keep the control plane (or ``DELETE /_mock/faults``) from answering;
- of the API threads, only ``active_threads`` run requests at once (``mockbank serve``: one on SQLite), since
  threads taking turns at the GIL cost more CPU than they save (``bench/README.md``); a request that sleeps in
  a ``delayMs`` fault, or waits for a client that leaves more than 16 MiB of answers unread, leaves its turn
  to the next;
- with one request at a time, that request runs on the event loop's own thread, which saves handing every
  request to a pool thread and every answer back (about a third of the CPU a request costs); a request about
  to wait hands the event loop over to a new thread first, and one running longer than 0.2 s has it taken over,
  so connections are still read and ``/_mock/*`` answered;
- the event loop runs on a thread of its own, and Ctrl-C (or SIGTERM) stops the server gracefully: no new
  connections or requests are read, and the requests already read are run and answered within waitress's
  grace period of 5 s.
"""

from __future__ import annotations

import json
import logging
import select
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher, WSGITask

from mockbank.control_auth import is_control_path
from mockbank.faults import WAITING_KEY
from mockbank.settings import (DEFAULT_CONNECTION_LIMIT, DEFAULT_CONTROL_THREADS, DEFAULT_HEADER_TIMEOUT,
                               DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_BODY, DEFAULT_MAX_HEADER_BYTES)
from mockbank.workers import take_stop_signals

_ERROR_CODES = {413: "payload-too-large", 431: "request-header-fields-too-large"}


@dataclass(frozen=True)
class ServerLimits:
    """What one serving process holds: threads, connections, timeouts and request sizes."""

    threads: int = 8
    active_threads: int | None = None  # of ``threads``, those running requests at once (None: all of them)
    control_threads: int = DEFAULT_CONTROL_THREADS
    connection_limit: int = DEFAULT_CONNECTION_LIMIT
    idle_timeout: int = DEFAULT_IDLE_TIMEOUT
    header_timeout: int = DEFAULT_HEADER_TIMEOUT
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
    max_body: int = DEFAULT_MAX_BODY


#: Connections accepted in one go of the event loop.
ACCEPT_BATCH = 256
#: A request that has kept the event loop's thread this long (seconds) gets the loop taken from it.
LONG_REQUEST_SECONDS = 0.2


class _TimedParser(HTTPRequestParser):
    """waitress's request parser, remembering when the request's first byte arrived."""

    def __init__(self, adj: Adjustments):
        super().__init__(adj)
        self.started = time.time()


class _JsonErrorTask(ErrorTask):
    """waitress's own refusals (431, 413, 400 on a request it cannot parse) as mockbank's JSON errors."""

    def execute(self) -> None:
        error = self.request.error
        code = _ERROR_CODES.get(error.code, error.reason.lower().replace(" ", "-"))
        body = (json.dumps({"error": code, "message": _error_message(error, self.channel.server.adj)},
                           ensure_ascii=False) + "\n").encode("utf-8")
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json; charset=utf-8"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


def _error_message(error: Any, adj: Adjustments) -> str:
    if error.code == 431:
        return f"the request line and headers are larger than {adj.max_request_header_size} bytes"
    if error.code == 413:
        return f"the request body is larger than {adj.max_request_body_size} bytes"
    return str(error.body)


class _Task(WSGITask):
    """waitress's WSGI task, offering the app a way to give up its turn while it waits (:data:`WAITING_KEY`)."""

    def get_environment(self) -> dict[str, Any]:
        environ = super().get_environment()
        environ[WAITING_KEY] = self.channel.server.task_dispatcher.waiting
        return environ


class _Channel(HTTPChannel):
    parser_class = _TimedParser
    task_class = _Task
    error_task_class = _JsonErrorTask

    def readable(self) -> bool:
        return not self.server.stopping and super().readable()

    def handle_read(self) -> None:
        if not self.server.stopping:  # the loop may have been watching this socket when the server began to stop
            super().handle_read()

    def received(self, data: bytes) -> bool:
        result = super().received(data)
        if self.server.task_dispatcher.run_held_task():  # it ran on this (the event loop's) thread
            if self.connected and self.writable():
                self.handle_write()  # what the loop would do next, without waking it through its trigger
        return result

    def _flush_outbufs_below_high_watermark(self) -> None:
        if self.total_outbufs_len <= self.adj.outbuf_high_watermark:
            return
        # a client that does not read what it asked for (pipelined requests, an answer streamed in pieces)
        # keeps this request waiting, but not its turn
        with self.server.task_dispatcher.waiting():
            super()._flush_outbufs_below_high_watermark()


class _LoopHandedOver(wasyncore.ExitNow):
    """Raised on a thread that handed the event loop over, to leave it (wasyncore lets ExitNow through)."""


class _EventLoop:
    """waitress's event loop (wasyncore polling the server's sockets), on a thread of its own.

    A request running on the loop's thread that is about to wait hands the loop over (:meth:`hand_over`): a new
    thread runs it from then on, and the old one leaves it once its request is done.
    """

    def __init__(self) -> None:
        self.server: TcpWSGIServer | None = None
        self.thread: threading.Thread | None = None
        self.stopped = threading.Event()  # the loop ended: no sockets left, stop() called, or it failed
        self.error: BaseException | None = None  # what made it fail
        self._stop = False

    def start(self, server: TcpWSGIServer) -> None:
        self.server = server
        if not self.hand_over():
            raise RuntimeError("cannot start the event loop's thread")

    def is_current(self) -> bool:
        return threading.current_thread() is self.thread

    def hand_over(self) -> bool:
        """A new thread runs the loop from now on (False, and nothing changed, if no thread can be started)."""
        previous = self.thread
        self.thread = threading.Thread(target=self._run, name="mockbank-event-loop", daemon=True)
        try:
            self.thread.start()
        except RuntimeError:  # out of threads: the loop stays where it is
            self.thread = previous
            return False
        return True

    def stop(self, timeout: float) -> None:
        """End the loop after its current round (and the request running on it, waiting up to ``timeout``)."""
        self._stop = True
        if not self.stopped.is_set():  # else its trigger may be closed already
            self.server.pull_trigger()
        self.stopped.wait(timeout)

    def _run(self) -> None:
        server, me = self.server, threading.current_thread()
        poll = wasyncore.poll2 if server.adj.asyncore_use_poll and hasattr(select, "poll") else wasyncore.poll
        try:
            while server._map and not self._stop:
                poll(server.adj.asyncore_loop_timeout, server._map)
        except _LoopHandedOver:
            return
        except BaseException as error:  # run() raises it in the main thread
            if self.thread is me:
                self.error = error
        finally:
            if self.thread is me:
                self.stopped.set()


class _TurnTakingDispatcher(ThreadedTaskDispatcher):
    """waitress's thread pool, of whose threads at most ``max_running`` run requests at once.

    The others wait in line, so a burst of requests runs one after another instead of side by side, taking
    turns at the GIL (and at the database's write lock), which costs more CPU than it gains. A running request
    that is about to wait without using the CPU steps aside (:meth:`waiting`) and the next one starts on
    another thread; so the number of threads still bounds how many requests can wait at once. When the server
    stops, the requests still in line run too (in waitress's grace period), as they would have on idle threads,
    and the threads stay until the requests started on the event loop are done, which may queue one more.

    With one request at a time, a request the event loop reads while nothing runs (and nothing that started on
    the loop is unfinished) is not queued: :meth:`add_task` holds it and :meth:`run_held_task` runs it on the
    loop's own thread, sparing two hand-overs between threads per request.
    """

    def __init__(self, max_running: int, event_loop: _EventLoop):
        super().__init__()
        self.max_running = max_running
        self.running = 0  # requests counted as running: taken from the queue and not stepped aside
        self.event_loop = event_loop
        self.on_loop = 0  # requests started on the event loop's thread and not finished
        self._loop_busy_since: float | None = None  # when the request now running on the loop's thread started
        self._local = threading.local()

    def handler_thread(self, thread_no: int) -> None:  # waitress's loop, with the turns
        while True:
            with self.lock:
                # when stopping, a thread stays while a request on the event loop may still queue another
                while (self.stop_count == 0 and (not self.queue or self.running >= self.max_running)
                       or self.stop_count > 0 and not self.queue and self.on_loop):
                    self.active_count -= 1
                    self.queue_cv.wait()
                    self.active_count += 1
                if self.stop_count > 0 and not self.queue:
                    self.active_count -= 1
                    self.stop_count -= 1
                    self.threads.discard(thread_no)
                    self.thread_exit_cv.notify()
                    break
                task = self.queue.popleft()
                self.running += 1
            self._service(task)

    def _service(self, task: Any) -> None:  # with its turn taken
        self._local.counted = True
        try:
            task.service()
        except BaseException:
            self.logger.exception("Exception when servicing %r", task)
        finally:
            self._local.counted = False
            with self.lock:
                self.running -= 1

    def add_task(self, task: Any) -> None:
        with self.lock:
            if (self.max_running == 1 and self.running == 0 and self.on_loop == 0 and not self.queue
                    and self.event_loop.is_current()):
                # the event loop runs it as soon as the channel that read it lets go of its lock (while a request
                # that started there still waits, the pool runs the others, so its threads bound the waiting)
                self.running += 1
                self.on_loop += 1
                self._local.held = task
                return
            self.queue.append(task)
            if self.running < self.max_running:  # else the thread whose turn ends takes it
                self.queue_cv.notify()

    def run_held_task(self) -> bool:
        """On the event loop's thread: run the request :meth:`add_task` held for it, if any; True if it ran.

        If the request handed the event loop over while it waited (:meth:`waiting`), this thread leaves the
        loop once the request is done (:class:`_LoopHandedOver`)."""
        task = getattr(self._local, "held", None)
        if task is None:
            return False
        self._local.held = None
        with self.lock:
            self._loop_busy_since = time.monotonic()
        try:
            self._service(task)
        finally:
            with self.lock:
                handed_over = not self.event_loop.is_current()
                if not handed_over:
                    self._loop_busy_since = None
                self.on_loop -= 1
                if self.stop_count > 0:  # the pool's threads wait for it before they end
                    self.queue_cv.notify_all()
                elif self.queue and self.running < self.max_running:  # it queued the next pipelined request
                    self.queue_cv.notify()
            if handed_over:
                raise _LoopHandedOver()
        return True

    def hand_over_from_a_long_request(self, seconds: float) -> None:
        """If a request has kept the event loop's thread for over ``seconds``, a new thread runs the loop, so
        connections are accepted and read and ``/_mock/*`` answered meanwhile (API requests wait for the turn)."""
        with self.lock:
            if self._loop_busy_since is not None and time.monotonic() - self._loop_busy_since > seconds:
                if self.event_loop.hand_over():
                    self._loop_busy_since = None

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """While the block runs, the calling request does not count as running (a no-op on other threads,
        and inside another such block)."""
        if not getattr(self._local, "counted", False):
            yield
            return
        with self.lock:
            self.running -= 1
            if self.queue and self.running < self.max_running:
                self.queue_cv.notify()
            # this thread finishes the request; a new one runs the loop meanwhile
            if self.event_loop.is_current() and self.event_loop.hand_over():
                self._loop_busy_since = None
        self._local.counted = False
        try:
            yield
        finally:
            self._local.counted = True
            with self.lock:
                self.running += 1  # back at once, if need be beside the request that took the turn


class _SplitDispatcher:
    """Two thread pools: one for the API, one reserved for the control plane."""

    def __init__(self, threads: int, active_threads: int, control_threads: int, event_loop: _EventLoop):
        self.api = _TurnTakingDispatcher(max_running=active_threads, event_loop=event_loop)
        self.control = ThreadedTaskDispatcher()
        self.api.set_thread_count(threads)
        self.control.set_thread_count(control_threads)
        self.waiting = self.api.waiting
        self.run_held_task = self.api.run_held_task
        self.hand_over_from_a_long_request = self.api.hand_over_from_a_long_request

    def add_task(self, channel: HTTPChannel) -> None:
        first = channel.requests[0] if channel.requests else None
        pool = self.control if first is not None and not first.error and is_control_path(first.path) else self.api
        pool.add_task(channel)

    def shutdown(self, cancel_pending: bool = True, timeout: float = 5) -> bool:
        """Let running requests finish (within ``timeout`` seconds in all), then stop the threads."""
        expiration = time.monotonic() + timeout
        api_done = self.api.shutdown(cancel_pending, timeout)
        return self.control.shutdown(cancel_pending, max(0.0, expiration - time.monotonic())) and api_done


class HardenedServer(TcpWSGIServer):
    """waitress's TCP server with the header timeout and the split thread pools (see the module text)."""

    channel_class = _Channel
    stopping = False  # Ctrl-C or SIGTERM: no new connections or requests are read

    def __init__(self, *args: Any, event_loop: _EventLoop, **kwargs: Any):
        self.event_loop = event_loop
        super().__init__(*args, **kwargs)

    def run(self) -> None:
        """Serve on the event loop's thread until the sockets are closed, or until interrupted (Ctrl-C or
        SIGTERM raise KeyboardInterrupt or SystemExit here, in the main thread): then stop gracefully."""
        self.event_loop.start(self)
        try:
            threading.Thread(target=self._watch_for_long_requests, name="mockbank-watchdog", daemon=True).start()
            if threading.current_thread() is threading.main_thread():
                take_stop_signals()  # held while the server started (mockbank serve): handled here, in this try
            while not self.event_loop.stopped.wait(0.5):
                pass
        except (SystemExit, KeyboardInterrupt):
            self.stop()
            return
        error = self.event_loop.error
        if error is not None:  # the loop failed: answer what was read, then fail as waitress would
            try:
                self.stop()
            finally:
                raise error

    def _watch_for_long_requests(self) -> None:  # on a thread of its own, where no signal lands mid-hand-over
        while not self.event_loop.stopped.wait(LONG_REQUEST_SECONDS / 2):
            self.task_dispatcher.hand_over_from_a_long_request(LONG_REQUEST_SECONDS)

    def stop(self, timeout: float = 5) -> None:
        """Read no new connection or request; answer those read, within ``timeout`` seconds in all."""
        expiration = time.monotonic() + timeout
        self.stopping = True
        self.accepting = False
        if not self.event_loop.stopped.is_set():
            self.pull_trigger()  # the loop stops watching for them
        self.task_dispatcher.shutdown(timeout=timeout)
        self.event_loop.stop(max(0.0, expiration - time.monotonic()))  # after a last round sending the answers

    def pull_trigger(self) -> None:
        if not self.event_loop.is_current():  # the loop itself looks again at what to send before it waits
            super().pull_trigger()

    def handle_accept(self) -> None:
        """Accept every waiting connection at once (waitress takes one per loop, which after a burst of
        hundreds keeps the last of them, a real client perhaps, waiting for seconds)."""
        for _ in range(ACCEPT_BATCH):
            before = len(self._map)
            if before >= self.adj.connection_limit:
                return
            super().handle_accept()
            if len(self._map) == before:  # nothing was waiting
                return

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # idle connections (channel_timeout)
        cutoff = now - self.adj.header_timeout
        for channel in list(self.active_channels.values()):
            request = channel.request
            if request is not None and not request.headers_finished and request.started < cutoff:
                channel.will_close = True  # headers still incomplete: a slowloris client


class _Adjustments(Adjustments):
    """waitress's settings plus the header timeout."""

    _params = Adjustments._params + (("header_timeout", int),)
    _param_map = dict(_params)
    header_timeout = DEFAULT_HEADER_TIMEOUT


def raise_file_limit(connections: int) -> None:
    """Let this process open ``connections`` sockets (and some files) where the OS allows raising it."""
    try:
        import resource
    except ImportError:  # Windows: no per-process descriptor limit to raise
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + 128
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


#: Where there is no poll() (Windows), select() watches at most this many sockets.
SELECT_LIMIT = 500


def make_server(app: Any, listener: socket.socket, limits: ServerLimits) -> HardenedServer:
    """A server for ``app`` on an already bound ``listener``; ``run()`` serves until interrupted."""
    # "Task queue depth is N" for every request that waits for a thread: under a flood, an unbounded log
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    connection_limit = limits.connection_limit if hasattr(select, "poll") else min(limits.connection_limit,
                                                                                   SELECT_LIMIT)
    raise_file_limit(connection_limit)
    adj = _Adjustments(sockets=[listener], threads=limits.threads, ident="mockbank",
                       clear_untrusted_proxy_headers=True, asyncore_use_poll=True,
                       connection_limit=connection_limit, channel_timeout=limits.idle_timeout,
                       cleanup_interval=1, header_timeout=limits.header_timeout,
                       max_request_header_size=limits.max_header_bytes, max_request_body_size=limits.max_body,
                       backlog=1024)
    sockinfo = (listener.family, listener.type, listener.proto, listener.getsockname())
    event_loop = _EventLoop()
    dispatcher = _SplitDispatcher(limits.threads, limits.active_threads or limits.threads, limits.control_threads,
                                  event_loop)
    return HardenedServer(app, {}, True, listener, dispatcher=dispatcher, adj=adj, bind_socket=False,
                          sockinfo=sockinfo, event_loop=event_loop)


def serve_socket(app: Any, listener: socket.socket, limits: ServerLimits) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM: running requests get up to 5 s to finish)."""
    server = make_server(app, listener, limits)
    try:
        server.run()
    finally:
        server.close()
