"""The ``mockbank`` command line: serve, sign, explain, certify."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from mockbank import __version__, explanation, signing, verification
from mockbank.settings import (DEFAULT_JOURNAL_MAX, DEFAULT_MAX_BODY, DEFAULT_MAX_CLOCK_SKEW, DEFAULT_SANDBOX_TTL,
                               DEFAULT_STEP_SECONDS)


class UsageError(Exception):
    """A command-line input that cannot be used; printed without a traceback."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mockbank`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except UsageError as error:
        parser.exit(2, f"mockbank {args.command}: error: {error}\n")
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `mockbank sign --json | head`: the reader went away
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        sys.stderr.write(f"mockbank {args.command}: stopped: the output was closed before everything was "
                         "written (broken pipe)\n")
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockbank", description=(
        "Local emulator and contract-testing kit for the BankIntegration REST API."))
    parser.add_argument("--version", action="version", version=f"mockbank {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_serve(commands)
    _add_sign(commands)
    _add_explain(commands)
    _add_certify(commands)
    return parser


# --------------------------------------------------------------------------- serve


def _add_serve(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("serve", help="run the emulator (the built-in demo bank by default)",
                                 description="Run the BankIntegration emulator. Prints its base URL and the "
                                             "demo credentials when it is ready.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    parser.add_argument("--fixtures", metavar="FILE", help="fixture file (default: the built-in demo bank)")
    parser.add_argument("--db", default=os.environ.get("MOCKBANK_DB", "mockbank.db"), metavar="PATH|URL",
                        help="where the bank's state lives: a SQLite file (default mockbank.db, or $MOCKBANK_DB), "
                             "':memory:' for a throwaway bank, or postgresql://user:password@host:port/dbname "
                             "(pip install 'mockbank[postgres]') for several servers sharing one bank")
    parser.add_argument("--reset", action="store_true", help="start from the fixtures even if --db holds a bank "
                                                               "(refused while another process has it open)")
    parser.add_argument("--force", action="store_true",
                        help="with --reset: reset even when another process has the database open")
    parser.add_argument("--clock", metavar="ISO8601", help="start the bank clock at this instant (UTC if no zone)")
    parser.add_argument("--frozen-clock", action="store_true", help="stop the bank clock (move it via /_mock/clock)")
    parser.add_argument("--max-clock-skew", default=f"{DEFAULT_MAX_CLOCK_SKEW:g}", metavar="SECONDS",
                        help="allowed distance of the auth 'time' from the clock, or 'off' (default %(default)s)")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="worker processes sharing the database file (POSIX; default 1)")
    parser.add_argument("--threads", type=int, default=8, metavar="N", help="threads per worker (default 8)")
    parser.add_argument("--progression", choices=("poll", "time", "manual"), default="poll",
                        help="how payments move 1 -> 2 -> 4 -> 8: per status read (poll, default), per "
                             "--step-seconds of bank time (time), or only via /_mock/progress (manual)")
    parser.add_argument("--step-seconds", type=float, default=DEFAULT_STEP_SECONDS, metavar="S",
                        help="bank-clock seconds per status step in time mode (default 5)")
    parser.add_argument("--max-body", type=int, default=DEFAULT_MAX_BODY, metavar="BYTES",
                        help="largest request body accepted (default 1 MiB; larger answers 413)")
    parser.add_argument("--journal-max", type=int, default=DEFAULT_JOURNAL_MAX, metavar="N",
                        help="journal entries kept per sandbox; older ones are dropped (default %(default)s)")
    parser.add_argument("--sandbox-ttl", type=int, default=DEFAULT_SANDBOX_TTL, metavar="SECONDS",
                        help="an unused sandbox is deleted after this many seconds (default %(default)s, a day)")
    parser.add_argument("--lenient-time", action="store_true",
                        help="also accept the compact auth time formats yyyyMMddHHmmss and yyyyMMddTHHmmss")
    parser.add_argument("--cutoff-normal", default="18:30", metavar="HH:MM|off",
                        help="Danish time after which a Normal (urgency 1) payment dated today moves to the next "
                             "bank day (default %(default)s)")
    parser.add_argument("--cutoff-same-day", default="14:00", metavar="HH:MM|off",
                        help="the same for SameDay (urgency 2) payments (default %(default)s, the last Intraday "
                             "Clearing cycle)")
    parser.add_argument("--express-limit", default="500000", metavar="DKK",
                        help="largest express (urgency 3) payment (default %(default)s, the Express Clearing's)")
    parser.add_argument("--fik-creditor-prefix", default="", metavar="DIGITS",
                        help="require FI creditor numbers (+71/+73/+75) to start with these digits, e.g. 8")
    parser.add_argument("--reject-unknown-fields", action="store_true",
                        help="answer fields the schemas do not define with 400 (a payment's own: status 32) "
                             "instead of ignoring them")
    parser.add_argument("--lenient-request-id", action="store_true",
                        help="do not require auth requestId == body/query requestId (and hash id == requestId)")
    parser.add_argument("--quiet", action="store_true", help="no access log (one line per API request by default)")
    parser.add_argument("--log-format", choices=("text", "json"), default="text",
                        help="access log lines as text (default) or one JSON object per line, for log collectors")
    parser.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from mockbank import fixtures, server
    from mockbank.fik import FikRules
    from mockbank.settings import Settings
    from mockbank.store import StoreError

    skew = _clock_skew(args.max_clock_skew)
    if args.clock:
        _parse_time(args.clock, "--clock")
    if args.workers < 1 or args.threads < 1:
        raise UsageError("--workers and --threads must be at least 1")
    if args.journal_max < 1 or args.sandbox_ttl < 1:
        raise UsageError("--journal-max and --sandbox-ttl must be at least 1")
    settings = Settings(execution=_execution_rules(args), fik=FikRules(args.fik_creditor_prefix),
                        progression=args.progression, step_seconds=args.step_seconds, max_clock_skew=skew,
                        require_request_id_match=not args.lenient_request_id,
                        lenient_time_formats=args.lenient_time, reject_unknown_fields=args.reject_unknown_fields,
                        clock_start=args.clock, frozen_clock=args.frozen_clock, journal_max=args.journal_max,
                        sandbox_ttl=args.sandbox_ttl)
    options = server.ServeOptions(host=args.host, port=args.port, fixtures=args.fixtures, db=args.db,
                                  workers=args.workers, threads=args.threads, max_body=args.max_body,
                                  reset=args.reset, force=args.force, quiet=args.quiet,
                                  log_format=args.log_format)
    try:
        server.serve(options, settings)
    except fixtures.FixtureError as error:
        raise UsageError(str(error)) from None
    except (OSError, ValueError, StoreError) as error:
        raise UsageError(str(error)) from None
    return 0


def _execution_rules(args: argparse.Namespace):
    from mockbank.execution import NORMAL, SAME_DAY, ExecutionRules, parse_cutoff

    cutoffs = {}
    for urgency, option, text in ((NORMAL, "--cutoff-normal", args.cutoff_normal),
                                  (SAME_DAY, "--cutoff-same-day", args.cutoff_same_day)):
        try:
            cutoffs[urgency] = parse_cutoff(text)
        except ValueError as error:
            raise UsageError(f"{option}: {error}") from None
    try:
        limit = Decimal(args.express_limit)
    except ArithmeticError:
        raise UsageError(f"--express-limit: {args.express_limit!r} is not an amount") from None
    if not limit.is_finite() or limit <= 0:
        raise UsageError(f"--express-limit: {args.express_limit!r} must be a positive amount")
    if args.fik_creditor_prefix and not args.fik_creditor_prefix.isdigit():
        raise UsageError(f"--fik-creditor-prefix: {args.fik_creditor_prefix!r} must be digits")
    return ExecutionRules(cutoffs=cutoffs, express_limit=limit)


# --------------------------------------------------------------------------- shared options


def _add_credential_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("credentials (a JSON file, flags, or both: flags win)")
    group.add_argument("--credentials", metavar="FILE",
                       help='JSON file {"serviceProvider", "apiKey", "account", "integrationCode"}')
    group.add_argument("--service-provider", metavar="ERP", help="the ERP name (serviceProvider)")
    group.add_argument("--api-key", metavar="GUID", help="the ERP's API key")
    group.add_argument("--account", metavar="BBAN", help="the own account, 14 digits")
    group.add_argument("--integration-code", metavar="CODE", help="the account's integration code")


def _credentials(args: argparse.Namespace) -> signing.Credentials:
    data: dict[str, Any] = _read_json(args.credentials, "--credentials") if args.credentials else {}
    for flag, key in (("service_provider", "serviceProvider"), ("api_key", "apiKey"), ("account", "account"),
                      ("integration_code", "integrationCode")):
        if getattr(args, flag):
            data[key] = getattr(args, flag)
    missing = [key for key in ("serviceProvider", "apiKey", "account", "integrationCode") if not data.get(key)]
    if missing:
        raise UsageError("missing credentials: " + ", ".join(missing)
                         + " (give --credentials FILE or the matching flags)")
    try:
        signing.parse_api_key(data["apiKey"])
    except signing.InvalidApiKey as error:
        raise UsageError(f"--api-key: {error}") from None
    return signing.Credentials.from_json(data)


def _read_json(path: str, option: str) -> Any:
    """Read a JSON file ('-' = standard input), keeping numbers exact as Decimal."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{option}: cannot read {path}: {error.strerror}") from None
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise UsageError(f"{option}: {path} is not JSON: {error.msg} at line {error.lineno} "
                         f"column {error.colno}") from None


def _parse_time(text: str | None, option: str) -> datetime:
    """An ISO 8601 (or compact) instant from an option; now (UTC) when not given."""
    if not text:
        return datetime.now(timezone.utc).replace(microsecond=0)
    try:
        return signing.parse_auth_time(text, lenient=True)
    except ValueError as error:
        raise UsageError(f"{option}: {error}") from None


def _clock_skew(text: str) -> float | None:
    """``--max-clock-skew``: seconds, or ``off`` (None)."""
    if text.strip().lower() == "off":
        return None
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"--max-clock-skew: {text!r} is not a number of seconds or 'off'") from None


def _header_value(text: str) -> str:
    """``--header``: the value, or ``@FILE`` to read it from a file."""
    if not text.startswith("@"):
        return text
    try:
        return Path(text[1:]).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise UsageError(f"--header: cannot read {text[1:]}: {error.strerror}") from None


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


# --------------------------------------------------------------------------- sign


def _add_sign(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("sign", help="print the Authorization header (and payloads) for a request",
                                 description=(
        "Sign a request as a correct client does and print each step: token, payload strings, hashes, "
        "the auth JSON and the Authorization header. A body with 'transactions' is signed as POST /payment "
        "(one hash per transaction); anything else with a single requestId hash."))
    _add_credential_options(parser)
    parser.add_argument("--body", metavar="FILE", help="the request body as JSON ('-' = stdin); "
                                                       "its requestId and transactions are signed")
    parser.add_argument("--request-id", metavar="ID", help="the requestId (overrides the body's)")
    parser.add_argument("--time", metavar="ISO8601", help="the request time, UTC (default: now)")
    parser.add_argument("--scheme", choices=("Basic", "BASIC", "none"), default="Basic",
                        help="scheme before the Base64 value (default: Basic)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(handler=run_sign)


def run_sign(args: argparse.Namespace) -> int:
    credentials = _credentials(args)
    body = _read_json(args.body, "--body") if args.body else {}
    if not isinstance(body, dict):
        raise UsageError("--body: the request body must be a JSON object")
    request_id = args.request_id or body.get("requestId")
    if not request_id:
        raise UsageError("no requestId: give --request-id or a body with 'requestId'")
    transactions = body.get("transactions")
    if transactions is not None and (not isinstance(transactions, list) or not transactions
                                     or not all(isinstance(t, dict) for t in transactions)):
        raise UsageError("--body: 'transactions' must be a non-empty list of objects")
    moment = _parse_time(args.time, "--time")
    signed = signing.sign(credentials, str(request_id), time=moment, transactions=transactions,
                          scheme="" if args.scheme == "none" else args.scheme)
    token = signing.integration_token(credentials.integration_code)
    if args.json:
        print(json.dumps({"token": token, "now": signing.format_now(moment),
                          "payloads": [payload for _, payload in signed.payloads], "hashes": signed.auth["hash"],
                          "authJson": signed.auth_json, "authorization": signed.header},
                         ensure_ascii=False, indent=2, default=_json_default))
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


# --------------------------------------------------------------------------- explain


def _add_explain(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("explain", help="verify a captured header step by step and diagnose it",
                                 description=(
        "Verify a captured Authorization header against its request body or query, the way the emulator "
        "does, print every step, and name the client mistake when the signature does not match. "
        "Exit status 0 when the signature is valid, 1 when it is not."))
    parser.add_argument("--header", metavar="VALUE", required=True,
                        help="the Authorization header value (with or without 'Basic'); '@FILE' reads a file")
    _add_credential_options(parser)
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
    header = _header_value(args.header)
    bank_now = None if args.no_clock_check else _parse_time(args.now, "--now")
    skew = _clock_skew(args.max_clock_skew)
    if bank_now is None or skew is None:
        clock_note = "not checked (--no-clock-check or --max-clock-skew off)"
    else:
        source = "--now" if args.now else "this host's clock"
        clock_note = (f"auth time checked against {signing.format_auth_time(bank_now)} UTC ({source}), ±{skew:g} s; "
                      "--now sets another clock, --no-clock-check skips the check")
    body = _read_json(args.body, "--body") if args.body else None
    if body is not None and not isinstance(body, dict):
        raise UsageError("--body: the request body must be a JSON object")
    result = explanation.explain(header, credentials=lookup, body=body,
                                 query=explanation.query_dict(args.query or ""), method=args.method,
                                 path=args.path, clock_now=bank_now, max_clock_skew=skew,
                                 lenient_time_formats=args.lenient_time, clock_note=clock_note)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        print(explanation.render_text(result))
    return 0 if result.verdict.ok else 1


def _explain_credentials(args: argparse.Namespace) -> verification.CredentialLookup:
    """The credentials given on the command line, or else every account of the fixture file."""
    given = [args.credentials, args.service_provider, args.api_key, args.account, args.integration_code]
    if any(given):
        return verification.StaticCredentials((_credentials(args),))
    from mockbank import fixtures

    try:
        return verification.StaticCredentials(tuple(fixtures.load(args.fixtures).credentials()))
    except fixtures.FixtureError as error:
        raise UsageError(str(error)) from None


# --------------------------------------------------------------------------- certify


def _add_certify(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("certify", help="certify a client through its adapter against the emulator",
                                 description=(
        "Run the test plans against a client wrapped in an adapter (see the README's adapter protocol): "
        "signing, payments, status, statement, balance, cancel, errors, robustness. Writes a JUnit XML and "
        "an HTML report. Exit status 0 only when every check passed."))
    parser.add_argument("--adapter", required=True, metavar="COMMAND",
                        help='the adapter command, e.g. "python -m mockbank.adapters.reference"')
    parser.add_argument("--url", help="certify against an emulator already running there (default: start one)")
    parser.add_argument("--fixtures", metavar="FILE", help="the fixture file of that emulator (default: the demo bank)")
    parser.add_argument("--examples", type=int, default=25, metavar="N", help="examples per property (default 25)")
    parser.add_argument("--seed", type=int, help="replay the examples of an earlier run (its seed is printed)")
    parser.add_argument("--plans", metavar="PLAN,...", help="only these plans (default: all)")
    parser.add_argument("--timeout-ms", type=int, default=5000, metavar="MS",
                        help="the HTTP timeout the adapter is asked to use (default 5000)")
    parser.add_argument("--adapter-start-timeout", type=float, default=60.0, metavar="SECONDS",
                        help="how long the adapter may take to answer its first request, e.g. while "
                             "'dotnet run' builds (default 60)")
    parser.add_argument("--report", default="mockbank-report", metavar="DIR",
                        help="where to write junit.xml, report.html and report.json (default mockbank-report)")
    parser.set_defaults(handler=run_certify)


def run_certify(args: argparse.Namespace) -> int:
    from mockbank.contract_tests import plans as plan_registry
    from mockbank.contract_tests.report import start_line, write_reports
    from mockbank.contract_tests.runner import PASSED, certify

    chosen = [name.strip() for name in args.plans.split(",") if name.strip()] if args.plans else None
    try:
        plan_registry.checks(chosen)
    except ValueError as error:
        raise UsageError(f"--plans: {error}") from None
    if args.examples < 1 or args.timeout_ms < 100:
        raise UsageError("--examples must be at least 1 and --timeout-ms at least 100")
    if not args.adapter_start_timeout > 0:
        raise UsageError("--adapter-start-timeout must be a positive number of seconds")
    report = certify(args.adapter, url=args.url, fixtures=args.fixtures, examples=args.examples, seed=args.seed,
                     plans=chosen, timeout_ms=args.timeout_ms, start_timeout=args.adapter_start_timeout,
                     progress=_progress_bar(sys.stderr))
    paths = write_reports(report, args.report)
    failed = [result for result in report.results if result.status != PASSED]
    started = report.start.status == PASSED
    print(f"{'ok  ' if started else 'FAIL'} {'adapter':<11} {start_line(report.start)}")
    for plan, results in report.plans().items():
        good = sum(result.status == PASSED for result in results)
        print(f"{'ok  ' if good == len(results) else 'FAIL'} {plan:<11} {good}/{len(results)} checks passed")
    for plan, missing in report.plans_left_out.items():
        print(f"---- {plan:<11} left out: needs {', '.join(missing)}, which the adapter does not offer")
    for result in failed:
        print(f"  {result.status.upper()} {result.id}: {result.message}")
    checked = f"{len(report.results) - len(failed)}/{len(report.results)} checks in {report.seconds:.1f} s, " \
              f"seed {report.seed}"
    if not started:
        print(f"certification FAILED: the adapter did not start ({report.seconds:.1f} s)")
    elif report.partial and report.passed:
        print(f"certification PARTIAL (not a full certificate): {checked}; {report.scope()}")
    else:
        print(f"certification {report.verdict}: {checked}; {report.scope()}")
    if failed:
        print(f'replay: mockbank certify --adapter "{args.adapter}" --seed {report.seed} --examples {args.examples}'
              + (f" --plans {','.join(chosen)}" if chosen else ""))
    print(f"report: {paths['html']}  (JUnit: {paths['junit']})")
    return 0 if report.passed else 1


def _progress_bar(stream):
    """A one-line progress bar on a terminal, a line per check otherwise."""
    width = 30

    def show(done: int, total: int, result) -> None:
        mark = "ok" if result.status == "passed" else result.status.upper()
        if stream.isatty():
            filled = done * width // total
            stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {mark:<6} {result.id:<45.45}")
            if done == total:
                stream.write("\n")
        else:
            stream.write(f"[{done}/{total}] {mark:<6} {result.id} ({result.seconds:.1f} s)\n")
        stream.flush()

    return show
