"""Servers for the benchmarks: a free port, a process started in its own session, waited for, and stopped."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


class StartError(Exception):
    """A server did not come up."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            ) -> tuple[int, bytes]:
    """One request on a fresh connection: (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def start(name: str, argv: list[str], log: Path, port: int, ready: tuple[str, str, bytes | None], *,
          ok: Callable[[int], bool] = lambda status: status == 200, timeout: float = 30,
          env: dict | None = None, cwd: Path | None = None) -> subprocess.Popen:
    """Start ``argv`` in its own session (output to ``log``, working folder ``cwd`` or the log's) and wait until
    the request ``ready`` (method, path, body) gets a status ``ok`` accepts; StartError with its output if not."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=cwd or log.parent, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, env={**os.environ, **(env or {})})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if ok(answers(port, *ready)[0]):
                return proc
        except OSError:
            pass
        time.sleep(0.05)
    stop(proc)
    raise StartError(f"{name} did not answer {ready[0]} {ready[1]} on port {port} within {timeout:g} s; "
                     "its output:\n" + log.read_text(errors="replace")[-2000:])


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group (it includes forked workers), then SIGKILL after 5 s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(5)
            return
        except subprocess.TimeoutExpired:
            continue
