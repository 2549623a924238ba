"""The Node.js template adapter (adapters/node/adapter.mjs) driven through the adapter protocol.

The emulator's journal judges what the adapter sent (every signature verdict must be ok), the
replies are compared with what the emulator answered, and injected faults must come back as the
right error kinds.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mockbank.testing import Emulator

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not on PATH")

ADAPTER = Path(__file__).resolve().parent.parent / "adapters" / "node" / "adapter.mjs"
BANK_NOW = "2026-11-24T10:00:00"
TODAY = BANK_NOW[:10]
OTHER_API_KEY = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"  # a valid GUID, but not the ERP's key

TRANSACTIONS = [
    {"paymentId": "NODE_P1", "paymentDate": TODAY, "amount": 154.5, "currency": "DKK",
     "account": "80790000820049", "text": "Faktura 1", "creditor": {"name": "BankIntegration ApS"}},
    {"paymentId": "NODE_P2", "paymentDate": TODAY, "amount": "217.50", "currency": "DKK",
     "account": "80790000820064", "text": "Faktura 2", "creditor": {"name": "Peter Hansen"}},
]


@pytest.fixture(scope="module")
def bank():
    with Emulator(clock=BANK_NOW, frozen_clock=True) as emulator:
        yield emulator


class Adapter:
    """The adapter process: one JSON line in, one JSON line out."""

    def __init__(self, bank: Emulator):
        self.bank = bank
        self.credentials = bank.credentials[0].to_json()
        self.next_id = 0
        self.process = subprocess.Popen([NODE, str(ADAPTER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True, bufsize=1, encoding="utf-8")

    def send_line(self, line: str) -> dict:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        reply = self.process.stdout.readline()
        assert reply, "the adapter closed stdout"
        return json.loads(reply)

    def call(self, op: str, params: dict, *, base_url: str | None = None, credentials: dict | None = None,
             **extra) -> dict:
        self.next_id += 1
        request = {"id": self.next_id, "op": op, "baseUrl": base_url or self.bank.url,
                   "credentials": credentials or self.credentials, "params": params, **extra}
        reply = self.send_line(json.dumps(request, ensure_ascii=False))
        assert reply["id"] == self.next_id
        return reply

    def close(self) -> int:
        self.process.stdin.close()
        return self.process.wait(timeout=5)


@pytest.fixture(scope="module")
def adapter(bank):
    process = Adapter(bank)
    yield process
    if process.process.poll() is None:
        process.process.kill()
        process.process.wait()


def last_entry(bank: Emulator) -> dict:
    return bank.journal()[-1]


def test_every_op_is_signed_right_and_reports_the_emulators_answer(bank, adapter):
    bank.reset()
    sent = []  # (reply, journal entry) per request

    def call(op, params, **extra):
        reply = adapter.call(op, params, **extra)
        assert reply["ok"] is True, reply
        entry = last_entry(bank)
        assert entry["response"] == reply["result"]  # the adapter reports what the emulator answered
        sent.append((reply, entry))
        return reply["result"], entry

    paid, entry = call("pay", {"requestId": "NODE_R1", "transactions": TRANSACTIONS})
    assert (entry["method"], entry["path"]) == ("POST", "/payment")
    # The journal keeps each amount as sent: a JSON number stays a number, a numeric string a string.
    assert entry["body"] == {"requestId": "NODE_R1", "transactions": TRANSACTIONS}
    assert [a["paymentId"] for a in paid["answers"]] == ["NODE_P1", "NODE_P2"]
    trans_id = paid["answers"][0]["transId"]

    status, entry = call("status", {"requestId": "NODE_R2", "paymentIds": ["NODE_P1", "NODE_P2"]})
    assert entry["body"] == {"requestId": "NODE_R2", "paymentIds": ["NODE_P1", "NODE_P2"]}
    assert {a["paymentId"] for a in status["answers"]} == {"NODE_P1", "NODE_P2"}

    by_trans, entry = call("payment", {"requestId": "NODE_R3", "transId": trans_id})
    assert (entry["method"], entry["path"]) == ("GET", f"/payment/{trans_id}")
    assert {a["paymentId"] for a in by_trans["answers"]} == {"NODE_P1", "NODE_P2"}

    simple, entry = call("statement", {"requestId": "NODE_R4", "type": "Simple"})
    assert entry["query"] == {"requestId": "NODE_R4", "type": "Simple"}
    assert simple["requestId"] == "NODE_R4" and isinstance(simple["entries"], list)

    period, entry = call("statement", {"requestId": "NODE_R5", "from": "2026-11-20", "to": TODAY})
    assert entry["query"] == {"requestId": "NODE_R5", "from": "2026-11-20", "to": TODAY}
    assert period["from"].startswith("2026-11-20")

    # A non-ASCII integration code ("Demo-Løn-2026"): the token is SHA-256 of its UTF-8 bytes.
    call("statement", {"requestId": "NODE_R6"}, credentials=bank.credentials[1].to_json())

    balance, entry = call("balance", {"requestId": "NODE_R7", "type": 3, "from": TODAY, "to": TODAY})
    assert entry["query"] == {"requestId": "NODE_R7", "type": "3", "from": TODAY, "to": TODAY}
    assert balance["entries"]

    cancelled, entry = call("cancel", {"requestId": "NODE_R8", "paymentIds": ["NODE_P2"]})
    assert (entry["path"], entry["body"]) == ("/payment/cancel", {"requestId": "NODE_R8", "paymentIds": ["NODE_P2"]})
    assert [a["paymentId"] for a in cancelled["answers"]] == ["NODE_P2"]

    journal = bank.journal()
    assert len(journal) == len(sent) == 8
    assert [entry["verdict"] for entry in journal] == [{"ok": True}] * 8


def error_of(reply: dict) -> dict:
    assert reply["ok"] is False, reply
    return reply["error"]


def test_faults_come_back_as_error_kinds(bank, adapter):
    bank.reset()
    bank.inject_fault(path="/status", status=503)
    error = error_of(adapter.call("status", {"requestId": "NODE_E1"}))
    assert (error["kind"], error["httpStatus"]) == ("server-error", 503)

    wrong = dict(adapter.credentials, apiKey=OTHER_API_KEY)
    error = error_of(adapter.call("statement", {"requestId": "NODE_E2"}, credentials=wrong))
    assert (error["kind"], error["httpStatus"]) == ("unauthorized", 401)
    assert error["message"]

    bank.inject_fault(path="/payment/cancel", drop=True)
    error = error_of(adapter.call("cancel", {"requestId": "NODE_E3", "paymentIds": ["NODE_X"]}))
    assert (error["kind"], error["httpStatus"]) == ("connection", None)

    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        refused_url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    error = error_of(adapter.call("balance", {"requestId": "NODE_E4"}, base_url=refused_url))
    assert error["kind"] == "connection"

    bank.inject_fault(path="/report/balance", delayMs=1500)
    error = error_of(adapter.call("balance", {"requestId": "NODE_E5"}, timeoutMs=300))
    assert (error["kind"], error["httpStatus"]) == ("timeout", None)

    # The adapter goes on after each error: the next request is fine again.
    assert adapter.call("status", {"requestId": "NODE_E6"})["ok"] is True


def test_hello_names_every_operation(adapter):
    reply = adapter.send_line('{"id": 0, "op": "hello"}')
    assert reply["id"] == 0 and reply["ok"] is True
    assert reply["result"]["ops"] == ["pay", "status", "payment", "statement", "balance", "cancel"]
    assert reply["result"]["name"] and reply["result"]["version"]


def test_unusable_requests_are_bad_requests(adapter):
    for line in ("this is not json", "[1, 2]", '"text"'):
        reply = adapter.send_line(line)
        assert reply["id"] is None and error_of(reply)["kind"] == "bad-request"
    assert error_of(adapter.call("refund", {"requestId": "NODE_U1"}))["kind"] == "bad-request"
    assert error_of(adapter.call("pay", {"requestId": "NODE_U2", "transactions": []}))["kind"] == "bad-request"
    bad_key = dict(adapter.credentials, apiKey="not-a-guid")
    assert error_of(adapter.call("status", {"requestId": "NODE_U3"}, credentials=bad_key))["kind"] == "bad-request"


class _Stub(BaseHTTPRequestHandler):
    """Answers every request with the (status, body) of the path it asks for."""

    answers = {
        "/status": (200, b"<html>not json</html>"),
        "/report/account": (200, b'{"requestId": "SOMEONE_ELSE"}'),
        "/report/balance": (200, b"[]"),
        "/payment/cancel": (204, b""),
    }

    def _answer(self):
        status, body = self.answers[self.path.split("?")[0]]
        self.send_response(status)
        if body:
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


def test_odd_answers(adapter):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        for op in ("status", "statement", "balance"):
            error = error_of(adapter.call(op, {"requestId": "NODE_O1"}, base_url=url))
            assert (error["kind"], error["httpStatus"]) == ("invalid-response", 200), op
        reply = adapter.call("cancel", {"requestId": "NODE_O2", "paymentIds": ["P"]}, base_url=url)
        assert reply == {"id": adapter.next_id, "ok": True, "result": {}}
    finally:
        server.shutdown()
        server.server_close()


def test_exits_when_stdin_closes(adapter):
    assert adapter.close() == 0
