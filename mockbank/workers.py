"""Worker processes for ``mockbank serve --workers N`` (POSIX): forked, watched, replaced, never orphaned.

The parent keeps the write end of a pipe; every worker watches the read end in a thread. When the parent
dies, by any signal including SIGKILL, the kernel closes the pipe and each worker stops (as on SIGTERM:
running requests get a few seconds), so no orphan keeps serving the port. A worker that exits while the
parent runs is replaced; one that keeps crashing right after its start is replaced once a second at most.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable

#: A worker stops this many seconds after its parent died, even if draining its requests hangs.
ORPHAN_GRACE_SECONDS = 10
#: A worker that dies sooner than this after its start is replaced only after this pause.
RESTART_PAUSE_SECONDS = 1.0
#: The signals that stop the server.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_held: list[int] = []  # stop signals that came while held
_blocked_in_this_worker = False  # a worker's stop signals, blocked since its fork until its server takes them
_handlers: dict[int, object] = {}  # their handlers from before they were held


def _hold(signum: int, frame: object) -> None:
    _held.append(signum)


def hold_stop_signals() -> None:
    """SIGTERM and Ctrl-C are kept, not acted on, until :func:`take_stop_signals`: a stop that comes while the
    server starts waits for the moment it can stop gracefully, instead of ending it half-started."""
    for signum in STOP_SIGNALS:
        previous = signal.signal(signum, _hold)
        if previous is not _hold:
            _handlers[signum] = previous


def take_stop_signals() -> None:
    """From now on SIGTERM and Ctrl-C are acted on (in the main thread), by the handlers set meanwhile or else the
    ones from before; one that was kept is acted on now."""
    global _blocked_in_this_worker
    for signum, previous in _handlers.items():
        if signal.getsignal(signum) is _hold:
            signal.signal(signum, previous)
    _handlers.clear()
    if _blocked_in_this_worker:  # a worker starts with them blocked (see Supervisor._fork)
        _blocked_in_this_worker = False
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    while _held:
        signal.raise_signal(_held.pop(0))


def stop_on_sigterm() -> None:
    """SIGTERM (and SIGHUP) end this process the way Ctrl-C does (KeyboardInterrupt), so ``finally`` blocks run.

    Only the first one interrupts: a second, arriving while the first is still being raised (a worker gets the
    parent's SIGTERM and its own held one back to back), would interrupt ``threading``'s own clean-up and leave
    a lock half released ("release unlocked lock"). The graceful stop it started is bounded in time anyway.
    """
    stopping = False

    def interrupt(signum, frame):
        nonlocal stopping
        if stopping:
            return
        stopping = True
        raise KeyboardInterrupt

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), interrupt)


def _watch_parent(read_end: int) -> None:
    """In a worker: block on the pipe; its end of file means the parent is gone."""
    while True:
        try:
            if not os.read(read_end, 1):
                break
        except InterruptedError:
            continue
        except OSError:
            break
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(ORPHAN_GRACE_SECONDS)
    os._exit(1)


class Supervisor:
    """Runs ``work`` in ``count`` forked processes until the parent is stopped."""

    def __init__(self, count: int, work: Callable[[], None], log=sys.stderr):
        self.count, self.work, self.log = count, work, log
        self.read_end, self.write_end = os.pipe()
        self.children: dict[int, float] = {}  # pid -> start time
        self.stopping = False

    def _fork(self) -> int:
        # SIGTERM and Ctrl-C are blocked while the process forks: the parent then knows every child it has to stop,
        # and a child never runs the parent's handler (which would stop its siblings); the child's server unblocks
        # them once it waits for them (take_stop_signals), so that a stop never lands in its start-up code
        global _blocked_in_this_worker
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            pid = -1 if self.stopping else os.fork()  # a stop that came meanwhile: no new worker
        except BaseException:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
            raise
        if pid == 0:
            _blocked_in_this_worker = True
            code = 0
            try:
                os.close(self.write_end)
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us with SIGTERM
                stop_on_sigterm()
                threading.Thread(target=_watch_parent, args=(self.read_end,), name="mockbank-parent-watch",
                                 daemon=True).start()
                self.work()
            except KeyboardInterrupt:
                pass
            except BaseException:
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        if pid > 0:
            self.children[pid] = time.monotonic()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        return pid

    def run(self) -> None:
        """Fork the workers, replace the ones that exit, stop them all on SIGTERM or Ctrl-C (SystemExit(0))."""

        def stop(signum, frame):  # sets a flag only: it may run at any point of the loop below
            self.stopping = True
            self._signal_children(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        take_stop_signals()  # held since before the banner (serve): one that came meanwhile stops us now
        try:
            for _ in range(self.count):
                self._fork()
            while self.children and not self.stopping:
                pid, status = os.waitpid(-1, os.WNOHANG)  # polled: a stop must not wait for a worker to end
                if pid == 0:
                    time.sleep(0.1)
                    continue
                started = self.children.pop(pid, None)
                if self.stopping or started is None:
                    continue
                print(f"mockbank: worker {pid} {_how(status)}; starting another", file=self.log, flush=True)
                if time.monotonic() - started < RESTART_PAUSE_SECONDS:
                    time.sleep(RESTART_PAUSE_SECONDS)
                self._fork()
        finally:  # stopped, or failed: no worker is left behind either way
            self._signal_children(signal.SIGTERM)
            self._wait_for_children()
        raise SystemExit(0)

    def _signal_children(self, signum: int) -> None:
        for pid in list(self.children):
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                self.children.pop(pid, None)

    def _wait_for_children(self) -> None:
        deadline = time.monotonic() + ORPHAN_GRACE_SECONDS
        while self.children and time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid:
                self.children.pop(pid, None)
            else:
                time.sleep(0.05)
        self._signal_children(signal.SIGKILL)


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"was killed by signal {os.WTERMSIG(status)}"
    return f"exited with status {os.waitstatus_to_exitcode(status)}"
