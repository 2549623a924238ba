"""Instructions per request, counted by valgrind's callgrind: mockbank's own work, in a figure that other work
on the machine does not move.

Timings on the shared development machine vary by 20-30 % from one run to the next (``bench/README.md``), more
than most changes save. The number of instructions a request runs varies by about 0.5 %. Each kind of request
is sent to the WSGI app in-process, with no HTTP server: the server's parsing and sockets and the kernel's
work are not counted, only what the app does, SQLite included. A fresh process under callgrind makes the
bank, signs ``3 x --requests`` requests (plus a warm-up), and answers ``--requests`` of them; another answers
``3 x --requests``; the difference over ``2 x --requests`` is one request, start-up and signing left out.

For counts that repeat, Python's hash seed is fixed and SQLite's WAL checkpoints are kept out of the run
(the checkpoint thread is not started, and SQLite's own checkpoint is pushed beyond it): when they run
depends on timing, and their work is done beside the requests, not by them.

    python bench/instructions.py                          # POST /payment, GET /status, wrong signature, bare Flask
    python bench/instructions.py --kinds post,bare --requests 200
    python bench/instructions.py --source /tmp/old-checkout     # measure another checkout (PYTHONPATH)

With ``--source``, the other checkout's ``mockbank`` package is measured; the schemas and fixtures (which the
package maps from ``schemas/`` and ``fixtures/``) and the benchmark's own helpers (``serve_app.py``,
``bare_app.py``, the request builders of ``throughput.py``) come from this checkout's installation, as with
``throughput.py --source``.

Needs valgrind (``apt-get install -y valgrind``). Exit status: 0 measured; 2 valgrind missing, bad arguments
or a request answered with an unexpected status; 130 interrupted.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent

#: Kind -> (what it is, the status each of its requests must get).
KINDS = {
    "post": ("signed POST /payment (1 transaction)", 200),
    "status": ("signed GET /status (2 paymentIds)", 200),
    "wrong": ("wrongly signed POST /payment (diagnosed)", 401),
    "bare": ("bare Flask POST /payment (bare_app.py)", 200),
}
#: Requests signed and answered before the counted ones (the first requests fill caches).
WARMUP = 100
_COLLECTED = re.compile(r"Collected : (\d+)")


# --------------------------------------------------------------------------- in the process under callgrind


def _environ(method: str, target: str, body: bytes | None, headers: dict[str, str]) -> dict:
    """The WSGI environ of one request, built before the counted requests run."""
    from werkzeug.test import EnvironBuilder

    return EnvironBuilder(path=target, method=method, data=body, headers=headers).get_environ()


def _answer(app, environ: dict) -> str:
    statuses = []
    b"".join(app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    return statuses[0]


def child(kind: str, answered: int, signed: int) -> None:
    """Make the app, sign ``signed`` requests, answer the warm-up and ``answered`` of them; exit 3 on a status
    other than the kind's."""
    from mockbank.store import sqlite  # first: from --source, before throughput.py puts this checkout on the path
    sys.path.insert(0, str(BENCH))

    sqlite.AUTOCHECKPOINT_PAGES = 10 ** 9  # read by every connection the bank opens (older checkouts: unused)
    if hasattr(sqlite, "WalCheckpointer"):
        sqlite.WalCheckpointer.committed = lambda self: None

    with tempfile.TemporaryDirectory(prefix="mockbank-bench-") as work:
        if kind == "bare":
            import bare_app
            _answer_all(kind, bare_app.app, answered, signed)
        else:
            import serve_app
            app = serve_app.make_app(str(Path(work) / "bench.db"))
            try:
                _answer_all(kind, app, answered, signed)
            finally:
                app.extensions["mockbank"].bank.store.close()


def _answer_all(kind: str, app, answered: int, signed: int) -> None:
    import throughput
    from mockbank import fixtures

    creds = fixtures.load().credentials()[0]
    known = ("Pinstructions1", "Pinstructions2")
    if kind == "status":
        _answer(app, _environ(*throughput.payment_request(creds, "instructions", "known", known)))
    if kind == "wrong":
        creds = dataclasses.replace(creds, api_key="00000000-0000-0000-0000-000000000001")
    make = ((lambda i: throughput.status_request(creds, "instructions", i, known)) if kind == "status" else
            (lambda i: throughput.payment_request(creds, "instructions", i)))
    environs = [_environ(*make(i)) for i in range(WARMUP + signed)]
    expected = f"{KINDS[kind][1]} "
    for environ in environs[:WARMUP + answered]:
        status = _answer(app, environ)
        if not status.startswith(expected):
            print(f"{KINDS[kind][0]}: answered {status!r}, expected {KINDS[kind][1]}", file=sys.stderr)
            sys.exit(3)


# --------------------------------------------------------------------------- the parent


def count(kind: str, answered: int, signed: int, source: Path) -> int:
    """Instructions callgrind counts for the whole child process, which imports mockbank from ``source``."""
    env = {**os.environ, "PYTHONHASHSEED": "0",
           "PYTHONPATH": os.pathsep.join([str(source), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    run = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                          __file__, "--child", kind, str(answered), str(signed)],
                         env=env, capture_output=True, text=True, cwd=source)
    found = _COLLECTED.search(run.stderr)
    if run.returncode != 0 or found is None:
        last = [line for line in run.stderr.splitlines() if not line.startswith("==")][-1:] or ["no output"]
        raise RuntimeError(f"{KINDS[kind][0]}: the measuring process failed ({last[0]})")
    return int(found[1])


def per_request(kind: str, requests: int, source: Path) -> float:
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        fewer, more = pool.map(lambda answered: count(kind, answered, 3 * requests, source), (requests, 3 * requests))
    return (more - fewer) / (2 * requests)


def report(figures: dict[str, float]) -> list[str]:
    bare = figures.get("bare")
    lines = [f"{'request':44} {'instructions':>14} {'x bare':>7}", "-" * 67]
    for kind, instructions in figures.items():
        ratio = f"{instructions / bare:7.1f}" if bare else f"{'-':>7}"
        lines.append(f"{KINDS[kind][0]:44} {instructions:14,.0f} {ratio}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated, of {', '.join(KINDS)} "
                                                                "(default: all)")
    parser.add_argument("--requests", type=int, default=300, help="counted requests: 2 x this many (default 300)")
    parser.add_argument("--source", type=Path, help="measure this mockbank checkout instead of the one holding this "
                                                    "script (PYTHONPATH)")
    parser.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, answered, signed = args.child
        child(kind, int(answered), int(signed))
        return 0
    kinds = [kind.strip() for kind in args.kinds.split(",") if kind.strip()]
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown or not kinds:
        parser.error(f"--kinds: {', '.join(unknown) or 'none given'}: not one of {', '.join(KINDS)}")
    if args.requests < 1:
        parser.error("--requests: must be at least 1")
    if args.source is not None and not (args.source / "mockbank" / "__init__.py").is_file():
        parser.error(f"--source {args.source}: no mockbank package there")
    if args.json and not Path(args.json).resolve().parent.is_dir():
        parser.error(f"--json {args.json}: no such folder")
    if shutil.which("valgrind") is None:
        print("instructions.py: valgrind is not installed (apt-get install -y valgrind)", file=sys.stderr)
        return 2
    source = args.source.resolve() if args.source else BENCH.parent
    figures = {}
    try:
        for kind in kinds:
            figures[kind] = per_request(kind, args.requests, source)
            print(f"{KINDS[kind][0]}: {figures[kind]:,.0f} instructions per request", flush=True)
    except RuntimeError as error:
        print(f"instructions.py: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("instructions.py: interrupted", file=sys.stderr)
        return 130
    print("\n".join(report(figures)))
    if args.json:
        Path(args.json).write_text(json.dumps({"source": str(source), "requests": args.requests,
                                               "instructions": figures}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
