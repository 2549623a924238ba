"""Every language kit's sign.sh against the reference signer, mockbank.signing.

On each input of EDGES (amounts to round, big and negative amounts, numeric strings, Danish and control
characters, API key spellings, extreme times) every sign.sh prints exactly the header the reference makes
of the same JSON as the bank reads it. Each input of INVALID (not a number, a rolled-over time, an empty
id, transactions that are not a list of objects, ...) every sign.sh refuses with one line on stderr and a
non-zero exit. A kit whose tools are missing is skipped here, and fails when CI=true.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from mockbank import signing, strictjson
from test_language_kits import KIT_PARAMS, MOCKBANK, SCRIPT_TIMEOUT, kit_settings

pytestmark = pytest.mark.slow  # the kits' real toolchains (`pytest --all` and CI run them)

REQUEST = {"serviceProvider": "MyERP", "apiKey": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "account": "52470021527478",
           "integrationCode": "TestKode123", "requestId": "REQ_01", "time": "2015-05-21T10:45:23"}
TRANSACTION = {"paymentId": "PAY_01", "paymentDate": "2015-04-15", "amount": 154, "currency": "DKK",
               "account": "80790000820049"}
LEFT_OUT = object()


def request(**fields) -> str:
    """REQUEST as JSON text with some fields replaced (LEFT_OUT removes one)."""
    values = {name: value for name, value in {**REQUEST, **fields}.items() if value is not LEFT_OUT}
    return json.dumps(values, ensure_ascii=False)


def payment(**fields) -> str:
    """A POST /payment request of one transaction, TRANSACTION with some fields replaced."""
    values = {name: value for name, value in {**TRANSACTION, **fields}.items() if value is not LEFT_OUT}
    return request(transactions=[values])


def escaped(text: str) -> str:
    """The JSON text with every character beyond ASCII written as a \\u escape (a lone surrogate too)."""
    return json.dumps(json.loads(text))


def amount(written: str) -> str:
    """A payment whose amount is the JSON text ``written`` as it stands (1e21, -0.0, 999999999999999.99)."""
    return payment(amount="AMOUNT").replace('"AMOUNT"', written)


EDGES = {
    **{f"amount {written}": amount(written) for written in (
        "0.1", "100", "1E2", "100.50", "-154.5", "2.675", "1.005", "0.285", "0.015", "0.005", "1e-7", "-0.001",
        "-0.005", "-0", "-0.0", "123456789012.345", "999999999999999.99", "12345678901234567890", "1e21",
        "99999999999999999999999999.99", '"154.00"', '"-217.5"', '"0.015"', '"007.5"')},
    "Danish letters everywhere": json.dumps(
        {**REQUEST, "serviceProvider": "Bøf & Æble ERP", "integrationCode": "Kode-æøåÆØÅ", "requestId": "REQ_ÆØÅ",
         "transactions": [{**TRANSACTION, "paymentId": "BETALING_ÆØÅ_1", "account": "+71<000000012345678+87654321<",
                           "currency": "EUR"}]}, ensure_ascii=False),
    "letters written as \\u escapes": json.dumps({**REQUEST, "requestId": "Ræ",
                                                  "transactions": [{**TRANSACTION, "paymentId": "Pø"}]}),
    "quote, backslash, slash and <>&'": payment(paymentId='P/"\\<>&\'', account='80/"\\1'),
    "control characters, DEL and U+0085": request(requestId="R\u0001\u001f\t\n\r\b\f\u007f\u0085"),
    "U+2028 and U+2029": request(requestId="R\u2028\u2029"),
    "an emoji beyond the BMP": request(requestId="R😀", integrationCode="😀"),
    "300 transactions": request(transactions=[{**TRANSACTION, "paymentId": f"PAY_{index}", "amount": index / 8}
                                              for index in range(300)]),
    "blanks around the serviceProvider": request(serviceProvider="  My ERP  "),
    "empty serviceProvider, account and integrationCode": request(serviceProvider="", account="", integrationCode=""),
    "transactions null": request(transactions=None),
    "transaction fields nobody signs": payment(text="Tekst på", urgency=1, creditorMessage=["a"], creditor={}),
    "empty currency and creditor account": payment(currency="", account=""),
    "API key N spelling": request(apiKey="3f2504e04f8911d39a0c0305e82c3301"),
    "API key B spelling": request(apiKey="{3f2504e0-4f89-11d3-9a0c-0305e82c3301}"),
    "API key P spelling": request(apiKey="(3f2504e0-4f89-11d3-9a0c-0305e82c3301)"),
    "API key upper case with blanks around": request(apiKey=" 3F2504E0-4F89-11D3-9A0C-0305E82C3301 "),
    "the last second of year 9999": request(time="9999-12-31T23:59:59"),
    "a leap day": payment(paymentDate="2016-02-29"),
}

INVALID = {
    "empty stdin": "",
    "not JSON": "hello",
    "a list": "[1]",
    "null": "null",
    "a byte order mark first": "\ufeff" + request(),
    "text after the object": request() + " x",
    "two objects": request() + request(),
    "bytes that are not UTF-8": request(requestId="R\udcff").encode("utf-8", "surrogateescape"),
    "serviceProvider missing": request(serviceProvider=LEFT_OUT),
    "account a number": request(account=52470021527478),
    "integrationCode null": request(integrationCode=None),
    "requestId missing": request(requestId=LEFT_OUT),
    "requestId with a lone surrogate": escaped(request(requestId="R\ud800")),
    **{f"apiKey {key!r}": request(apiKey=key) for key in (
        "not-a-guid", "", "urn:uuid:3f2504e0-4f89-11d3-9a0c-0305e82c3301", "{3f2504e04f8911d39a0c0305e82c3301}",
        "{3f2504e0-4f89-11d3-9a0c-0305e82c3301)")},
    **{f"requestId {value!r}": request(requestId=value) for value in ("", 5)},
    **{f"time {value!r}": request(time=value) for value in (
        "2015-05-21T10:45", "2015-05-21T10:45:23.5", "2015-05-21T10:45:23Z", "2015-05-21 10:45:23",
        "2015-05-21t10:45:23", "2015-02-30T10:45:23", "2015-05-21T24:00:00", "2015-06-30T23:59:60",
        "0000-01-01T00:00:00", "2015-5-21T10:45:23", 1432205123)},
    **{f"transactions {value!r}": request(transactions=value) for value in ({}, 0, "PAY_01", ["x"], [5], [None], [[]])},
    **{f"{name} missing": payment(**{name: LEFT_OUT}) for name in ("paymentId", "paymentDate", "amount", "account")},
    **{f"paymentId {value!r}": payment(paymentId=value) for value in ("", 12)},
    "paymentId with a lone surrogate": escaped(payment(paymentId="P\udc00")),
    **{f"paymentDate {value!r}": payment(paymentDate=value) for value in (
        "2015-4-15", "20150415", "2015-02-30", "0000-01-01")},
    **{f"amount {value!r}": payment(amount=value) for value in (True, None, {}, [154], "1,5", "abc", "1e5", " 154")},
    **{f"amount {written}": amount(written) for written in ("NaN", "1e30", "1e300", "99999999999999999999999999.995")},
    "currency a number": payment(currency=208),
}


def reference_header(text: str) -> str:
    """The header mockbank.signing makes of the request, read as the bank reads JSON (numbers exact)."""
    given = strictjson.loads(text)
    credentials = signing.Credentials.from_json(given)
    moment = datetime.strptime(given["time"], signing.AUTH_TIME_FORMAT)
    return signing.sign(credentials, given["requestId"], time=moment, transactions=given.get("transactions")).header


def sign(folder: Path, stdin: str | bytes, cwd: Path) -> subprocess.CompletedProcess:
    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    try:
        return subprocess.run(["bash", str(folder / "sign.sh")], input=data, capture_output=True, cwd=cwd,
                              env={**os.environ, "MOCKBANK": str(MOCKBANK)}, timeout=SCRIPT_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{folder.name}/sign.sh did not finish within {SCRIPT_TIMEOUT} s")


def ready(folder: Path, cwd: Path) -> None:
    """The kit's tools are there and its programs built (a build writes to stderr, which must hold one line)."""
    kit_settings(folder)
    if (folder / "build.sh").exists():
        built = subprocess.run(["bash", str(folder / "build.sh")], capture_output=True, text=True, cwd=cwd,
                               stdin=subprocess.DEVNULL, timeout=SCRIPT_TIMEOUT)
        assert built.returncode == 0, f"{folder.name}/build.sh failed:\n{built.stderr[-3000:]}"


def wrong_answers(folder: Path, cwd: Path, table: dict, judge) -> list[str]:
    """Each input of the table on which sign.sh answers what ``judge(stdin, done)`` finds wrong (a reason or None)."""
    ready(folder, cwd)
    answers = ((name, judge(stdin, sign(folder, stdin, cwd))) for name, stdin in table.items())
    return [f"{name}: {reason}" for name, reason in answers if reason]


def differs_from_the_reference(stdin: str, done: subprocess.CompletedProcess) -> str | None:
    printed = done.stdout.decode("utf-8", "replace").strip("\r\n")
    if done.returncode == 0 and printed == reference_header(stdin):
        return None
    return f"exit {done.returncode}, {printed or done.stderr.decode('utf-8', 'replace')!r}"


def not_refused_in_one_line(stdin: str | bytes, done: subprocess.CompletedProcess) -> str | None:
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    if done.returncode != 0 and not done.stdout.strip() and len(lines) == 1:
        return None
    return f"exit {done.returncode}, stdout {done.stdout[:60]!r}, stderr {lines[:3]}"


@pytest.mark.parametrize("folder", KIT_PARAMS)
def test_sign_sh_prints_what_the_reference_signs(folder, tmp_path):
    wrong = wrong_answers(folder, tmp_path, EDGES, differs_from_the_reference)
    assert not wrong, f"{folder.name}/sign.sh differs from mockbank.signing on:\n" + "\n".join(wrong)


@pytest.mark.parametrize("folder", KIT_PARAMS)
def test_sign_sh_refuses_invalid_input_in_one_line(folder, tmp_path):
    wrong = wrong_answers(folder, tmp_path, INVALID, not_refused_in_one_line)
    assert not wrong, f"{folder.name}/sign.sh does not refuse in one line:\n" + "\n".join(wrong)


def test_the_edge_inputs_are_ones_the_reference_signs():
    """The EDGES table holds only inputs the reference signs, and the amounts as the bank reads them."""
    assert reference_header(amount("-0.0")) != reference_header(amount("0.0"))
    assert reference_header(amount("-0")) == reference_header(amount("0"))
    for text in EDGES.values():
        assert reference_header(text).startswith("Basic ")


#: A program per kit that prints the header its signer file makes of the JSON request on stdin, the payment
#: date passed through as text (sign.sh refuses a date that is not yyyy-MM-dd before the signer sees it).
SIGNER_PROGRAMS = {
    "python": ["python3", "-c", "import json, sys; from datetime import datetime; "
               "from bankintegration_signer import Credentials, authorization_header as h; r = json.load(sys.stdin); "
               "print(h(Credentials(r['serviceProvider'], r['apiKey'], r['account'], r['integrationCode']), "
               "r['requestId'], transactions=r['transactions'], "
               "time=datetime.strptime(r['time'], '%Y-%m-%dT%H:%M:%S')))"],
    "node": ["node", "--input-type=module", "-e",
             "import { authorizationHeader } from './signer.mjs'; import fs from 'node:fs'; "
             "const r = JSON.parse(fs.readFileSync(0, 'utf8')); "
             "console.log(authorizationHeader(r, r.requestId, r.transactions, new Date(r.time + 'Z')));"],
}


@pytest.mark.parametrize("folder", [param for param in KIT_PARAMS if param.id in SIGNER_PROGRAMS])
@pytest.mark.parametrize("payment_date", ["2015-4-15", "20150415", " 2015-04-15 ", "15.04.2015"])
def test_a_signer_signs_a_payment_date_that_is_not_iso_as_the_bank_reads_it(folder, payment_date, tmp_path):
    """The bank signs such a date as its text (and then refuses it with a date error): so must the client."""
    kit_settings(folder)
    text = payment(paymentDate=payment_date)
    done = subprocess.run(SIGNER_PROGRAMS[folder.name], input=text, capture_output=True, text=True, cwd=folder,
                          env={**os.environ, "PYTHONPATH": str(folder)}, timeout=SCRIPT_TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == reference_header(text)
