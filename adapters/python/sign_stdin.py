"""sign.sh's worker: read one request as JSON on stdin, print the Authorization header bankintegration_signer.py makes.

Input: {"serviceProvider", "apiKey", "account", "integrationCode", "requestId", "time", "transactions"?},
time as UTC yyyy-MM-ddTHH:mm:ss, transactions as in a POST /payment body. Errors: one line on stderr, exit 1.
"""

import json
import sys
from datetime import datetime
from decimal import Decimal

from bankintegration_signer import Credentials, authorization_header


def fail(message: str) -> None:
    sys.exit(f"sign.sh: {message}")


try:
    request = json.loads(sys.stdin.read(), parse_float=Decimal)
except json.JSONDecodeError as error:
    fail(f"stdin is not JSON: {error.msg} at line {error.lineno} column {error.colno}")
if not isinstance(request, dict):
    fail("stdin must hold one JSON object")
missing = [name for name in ("serviceProvider", "apiKey", "account", "integrationCode", "requestId", "time")
           if not isinstance(request.get(name), str) or not request[name]]
if missing:
    fail("missing or not a text: " + ", ".join(missing))
try:
    time = datetime.strptime(request["time"], "%Y-%m-%dT%H:%M:%S")
except ValueError:
    fail(f"time: {request['time']!r} is not yyyy-MM-ddTHH:mm:ss")
transactions = request.get("transactions") or []
if not isinstance(transactions, list) or not all(isinstance(t, dict) for t in transactions):
    fail("transactions must be a list of objects")
for index, transaction in enumerate(transactions):
    absent = [name for name in ("paymentId", "paymentDate", "amount", "currency", "account") if name not in transaction]
    if absent:
        fail(f"transactions[{index}] lacks " + ", ".join(absent))
credentials = Credentials(request["serviceProvider"], request["apiKey"], request["account"], request["integrationCode"])
try:
    print(authorization_header(credentials, request["requestId"], transactions=transactions, time=time))
except ValueError as error:
    fail(str(error))
