"""``mockbank serve``: its options and how they become the server's settings."""

from __future__ import annotations

import argparse
import os
from decimal import Decimal

from mockbank.control_auth import TOKEN_ENV
from mockbank.settings import (DEFAULT_CONNECTION_LIMIT, DEFAULT_HEADER_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
                               DEFAULT_JOURNAL_MAX, DEFAULT_JOURNAL_VALUE_MAX, DEFAULT_MAX_BODY, DEFAULT_MAX_CLOCK_SKEW,
                               DEFAULT_MAX_DELAY_MS, DEFAULT_MAX_HEADER_BYTES, DEFAULT_SANDBOX_TTL,
                               DEFAULT_STEP_SECONDS, SERVERS)
from mockbank.cli.common import UsageError, parse_time, clock_skew


def add_serve(commands: argparse._SubParsersAction) -> None:
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
    parser.add_argument("--server", choices=SERVERS,
                        default=os.environ.get("MOCKBANK_SERVER", "waitress"),
                        help="the HTTP server: waitress (default, or $MOCKBANK_SERVER), or granian, a Rust server "
                             "with the standard reason phrases only (401 Unauthorized, not 401 Invalid Signature); "
                             "pip install 'mockbank[fast]'")
    parser.add_argument("--threads", type=int, default=8, metavar="N",
                        help="threads per worker for API requests (default 8; /_mock/* has 2 more of its own)")
    parser.add_argument("--active-threads", type=int, metavar="N",
                        help="of --threads, how many run requests at once; the others take over from a request "
                             "waiting in a delayMs fault (default 1 on SQLite, where that is fastest; all of "
                             "them on PostgreSQL)")
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
    parser.add_argument("--journal-entry-max-bytes", type=int, default=DEFAULT_JOURNAL_VALUE_MAX, metavar="BYTES",
                        help="the journal keeps each request header value and each request body up to this size, "
                             "longer ones truncated and marked (default %(default)s)")
    parser.add_argument("--max-delay-ms", type=int, default=DEFAULT_MAX_DELAY_MS, metavar="MS",
                        help="largest delayMs a fault may ask for (default %(default)s)")
    limits = parser.add_argument_group("connections and request sizes")
    limits.add_argument("--max-connections", type=int, default=DEFAULT_CONNECTION_LIMIT, metavar="N",
                        help="open connections per worker; beyond it new ones wait "
                             "(default %(default)s; at most 500 on Windows)")
    limits.add_argument("--idle-timeout", type=int, default=DEFAULT_IDLE_TIMEOUT, metavar="SECONDS",
                        help="close a connection silent this long (default %(default)s)")
    limits.add_argument("--header-timeout", type=int, default=DEFAULT_HEADER_TIMEOUT, metavar="SECONDS",
                        help="close a connection whose request headers are not complete this long after their "
                             "first byte (default %(default)s)")
    limits.add_argument("--max-header-bytes", type=int, default=DEFAULT_MAX_HEADER_BYTES, metavar="BYTES",
                        help="largest request line + headers; larger answers 431 (default %(default)s)")
    control = parser.add_argument_group("control plane (/_mock/*)")
    control.add_argument("--control-token", default=os.environ.get(TOKEN_ENV) or None, metavar="TOKEN",
                         help=f"require the header X-Mockbank-Token: TOKEN on every /_mock/* route, in every "
                              f"sandbox (default ${TOKEN_ENV})")
    control.add_argument("--allow-open-control-plane", action="store_true",
                         help="serve a non-loopback --host without a control token (anyone reaching the port "
                              "can reset the bank and read the journal)")
    parser.add_argument("--show-credentials", action="store_true",
                        help="print the API keys and integration codes of a --fixtures file at start "
                             "(hidden by default; the demo bank's are always printed)")
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


#: The most worker processes and threads per worker: beyond them a typo (--workers 100000) would stall the machine.
MAX_WORKERS = 256
MAX_THREADS = 1024
#: The longest delay a fault may ask for: a day.
MAX_DELAY_MS = 86_400_000


def run_serve(args: argparse.Namespace) -> int:
    from mockbank import fixtures, granian_server, server
    from mockbank.http_server import ServerLimits
    from mockbank.store import StoreError
    from mockbank.fik import FikRules
    from mockbank.settings import Settings

    from mockbank import clock, schemas
    from mockbank.control import MAX_STEP_SECONDS

    if not args.db.strip():
        raise UsageError("--db must name a database file, ':memory:' or a postgresql:// URL, not an empty string")
    skew = clock_skew(args.max_clock_skew)
    if args.clock and not clock.in_range(parse_time(args.clock, "--clock")):  # checked before the database is
        raise UsageError(f"--clock {args.clock}: {clock.RANGE_TEXT}")      # touched: it keeps the clock it gets
    if not (1 <= args.workers <= MAX_WORKERS and 1 <= args.threads <= MAX_THREADS):
        raise UsageError(f"--workers must be from 1 to {MAX_WORKERS} and --threads from 1 to {MAX_THREADS}")
    if not 0 < args.step_seconds <= MAX_STEP_SECONDS:  # NaN fails this too
        raise UsageError(f"--step-seconds must be more than 0 and at most {MAX_STEP_SECONDS} (a year)")
    max_ttl = schemas.load("sandbox-request")["properties"]["ttlSeconds"]["maximum"]  # as POST /_mock/sandboxes
    if args.sandbox_ttl > max_ttl:
        raise UsageError(f"--sandbox-ttl must be at most {max_ttl} seconds (366 days)")
    if args.max_delay_ms > MAX_DELAY_MS:
        raise UsageError(f"--max-delay-ms must be at most {MAX_DELAY_MS} (a day)")
    if args.active_threads is not None and not 1 <= args.active_threads <= args.threads:
        raise UsageError(f"--active-threads must be from 1 to --threads ({args.threads})")
    if args.active_threads is not None and args.server == "granian":
        raise UsageError("--active-threads applies to waitress only (granian has one pool of --threads + 2 threads)")
    if args.journal_max < 1 or args.sandbox_ttl < 1:
        raise UsageError("--journal-max and --sandbox-ttl must be at least 1")
    for name in ("max_connections", "idle_timeout", "header_timeout", "max_header_bytes", "max_body",
                 "journal_entry_max_bytes"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1")
    if args.max_delay_ms < 0:
        raise UsageError("--max-delay-ms must be 0 or more")
    if args.control_token is not None and not args.control_token.strip():
        raise UsageError("--control-token must not be empty")
    settings = Settings(execution=_execution_rules(args), fik=FikRules(args.fik_creditor_prefix),
                        progression=args.progression, step_seconds=args.step_seconds, max_clock_skew=skew,
                        require_request_id_match=not args.lenient_request_id,
                        lenient_time_formats=args.lenient_time, reject_unknown_fields=args.reject_unknown_fields,
                        clock_start=args.clock, frozen_clock=args.frozen_clock, journal_max=args.journal_max,
                        sandbox_ttl=args.sandbox_ttl, journal_value_max=args.journal_entry_max_bytes,
                        max_delay_ms=args.max_delay_ms)
    limits = ServerLimits(threads=args.threads, active_threads=args.active_threads,
                          connection_limit=args.max_connections, idle_timeout=args.idle_timeout,
                          header_timeout=args.header_timeout, max_header_bytes=args.max_header_bytes,
                          max_body=args.max_body)
    if args.server not in SERVERS:  # from $MOCKBANK_SERVER: argparse checks only what is typed
        raise UsageError(f"--server {args.server!r} (from $MOCKBANK_SERVER?): use one of {', '.join(SERVERS)}")
    options = server.ServeOptions(host=args.host, port=args.port, fixtures=args.fixtures, db=args.db,
                                  workers=args.workers, server=args.server, limits=limits, reset=args.reset,
                                  force=args.force, quiet=args.quiet, log_format=args.log_format,
                                  control_token=args.control_token,
                                  allow_open_control_plane=args.allow_open_control_plane,
                                  show_credentials=args.show_credentials)
    try:
        server.serve(options, settings)
    except fixtures.FixtureError as error:
        raise UsageError(str(error)) from None
    except (OSError, ValueError, StoreError, granian_server.GranianUnavailable) as error:
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
