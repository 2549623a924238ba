"""``mockbank sign`` (what a correct client sends) and ``mockbank explain`` (why a header is refused)."""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

from mockbank import explanation, schemas, signing, verification
from mockbank.settings import (DEFAULT_JOURNAL_MAX, DEFAULT_MAX_CLOCK_SKEW, DEFAULT_SANDBOX_TTL)
from mockbank.cli.common import UsageError, add_credential_options, credentials_from_args, read_json, parse_time, clock_skew, header_value, json_default


def add_sign(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("sign", help="print the Authorization header (and payloads) for a request",
                                 description=(
        "Sign a request as a correct client does and print each step: token, payload strings, hashes, "
        "the auth JSON and the Authorization header. A body with 'transactions' is signed as POST /payment "
        "(one hash per transaction); anything else with a single requestId hash."))
    add_credential_options(parser)
    parser.add_argument("--body", metavar="FILE", help="the request body as JSON ('-' = stdin); "
                                                       "its requestId and transactions are signed")
    parser.add_argument("--request-id", metavar="ID", help="the requestId (overrides the body's)")
    parser.add_argument("--time", metavar="ISO8601", help="the request time, UTC (default: now)")
    parser.add_argument("--scheme", choices=("Basic", "BASIC", "none"), default="Basic",
                        help="scheme before the Base64 value (default: Basic)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(handler=run_sign)


def run_sign(args: argparse.Namespace) -> int:
    credentials = credentials_from_args(args)
    body = read_json(args.body, "--body") if args.body else {}
    if not isinstance(body, dict):
        raise UsageError("--body: the request body must be a JSON object")
    request_id = args.request_id or body.get("requestId")
    if request_id is None or request_id == "":
        raise UsageError("no requestId: give --request-id or a body with 'requestId'")
    transactions = body.get("transactions")
    _refuse_what_the_bank_refuses(dict(body, requestId=request_id), "--request-id" if args.request_id else "--body")
    moment = parse_time(args.time, "--time")
    signed = signing.sign(credentials, request_id, time=moment, transactions=transactions,
                          scheme="" if args.scheme == "none" else args.scheme)
    token = signing.integration_token(credentials.integration_code)
    if args.json:
        print(json.dumps({"token": token, "now": signing.format_now(moment),
                          "payloads": [payload for _, payload in signed.payloads], "hashes": signed.auth["hash"],
                          "authJson": signed.auth_json, "authorization": signed.header},
                         ensure_ascii=False, indent=2, default=json_default))
        return 0
    print(f"kind           {'POST /payment (one hash per transaction)' if transactions else 'single requestId hash'}")
    print(f"token          {token}   (SHA-256 of the integration code)")
    print(f"now            {signing.format_now(moment)}   (UTC)")
    for (hash_id, payload), entry in zip(signed.payloads, signed.auth["hash"]):
        print(f"payload {hash_id}\n               {payload}")
        print(f"hash {hash_id}\n               {entry['hash']}")
    print(f"auth JSON      {signed.auth_json}")
    print(f"Authorization: {signed.header}")
    return 0


#: What a signature covers: the requestId, and of each transaction the fields of its payload.
_SIGNED = re.compile(r"/requestId|/transactions(/\d+(/(paymentId|paymentDate|amount|currency|account))?)?")


def _refuse_what_the_bank_refuses(body: dict, request_id_option: str) -> None:
    """UsageError naming each signed field of the body that the bank would refuse.

    ``mockbank sign`` shows what a correct client sends. A header over an empty paymentId, an amount that is an
    object or a requestId that is a number signs text no correct client produces, and the bank answers such a
    body 400 whatever its header says, so it is refused here instead of printed. The fields are checked against
    the ``POST /payment`` request schema, only those the signature covers (a body without ``transactions``, whose
    endpoint is not known, only for its requestId); ``request_id_option`` names where the requestId came from.
    """
    document = body if "transactions" in body else {"requestId": body["requestId"]}
    problems = [p for p in schemas.violations("payment-request", document) if _SIGNED.fullmatch(p.pointer)]
    if "transactions" not in body:
        problems = [p for p in problems if p.pointer == "/requestId"]
    if not problems:
        return
    option = request_id_option if all(p.pointer == "/requestId" for p in problems) else "--body"
    shown = "; ".join(f"{p.pointer} {p.reason}" for p in problems[:5])
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    raise UsageError(f"{option}: {shown}{more}: the bank refuses this, so no correct client signs it")


# --------------------------------------------------------------------------- explain


def add_explain(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("explain", help="verify a captured header step by step and diagnose it",
                                 description=(
        "Verify a captured Authorization header against its request body or query, the way the emulator "
        "does, print every step, and name the client mistake when the signature does not match. "
        "Exit status 0 when the signature is valid, 1 when it is not."))
    parser.add_argument("--header", metavar="VALUE", required=True,
                        help="the Authorization header value (with or without 'Basic'); '@FILE' reads a file")
    add_credential_options(parser)
    parser.add_argument("--fixtures", metavar="FILE",
                        help="without credentials, look them up in this fixture file (default: the demo bank)")
    parser.add_argument("--body", metavar="FILE", help="the request body as JSON ('-' = stdin)")
    parser.add_argument("--query", metavar="QUERY", help="the query string of a GET, e.g. 'requestId=REQ_01'")
    parser.add_argument("--method", choices=("GET", "POST"), help="default: POST with --body, GET otherwise")
    parser.add_argument("--path", help="default: /payment for a body with transactions, /status otherwise")
    clock = parser.add_mutually_exclusive_group()
    clock.add_argument("--now", metavar="ISO8601",
                       help="the bank clock to check the auth time against (default: this host's time, UTC, "
                            "as the server does)")
    clock.add_argument("--no-clock-check", action="store_true",
                       help="do not check the auth time against a clock (e.g. for a header captured long ago)")
    parser.add_argument("--max-clock-skew", default=f"{DEFAULT_MAX_CLOCK_SKEW:g}", metavar="SECONDS",
                        help="allowed distance of 'time' from the clock, or 'off' (default %(default)s)")
    parser.add_argument("--journal-max", type=int, default=DEFAULT_JOURNAL_MAX, metavar="N",
                        help="journal entries kept per sandbox; older ones are dropped (default %(default)s)")
    parser.add_argument("--sandbox-ttl", type=int, default=DEFAULT_SANDBOX_TTL, metavar="SECONDS",
                        help="an unused sandbox is deleted after this many seconds (default %(default)s, a day)")
    parser.add_argument("--lenient-time", action="store_true",
                        help="also accept the compact time formats yyyyMMddHHmmss and yyyyMMddTHHmmss")
    parser.add_argument("--json", action="store_true", help="print the verdict as JSON")
    parser.set_defaults(handler=run_explain)


def run_explain(args: argparse.Namespace) -> int:
    lookup = _explain_credentials(args)
    header = header_value(args.header)
    bank_now = None if args.no_clock_check else parse_time(args.now, "--now")
    skew = clock_skew(args.max_clock_skew)
    if bank_now is None or skew is None:
        clock_note = "not checked (--no-clock-check or --max-clock-skew off)"
    else:
        source = "--now" if args.now else "this host's clock"
        clock_note = (f"auth time checked against {signing.format_auth_time(bank_now)} UTC ({source}), ±{skew:g} s; "
                      "--now sets another clock, --no-clock-check skips the check")
    body = read_json(args.body, "--body") if args.body else None
    if body is not None and not isinstance(body, dict):
        raise UsageError("--body: the request body must be a JSON object")
    result = explanation.explain(header, credentials=lookup, body=body,
                                 query=explanation.query_dict(args.query or ""), method=args.method,
                                 path=args.path, clock_now=bank_now, max_clock_skew=skew,
                                 lenient_time_formats=args.lenient_time, clock_note=clock_note,
                                 thorough_diagnosis=True, full_token=True)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        print(explanation.render_text(result))
    return 0 if result.verdict.ok else 1


def _saved_credentials(saved: Any, path: str) -> list[signing.Credentials]:
    """Every entry of a list of credentials, or of a sandbox's answer to ``POST /_mock/sandboxes`` (its
    ``credentials``), as saved to a file; UsageError naming the entry that is not one."""
    entries = saved["credentials"] if isinstance(saved, dict) else saved
    if not isinstance(entries, list) or not entries:
        raise UsageError(f"--credentials: credentials in {path} must be a non-empty list")
    found = []
    for index, entry in enumerate(entries):
        fields = ("serviceProvider", "apiKey", "account", "integrationCode")
        if not isinstance(entry, dict) or not all(isinstance(entry.get(key), str) and entry[key] for key in fields):
            raise UsageError(f"--credentials: entry {index} in {path} must be an object with serviceProvider, "
                             "apiKey, account and integrationCode")
        try:
            signing.parse_api_key(entry["apiKey"])
        except signing.InvalidApiKey as error:
            raise UsageError(f"--credentials: entry {index} in {path}: {error}") from None
        found.append(signing.Credentials.from_json(entry))
    return found


def _explain_credentials(args: argparse.Namespace) -> verification.CredentialLookup:
    """The credentials given on the command line, or else every account of the fixture file."""
    flags = [args.service_provider, args.api_key, args.account, args.integration_code]
    if args.credentials and not any(flags):
        saved = read_json(args.credentials, "--credentials")
        if isinstance(saved, list) or (isinstance(saved, dict) and "credentials" in saved):
            return verification.StaticCredentials(tuple(_saved_credentials(saved, args.credentials)))
    if args.credentials or any(flags):
        return verification.StaticCredentials((credentials_from_args(args),))
    from mockbank import fixtures

    try:
        return verification.StaticCredentials(tuple(fixtures.load(args.fixtures).credentials()))
    except fixtures.FixtureError as error:
        raise UsageError(str(error)) from None
