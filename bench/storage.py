"""Storage engines and processes: signed POST /payment and GET /status on SQLite and PostgreSQL, 1 and 2 processes.

Starts the emulator (``mockbank serve``) and ``bench/bare_app.py`` on loopback, drives each with
keep-alive ``http.client`` connections from C threads for a fixed time, and reports every emulator
scenario as a ratio to the baseline (bare app, measured before and after; the mean is used).

    .venv/bin/python bench/storage.py --seconds 5 --concurrency 16 --workers 1 --json out.json
    .venv/bin/python bench/storage.py --workers 1,2 --postgres throwaway   # SQLite and PostgreSQL, 1 and 2 processes
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import servers  # noqa: E402
from mockbank import fixtures, signing  # noqa: E402
from servers import StartError, free_port, stop  # noqa: E402

CREDITOR = "80790000820064"  # an ordinary BBAN: no magic outcome


# --------------------------------------------------------------------------- servers


def start(name: str, argv: list[str], log: Path, port: int, method: str, path: str,
          body: bytes | None) -> subprocess.Popen:
    """Start a server process (its own session, output to ``log``) and wait until ``path`` answers 200.

    Started outside the source tree, so the installed mockbank is measured (not a shadowing checkout)."""
    return servers.start(name, argv, log, port, (method, path, body))


# --------------------------------------------------------------------------- request pools


def payment_request(creds: signing.Credentials, tag: str, i: int | str) -> tuple[str, str, bytes, dict[str, str]]:
    transaction = {"paymentId": f"P{tag}{i}", "paymentDate": date.today().isoformat(), "amount": 100.00,
                   "currency": "DKK", "account": CREDITOR, "text": "bench", "creditor": {"name": "Bench Creditor"}}
    body = {"requestId": f"R{tag}{i}", "transactions": [transaction], "options": {"moveToNextBankDate": True}}
    signed = signing.sign(creds, body["requestId"], time=datetime.now(timezone.utc), transactions=[transaction])
    return "POST", "/payment", json.dumps(body).encode(), {"Authorization": signed.header,
                                                           "Content-Type": "application/json"}


def status_request(creds: signing.Credentials, tag: str, i: int | str, payment_id: str) -> tuple:
    request_id = f"S{tag}{i}"
    signed = signing.sign(creds, request_id, time=datetime.now(timezone.utc))
    return "GET", "/status?" + urlencode({"requestId": request_id, "paymentIds": payment_id}), None, \
        {"Authorization": signed.header}


def send_once(port: int, request) -> tuple[int, dict]:
    method, path, body, headers = request
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


# --------------------------------------------------------------------------- load


def run_load(name: str, port: int, pool: list, args, cycle: bool) -> dict:
    """Drive ``pool`` at ``port`` from ``args.concurrency`` keep-alive connections: warm-up, then timed window."""
    counter = itertools.count()  # next() is atomic under the GIL: each request is sent once
    begin = time.perf_counter()
    measure_from, until = begin + args.warmup, begin + args.warmup + args.seconds
    results, ran_out = [], threading.Event()

    def worker() -> None:
        latencies, bad, failed, last = [], 0, 0, measure_from
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            i = next(counter)
            if i >= len(pool) and not cycle:
                ran_out.set()
                break
            method, path, body, headers = pool[i % len(pool)]
            t0 = time.perf_counter()
            if t0 >= until:
                break
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = None
            t1 = time.perf_counter()
            if t0 >= measure_from:
                last = max(last, t1)
                if status is None:
                    failed += 1
                else:
                    latencies.append(t1 - t0)
                    bad += not 200 <= status < 300
        conn.close()
        results.append((latencies, bad, failed, last))

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies = sorted(x for r in results for x in r[0])
    elapsed = max(r[3] for r in results) - measure_from
    count = len(latencies)

    def pct(p: float) -> float:
        return latencies[min(count - 1, int(p * count))] * 1000 if count else float("nan")

    return {"scenario": name, "requests": count, "seconds": round(elapsed, 3),
            "rps": count / elapsed if elapsed > 0 else 0.0, "p50_ms": pct(0.50), "p99_ms": pct(0.99),
            "non_2xx": sum(r[1] for r in results), "connection_errors": sum(r[2] for r in results),
            "pool_exhausted": ran_out.is_set()}


# --------------------------------------------------------------------------- report


def report(rows: list[dict], baseline: dict) -> list[str]:
    header = f"{'scenario':<34} {'requests':>9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'req/s x':>8} {'p99 x':>7}"
    lines = [header, "-" * len(header)]
    for row in rows + [baseline]:
        ratios = f"{row['rps_ratio']:>8.2f} {row['p99_ratio']:>7.2f}" if "rps_ratio" in row else f"{'':>8} {'':>7}"
        lines.append(f"{row['scenario']:<34} {row['requests']:>9} {row['rps']:>9.0f} {row['p50_ms']:>8.2f} "
                     f"{row['p99_ms']:>8.2f} {ratios}")
    lines.append("")
    for row in rows:
        if "rps_ratio" in row:
            lines.append(f"{row['scenario']}: {row['rps_ratio']:.2f}x baseline throughput, "
                         f"p99 {row['p99_ratio']:.1f}x baseline")
    return lines


def _counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("every --workers count must be >= 1")
    return counts


def _postgres(value: str, stack: contextlib.ExitStack) -> str:
    """The PostgreSQL URL to measure on: as given, or a new database on a throwaway cluster.

    The cluster is tests/postgres_cluster.py's, stopped when ``stack`` closes.
    """
    if value != "throwaway":
        return value
    sys.path.insert(0, str(ROOT / "tests"))
    from postgres_cluster import Cluster, Unavailable

    try:
        cluster = Cluster.start()
    except Unavailable as error:
        raise StartError(f"no throwaway PostgreSQL: {error}") from None
    stack.callback(cluster.stop)
    return cluster.new_database()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="timed duration per scenario (default 5)")
    parser.add_argument("--warmup", type=float, default=1.0, help="untimed warm-up per scenario (default 1)")
    parser.add_argument("--concurrency", "-c", type=int, default=16, help="client connections/threads (default 16)")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads of both servers (default 8)")
    parser.add_argument("--workers", type=_counts, default=[1], metavar="N[,N...]",
                        help="mockbank serve --workers, one emulator per count (default 1)")
    parser.add_argument("--postgres", metavar="URL|throwaway",
                        help="also measure on PostgreSQL: a database URL (its bank is reset), or 'throwaway' "
                             "for a temporary cluster")
    parser.add_argument("--pool", type=int, default=20000, help="pre-signed requests per emulator scenario")
    parser.add_argument("--json", metavar="FILE", help="write the numbers as JSON")
    args = parser.parse_args(argv)
    if min(args.concurrency, args.threads, args.pool) < 1 or args.seconds <= 0 or args.warmup < 0:
        parser.error("--concurrency, --threads and --pool must be >= 1, --seconds > 0, --warmup >= 0")

    creds = fixtures.load().credentials()[0]
    tag = uuid.uuid4().hex[:8]
    tmp = Path(tempfile.mkdtemp(prefix="mockbank-bench-"))
    procs: list[subprocess.Popen] = []
    with contextlib.ExitStack() as stack:
        try:
            return _run(args, creds, tag, tmp, procs, stack)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip the clean-up
            for proc in procs:
                stop(proc)
            shutil.rmtree(tmp, ignore_errors=True)


def _run(args, creds: signing.Credentials, tag: str, tmp: Path, procs: list[subprocess.Popen],
         stack: contextlib.ExitStack) -> int:
    print(f"pre-signing 2 x {args.pool} requests ...", file=sys.stderr)
    known = payment_request(creds, tag, "known")
    payments = [payment_request(creds, tag, i) for i in range(args.pool)]
    statuses = [status_request(creds, tag, i, f"P{tag}known") for i in range(args.pool)]
    # every emulator starts from a reset bank, so the pre-signed pools serve each of them
    try:
        databases = [("sqlite", None)] + ([("postgresql", _postgres(args.postgres, stack))] if args.postgres else [])
        bare_port = free_port()
        bare = [sys.executable, str(ROOT / "bench" / "bare_app.py"), "--port", str(bare_port),
                "--threads", str(args.threads)]
        procs.append(start("bare app", bare, tmp / "bare.log", bare_port, "POST", "/payment", b"{}"))
    except StartError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    print(f"running: {args.warmup:g} s warm-up + {args.seconds:g} s per scenario, {args.concurrency} connections, "
          f"{args.threads} threads, workers {args.workers}, engines {[name for name, _ in databases]}",
          file=sys.stderr)
    before = run_load("baseline POST (before)", bare_port, payments, args, cycle=True)
    rows = [before]
    for engine, url in databases:
        for workers in args.workers:
            label = f"{engine}, {workers} proc"
            mock_port = free_port()
            db = url or str(tmp / f"bench-{workers}.db")
            emulator = [sys.executable, "-m", "mockbank", "serve", "--db", db, "--reset", "--port", str(mock_port),
                        "--threads", str(args.threads), "--workers", str(workers), "--progression", "manual",
                        "--max-clock-skew", "off"]
            try:
                proc = start(f"mockbank serve ({label})", emulator, tmp / f"mockbank-{engine}-{workers}.log",
                             mock_port, "GET", "/_mock/health", None)
            except StartError as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
            procs.append(proc)
            # the payment every status query asks about, and one status read of it: both must succeed
            for request in (known, status_request(creds, tag, "check", f"P{tag}known")):
                status, answer = send_once(mock_port, request)
                if status != 200 or answer["answers"][0].get("errors"):
                    print(f"error: {request[0]} {request[1]} answered {status}: {answer}", file=sys.stderr)
                    return 1
            rows += [run_load(f"POST /payment ({label})", mock_port, payments, args, cycle=False),
                     run_load(f"GET /status ({label})", mock_port, statuses, args, cycle=False)]
            stop(proc)
            procs.remove(proc)
    after = run_load("baseline POST (after)", bare_port, payments, args, cycle=True)
    rows.append(after)
    baseline = {"scenario": "baseline (mean)", "requests": (before["requests"] + after["requests"]) // 2,
                **{k: (before[k] + after[k]) / 2 for k in ("rps", "p50_ms", "p99_ms")}}
    for row in rows[1:-1]:
        row["rps_ratio"] = row["rps"] / baseline["rps"]
        row["p99_ratio"] = row["p99_ms"] / baseline["p99_ms"]

    print("\n".join(report(rows, baseline)))
    problems = [f"{r['scenario']}: {r['non_2xx']} non-2xx, {r['connection_errors']} connection errors"
                for r in rows if r["non_2xx"] or r["connection_errors"]]
    problems += [f"{r['scenario']}: the pool of {args.pool} ran out early; raise --pool"
                 for r in rows if r["pool_exhausted"]]
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    if args.json:
        config = {k: getattr(args, k) for k in ("seconds", "warmup", "concurrency", "threads", "workers", "pool")}
        config["engines"] = [name for name, _ in databases]
        Path(args.json).write_text(json.dumps({"config": config, "scenarios": rows, "baseline": baseline},
                                              indent=2) + "\n")
    return 1 if any(r["non_2xx"] or r["connection_errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
