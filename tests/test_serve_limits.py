"""`mockbank serve` under hostile connections: slow and idle sockets, huge headers and bodies, endless delays.

Every test runs a real server on 127.0.0.1 (``mockbank serve``, or its waitress serving a small app in this
process) with a bounded number of connections and bounded waits (socket timeouts and deadlines, never
assertions on how long something took).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from waitress import wasyncore

from mockbank.faults import WAITING_KEY
from mockbank.http_server import ServerLimits, make_server
from mockbank.server import ServeOptions, waitress_limits

from raw import post
from serving import Remote, start_server, stop_server, wait_until

IDLE, SLOW = 150, 150  # together far more than waitress's default limit of 100 connections


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def _read_answer(sock: socket.socket) -> tuple[int, dict]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    while len(body) < length:
        body += sock.recv(65536)
    return int(head.split()[1]), json.loads(body)


def _closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


@pytest.fixture
def server(tmp_path):
    process, url = start_server(tmp_path, "--header-timeout", "2", "--threads", "2")
    yield url
    stop_server(process)


def test_idle_and_slowloris_connections_do_not_keep_a_signed_request_waiting(server):
    idle = [_connect(server) for _ in range(IDLE)]
    slow = []
    for index in range(SLOW):
        sock = _connect(server)
        sock.sendall(f"GET /status?requestId=R{index} HTTP/1.1\r\nHost: x\r\nX-Slow-0: 1\r\n".encode())
        slow.append(sock)
    try:
        for index in range(3):  # a drip of one more header line changes nothing
            for sock in slow:
                sock.sendall(f"X-Slow-{index + 1}: 1\r\n".encode())
            answer = post(Remote(server), "/status", {"requestId": f"S{index}"}, timeout=10)
            assert answer.status_code == 200, answer.text
        slow[0].settimeout(15)
        assert _closed_by_server(slow[0])  # --header-timeout 2: the slowloris sockets are closed
        idle[0].settimeout(0.2)
        assert not _closed_by_server(idle[0])  # an idle keep-alive socket stays until --idle-timeout
    finally:
        for sock in idle + slow:
            sock.close()


def test_a_flood_of_1_mb_headers_is_refused_with_431_and_stores_nothing(server):
    junk = "j" * 1024 * 1024
    answered = 0
    for _ in range(20):
        with _connect(server) as sock:
            try:
                sock.sendall(f"GET /status?requestId=J HTTP/1.1\r\nHost: x\r\nX-Junk: {junk}\r\n\r\n".encode())
                status, body = _read_answer(sock)
            except (ConnectionResetError, BrokenPipeError):
                continue  # the server answered and closed while the rest of the megabyte was still on its way
            assert status == 431 and body["error"] == "request-header-fields-too-large"
            answered += 1
    big = requests.get(server + "/status", headers={"X-Junk": "j" * 100_000}, timeout=10)
    assert big.status_code == 431 and big.headers["Content-Type"].startswith("application/json")
    assert "65536 bytes" in big.json()["message"]
    assert requests.get(server + "/_mock/requests", timeout=10).json() == []  # refused before the app saw it
    assert post(Remote(server), "/status", {"requestId": "after"}).status_code == 200


def test_a_body_over_the_limit_is_refused_before_it_is_sent(tmp_path):
    process, url = start_server(tmp_path, "--max-body", "1000")
    try:
        with _connect(url) as sock:  # announces 10 MB and sends none of it: the answer comes anyway
            sock.sendall(b"POST /payment HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 10000000\r\n\r\n")
            status, body = _read_answer(sock)
        assert status == 413 and body == {"error": "payload-too-large",
                                          "message": "the request body is larger than 1000 bytes"}
    finally:
        stop_server(process)


def test_a_request_waitress_cannot_parse_is_answered_as_json(server):
    with _connect(server) as sock:
        sock.sendall(b"GARBAGE\r\n\r\n")
        status, body = _read_answer(sock)
    assert status == 400 and body == {"error": "bad-request", "message": "Start line is invalid"}


def test_endless_delays_never_block_the_control_plane_and_clearing_releases_them(server):
    fault = {"path": "*", "delayMs": 120_000, "count": None}
    assert requests.post(server + "/_mock/faults", json=fault, timeout=10).status_code == 201
    with ThreadPoolExecutor(max_workers=6) as pool:  # more delayed requests than the server's 2 API threads
        delayed = [pool.submit(post, Remote(server), "/status", {"requestId": f"D{i}"}, timeout=60)
                   for i in range(6)]
        deadline = time.monotonic() + 20
        while requests.get(server + "/_mock/health", timeout=10).json()["inFlight"] < 2:
            assert time.monotonic() < deadline, "the delayed requests never arrived"
            time.sleep(0.05)
        assert requests.get(server + "/_mock/health", timeout=10).json()["status"] == "ok"
        assert requests.delete(server + "/_mock/faults", timeout=10).json() == {"deleted": 1}
        assert sorted(future.result(timeout=60).status_code for future in delayed) == [200] * 6


def test_a_delay_over_max_delay_ms_is_refused_naming_the_field(tmp_path):
    process, url = start_server(tmp_path, "--max-delay-ms", "5000")
    try:
        answer = requests.post(url + "/_mock/faults", json={"delayMs": 5001}, timeout=10)
        assert answer.status_code == 400
        assert answer.json()["details"] == [{"pointer": "/delayMs", "reason": "must be an integer from 0 to 5000 "
                                                                             "(this server's --max-delay-ms)"}]
    finally:
        stop_server(process)


def test_a_request_waiting_in_a_delay_leaves_its_turn_to_the_next(tmp_path):
    """On SQLite one API request runs at a time (``--active-threads`` 1): one held by a delay is not running."""
    process, url = start_server(tmp_path)
    try:
        fault = {"path": "/status", "delayMs": 120_000}  # count 1: only the first /status waits
        assert requests.post(url + "/_mock/faults", json=fault, timeout=10).status_code == 201
        with ThreadPoolExecutor(max_workers=1) as pool:
            delayed = pool.submit(post, Remote(url), "/status", {"requestId": "D1"}, timeout=60)
            wait_until(lambda: requests.get(url + "/_mock/health", timeout=10).json()["inFlight"] == 1,
                       "the delayed request")
            assert post(Remote(url), "/status", {"requestId": "S1"}, timeout=10).status_code == 200
            assert not delayed.done()
            assert requests.delete(url + "/_mock/faults", timeout=10).json() == {"deleted": 0}
            assert delayed.result(timeout=60).status_code == 200
    finally:
        stop_server(process)


@contextlib.contextmanager
def _waitress(app, **limits):
    """mockbank's waitress serving ``app`` in this process; yields (server, base URL)."""
    listener = socket.create_server(("127.0.0.1", 0))
    server = make_server(app, listener, ServerLimits(**limits))
    loop = threading.Thread(target=server.run, daemon=True)
    loop.start()
    try:
        yield server, f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.task_dispatcher.shutdown(timeout=1)
        wasyncore.close_all(server._map)
        loop.join(timeout=10)


def _sleeping_app(seconds, peak):
    """An app whose requests each take ``seconds``; ``peak[0]`` is the most that ran at once."""
    lock, inside = threading.Lock(), [0]

    def app(environ, start_response):
        with lock:
            inside[0] += 1
            peak[0] = max(peak[0], inside[0])
        time.sleep(seconds)
        with lock:
            inside[0] -= 1
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    return app


@pytest.mark.parametrize("active", [1, None])
def test_active_threads_run_that_many_requests_at_once(active):
    peak = [0]
    with _waitress(_sleeping_app(0.3, peak), threads=4, active_threads=active) as (_, url):
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(lambda _: requests.get(url, timeout=30).status_code, range(4)))
    assert answers == [200] * 4
    assert peak[0] == 1 if active == 1 else peak[0] > 1  # None: every thread


def test_stopping_answers_every_request_already_read():
    """What Ctrl-C does: no new request is read, and those running or waiting are answered (within 5 s)."""
    lock, inside, finished, release = threading.Lock(), [0], [0], threading.Event()

    def app(environ, start_response):
        with lock:
            inside[0] += 1
        if environ["PATH_INFO"] == "/delayed":
            with environ[WAITING_KEY]():  # as in a delay fault: the next request may start meanwhile
                time.sleep(1.5)
        elif environ["PATH_INFO"] == "/running":
            release.wait(10)  # keeps its turn until the test lets it go
        start_response("200 OK", [("Content-Type", "application/json")])
        with lock:
            finished[0] += 1
        return [json.dumps(environ["PATH_INFO"]).encode()]

    with _waitress(app, threads=4, active_threads=1) as (server, url), _connect(url) as kept_alive:
        kept_alive.sendall(b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _read_answer(kept_alive) == (200, "/first")
        with ThreadPoolExecutor(max_workers=5) as pool:
            delayed = [pool.submit(requests.get, url + "/delayed", timeout=30) for _ in range(3)]
            wait_until(lambda: inside[0] == 4, "the delayed requests")
            running = pool.submit(requests.get, url + "/running", timeout=30)
            wait_until(lambda: inside[0] == 5, "the running request")
            stopping = pool.submit(server.stop)
            wait_until(lambda: server.stopping, "the server to stop")
            kept_alive.sendall(b"GET /after HTTP/1.1\r\nHost: x\r\n\r\n")  # while it is stopping
            release.set()
            stopping.result(timeout=30)
            assert inside == [5] and finished == [5]  # stop() returned when every request had been answered
            assert [answer.result().json() for answer in delayed + [running]] == ["/delayed"] * 3 + ["/running"]
        kept_alive.settimeout(1)
        with pytest.raises(socket.timeout):  # /after was not read
            kept_alive.recv(4096)


def test_stopping_answers_a_request_pipelined_behind_the_running_one():
    started, release = threading.Event(), threading.Event()

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/running":
            started.set()
            release.wait(10)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(environ["PATH_INFO"]).encode()]

    with _waitress(app, threads=2, active_threads=1) as (server, url), _connect(url) as client, \
            ThreadPoolExecutor(max_workers=1) as pool:
        client.sendall(b"GET /running HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n")
        assert started.wait(10)  # both requests were read
        stopping = pool.submit(server.stop)
        wait_until(lambda: server.stopping, "the server to stop")
        time.sleep(0.5)  # time enough for idle threads to end, if stopping let them
        release.set()
        stopping.result(timeout=30)
        received = b""
        while received.count(b"HTTP/1.1 200 OK") < 2 or not received.endswith(b'"/second"'):
            chunk = client.recv(65536)  # the socket's 10 s timeout ends a wait for an answer that never comes
            assert chunk, f"the connection closed after {received!r}"
            received += chunk
        assert received.index(b'"/running"') < received.index(b'"/second"')


def test_requests_waiting_in_delays_are_bounded_by_the_threads():
    """Each request waiting in a delay holds a thread: with 2 threads, at most 3 wait at once (the one that
    started on the event loop's thread and 2 on the pool); the others wait for a thread, and all are answered."""
    lock, waiting, peak = threading.Lock(), [0], [0]

    def app(environ, start_response):
        with environ[WAITING_KEY]():
            with lock:
                waiting[0] += 1
                peak[0] = max(peak[0], waiting[0])
            time.sleep(0.3)
            with lock:
                waiting[0] -= 1
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    with _waitress(app, threads=2, active_threads=1) as (_, url), ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: requests.get(url + "/delayed", timeout=30).status_code, range(8)))
    assert answers == [200] * 8
    assert 1 < peak[0] <= 3


def test_a_long_request_keeps_the_next_api_request_waiting_but_not_the_control_plane():
    """One request at a time: the next API request waits for the long one; ``/_mock/*`` is answered meanwhile."""
    started, finished = threading.Event(), []

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/long":
            started.set()
            time.sleep(3)  # computing, not waiting: it keeps its turn
        finished.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["PATH_INFO"].encode()]

    with _waitress(app, threads=2, active_threads=1) as (_, url), ThreadPoolExecutor(max_workers=2) as pool:
        long = pool.submit(requests.get, url + "/long", timeout=30)
        assert started.wait(10)
        assert requests.get(url + "/_mock/health", timeout=10).text == "/_mock/health"
        after = pool.submit(requests.get, url + "/after", timeout=30)
        assert long.result().text == "/long" and after.result().text == "/after"
    assert finished == ["/_mock/health", "/long", "/after"]


def test_a_failing_event_loop_stops_the_server_with_its_error():
    listener = socket.create_server(("127.0.0.1", 0))
    server = make_server(lambda environ, start_response: [], listener, ServerLimits())

    def broken(now):
        raise RuntimeError("broken event loop")

    server.maintenance = broken  # called by the loop at its first round
    try:
        with pytest.raises(RuntimeError, match="broken event loop"):
            server.run()
    finally:
        server.close()


def test_a_client_not_reading_what_it_asked_for_leaves_the_turn_to_the_next_request():
    """waitress holds at most 16 MiB of answers; a request whose client reads none of them waits, not running."""
    chunks, sent = 200, []

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        if environ["PATH_INFO"] == "/small":
            return [b"small"]
        return (sent.append(n) or b"x" * 2**20 for n in range(chunks))

    with _waitress(app, threads=2, active_threads=1) as (_, url), _connect(url) as stalled:
        stalled.sendall(b"GET /large HTTP/1.1\r\nHost: x\r\n\r\n")  # and reads nothing
        wait_until(lambda: _stopped_growing(sent), "the large answer to fill waitress's buffer")
        assert requests.get(url + "/small", timeout=10).content == b"small"
        assert len(sent) < chunks


def _stopped_growing(items, seconds=0.5):
    before = len(items)
    time.sleep(seconds)
    return before > 0 and len(items) == before


def test_one_request_runs_at_a_time_on_sqlite_and_all_threads_on_postgresql():
    limits = ServerLimits(threads=6)
    assert waitress_limits(ServeOptions(db="bank.db", limits=limits)).active_threads == 1
    assert waitress_limits(ServeOptions(db="postgresql://mock@db/bank", limits=limits)).active_threads is None
    chosen = ServerLimits(threads=6, active_threads=3)
    assert waitress_limits(ServeOptions(db="bank.db", limits=chosen)).active_threads == 3


@pytest.mark.parametrize("args, reason", [
    (["--active-threads", "0"], "--active-threads must be from 1 to --threads (8)"),
    (["--threads", "2", "--active-threads", "3"], "--active-threads must be from 1 to --threads (2)"),
    (["--server", "granian", "--active-threads", "2"], "--active-threads applies to waitress only"),
])
def test_active_threads_out_of_range_is_refused_in_one_line(tmp_path, capsys, args, reason):
    from mockbank.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--port", "0", "--db", str(tmp_path / "bank.db"), *args])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and reason in error
    assert not (tmp_path / "bank.db").exists()
