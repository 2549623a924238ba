"""`mockbank serve --server granian`: the same bank over granian, started as a user starts it.

Skipped locally when granian is not installed (pip install 'mockbank[fast]'); CI installs it (the test extra),
so there a missing granian fails instead.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from conftest import BANK_TODAY
from raw import post, signed_headers, transaction
from serving import Remote, children_of, refuses, start_server, stop_server, temporary_files, wait_until

pytestmark = pytest.mark.slow  # granian servers in subprocesses (`pytest --all` and CI run them)

try:
    import granian  # noqa: F401
except ImportError:
    if os.environ.get("CI") == "true":
        raise
    granian = None

needs_granian = pytest.mark.skipif(granian is None, reason="granian is not installed (pip install 'mockbank[fast]')")
posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the workers")


def start_granian(tmp_path, *args, **options):
    return start_server(tmp_path, "--server", "granian", *args, **options)


@pytest.fixture
def server(tmp_path):
    process, url = start_granian(tmp_path)
    yield process, url
    stop_server(process)


def pay(emulator, request_id: str, payment_id: str) -> requests.Response:
    return post(emulator, "/payment", {"requestId": request_id,
                                       "transactions": [transaction(payment_id, day=BANK_TODAY)]})


@needs_granian
def test_a_signed_payment_is_accepted_and_a_bad_signature_diagnosed(server):
    process, url = server
    assert any(line.startswith("  server     granian: standard reason phrases") for line in process.banner)
    emulator = Remote(url)
    accepted = pay(emulator, "GRANIAN-1", "GP1")
    assert accepted.status_code == 200, accepted.text
    assert accepted.headers["server"] == "granian"
    assert accepted.json()["answers"][0]["paymentId"] == "GP1"

    refused = post(emulator, "/status", {"requestId": "GRANIAN-2"},
                   headers={"Authorization": "Signature serviceProvider=MockERP,hash=nope"})
    assert refused.status_code == 401
    assert refused.reason == "Unauthorized"  # the trade-off: granian writes the standard phrase
    assert refused.json()["error"] == "unauthorized"
    assert refused.json()["diagnosis"]["cause"]


def read_to_end(connection: socket.socket) -> bytes:
    data = b""
    while chunk := connection.recv(65536):
        data += chunk
    return data


@needs_granian
def test_a_dropped_connection_fault_closes_the_connection_before_any_answer_body(server):
    """granian gives an app no way to close a connection before its status line: mockbank announces one byte of
    body and closes before it, so the client never has a complete answer."""
    process, url = server
    host, port = url.removeprefix("http://").split(":")
    requests.post(url + "/_mock/faults", json={"path": "/status", "drop": True, "count": 5}, timeout=10)
    for _ in range(5):
        with socket.create_connection((host, int(port)), timeout=10) as connection:
            connection.sendall(b"GET /status?requestId=X HTTP/1.1\r\nHost: x\r\n\r\n")
            data = read_to_end(connection)  # a complete answer would leave a keep-alive connection open: timeout
        if data:  # granian may also close before the head
            head, _, body = data.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 503 ") and body == b""
            assert b"content-length: 1" in head.lower()  # a body was announced and never came
    entries = requests.get(url + "/_mock/requests", timeout=10).json()
    assert sum(1 for entry in entries if entry.get("dropped")) == 5
    assert requests.get(url + "/status", timeout=10).status_code == 400  # the fault is used up


def _chunked(text: str):
    """A body requests sends chunked (no Content-Length): a generator of its pieces."""
    for start in range(0, len(text), 100):
        yield text[start:start + 100].encode()


@needs_granian
def test_a_chunked_body_over_the_limit_answers_413_and_one_within_it_arrives_whole(tmp_path):
    process, url = start_granian(tmp_path, "--max-body", "1000")
    try:
        emulator = Remote(url)
        over = requests.post(url + "/payment", data=_chunked(json.dumps({"requestId": "x" * 2000})),
                             headers={"Content-Type": "application/json"}, timeout=10)
        assert over.status_code == 413, over.text
        assert over.json() == {"error": "payload-too-large", "message": "the request body is larger than 1000 bytes"}

        body = {"requestId": "GRANIAN-CHUNKED", "transactions": [transaction("GC1", day=BANK_TODAY)]}
        headers = signed_headers(emulator.credentials[0], body["requestId"], body["transactions"])
        text = json.dumps(body)
        assert 100 < len(text) <= 1000  # more than one chunk, within the limit
        within = requests.post(url + "/payment", data=_chunked(text), headers=headers, timeout=10)
        assert within.status_code == 200, within.text
        assert within.json()["answers"][0]["paymentId"] == "GC1"

        journal = requests.get(url + "/_mock/requests", timeout=10).json()
        assert [entry["status"] for entry in journal] == [413, 200]
        assert journal[0]["body"] == "(more than 1000 bytes, over the size limit: not read)"
        assert journal[1]["body"] == body
    finally:
        stop_server(process)


def session_on_worker(url: str, avoid: int | None) -> tuple[requests.Session, int]:
    """A keep-alive connection (so every request on it reaches the same worker) and that worker's pid."""
    for _ in range(200):
        session = requests.Session()
        pid = session.get(url + "/_mock/health", timeout=10).json()["pid"]
        if pid != avoid:
            return session, pid
        session.close()
    raise AssertionError("every connection reached the same worker")


@needs_granian
def test_two_workers_serve_one_bank(tmp_path):
    process, url = start_granian(tmp_path, "--workers", "2")
    try:
        emulator = Remote(url)
        first, first_pid = session_on_worker(url, None)
        second, second_pid = session_on_worker(url, first_pid)
        for session, name in ((first, "GW1"), (second, "GW2")):
            body = {"requestId": f"R{name}", "transactions": [transaction(name, day=BANK_TODAY)]}
            headers = signed_headers(emulator.credentials[0], body["requestId"], body["transactions"])
            answer = session.post(url + "/payment", data=json.dumps(body), headers=headers, timeout=10)
            assert answer.status_code == 200, answer.text
        for session in (first, second):
            ids = {payment["paymentId"] for payment in session.get(url + "/_mock/payments", timeout=10).json()}
            assert {"GW1", "GW2"} <= ids
    finally:
        stop_server(process)
    assert process.returncode == 0


@needs_granian
@posix_only
@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_stopping_exits_0_promptly_and_a_memory_database_leaves_nothing(tmp_path, how):
    folder = tmp_path / "tmp"
    folder.mkdir()
    process, url = start_granian(tmp_path, db=":memory:", env={"TMPDIR": str(folder)})
    assert pay(Remote(url), "GRANIAN-MEM", "GM1").status_code == 200
    assert temporary_files(folder, process.pid)
    started = time.monotonic()
    stop_server(process, getattr(signal, how))
    assert process.returncode == 0
    assert time.monotonic() - started < 8
    assert temporary_files(folder, process.pid) == []


@needs_granian
@linux_only
def test_a_killed_worker_is_replaced_and_a_killed_parent_leaves_no_worker(tmp_path):
    process, url = start_granian(tmp_path, "--workers", "2")
    try:
        wait_until(lambda: len(children_of(process.pid)) == 2, "two workers")
        first = children_of(process.pid)
        victim = next(iter(first))
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: len(children_of(process.pid) - first) == 1 and len(children_of(process.pid)) == 2,
                   "a new worker")
        assert requests.get(url + "/_mock/health", timeout=10).status_code == 200
        workers = children_of(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), "the workers to exit")
        assert refuses(url)
    finally:
        stop_server(process)


@needs_granian
def test_the_access_log_is_mockbanks_and_granians_chatter_stays_off_stdout(tmp_path):
    process, url = start_granian(tmp_path, "--log-format", "json")
    requests.get(url + "/status", timeout=10)
    process.send_signal(signal.SIGINT if os.name != "nt" else signal.SIGTERM)
    out, err = process.communicate(timeout=20)
    assert [json.loads(line)["path"] for line in out.splitlines()] == ["/status"]
    assert "granian" not in err.lower()  # no startup chatter, no access log of its own


@needs_granian
def test_the_servers_environment_does_not_pass_for_request_headers(tmp_path):
    process, url = start_granian(tmp_path, env={"HTTP_PROXY": "http://proxy.invalid:3128"})
    try:
        requests.get(url + "/status", headers={"X-Sent": "yes"}, timeout=10)
        headers = requests.get(url + "/_mock/requests", timeout=10).json()[-1]["headers"]
    finally:
        stop_server(process)
    assert headers.get("X-Sent") == "yes" and "Proxy" not in headers


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mockbank", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def test_granian_missing_is_one_line_naming_the_extra(tmp_path, monkeypatch, capsys):
    from mockbank.cli import main

    monkeypatch.setitem(sys.modules, "granian", None)  # import granian raises ImportError
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--server", "granian", "--port", "0", "--db", str(tmp_path / "bank.db")])
    assert stopped.value.code != 0
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "pip install 'mockbank[fast]'" in error
    assert not (tmp_path / "bank.db").exists()


def test_an_unknown_server_from_the_environment_is_refused_in_one_line(tmp_path):
    result = run_cli("serve", "--port", "0", "--db", ":memory:", env={"MOCKBANK_SERVER": "uvicorn"})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--server 'uvicorn'" in result.stderr


def test_granian_outside_linux_is_refused_in_one_line(tmp_path, monkeypatch, capsys):
    from mockbank.cli import main

    monkeypatch.setattr(sys, "platform", "win32")
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--server", "granian", "--port", "0", "--db", str(tmp_path / "bank.db")])
    assert stopped.value.code != 0
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "runs on Linux only (win32 here)" in error and "--server waitress" in error
    assert not (tmp_path / "bank.db").exists()
