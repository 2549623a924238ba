"""The kit's side of the adapter protocol: start the adapter command, send requests, read replies.

The adapter runs as a child process; requests go to its stdin as JSON lines, replies come back on
stdout, one line each; stderr is collected for the report. A reply that does not come within the
request's timeout plus a grace period, a line that is not JSON, or an adapter that exits, is an
:class:`AdapterFailure`; the next request starts the adapter again.
"""

from __future__ import annotations

import json
import os
import queue
import shlex
import subprocess
import sys
import threading
from decimal import Decimal
from typing import Any

from mockbank.jsonnumbers import decimal_to_json

GRACE_SECONDS = 5.0


class AdapterFailure(Exception):
    """The adapter broke the protocol: it died, hung, or wrote something that is not a reply."""


def split_command(command: str) -> list[str]:
    """The argv of an adapter command line (POSIX shell words; Windows keeps its own rules)."""
    return shlex.split(command, posix=os.name != "nt")


class AdapterProcess:
    """One adapter command, started on first use and restarted after it dies."""

    def __init__(self, command: str, cwd: str | None = None):
        self.command = command
        self.cwd = cwd
        self._process: subprocess.Popen | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: list[str] = []
        self._stderr_lock = threading.Lock()
        self._next_id = 0
        self.starts = 0

    # ------------------------------------------------------------------ life cycle

    def _start(self) -> subprocess.Popen:
        argv = split_command(self.command)
        if argv and argv[0] in ("python", "python3"):  # the Python that runs mockbank, whatever PATH says
            argv[0] = sys.executable
        try:
            process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True, encoding="utf-8", bufsize=1, cwd=self.cwd)
        except OSError as error:
            raise AdapterFailure(f"cannot start the adapter {self.command!r}: {error}") from None
        self._lines = queue.Queue()
        threading.Thread(target=self._pump_stdout, args=(process, self._lines), daemon=True).start()
        threading.Thread(target=self._pump_stderr, args=(process,), daemon=True).start()
        self.starts += 1
        return process

    @staticmethod
    def _pump_stdout(process: subprocess.Popen, lines: queue.Queue) -> None:
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    def _pump_stderr(self, process: subprocess.Popen) -> None:
        for line in process.stderr:
            with self._stderr_lock:
                self._stderr.append(line)

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            process.stdin.close()
            process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()

    def __enter__(self) -> AdapterProcess:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # ------------------------------------------------------------------ requests

    def take_stderr(self) -> str:
        """What the adapter wrote to stderr since the last call."""
        with self._stderr_lock:
            text, self._stderr = "".join(self._stderr), []
        return text

    def request(self, op: str, params: dict[str, Any], *, base_url: str, credentials: dict[str, str],
                timeout_ms: int) -> dict[str, Any]:
        """Send one request and return the adapter's reply (checked to be a protocol reply)."""
        if self._process is None or self._process.poll() is not None:
            self._process = self._start()
        self._next_id += 1
        message = {"id": self._next_id, "op": op, "baseUrl": base_url, "credentials": credentials,
                   "params": params, "timeoutMs": timeout_ms}
        try:
            self._process.stdin.write(json.dumps(message, ensure_ascii=False, default=decimal_to_json) + "\n")
            self._process.stdin.flush()
        except OSError:
            raise AdapterFailure(self._death("before it read the request")) from None
        try:
            line = self._lines.get(timeout=timeout_ms / 1000 + GRACE_SECONDS)
        except queue.Empty:
            self._process.kill()
            raise AdapterFailure(f"no reply within {timeout_ms / 1000 + GRACE_SECONDS:g} s "
                                 f"(the client's timeout was {timeout_ms} ms)") from None
        if line is None:
            raise AdapterFailure(self._death("without replying"))
        return self._checked(line, self._next_id)

    def _death(self, when: str) -> str:
        process = self._process
        code = process.wait(timeout=5) if process is not None else None
        self._process = None
        with self._stderr_lock:
            tail = "".join(self._stderr).strip().splitlines()[-3:]
        return f"the adapter exited (status {code}) {when}" + (f"; its stderr ends: {' | '.join(tail)}" if tail else "")

    @staticmethod
    def _checked(line: str, request_id: int) -> dict[str, Any]:
        try:
            reply = json.loads(line, parse_float=Decimal)
        except json.JSONDecodeError:
            raise AdapterFailure(f"the adapter wrote a line that is not JSON: {line[:200]!r}") from None
        if not isinstance(reply, dict) or reply.get("id") != request_id or not isinstance(reply.get("ok"), bool):
            raise AdapterFailure(f"not a reply to request {request_id}: {line[:200]!r}")
        if reply["ok"] and "result" not in reply:
            raise AdapterFailure(f"reply {request_id} is ok but has no result")
        if not reply["ok"]:
            error = reply.get("error")
            if not isinstance(error, dict) or not isinstance(error.get("kind"), str):
                raise AdapterFailure(f"reply {request_id} is not ok but has no error kind: {line[:200]!r}")
        return reply

