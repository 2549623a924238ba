"""Where a server's time goes per request: a py-spy recording (raw format) summed into a few categories.

py-spy samples every thread; a thread waiting (on a lock, a condition, ``select``) is set apart by
the line it stands on, as py-spy's own idle detection does not work here. A working sample is attributed
to the innermost mockbank module on its stack (SQL run by the store counts as the store, json.dumps of a
journal entry as the journal), or, with no mockbank frame, to the server or Flask.
µs/request = working samples / sampling rate / requests answered while recording: time on a CPU or
waiting for one (2 cores shared with the load generator), not wall time.
"""

from __future__ import annotations

import linecache
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

#: The innermost mockbank module of a stack -> its category.
MOCKBANK_CATEGORIES = (
    ("mockbank/store/", "store: SQL reads, writes, commits"),
    ("mockbank/http_server.py", "HTTP server (parsing, sockets, threads)"),
    ("mockbank/workers.py", "HTTP server (parsing, sockets, threads)"),
    ("mockbank/app.py", "journal entry (app.Runtime.record)"),
    ("mockbank/rawjson.py", "journal entry (app.Runtime.record)"),
    ("mockbank/journal_limits.py", "journal entry (app.Runtime.record)"),
    ("mockbank/jsonnumbers.py", "JSON text of answers, payments, entries (orjson)"),
    ("mockbank/schemas.py", "schema validation"),
    ("mockbank/verification.py", "signature check"),
    ("mockbank/signing.py", "signature check"),
    ("mockbank/diagnosis.py", "signature check"),
    ("mockbank/faults.py", "faults"),
    ("mockbank/sandboxes.py", "sandbox lookup"),
    ("mockbank/render.py", "rendering answers"),
    ("mockbank/web.py", "request JSON, responses (web.py)"),
    ("mockbank/api.py", "handlers (api.py)"),
    ("mockbank/", "bank decisions (bank.py, models, ...)"),
)
#: Stacks without a mockbank frame: the innermost of these.
OTHER_CATEGORIES = (
    ("flask/", "Flask, werkzeug (outside mockbank's code)"),
    ("werkzeug/", "Flask, werkzeug (outside mockbank's code)"),
    ("waitress/", "HTTP server (parsing, sockets, threads)"),
    ("granian/", "HTTP server (parsing, sockets, threads)"),
    ("gunicorn/", "HTTP server (parsing, sockets, threads)"),
)
#: mockbank frames below which the whole server or app runs: not where a request's time goes.
_STARTERS = ("mockbank/server.py", "mockbank/cli/", "mockbank/__main__.py",
             "Middleware.__call__", "RootRedirect.__call__", "WithoutProcessEnvironment.__call__")
WAITING = "waiting (for a lock, for work; not counted)"
_FRAME = re.compile(r"\(([^()]*?):(\d+)\)$")


def py_spy() -> str | None:
    """py-spy on the PATH or beside this Python (pip install py-spy)."""
    beside = Path(sys.executable).parent / "py-spy"
    return shutil.which("py-spy") or (str(beside) if beside.exists() else None)


def start_recording(pid: int, seconds: float, out: Path, rate: int, gil: bool) -> subprocess.Popen:
    """py-spy recording ``pid`` (and its subprocesses) for ``seconds``, raw collapsed stacks into ``out``.

    With ``gil``, only the thread holding the GIL is sampled: Python's own work, without the C code that
    runs with the GIL released (SQLite's statements, socket calls) and without waits for the GIL.
    """
    return subprocess.Popen([py_spy() or "py-spy", "record", "--pid", str(pid), "--duration", str(round(seconds)),
                             "--rate", str(rate), "--format", "raw", "--output", str(out), "--nonblocking",
                             "--subprocesses", *(["--gil"] if gil else [])],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def category(stack: str, source: Path) -> str:
    """The category of one sampled stack; ``source`` is the checkout the server runs (its lines are read)."""
    frames = [(frame, match.group(1), int(match.group(2))) for frame in stack.split(";")
              if (match := _FRAME.search(frame.strip()))]
    if frames and _waiting(*frames[-1][1:], source):
        return WAITING
    for frame, path, _ in reversed(frames):
        if "mockbank/" in path and not any(starter in frame for starter in _STARTERS):
            return next(name for marker, name in MOCKBANK_CATEGORIES if marker in path)
    for _, path, _ in reversed(frames):
        for marker, name in OTHER_CATEGORIES:
            if marker in path:
                return name
    return "other (interpreter, threads, stdlib)"


def _waiting(path: str, line: int, source: Path) -> bool:
    """py-spy cannot tell a thread blocked on a lock from a running one here: the line it stands on can."""
    if path.endswith("threading.py") or path.endswith("selectors.py"):
        return True
    if "mockbank/" in path:
        text = linecache.getline(str(source / path[path.index("mockbank/"):]), line)
        return "_write_lock" in text
    return "wasyncore.py" in path and "poll" in linecache.getline(_site_file(path), line)


def _site_file(path: str) -> str:
    import waitress

    return str(Path(waitress.__file__).parent.parent / path[path.index("waitress/"):])


def breakdown(raw: Path, requests: int, rate: int, source: Path) -> list[tuple[str, int, float, float]]:
    """(category, samples, share of the working samples, µs per request), largest first; waiting last."""
    samples: Counter[str] = Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            samples[category(stack, source)] += int(count)
    waiting = samples.pop(WAITING, 0)
    working = sum(samples.values()) or 1
    rows = [(name, count, count / working, count / rate / max(requests, 1) * 1e6)
            for name, count in samples.most_common()]
    return rows + [(WAITING, waiting, float("nan"), float("nan"))]


def report(title: str, rows: list[tuple[str, int, float, float]], requests: int) -> list[str]:
    lines = [f"{title} ({requests} requests recorded)", f"{'category':<50} {'samples':>8} {'share':>7} {'µs/req':>8}"]
    counted = [row for row in rows if row[0] != WAITING]
    for name, count, share, micros in counted:
        lines.append(f"{name:<50} {count:>8} {share:>6.1%} {micros:>8.0f}")
    lines.append(f"{'total working':<50} {sum(r[1] for r in counted):>8} {'':>7} {sum(r[3] for r in counted):>8.0f}")
    lines += [f"{name:<50} {count:>8}" for name, count, _, _ in rows if name == WAITING]
    return lines
