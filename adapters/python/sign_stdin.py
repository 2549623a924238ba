"""sign.sh's worker: read one request as JSON on stdin, print the Authorization header bankintegration_signer.py makes.

Input: {"serviceProvider", "apiKey", "account", "integrationCode", "requestId", "time", "transactions"?},
time as UTC yyyy-MM-ddTHH:mm:ss, transactions as in a POST /payment body. Errors: one line on stderr, exit 1.
"""

import json
import re
import sys
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NoReturn

from bankintegration_signer import Credentials, authorization_header, format_amount

TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def fail(message: str) -> NoReturn:
    sys.exit(f"sign.sh: {message}")


def refuse_constant(name: str) -> NoReturn:
    fail(f"stdin is not JSON: {name} is not a JSON value")


def read_request() -> dict:
    try:
        text = sys.stdin.buffer.read().decode("utf-8")
    except UnicodeDecodeError as error:
        fail(f"stdin is not UTF-8 text (byte {error.start})")
    try:
        request = json.loads(text, parse_float=Decimal, parse_constant=refuse_constant)
    except json.JSONDecodeError as error:
        fail(f"stdin is not JSON: {error.msg} at line {error.lineno} column {error.colno}")
    if not isinstance(request, dict):
        fail("stdin must hold one JSON object")
    return request


def text(value: Any, where: str, *, empty: bool = True) -> str:
    """``value`` if it is a string of Unicode text (empty only when ``empty``); else a one-line failure."""
    if not isinstance(value, str):
        fail(f"{where} must be a string" + (" (it is missing)" if value is None else ""))
    if not value and not empty:
        fail(f"{where} must not be empty")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        fail(f"{where} holds a lone surrogate escape (\\ud800-\\udfff), which is not Unicode text")
    return value


def moment(value: Any) -> datetime:
    written = text(value, "time")
    try:
        if TIME.fullmatch(written):
            return datetime.strptime(written, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        pass
    fail(f"time {written[:40]!r} is not a real UTC time written yyyy-MM-ddTHH:mm:ss")


def transaction(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        fail(f"{where} must be an object")
    text(value.get("paymentId"), f"{where}.paymentId", empty=False)
    payment_date = text(value.get("paymentDate"), f"{where}.paymentDate")
    try:
        if not DATE.fullmatch(payment_date):
            raise ValueError
        date.fromisoformat(payment_date)
    except ValueError:
        fail(f"{where}.paymentDate {payment_date[:40]!r} is not a real date written yyyy-MM-dd")
    try:
        format_amount(value.get("amount"))
    except ValueError as error:
        fail(f"{where}.amount: {error}")
    text(value.get("currency"), f"{where}.currency")
    text(value.get("account"), f"{where}.account")
    return value


def main() -> None:
    request = read_request()
    credentials = Credentials(*(text(request.get(name), name)
                                for name in ("serviceProvider", "apiKey", "account", "integrationCode")))
    request_id = text(request.get("requestId"), "requestId", empty=False)
    time = moment(request.get("time"))
    transactions = request.get("transactions")
    if transactions is not None:
        if not isinstance(transactions, list):
            fail("transactions must be a list of objects")
        transactions = [transaction(item, f"transactions[{index}]") for index, item in enumerate(transactions)]
    try:
        print(authorization_header(credentials, request_id, transactions=transactions, time=time))
    except ValueError as error:
        fail(str(error))


main()
