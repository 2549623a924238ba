"""The reference client behind the adapter protocol: ``python -m mockbank.adapters.reference``.

It must pass every test plan of ``mockbank certify``; the mutants in ``tests/mutants`` are this
adapter with one bug each.
"""

from __future__ import annotations

from typing import Any

from mockbank import __version__, signing
from mockbank import client as bi
from mockbank.adapters import writeback
from mockbank.adapters.protocol import AdapterError, hello_result, serve

DEFAULT_TIMEOUT_MS = 10_000


def make_client(request: dict[str, Any]) -> bi.BankIntegrationClient:
    """The reference client for one adapter request (its base URL, credentials and timeout)."""
    return bi.BankIntegrationClient(request["baseUrl"], signing.Credentials.from_json(request["credentials"]),
                                    timeout=request.get("timeoutMs", DEFAULT_TIMEOUT_MS) / 1000)


def call(client: bi.BankIntegrationClient, op: str,
         params: dict[str, Any]) -> bi.PaymentsResult | bi.Statement | bi.Balance:
    """Run one operation; returns the client's typed result."""
    request_id = params.get("requestId")
    if op == "pay":
        return client.pay(params["transactions"], options=params.get("options"), request_id=request_id)
    if op == "status":
        return client.status(params.get("paymentIds"), request_id=request_id)
    if op == "payment":
        return client.payment(params["transId"], request_id=request_id)
    if op == "statement":
        return client.statement(type=params.get("type", "Simple"), from_=params.get("from"), to=params.get("to"),
                                request_id=request_id)
    if op == "balance":
        return client.balance(type=int(params.get("type", 3)), from_=params.get("from"), to=params.get("to"),
                              request_id=request_id)
    if op == "cancel":
        return client.cancel(params["paymentIds"], request_id=request_id)
    raise AdapterError("bad-request", f"unknown op {op!r}")


def handle(request: dict[str, Any]) -> Any:
    """Answer one adapter request with the client's result written back as the API's JSON, or raise the
    client's error as an AdapterError."""
    with make_client(request) as client:
        try:
            return writeback.result_json(call(client, request["op"], request.get("params") or {}))
        except bi.BankIntegrationError as error:
            raise AdapterError(error.kind, error.message, error.http_status) from None


def main() -> None:
    serve(handle, hello=hello_result("mockbank reference client (Python)", __version__))


if __name__ == "__main__":
    main()
