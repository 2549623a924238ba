"""Load generators for the benchmark: wrk (with ``wrk_pool.lua``) when it is installed, else Python threads.

Both send pre-signed requests from a pool, each at most once, over keep-alive connections, and return
one dict: requests, seconds, rps, p50_ms, p99_ms, non_2xx, errors, wrapped (the pool ran out and
started again, so some requests were repeats).
"""

from __future__ import annotations

import http.client
import itertools
import json
import shutil
import subprocess
import threading
import time
from pathlib import Path

LUA = Path(__file__).resolve().parent / "wrk_pool.lua"

#: A request: method, path (with query), body or None, headers.
Request = tuple[str, str, "bytes | None", dict[str, str]]


def wrk_path() -> str | None:
    return shutil.which("wrk")


def write_pool(path: Path, pool: list[Request]) -> None:
    """The pool file ``wrk_pool.lua`` reads: METHOD, PATH, AUTHORIZATION, BODY, tab-separated, one a line."""
    with open(path, "w", encoding="utf-8") as out:
        for method, target, body, headers in pool:
            out.write(f"{method}\t{target}\t{headers['Authorization']}\t{(body or b'').decode()}\n")


def run_wrk(port: int, pool_file: Path, pool_size: int, offset: int, seconds: float, connections: int,
            threads: int) -> dict:
    argv = [wrk_path() or "wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
            "-s", str(LUA), f"http://127.0.0.1:{port}", "--", str(pool_file), str(offset), str(threads)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    found = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not found:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    result = json.loads(found[-1][len("RESULT "):])
    elapsed = result["duration_us"] / 1e6
    errors = sum(result[key] for key in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return {"requests": result["requests"], "seconds": round(elapsed, 3), "rps": result["requests"] / elapsed,
            "p50_ms": result["p50_ms"], "p99_ms": result["p99_ms"], "non_2xx": result["non_2xx"], "errors": errors,
            "wrapped": offset + result["requests"] > pool_size}


def run_python(port: int, pool: list[Request], offset: int, seconds: float, connections: int) -> dict:
    """The same with ``connections`` Python threads, each with its own keep-alive ``http.client`` connection."""
    counter = itertools.count(offset)  # next() is atomic under the GIL: each request is sent once
    until = time.perf_counter() + seconds
    results: list[tuple[list[float], int, int]] = []

    def worker() -> None:
        latencies, bad, failed = [], 0, 0
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < until:
            method, target, body, headers = pool[next(counter) % len(pool)]
            t0 = time.perf_counter()
            try:
                conn.request(method, target, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                failed += 1
                continue
            latencies.append(time.perf_counter() - t0)
            bad += not 200 <= response.status < 300
        conn.close()
        results.append((latencies, bad, failed))

    begin = time.perf_counter()
    workers = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - begin
    latencies = sorted(x for r in results for x in r[0])
    count = len(latencies)

    def pct(p: float) -> float:
        return latencies[min(count - 1, int(p * count))] * 1000 if count else float("nan")

    return {"requests": count, "seconds": round(elapsed, 3), "rps": count / elapsed, "p50_ms": pct(0.50),
            "p99_ms": pct(0.99), "non_2xx": sum(r[1] for r in results), "errors": sum(r[2] for r in results),
            "wrapped": offset + count > len(pool)}
