"""``mockbank proxy``, ``mockbank drift-report`` and ``mockbank fixtures-from-recording``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from mockbank.settings import DEFAULT_MAX_CLOCK_SKEW
from mockbank.control_auth import TOKEN_ENV, TOKEN_HEADER, is_loopback, token_headers
from mockbank.cli.common import UsageError, clock_skew, json_default, request_error_reason


def add_proxy_commands(commands: argparse._SubParsersAction) -> None:
    from mockbank.proxy.server import DEFAULT_PORT
    from mockbank.proxy.upstream import DEFAULT_TIMEOUT

    parser = commands.add_parser("proxy", help="forward to the real bank, diagnose signatures, detect drift, record",
                                 description=(
        "Forward every request unchanged to --upstream and its answers unchanged back; check each request's "
        "signature with mockbank's verifier (GET /_mock/requests), compare each answer with mockbank's schemas "
        "(GET /_mock/drift) and optionally record the traffic anonymised."))
    parser.add_argument("--upstream", required=True, metavar="URL",
                        help="the bank, e.g. https://api.bankintegration.dk (http:// only for this machine)")
    parser.add_argument("--credentials", metavar="FILE",
                        help="fixture file with your real ERPs and accounts: the HMAC is checked and diagnosed too; "
                             "its keys are never printed, journaled or recorded")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks one)")
    parser.add_argument("--record", metavar="FILE", help="write every exchange, anonymised, as JSON lines (afresh)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help="how long to wait for the upstream before answering 504 (default %(default)g)")
    parser.add_argument("--ca-bundle", metavar="FILE", help="trust these CA certificates instead of the system's")
    parser.add_argument("--max-clock-skew", default=f"{DEFAULT_MAX_CLOCK_SKEW:g}", metavar="SECONDS",
                        help="allowed distance of the auth 'time' from this machine's clock, or 'off'")
    _add_control_token(parser)
    parser.add_argument("--allow-open-control-plane", action="store_true",
                        help="serve /_mock/* without a token on an address other than loopback")
    parser.set_defaults(handler=run_proxy)

    report = commands.add_parser("drift-report", help="where the real API's answers differ from mockbank's schemas",
                                 description="Print the drift found by a running proxy (--url) or in a recording "
                                             "(--recording): every difference per endpoint and field, with an "
                                             "anonymised example.")
    report.add_argument("--url", default=f"http://127.0.0.1:{DEFAULT_PORT}", help="the proxy (default %(default)s)")
    report.add_argument("--recording", metavar="FILE", help="check the answers of a proxy --record file instead")
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    _add_control_token(report)
    report.set_defaults(handler=run_drift_report)

    convert = commands.add_parser("fixtures-from-recording", help="turn recorded statements into a fixture file",
                                  description="Read a proxy --record file and write a fixture file whose accounts "
                                              "replay the recorded statements (mockbank serve --fixtures FILE).")
    convert.add_argument("recording", metavar="FILE", help="the recording (JSON lines from mockbank proxy --record)")
    convert.add_argument("--output", "-o", metavar="FILE", help="where to write the fixture file (default: stdout)")
    convert.set_defaults(handler=run_fixtures_from_recording)


def _add_control_token(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--control-token", default=os.environ.get(TOKEN_ENV) or None, metavar="TOKEN",
                        help=f"the {TOKEN_HEADER} of /_mock/* (default ${TOKEN_ENV})")


def run_proxy(args: argparse.Namespace) -> int:
    from mockbank.proxy import server

    if not 0 < args.timeout <= MAX_TIMEOUT:  # NaN fails this too
        raise UsageError(f"--timeout must be more than 0 and at most {MAX_TIMEOUT:g} seconds")
    if args.ca_bundle is not None:
        check_ca_bundle(args.ca_bundle)
    if args.control_token is not None and not args.control_token.strip():
        raise UsageError("--control-token must not be empty")
    if not args.control_token and not is_loopback(args.host) and not args.allow_open_control_plane:
        raise UsageError(f"--host {args.host}: the journal shows your real traffic; give --control-token TOKEN "
                         "(or --allow-open-control-plane) to listen beyond this machine")
    options = server.ProxyOptions(upstream=args.upstream, credentials=args.credentials, host=args.host,
                                  port=args.port, record=args.record, timeout=args.timeout, ca_bundle=args.ca_bundle,
                                  control_token=args.control_token, max_clock_skew=clock_skew(args.max_clock_skew))
    try:
        server.serve(options)
    except (OSError, ValueError) as error:  # FixtureError, InvalidUpstream, RecordingError are ValueErrors
        raise UsageError(str(error)) from None
    return 0


#: The longest --timeout: a day (a longer one overflows the socket layer's clock).
MAX_TIMEOUT = 86_400


def check_ca_bundle(path: str) -> None:
    """UsageError unless ``path`` is a file of CA certificates (PEM) that TLS can use."""
    import ssl

    try:
        ssl.create_default_context(cafile=path)
    except FileNotFoundError:
        raise UsageError(f"--ca-bundle {path}: no such file") from None
    except (OSError, ssl.SSLError) as error:
        raise UsageError(f"--ca-bundle {path}: not a file of PEM CA certificates "
                         f"({getattr(error, 'strerror', None) or error})") from None


def run_drift_report(args: argparse.Namespace) -> int:
    import requests

    from mockbank.proxy import drift, recording

    if args.recording:
        try:
            report = drift.from_exchanges(recording.read(args.recording))
        except recording.RecordingError as error:
            raise UsageError(str(error)) from None
        report["upstream"] = f"the upstream recorded in {args.recording}"
    else:
        headers = token_headers(args.control_token)
        try:
            answer = requests.get(args.url.rstrip("/") + "/_mock/drift", headers=headers, timeout=30)
        except (requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema, requests.exceptions.InvalidURL):
            raise UsageError(f"--url: {args.url!r} is not an http:// or https:// URL") from None
        except requests.RequestException as error:
            raise UsageError(f"--url: cannot reach the proxy at {args.url}: {request_error_reason(error)}") from None
        try:
            report = answer.json()
        except ValueError:
            raise UsageError(f"--url: {args.url} answered {answer.status_code} without JSON; is it a mockbank "
                             "proxy?") from None
        if answer.status_code != 200 or "differences" not in report:
            raise UsageError(f"--url: {args.url}/_mock/drift answered {answer.status_code}: "
                             f"{report.get('message', 'not a drift report') if isinstance(report, dict) else report}")
    print(json.dumps(report, ensure_ascii=False, indent=2, default=json_default) if args.json
          else drift.report_text(report))
    return 0


def run_fixtures_from_recording(args: argparse.Namespace) -> int:
    from mockbank import fixtures
    from mockbank.proxy import recording

    try:
        document = recording.fixture_from_recording(args.recording)
        fixtures.from_document(document, "the fixture made from the recording")
    except (recording.RecordingError, fixtures.FixtureError) as error:
        raise UsageError(str(error)) from None
    text = json.dumps(document, ensure_ascii=False, indent=2, default=json_default) + "\n"
    if not args.output:
        sys.stdout.write(text)
        return 0
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"--output: cannot write {args.output}: {error.strerror}") from None
    entries = sum(len(account["entries"]) for account in document["accounts"])
    print(f"wrote {args.output}: {len(document['accounts'])} account(s), {entries} statement entries; "
          f"serve it with: mockbank serve --fixtures {args.output}", file=sys.stderr)
    return 0
