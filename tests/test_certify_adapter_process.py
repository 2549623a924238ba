"""How certify runs the adapter process and reads its replies: bytes that are not UTF-8, wrappers that start
children, an adapter that closes stdout, replies that cannot be read or answer another request.

The adapters here (tests/protocol_breaking_adapter.py) call no bank, so most tests need no emulator.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from mockbank.contract_tests.adapter import AdapterFailure, AdapterProcess

ADAPTER = Path(__file__).parent / "protocol_breaking_adapter.py"
CREDENTIALS = {"serviceProvider": "MockERP", "apiKey": "k", "account": "52470004471238", "integrationCode": "c"}


def breaking(mode: str, argument: str = "") -> str:
    return f'"{sys.executable}" "{ADAPTER}" {mode} {argument}'.strip()


def ask(adapter: AdapterProcess, op: str = "balance") -> dict:
    return adapter.request(op, {"requestId": "REQ_1"}, base_url="http://127.0.0.1:9", credentials=CREDENTIALS,
                           timeout_ms=100)


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

