"""A small BankIntegration client on bankintegration_signer.py and requests, behind the certification protocol.

    mockbank certify --adapter "python3 adapters/python/adapter.py"      (or ./certify.sh)

The kit writes one JSON request per line to stdin and reads exactly one JSON reply per line from
stdout; logs go to stderr. Parts: 1. HTTP  2. the API operations  3. the stdin/stdout loop.
To certify your own client, keep part 3 and make OPERATIONS (part 2) call your client.
Needs only ``requests`` besides the standard library; it does not import mockbank.
"""

from __future__ import annotations

import json
import re
import sys
from decimal import Decimal
from typing import Any, Callable

import requests

from bankintegration_signer import Credentials, authorization_header, format_amount

NAME, VERSION = "mockbank Python kit adapter", "1.0"
DEFAULT_TIMEOUT_MS = 10_000


class ClientError(Exception):
    """A failure the kit understands: kind is one of unauthorized, bad-request, server-error, timeout,
    connection, invalid-response; http_status is the HTTP status or None."""

    def __init__(self, kind: str, http_status: int | None, message: str):
        super().__init__(message)
        self.kind, self.http_status, self.message = kind, http_status, message


# ---------------------------------------------------------------- 1. HTTP


def _wire(value: Any) -> Any:
    """JSON for the wire: Decimal amounts become JSON numbers (floats hold two decimals exactly enough)."""
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


def _error_detail(response: requests.Response) -> str:
    """A short explanation from an error body: the emulator's 401 diagnosis, a message, or an excerpt."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200]
    diagnosis = body.get("diagnosis") if isinstance(body, dict) else None
    if isinstance(diagnosis, dict) and (diagnosis.get("cause") or diagnosis.get("message")):
        return ": ".join(str(part) for part in (diagnosis.get("cause"), diagnosis.get("message")) if part)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return response.text.strip()[:200]


def call_api(request: dict[str, Any], method: str, path: str, *, query: dict[str, Any] | None = None,
             body: dict[str, Any] | None = None, transactions: list[dict[str, Any]] | None = None) -> Any:
    """Sign, send and check one API call; returns the parsed JSON answer or raises ClientError."""
    request_id = request["params"].get("requestId")
    if not isinstance(request_id, str) or not request_id:
        raise ClientError("bad-request", None, "params.requestId is required")
    creds = request.get("credentials") or {}
    try:
        credentials = Credentials(creds["serviceProvider"], creds["apiKey"], creds["account"], creds["integrationCode"])
        header = authorization_header(credentials, request_id, transactions=transactions)
    except KeyError as error:
        raise ClientError("bad-request", None, f"cannot sign: the credentials or a transaction lack {error}") from None
    except (TypeError, ValueError, ArithmeticError) as error:
        raise ClientError("bad-request", None, f"cannot sign: {error}") from None
    timeout_ms = request.get("timeoutMs") if isinstance(request.get("timeoutMs"), int) else DEFAULT_TIMEOUT_MS
    url = str(request["baseUrl"]).rstrip("/") + path
    data = None if body is None else json.dumps(body, default=_wire, ensure_ascii=False).encode("utf-8")
    headers = {"Accept": "application/json", "Authorization": header}
    if data is not None:
        headers["Content-Type"] = "application/json; charset=utf-8"
    try:
        response = requests.request(method, url, params=query, data=data, headers=headers,
                                    timeout=timeout_ms / 1000)
    except requests.Timeout:
        raise ClientError("timeout", None, f"{method} {path}: no answer within {timeout_ms} ms") from None
    except requests.RequestException as error:
        raise ClientError("connection", None, f"{method} {path}: {error}") from None

    what = f"{method} {path}: HTTP {response.status_code} {response.reason or ''}".strip()
    text = response.content.decode("utf-8-sig", errors="replace")
    if response.status_code == 204 or (response.status_code in (201, 202) and not text.strip()):
        return {}
    if response.status_code in (200, 201, 202):
        try:
            parsed = json.loads(text)
        except ValueError:
            raise ClientError("invalid-response", response.status_code, f"{what}: the body is not JSON") from None
        if not isinstance(parsed, dict):
            raise ClientError("invalid-response", response.status_code, f"{what}: the body is not a JSON object")
        if parsed.get("requestId") != request_id:
            raise ClientError("invalid-response", response.status_code,
                              f"{what}: requestId {parsed.get('requestId')!r} differs from {request_id!r}")
        return parsed
    message = f"{what}: {_error_detail(response)}".rstrip(": ")
    if response.status_code == 401:
        raise ClientError("unauthorized", 401, message)
    if 400 <= response.status_code < 500:
        raise ClientError("bad-request", response.status_code, message)
    if 500 <= response.status_code < 600:
        raise ClientError("server-error", response.status_code, message)
    raise ClientError("invalid-response", response.status_code, f"{what}: unexpected status")


# ---------------------------------------------------------------- 2. the API operations


def _given(**values: Any) -> dict[str, Any]:
    """Only the parameters that were given (None is left out)."""
    return {name: value for name, value in values.items() if value is not None}


def check_transactions(transactions: Any) -> None:
    """Refuse (bad-request, naming the field) transactions the signer cannot sign: not objects, or an amount that
    is not a number or numeric string it can write with two decimals ("abc", true, null, 1e30)."""
    if not isinstance(transactions, list) or not transactions:
        raise ClientError("bad-request", None, "params.transactions must be a non-empty list")
    for index, transaction in enumerate(transactions):
        where = f"params.transactions[{index}]"
        if not isinstance(transaction, dict):
            raise ClientError("bad-request", None, f"{where} must be an object")
        amount = transaction.get("amount")
        try:
            format_amount(amount)
        except (ArithmeticError, TypeError, ValueError):  # decimal.InvalidOperation is an ArithmeticError
            shown = str(amount) if isinstance(amount, Decimal) else json.dumps(amount, ensure_ascii=False)
            raise ClientError("bad-request", None, f"{where}.amount must be a number the signer can write with two "
                                                   f"decimals, like 154.50 or \"154.50\"; it is {shown}") from None


def pay(r: dict[str, Any]) -> Any:
    params = r["params"]
    transactions = params.get("transactions")
    check_transactions(transactions)
    body = _given(requestId=params["requestId"], transactions=transactions, options=params.get("options"))
    return call_api(r, "POST", "/payment", body=body, transactions=transactions)


def report_query(params: dict[str, Any]) -> dict[str, Any]:
    """The query of the two reports: requestId plus type/from/to when given."""
    return _given(requestId=params.get("requestId"), type=params.get("type"), **{"from": params.get("from")},
                  to=params.get("to"))


#: One function per adapter op: request -> the answer's body. Wrapping your own client? Call it here.
OPERATIONS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "pay": pay,
    "status": lambda r: call_api(r, "POST", "/status", body=_given(requestId=r["params"].get("requestId"),
                                                                   paymentIds=r["params"].get("paymentIds"))),
    "payment": lambda r: call_api(r, "GET", "/payment/" + requests.utils.quote(str(r["params"].get("transId", "")),
                                                                                safe=""),
                                  query={"requestId": r["params"].get("requestId")}),
    "statement": lambda r: call_api(r, "GET", "/report/account", query=report_query(r["params"])),
    "balance": lambda r: call_api(r, "GET", "/report/balance", query=report_query(r["params"])),
    "cancel": lambda r: call_api(r, "POST", "/payment/cancel", body={"requestId": r["params"].get("requestId"),
                                                                     "paymentIds": r["params"].get("paymentIds")}),
}


# ---------------------------------------------------------------- 3. the stdin/stdout loop


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_SPACE = re.compile(r"[ \t\n\r]*")
_RAW_DECODE = json.JSONDecoder().raw_decode


def id_json(line: str) -> str:
    """The JSON text of the top-level "id" of a request line (one JSON object), as sent; "null" when it has none.

    Replies echo this text, so the kit gets back exactly the id it sent, whatever the number (a float cannot
    hold 0.1000000000000000000001, and 1e400 has no float at all).
    """
    found, index = "null", line.index("{") + 1
    while True:
        index = _SPACE.match(line, index).end()
        if line[index] == "}":
            return found
        key, index = _RAW_DECODE(line, index)
        start = _SPACE.match(line, _SPACE.match(line, index).end() + 1).end()  # past the ':'
        _, index = _RAW_DECODE(line, start)
        if key == "id":
            found = line[start:index]  # the last one counts, as in json.loads
        index = _SPACE.match(line, index).end()
        if line[index] == "}":
            return found
        index += 1  # past the ','


def handle(line: str) -> tuple[str, dict[str, Any]]:
    """The reply to one request line: the id's JSON text and the rest of the reply; never raises."""
    try:
        request = json.loads(line, parse_float=Decimal, parse_constant=_refuse_constant)
    except ValueError:
        request = None
    if not isinstance(request, dict):
        return "null", {"ok": False, "error": {"kind": "bad-request", "httpStatus": None,
                                               "message": "the request line is not a JSON object"}}
    request_id = id_json(line)
    if request.get("op") == "hello":
        return request_id, {"ok": True, "result": {"ops": list(OPERATIONS), "name": NAME, "version": VERSION}}
    try:
        operation = OPERATIONS.get(request.get("op"))
        if operation is None:
            raise ClientError("bad-request", None, f"unknown op {request.get('op')!r}")
        if not isinstance(request.get("params"), dict):
            request["params"] = {}
        return request_id, {"ok": True, "result": operation(request)}
    except ClientError as error:
        return request_id, {"ok": False,
                            "error": {"kind": error.kind, "httpStatus": error.http_status, "message": error.message}}
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:  # params the client cannot use
        return request_id, {"ok": False, "error": {"kind": "bad-request", "httpStatus": None,
                                                   "message": f"{type(error).__name__}: {error}"}}


def reply_line(request_id: str, reply: dict[str, Any]) -> str:
    """One reply as a JSON line: {"id": <the request's id as sent>, "ok": ..., ...}."""
    return '{"id": ' + request_id + ", " + json.dumps(reply, default=_wire, ensure_ascii=False)[1:] + "\n"


def main() -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        request_id, reply = handle(line)
        sys.stdout.write(reply_line(request_id, reply))
        sys.stdout.flush()
        outcome = "ok" if reply["ok"] else reply["error"]["kind"]
        print(f"[python-adapter] #{request_id} {outcome}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
