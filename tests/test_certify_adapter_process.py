"""How certify runs the adapter process and reads its replies: bytes that are not UTF-8, wrappers that start
children, an adapter that closes stdout, replies that cannot be read or answer another request.

The adapters here (tests/protocol_breaking_adapter.py) call no bank, so most tests need no emulator.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mockbank.cli import main
from mockbank.contract_tests.adapter import AdapterFailure, AdapterProcess
from mockbank.contract_tests.runner import FAILED, certify

ADAPTER = Path(__file__).parent / "protocol_breaking_adapter.py"
CREDENTIALS = {"serviceProvider": "MockERP", "apiKey": "k", "account": "52470004471238", "integrationCode": "c"}
posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX shell wrappers and process groups")


def breaking(mode: str, argument: str = "") -> str:
    return f'"{sys.executable}" "{ADAPTER}" {mode} {argument}'.strip()


def ask(adapter: AdapterProcess, op: str = "balance") -> dict:
    return adapter.request(op, {"requestId": "REQ_1"}, base_url="http://127.0.0.1:9", credentials=CREDENTIALS,
                           timeout_ms=100)


def is_gone(pid: int, seconds: float = 3.0) -> bool:
    """Whether process ``pid`` ended (or is a zombie nobody reaped yet) within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        stat = Path(f"/proc/{pid}/stat")
        if stat.exists() and stat.read_text().rsplit(")", 1)[-1].split()[0] == "Z":
            return True
        time.sleep(0.05)
    return False


def test_stderr_that_is_not_utf8_is_kept_with_replacement_and_never_blocks_the_adapter():
    with AdapterProcess(breaking("latin1-logs"), start_timeout=10) as adapter:
        adapter.start()
        for _ in range(3):  # 3 x 100 kB: the pipe would be full long before if nobody read it
            assert ask(adapter)["ok"] is True
        stderr, deadline = "", time.monotonic() + 5
        while stderr.count("\n") < 3 * 3501 and time.monotonic() < deadline:  # the reader may lag behind the reply
            stderr += adapter.take_stderr()
            time.sleep(0.01)
    assert stderr.count("betaling til S\ufffdren\n") == 3
    assert stderr.count("debug line of a chatty client\n") == 3 * 3500


def test_a_reply_that_is_not_utf8_is_a_protocol_failure_at_once():
    with AdapterProcess(breaking("latin1-reply"), start_timeout=10) as adapter:
        adapter.start()
        started = time.monotonic()
        with pytest.raises(AdapterFailure) as failure:
            ask(adapter)
        assert time.monotonic() - started < 2  # not the request timeout plus grace (5.1 s)
    assert str(failure.value) == (
        "the adapter wrote '{\"id\": 1, \"ok\": true, \"result\": {\"name\": \"S\ufffdren\"}}' on stdout, which is "
        "not UTF-8 (byte 0xf8 at offset 43); write replies in UTF-8 and logs to stderr")


@pytest.mark.parametrize(("mode", "argument", "reason"), [
    ("huge-integer", "5000", "it has an integer of 5000 digits (at most 4300 can be read)"),
    ("nested", "100000", "it nests arrays or objects more than 100 levels deep"),  # beyond Python's recursion limit
    ("nested", "101", "it nests arrays or objects more than 100 levels deep"),
])
def test_a_reply_that_cannot_be_read_is_a_protocol_failure_naming_why(mode, argument, reason):
    with AdapterProcess(breaking(mode, argument), start_timeout=10) as adapter:
        adapter.start()
        with pytest.raises(AdapterFailure) as failure:
            ask(adapter)
    assert str(failure.value) == f"the adapter's reply to request 1 cannot be read: {reason}"


def test_a_reply_nested_100_levels_is_read():
    with AdapterProcess(breaking("nested", "99"), start_timeout=10) as adapter:  # 99 arrays in the reply object
        adapter.start()
        assert ask(adapter)["ok"] is True


def test_a_check_whose_reply_cannot_be_read_fails_with_that_headline():
    report = certify(breaking("huge-integer", "5000"), plans=["balance"], examples=1, seed=1)
    assert report.start.hello is not None and report.results
    for result in report.results:
        assert result.status == FAILED
        assert "cannot be read: it has an integer of 5000 digits" in result.message, result.message


def test_an_id_that_is_true_is_not_the_answer_to_request_1():
    with AdapterProcess(breaking("id-true"), start_timeout=10) as adapter:
        adapter.start()
        with pytest.raises(AdapterFailure) as failure:
            ask(adapter)
    assert str(failure.value).startswith("not a reply to request 1: '{\"id\": true,")


@posix_only
def test_an_adapter_behind_a_shell_is_stopped_with_the_shell(tmp_path):
    pid_file = tmp_path / "adapter.pid"
    command = f"""sh -c '{breaking("garbage-then-hang", str(pid_file))}; echo bye >&2'"""
    with AdapterProcess(command, start_timeout=10) as adapter:
        adapter.start()
        adapter_pid = int(pid_file.read_text())
        with pytest.raises(AdapterFailure, match="the adapter wrote 'oops' on stdout"):
            ask(adapter)
        assert is_gone(adapter_pid)  # the shell's child too, not only the shell


@posix_only
def test_a_child_the_adapter_leaves_behind_is_stopped_when_certify_ends(tmp_path):
    pid_file = tmp_path / "child.pid"
    with AdapterProcess(breaking("leaves-child", str(pid_file)), start_timeout=10) as adapter:
        adapter.start()
        assert ask(adapter)["ok"] is True
        child_pid = int(pid_file.read_text())
    assert is_gone(child_pid)


@posix_only
def test_a_ctrl_c_while_the_adapter_is_given_time_to_exit_still_stops_it(tmp_path):
    pid_file = tmp_path / "adapter.pid"
    adapter = AdapterProcess(breaking("outlives-stdin", str(pid_file)), start_timeout=10)
    adapter.start()
    adapter_pid = int(pid_file.read_text())
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    ctrl_c = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))  # the second Ctrl-C, during the wait
    ctrl_c.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            adapter.close()
    finally:
        ctrl_c.cancel()
        signal.signal(signal.SIGINT, previous)
    assert is_gone(adapter_pid)  # in a session of its own, it never saw the Ctrl-C


def test_an_adapter_that_closes_stdout_and_keeps_running_fails_the_request():
    with AdapterProcess(breaking("closes-stdout"), start_timeout=10) as adapter:
        adapter.start()
        with pytest.raises(AdapterFailure) as failure:
            ask(adapter)
    assert str(failure.value) == ("the adapter closed its stdout without replying but did not exit within 1 s; "
                                  "it was stopped")


@posix_only
def test_an_adapter_that_closes_stdout_before_hello_fails_its_start_in_the_report(tmp_path, capsys):
    status = main(["certify", "--adapter", "sh -c 'exec >&-; exec sleep 30'", "--plans", "balance",
                   "--report", str(tmp_path)])
    printed = capsys.readouterr().out
    assert status == 1
    assert ("FAIL adapter     the adapter closed its stdout before it answered hello but did not exit within 1 s; "
            "it was stopped") in printed
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["adapterStart"]["status"] == FAILED and data["results"] == []


def test_the_reference_adapter_echoes_every_id_as_it_was_sent():
    ids = ["7", "12345678901234567", "123456789012345678901234567890", "1.50", "1E+400", '"søren"', "null"]
    lines = "".join(f'{{"id": {id_json}, "op": "hello"}}\n' for id_json in ids)
    result = subprocess.run([sys.executable, "-m", "mockbank.adapters.reference"], input=lines.encode("utf-8"),
                            capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    echoed = [line.split(b',"ok":', 1)[0].removeprefix(b'{"id":').decode("utf-8")
              for line in result.stdout.splitlines()]
    assert echoed == ids
