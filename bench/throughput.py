"""Signed POST /payment and GET /status on ``mockbank serve`` side by side with a bare Flask endpoint and Prism.

In one run, each round starts every server afresh (a new database for mockbank) and loads it with wrk
(``wrk_pool.lua``; Python threads when wrk is not installed): bare Flask on waitress (the baseline),
``mockbank serve`` with 1 and with 2 workers, on waitress and (when granian is installed) with
``--server granian``, Prism's static mock of ``schemas/openapi.json`` when ``npx`` is there, and, with
``--app-servers gunicorn``, mockbank's app under gunicorn. It prints the medians of the rounds as ratios
to the baseline and to Prism, with p99.

    .venv/bin/python bench/throughput.py                         # 3 rounds of 5 s, wrk -t2 -c16
    .venv/bin/python bench/throughput.py --app-servers gunicorn --json out.json
    .venv/bin/python bench/throughput.py --profile               # where the time of a request goes (py-spy)
    .venv/bin/python bench/throughput.py --source /tmp/old-checkout     # another checkout (e.g. before a change)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

import load  # noqa: E402
import servers  # noqa: E402
import profile as spy  # noqa: E402  (bench/profile.py, not the standard library's)
from mockbank import fixtures, signing  # noqa: E402
from servers import StartError, answers, free_port, stop  # noqa: E402

CREDITOR = "80790000820064"  # an ordinary BBAN: no magic outcome
PRISM = ["npx", "--yes", "@stoplight/prism-cli@5", "mock"]


# --------------------------------------------------------------------------- servers


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    port: int


def start(name: str, argv: list[str], workdir: Path, ready: tuple[str, str, bytes | None], env: dict | None = None,
          timeout: float = 60, cwd: Path | None = None) -> Server:
    """Start a server on a free port ("{port}" in ``argv``), output to ``workdir/name.log``; wait until ``ready``
    answers below 500."""
    port = free_port()
    log = workdir / f"{name.replace(' ', '_').replace('/', '')}.log"
    proc = servers.start(name, [part.replace("{port}", str(port)) for part in argv], log, port, ready,
                         ok=lambda status: status < 500, timeout=timeout, env=env, cwd=cwd or workdir)
    return Server(name, proc, port)


def session_cpu_seconds(session: int) -> float | None:
    """CPU time (user + system) the processes of ``session`` have used so far: the server started in it and its
    workers. None where /proc is missing (not Linux)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total, found = 0, False
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rpartition(")")[2].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[3]) == session:  # fields after the name: state, ppid, pgrp, session, ...
            total += int(fields[11]) + int(fields[12])  # utime, stime
            found = True
    return total / tick if found else None


@dataclass
class Target:
    """A server to start for each round, and the request kinds sent to it."""

    name: str
    argv: Callable[[Path], list[str]]  # from the round's work directory
    ready: tuple[str, str, bytes | None]
    kinds: tuple[str, ...]
    mockbank: bool = False  # needs its known payments and gets a fresh database each round
    env: Callable[[Path], dict] = field(default=lambda work: {})


def targets(args) -> list[Target]:
    python = sys.executable
    health = ("GET", "/_mock/health", None)

    def serve(workers: int, server: str) -> Callable[[Path], list[str]]:
        return lambda work: [python, "-m", "mockbank", "serve", "--db", str(work / "bench.db"), "--port", "{port}",
                             "--threads", str(args.threads), "--workers", str(workers), "--progression", "manual",
                             "--max-clock-skew", "off", *(["--server", server] if server != "waitress" else [])]

    found = [Target("bare Flask (waitress)", lambda work: [python, str(BENCH / "bare_app.py"), "--port", "{port}",
                                                          "--threads", str(args.threads)],
                    ("POST", "/payment", b"{}"), ("POST /payment",))]
    for server in args.servers:
        for workers in (1, 2):
            name = f"mockbank serve -w{workers}" + ("" if server == "waitress" else f" {server}")
            found.append(Target(name, serve(workers, server), health, ("POST /payment", "GET /status"),
                                mockbank=True))
    app_env = lambda work: {"MOCKBANK_BENCH_DB": str(work / "bench.db"), "PYTHONPATH": str(BENCH)}  # noqa: E731
    bin_dir = Path(python).parent
    for server in args.app_servers:
        for workers in (1, 2):
            argv = [str(bin_dir / "gunicorn"), "--bind", "127.0.0.1:{port}", "--workers", str(workers),
                    "--worker-class", "gthread", "--threads", str(args.threads), "--log-level", "warning",
                    "serve_app:app"]
            found.append(Target(f"mockbank app on {server} -w{workers}", lambda work, a=argv: a, health,
                                ("POST /payment", "GET /status"), mockbank=True, env=app_env))
    if args.prism and shutil.which("npx"):
        found.append(Target("Prism static mock", lambda work: [*PRISM, "--host", "127.0.0.1", "--port", "{port}",
                                                              "--errors", "false", str(ROOT / "schemas" /
                                                                                       "openapi.json")],
                            ("GET", "/_mock/health", None), ("POST /payment", "GET /status")))
    return found


# --------------------------------------------------------------------------- request pools


def payment_request(creds: signing.Credentials, tag: str, i: int | str, ids: tuple[str, ...] = ()) -> load.Request:
    transactions = [{"paymentId": payment_id, "paymentDate": date.today().isoformat(), "amount": 100.00,
                     "currency": "DKK", "account": CREDITOR, "text": "bench", "creditor": {"name": "Bench Creditor"}}
                    for payment_id in (ids or (f"P{tag}{i}",))]
    body = {"requestId": f"R{tag}{i}", "transactions": transactions, "options": {"moveToNextBankDate": True}}
    signed = signing.sign(creds, body["requestId"], time=datetime.now(timezone.utc), transactions=transactions)
    return "POST", "/payment", json.dumps(body).encode(), {"Authorization": signed.header,
                                                           "Content-Type": "application/json"}


def status_request(creds: signing.Credentials, tag: str, i: int | str, payment_ids: tuple[str, ...]) -> load.Request:
    request_id = f"S{tag}{i}"
    signed = signing.sign(creds, request_id, time=datetime.now(timezone.utc))
    return "GET", "/status?" + urlencode({"requestId": request_id, "paymentIds": ",".join(payment_ids)}), None, \
        {"Authorization": signed.header}


@dataclass
class Pools:
    known: load.Request  # the payments every status query asks about
    requests: dict[str, list[load.Request]]
    files: dict[str, Path]


def make_pools(args, work: Path) -> Pools:
    creds = fixtures.load().credentials()[0]
    tag = uuid.uuid4().hex[:8]
    known_ids = (f"P{tag}known1", f"P{tag}known2")
    print(f"pre-signing 2 x {args.pool} requests ...", file=sys.stderr)
    requests = {"POST /payment": [payment_request(creds, tag, i) for i in range(args.pool)],
                "GET /status": [status_request(creds, tag, i, known_ids) for i in range(args.pool)]}
    files = {}
    for kind, pool in requests.items():
        files[kind] = work / f"pool-{kind.split()[0].lower()}.txt"
        load.write_pool(files[kind], pool)
    return Pools(payment_request(creds, tag, "known", known_ids), requests, files)


def send(port: int, request: load.Request) -> tuple[int, bytes]:
    method, path, body, headers = request
    return answers(port, method, path, body, headers)


def prepare(server: Server, pools: Pools) -> None:
    """The known payments exist and a status read of them succeeds (mockbank targets)."""
    for request in (pools.known, pools.requests["GET /status"][0]):
        status, body = send(server.port, request)
        if status != 200 or json.loads(body)["answers"][0].get("errors"):
            raise StartError(f"{server.name}: {request[0]} {request[1]} answered {status}: {body[:300]!r}")


def drive(args, server: Server, pools: Pools, kind: str, offset: int, seconds: float) -> dict:
    if args.loader == "wrk":
        return load.run_wrk(server.port, pools.files[kind], args.pool, offset, seconds, args.connections,
                            args.wrk_threads)
    return load.run_python(server.port, pools.requests[kind], offset, seconds, args.connections)


# --------------------------------------------------------------------------- the run


def measure(args, pools: Pools, work: Path) -> list[dict]:
    rows: dict[tuple[str, str], list[dict]] = {}
    for round_number in range(1, args.rounds + 1):
        for target in targets(args):
            if args.only and not target.name.startswith("bare") and not any(part in target.name for part in args.only):
                continue
            round_dir = Path(tempfile.mkdtemp(prefix="round-", dir=work))
            if target.name.startswith("mockbank app on"):  # gunicorn: seeded before its workers start
                subprocess.run([sys.executable, str(BENCH / "serve_app.py"), "--seed", str(round_dir / "bench.db")],
                               check=True, cwd=round_dir)
            env = target.env(round_dir)
            if target.mockbank and args.source:
                env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(args.source), env.get("PYTHONPATH")]))}
            server = start(target.name, target.argv(round_dir), round_dir, target.ready, env,
                           timeout=180 if "Prism" in target.name else 60,
                           cwd=BENCH if "MOCKBANK_BENCH_DB" in env else None)
            try:
                if target.mockbank:
                    prepare(server, pools)
                offsets = {kind: 1 for kind in target.kinds}
                for kind in target.kinds:
                    if args.warmup:
                        offsets[kind] += drive(args, server, pools, kind, offsets[kind], args.warmup)["requests"]
                        offsets[kind] += args.connections
                    cpu_before = session_cpu_seconds(server.proc.pid)
                    result = drive(args, server, pools, kind, offsets[kind], args.seconds)
                    cpu_after = session_cpu_seconds(server.proc.pid)
                    result["cpu_ms"] = None if cpu_before is None or cpu_after is None or not result["requests"] \
                        else (cpu_after - cpu_before) * 1000 / result["requests"]
                    result.update(target=target.name, kind=kind, round=round_number)
                    rows.setdefault((target.name, kind), []).append(result)
                    print(f"round {round_number}: {target.name:<30} {kind:<14} {result['rps']:>7.0f} req/s  "
                          f"p99 {result['p99_ms']:.1f} ms", file=sys.stderr)
            finally:
                stop(server.proc)
    return [median_row(results) for results in rows.values()]


def median_row(results: list[dict]) -> dict:
    first = results[0]
    cpu = [r["cpu_ms"] for r in results]
    return {"target": first["target"], "kind": first["kind"], "rounds": [r["rps"] for r in results],
            "rps": statistics.median(r["rps"] for r in results),
            "p50_ms": statistics.median(r["p50_ms"] for r in results),
            "p99_ms": statistics.median(r["p99_ms"] for r in results),
            "cpu_ms": statistics.median(cpu) if None not in cpu else None,
            "non_2xx": sum(r["non_2xx"] for r in results), "errors": sum(r["errors"] for r in results),
            "wrapped": any(r["wrapped"] for r in results)}


#: Issue 13's targets: signed requests at 0.6x bare Flask with one process, at 1.0x Prism with two.
TARGET_X_BARE, TARGET_X_PRISM = 0.6, 1.0


def targets_met(rows: list[dict]) -> list[str]:
    """Issue 13's targets that this run measured, each reached or not (0 non-2xx answers are part of it)."""
    bare = next(r for r in rows if r["target"].startswith("bare Flask"))
    prism = {r["kind"]: r for r in rows if r["target"].startswith("Prism")}
    lines = []
    for row in rows:
        if row["target"] == "mockbank serve -w1":
            lines.append(_verdict(row, row["rps"] / bare["rps"], "bare Flask", TARGET_X_BARE))
        elif row["target"] == "mockbank serve -w2" and row["kind"] in prism:
            lines.append(_verdict(row, row["rps"] / prism[row["kind"]]["rps"], "Prism", TARGET_X_PRISM))
    return ["issue 13's targets:", *lines] if lines else []


def _verdict(row: dict, measured: float, against: str, target: float) -> str:
    failed = row["non_2xx"] + row["errors"]
    reached = measured >= target and not failed
    return (f"  {row['target']:<20} {row['kind']:<14} {measured:.2f}x {against} (target {target:.1f}x"
            f"{f', {failed} non-2xx' if failed else ''}): {'reached' if reached else 'not reached'}")


def report(rows: list[dict]) -> list[str]:
    baseline = next(r for r in rows if r["target"].startswith("bare Flask"))
    prism = {r["kind"]: r for r in rows if r["target"].startswith("Prism")}
    header = (f"{'server':<30} {'request':<14} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'x bare':>7} "
              f"{'p99 x':>6} {'x Prism':>8} {'CPU ms':>7} {'non-2xx':>8}")
    lines = [header, "-" * len(header)]
    for row in rows:
        vs_prism = f"{row['rps'] / prism[row['kind']]['rps']:>8.2f}" if row["kind"] in prism else f"{'':>8}"
        lines.append(f"{row['target']:<30} {row['kind']:<14} {row['rps']:>7.0f} {row['p50_ms']:>7.2f} "
                     f"{row['p99_ms']:>7.2f} {row['rps'] / baseline['rps']:>7.2f} "
                     f"{row['p99_ms'] / baseline['p99_ms']:>6.1f} {vs_prism} "
                     f"{'-' if row['cpu_ms'] is None else format(row['cpu_ms'], '.2f'):>7} "
                     f"{row['non_2xx'] + row['errors']:>8}")
    return lines


def profile_run(args, pools: Pools, work: Path) -> list[str]:
    """Load ``mockbank serve`` (1 worker) and record it with py-spy; the per-request breakdown of each kind."""
    if not spy.py_spy():
        raise StartError("--profile needs py-spy: pip install py-spy")
    argv = targets(args)[1].argv(work)
    env = {"PYTHONPATH": str(args.source)} if args.source else {}
    server = start("mockbank serve (profiled)", argv, work, ("GET", "/_mock/health", None), env)
    lines = []
    try:
        prepare(server, pools)
        for kind in ("POST /payment", "GET /status"):
            offset = 1 + drive(args, server, pools, kind, 1, args.warmup or 1)["requests"] + args.connections
            raw = work / f"profile-{kind.split()[0].lower()}.txt"
            recorder = spy.start_recording(server.proc.pid, args.seconds, raw, args.rate, args.gil)
            time.sleep(1)  # py-spy attaches
            result = drive(args, server, pools, kind, offset, args.seconds - 1)
            _, problems = recorder.communicate(timeout=60)
            if not raw.exists():
                raise StartError(f"py-spy recorded nothing: {problems.decode(errors='replace')[-500:]}")
            rows = spy.breakdown(raw, result["requests"], args.rate, args.source or ROOT)
            lines += spy.report(f"{kind}: {result['rps']:.0f} req/s under load", rows, result["requests"]) + [""]
            if args.keep_profiles:
                Path(args.keep_profiles).mkdir(parents=True, exist_ok=True)
                shutil.copy(raw, Path(args.keep_profiles) / raw.name)
    finally:
        stop(server.proc)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="timed duration per scenario (default 5)")
    parser.add_argument("--warmup", type=float, default=1.0, help="untimed warm-up per scenario (default 1)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the medians are reported (default 3)")
    parser.add_argument("--connections", "-c", type=int, default=16, help="client connections (default 16)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--threads", type=int, default=8, help="server threads per process (default 8)")
    parser.add_argument("--pool", type=int, default=40000, help="pre-signed requests per kind (default 40000)")
    parser.add_argument("--loader", choices=("wrk", "python"), default="wrk" if load.wrk_path() else "python")
    parser.add_argument("--servers", default="waitress,granian",
                        help="mockbank serve --server ... rows (default waitress,granian; granian only if installed)")
    parser.add_argument("--app-servers", default="", help="also run mockbank's app on gunicorn (serve_app.py)")
    parser.add_argument("--only", default="", help="only the servers whose name has one of these (comma-separated) "
                                                   "besides bare Flask, e.g. 'serve -w2,Prism'")
    parser.add_argument("--no-prism", dest="prism", action="store_false", help="leave Prism out")
    parser.add_argument("--profile", action="store_true", help="py-spy breakdown per request instead of the table")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second (default 250)")
    parser.add_argument("--gil", action="store_true", help="--profile: sample only the thread holding the GIL")
    parser.add_argument("--source", type=Path, help="measure this mockbank checkout instead (PYTHONPATH)")
    parser.add_argument("--keep-profiles", metavar="DIR", help="--profile: copy the raw py-spy stacks here")
    parser.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    args = parser.parse_args(argv)
    args.app_servers = [name for name in args.app_servers.split(",") if name]
    args.servers = [name for name in args.servers.split(",") if name]
    args.only = [part for part in args.only.split(",") if part]
    if min(args.connections, args.threads, args.pool, args.rounds, args.wrk_threads) < 1 or args.seconds <= 1:
        parser.error("--connections, --threads, --pool, --rounds, --wrk-threads must be >= 1, --seconds > 1")
    if set(args.app_servers) - {"gunicorn"}:
        parser.error("--app-servers takes gunicorn (granian: mockbank serve --server granian, in --servers)")
    if not args.servers or set(args.servers) - {"waitress", "granian"}:
        parser.error("--servers takes waitress and/or granian")
    if "granian" in args.servers and importlib.util.find_spec("granian") is None:
        print("granian is not installed (pip install 'mockbank[fast]'): no --server granian rows", file=sys.stderr)
        args.servers.remove("granian")

    work = Path(tempfile.mkdtemp(prefix="mockbank-bench-"))
    try:
        pools = make_pools(args, work)
        print(f"loader: {args.loader}, {args.connections} connections, {args.seconds:g} s "
              f"(+{args.warmup:g} s warm-up), {args.rounds} round(s)", file=sys.stderr)
        if args.profile:
            print("\n".join(profile_run(args, pools, work)))
            return 0
        rows = measure(args, pools, work)
        print("\n".join(report(rows) + targets_met(rows)))
        for row in rows:
            if row["wrapped"]:
                print(f"warning: {row['target']} {row['kind']}: the pool ran out and was reused; raise --pool",
                      file=sys.stderr)
        if args.json:
            Path(args.json).write_text(json.dumps({"config": {k: v for k, v in vars(args).items()
                                                              if isinstance(v, (int, float, str, list))},
                                                   "rows": rows}, indent=2) + "\n")
        return 1 if any(r["non_2xx"] or r["errors"] for r in rows) else 0
    except StartError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip the clean-up
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
