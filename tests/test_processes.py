"""Processes of `mockbank serve`: workers never outlive their parent, a dead worker is replaced, and a
`:memory:` database leaves no file behind, whichever way the server ends."""

from __future__ import annotations

import os
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from raw import post
from serving import Remote, children_of, refuses, start_server, stop_server, temporary_files, wait_until

pytestmark = pytest.mark.slow  # server processes, started and signalled (`pytest --all` and CI run them)

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the workers")


def start_workers(tmp_path):
    """A server with two workers, both started; returns (process, url, worker pids)."""
    process, url = start_server(tmp_path, "--workers", "2")
    wait_until(lambda: len(children_of(process.pid)) == 2, "two workers")
    return process, url, children_of(process.pid)


@linux_only
def test_killing_the_parent_leaves_no_worker_serving(tmp_path):
    process, url, workers = start_workers(tmp_path)
    try:
        assert requests.get(url + "/_mock/health", timeout=10).json()["pid"] in workers
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), "the workers to exit")
        assert refuses(url)
        again, again_url = start_server(tmp_path, "--port", url.rsplit(":", 1)[1])  # the port is free again
        stop_server(again)
        assert again_url == url
    finally:
        stop_server(process)


@linux_only
def test_a_worker_that_dies_is_replaced(tmp_path):
    process, url, first = start_workers(tmp_path)
    try:
        for pid in first:
            os.kill(pid, signal.SIGKILL)
        wait_until(lambda: len(children_of(process.pid) - first) == 2, "two new workers")
        assert requests.get(url + "/_mock/health", timeout=10).json()["pid"] not in first
    finally:
        stop_server(process)


@linux_only
@pytest.mark.parametrize("delay", [0.0, 0.05, 0.3])
def test_sigterm_while_the_workers_start_stops_them_all(tmp_path, delay):
    process, url = start_server(tmp_path, "--workers", "64")  # still forking when it says it listens
    time.sleep(delay)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
        errors = process.stderr.read()
    finally:
        stop_server(process)
    assert process.returncode == 0 and "Traceback" not in errors and "Exception ignored" not in errors, errors
    wait_until(lambda: refuses(url), "no worker to answer")


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
def test_a_memory_database_leaves_nothing_behind_on_a_clean_exit(tmp_path, how):
    folder = tmp_path / "tmp"
    folder.mkdir()
    process, url = start_server(tmp_path, db=":memory:", env={"TMPDIR": str(folder)})
    assert requests.get(url + "/_mock/health", timeout=10).status_code == 200
    assert temporary_files(folder, process.pid)  # the throwaway database lives here while it runs
    stop_server(process, getattr(signal, how))
    assert temporary_files(folder, process.pid) == []


@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
def test_files_of_a_killed_server_are_removed_at_the_next_start(tmp_path):
    folder = tmp_path / "tmp"
    folder.mkdir()
    process, url = start_server(tmp_path, db=":memory:", env={"TMPDIR": str(folder)})
    requests.get(url + "/_mock/health", timeout=10)
    stop_server(process, signal.SIGKILL)
    assert temporary_files(folder, process.pid)  # SIGKILL: nothing could clean up
    other = (folder / "unrelated.db")
    other.write_text("not ours")
    process2, _ = start_server(tmp_path, db=":memory:", env={"TMPDIR": str(folder)})
    try:
        assert temporary_files(folder, process.pid) == []
        assert other.exists() and temporary_files(folder, process2.pid)
    finally:
        stop_server(process2)


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
def test_stopping_the_server_lets_a_running_request_finish(tmp_path, how):
    process, url = start_server(tmp_path)
    requests.post(url + "/_mock/faults", json={"path": "/status", "delayMs": 1500}, timeout=10)
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(post, Remote(url), "/status", {"requestId": "DRAIN"}, timeout=30)
        wait_until(lambda: requests.get(url + "/_mock/health", timeout=10).json()["inFlight"] == 1, "the request")
        stop_server(process, getattr(signal, how))
        assert running.result(timeout=30).status_code == 200
    assert process.returncode == 0
