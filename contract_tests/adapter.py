"""The kit's side of the adapter protocol: start the adapter command, send requests, read replies.

The adapter runs as a child process in a process group of its own (a wrapper such as ``sh -c`` or
``dotnet run`` is stopped with everything it started); requests go to its stdin as UTF-8 JSON lines,
replies come back on stdout, one line each; stderr is collected for the report (bytes that are not
UTF-8 read as U+FFFD). Each start begins with the ``hello`` request, whose reply may take up to the
start timeout (a slow build, a cold runtime) and says which operations the adapter offers. A reply
that does not come within the request's timeout plus a grace period, a line on stdout that is not a
reply (not UTF-8, not JSON, not readable, not the answer to the request), or an adapter that exits or
closes its stdout, is an :class:`AdapterFailure`; the adapter is stopped and the next request starts it
again.
"""

from __future__ import annotations

import json
import os
import queue
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mockbank.adapters.protocol import OPERATIONS
from mockbank.jsonnumbers import decimal_to_json

GRACE_SECONDS = 5.0
#: How long an adapter that closed its stdout (or stdin) has to exit before it is stopped.
EXIT_SECONDS = 1.0
#: How long an adapter has to exit by itself once its stdin is closed at the end of a run.
CLOSE_SECONDS = 5.0
#: The deepest nesting of arrays and objects a reply may have (the API's bodies have a handful of levels).
MAX_REPLY_DEPTH = 100
#: How long the first reply of a freshly started adapter may take (``--adapter-start-timeout``).
DEFAULT_START_TIMEOUT = 60.0
HELLO_ID = 0


class AdapterFailure(Exception):
    """The adapter broke the protocol: it died, hung, or wrote something that is not a reply."""


@dataclass(frozen=True)
class Hello:
    """What a started adapter said about itself in its reply to ``hello``."""

    operations: tuple[str, ...]  # what it may be certified for (all of them when it does not know hello)
    knows_hello: bool
    seconds: float  # from starting the command to its first reply
    name: str | None = None
    version: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"operations": list(self.operations), "knowsHello": self.knows_hello,
                "seconds": round(self.seconds, 3), "name": self.name, "version": self.version}


def _quoted(text: str) -> str:
    text = text.rstrip("\r\n")
    return repr(text[:200]) + (" (cut)" if len(text) > 200 else "")


def stdout_noise(line: str) -> str:
    """The headline error for a line on the adapter's stdout that is not a reply."""
    return f"the adapter wrote {_quoted(line)} on stdout; write logs to stderr"


def decoded_stdout(line: bytes) -> str:
    """A line of the adapter's stdout as text, or AdapterFailure when it is not UTF-8."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as error:
        shown = _quoted(line.decode("utf-8", errors="replace"))
        raise AdapterFailure(f"the adapter wrote {shown} on stdout, which is not UTF-8 (byte "
                             f"0x{line[error.start]:02x} at offset {error.start}); write replies in UTF-8 "
                             "and logs to stderr") from None


def parsed_reply(line: str, request_id: int) -> Any:
    """The JSON value of a reply line, or AdapterFailure naming why it cannot be read."""
    unreadable = f"the adapter's reply to request {request_id} cannot be read"

    def integer(digits: str) -> int:
        try:
            return int(digits)
        except ValueError:  # beyond the interpreter's limit of digits
            raise AdapterFailure(f"{unreadable}: it has an integer of {len(digits.lstrip('-'))} digits (at most "
                                 f"{sys.get_int_max_str_digits()} can be read)") from None

    too_deep = f"{unreadable}: it nests arrays or objects more than {MAX_REPLY_DEPTH} levels deep"
    try:
        value = json.loads(line, parse_float=Decimal, parse_int=integer)
    except json.JSONDecodeError:
        raise AdapterFailure(stdout_noise(line)) from None
    except RecursionError:
        raise AdapterFailure(too_deep) from None
    if nesting_depth(value) > MAX_REPLY_DEPTH:
        raise AdapterFailure(too_deep)
    return value


def nesting_depth(value: Any) -> int:
    """How deeply arrays and objects nest in a JSON value (0 for a number or string), without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if deepest > MAX_REPLY_DEPTH:
                return deepest
            pending.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def parse_hello(reply: dict[str, Any], seconds: float) -> Hello:
    """The :class:`Hello` of a reply to ``hello``; any error reply means the adapter offers every operation."""
    if not reply["ok"]:
        return Hello(OPERATIONS, False, seconds)
    result = reply["result"]
    ops = result.get("ops") if isinstance(result, dict) else None
    if not isinstance(ops, list) or not ops or not all(isinstance(op, str) for op in ops):
        raise AdapterFailure(f"the reply to hello needs result.ops, a non-empty list of operations "
                             f"({', '.join(OPERATIONS)}); it was {json.dumps(result, default=str)[:200]}")
    unknown = [op for op in ops if op not in OPERATIONS]
    if unknown:
        raise AdapterFailure(f"the reply to hello names unknown operation(s) {', '.join(map(repr, unknown))}; "
                             f"operations: {', '.join(OPERATIONS)}")
    name, version = result.get("name"), result.get("version")
    return Hello(tuple(op for op in OPERATIONS if op in ops), True, seconds,
                 name if isinstance(name, str) else None, version if isinstance(version, str) else None)


def split_command(command: str) -> list[str]:
    """The argv of an adapter command line (POSIX shell words; Windows keeps its own rules)."""
    return shlex.split(command, posix=os.name != "nt")


def start_in_own_group(argv: list[str], cwd: str | None) -> subprocess.Popen:
    """Start the adapter with pipes for stdin, stdout and stderr (bytes), as the leader of a new process
    group (a new session on POSIX), so that :func:`stop_group` reaches everything a wrapper started."""
    options: dict[str, Any] = {"start_new_session": True}
    if os.name == "nt":
        options = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=cwd, **options)


def stop_group(process: subprocess.Popen) -> None:
    """Kill the adapter and every process of its group that is still there (also after the adapter exited)."""
    if os.name == "nt":
        if process.poll() is None:  # taskkill /T finds the children by their parent, so only while it runs
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(process.pid)], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        if process.poll() is None:
            process.kill()
    else:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # the group's id is the adapter's pid: it leads its session
        except (ProcessLookupError, PermissionError):
            pass  # nothing of the group is left
    process.wait()


class AdapterProcess:
    """One adapter command, started by :meth:`start` (or the first request) and restarted after it dies."""

    def __init__(self, command: str, cwd: str | None = None, start_timeout: float = DEFAULT_START_TIMEOUT):
        self.command = command
        self.cwd = cwd
        self.start_timeout = start_timeout
        self.hello: Hello | None = None  # the reply to hello of the latest start
        self._process: subprocess.Popen | None = None
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._stderr: list[str] = []
        self._stderr_lock = threading.Lock()
        self._stderr_reader: threading.Thread | None = None
        self._next_id = 0
        self.starts = 0

    # ------------------------------------------------------------------ life cycle

    def start(self) -> Hello:
        """Start the adapter (unless it runs) and greet it with ``hello``; its answer, or AdapterFailure."""
        if self._process is not None and self._process.poll() is None and self.hello is not None:
            return self.hello
        self._stop()
        started = time.monotonic()
        self._process = self._spawn()
        self.hello = None
        reply = self._exchange({"id": HELLO_ID, "op": "hello"}, self.start_timeout, first=True)
        try:
            self.hello = parse_hello(reply, time.monotonic() - started)
        except AdapterFailure:
            self._stop()
            raise
        return self.hello

    def _spawn(self) -> subprocess.Popen:
        argv = split_command(self.command)
        if argv and argv[0] in ("python", "python3"):  # the Python that runs mockbank, whatever PATH says
            argv[0] = sys.executable
        try:
            process = start_in_own_group(argv, self.cwd)
        except OSError as error:
            raise AdapterFailure(f"cannot start the adapter {self.command!r}: {error}") from None
        self._lines = queue.Queue()
        threading.Thread(target=self._pump_stdout, args=(process, self._lines), daemon=True).start()
        self._stderr_reader = threading.Thread(target=self._pump_stderr, args=(process,), daemon=True)
        self._stderr_reader.start()
        self.starts += 1
        return process

    @staticmethod
    def _pump_stdout(process: subprocess.Popen, lines: queue.Queue) -> None:
        for line in process.stdout:  # bytes: a line that is not UTF-8 is the reader's protocol failure
            lines.put(line)
        lines.put(None)

    def _pump_stderr(self, process: subprocess.Popen) -> None:
        for line in process.stderr:  # read to the end whatever it is, so the adapter never blocks on a full pipe
            with self._stderr_lock:
                self._stderr.append(line.decode("utf-8", errors="replace"))

    def _stop(self) -> None:
        """Kill the adapter and what it started; the next request starts it again."""
        process, self._process = self._process, None
        if process is not None:
            stop_group(process)

    def close(self) -> None:
        """Close the adapter's stdin, give it time to exit, then stop whatever of its group is left."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            process.stdin.close()
            process.wait(timeout=CLOSE_SECONDS)
        except (OSError, subprocess.TimeoutExpired):
            pass
        finally:  # also on a second Ctrl-C during the wait: in a session of its own, the adapter got neither
            stop_group(process)

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
            self.start()
        self._next_id += 1
        message = {"id": self._next_id, "op": op, "baseUrl": base_url, "credentials": credentials,
                   "params": params, "timeoutMs": timeout_ms}
        return self._exchange(message, timeout_ms / 1000 + GRACE_SECONDS, client_timeout_ms=timeout_ms)

    def _exchange(self, message: dict[str, Any], seconds: float, *, first: bool = False,
                  client_timeout_ms: int | None = None) -> dict[str, Any]:
        """Write one request line and read its reply line within ``seconds``."""
        request_id = message["id"]
        request = json.dumps(message, ensure_ascii=False, default=decimal_to_json) + "\n"
        try:
            self._process.stdin.write(request.encode("utf-8"))
            self._process.stdin.flush()
        except OSError:
            raise AdapterFailure(self._death("stdin", "before it read the request")) from None
        try:
            line = self._lines.get(timeout=seconds)
        except queue.Empty:
            self._stop()
            if first:
                raise AdapterFailure(f"the adapter did not answer its first request (hello) within {seconds:g} s "
                                     "of starting (--adapter-start-timeout); build it before certify and "
                                     "start the built program") from None
            raise AdapterFailure(f"no reply within {seconds:g} s "
                                 f"(the client's timeout was {client_timeout_ms} ms)") from None
        if line is None:
            raise AdapterFailure(self._death("stdout", "before it answered hello" if first else "without replying"))
        try:
            return self._checked(line, request_id)
        except AdapterFailure:
            self._stop()  # what it writes next cannot be matched to a request any more
            raise

    def _death(self, stream: str, when: str) -> str:
        """Why the adapter closed its ``stream`` (it exited, or it did and kept running); it is stopped."""
        process, self._process = self._process, None
        try:
            code = process.wait(timeout=EXIT_SECONDS)
            what = f"the adapter exited (status {code}) {when}"
        except subprocess.TimeoutExpired:
            what = (f"the adapter closed its {stream} {when} but did not exit within {EXIT_SECONDS:g} s; "
                    "it was stopped")
        finally:  # also on a Ctrl-C during the wait
            stop_group(process)
        if self._stderr_reader is not None:
            self._stderr_reader.join(timeout=1)  # its last words (unless something outside its group holds stderr)
        with self._stderr_lock:
            tail = "".join(self._stderr).strip().splitlines()[-3:]
        return what + (f"; its stderr ends: {' | '.join(tail)}" if tail else "")

    @staticmethod
    def _checked(raw: bytes, request_id: int) -> dict[str, Any]:
        line = decoded_stdout(raw)
        reply = parsed_reply(line, request_id)
        if not isinstance(reply, dict) or not isinstance(reply.get("ok"), bool):
            raise AdapterFailure(stdout_noise(line))
        if request_id == HELLO_ID and not reply["ok"]:
            return reply  # an adapter that does not know hello may not echo its id
        reply_id = reply.get("id")
        if isinstance(reply_id, bool) or reply_id != request_id:  # true == 1 in Python, not in the protocol
            raise AdapterFailure(f"not a reply to request {request_id}: {line.strip()[:200]!r}")
        if reply["ok"] and "result" not in reply:
            raise AdapterFailure(f"reply {request_id} is ok but has no result")
        if not reply["ok"]:
            error = reply.get("error")
            if not isinstance(error, dict) or not isinstance(error.get("kind"), str):
                raise AdapterFailure(f"reply {request_id} is not ok but has no error kind: {line.strip()[:200]!r}")
        return reply
