"""``mockbank serve``: build the bank, print how to reach it, serve it (see :mod:`mockbank.http_server`).

With ``--workers N`` (POSIX) the parent seeds the database, binds the listening socket and forks N
processes that each serve it with their own store connection; the database (SQLite or PostgreSQL) keeps
them consistent. :mod:`mockbank.workers` replaces a worker that dies and stops them all when the parent dies.

``--server granian`` (:mod:`mockbank.granian_server`) serves the same socket from granian's worker processes,
one or more, each with its own store connection as above; the parent seeds the database and prints the banner.
"""

from __future__ import annotations

import errno
import functools
import logging
import os
import socket
import sys
from dataclasses import dataclass, field, replace
from typing import TextIO

from mockbank import accesslog, fixtures, granian_server
from mockbank.app import create_app
from mockbank.bank import Bank
from mockbank.control_auth import is_loopback
from mockbank.http_server import ServerLimits, serve_socket
from mockbank.settings import Settings
from mockbank.store import MEMORY, StoreError, is_postgres_url, open_store, redact_url
from mockbank.store.sqlite import SqliteDatabase, open_elsewhere
from mockbank.workers import Supervisor, hold_stop_signals, stop_on_sigterm

HIDDEN = "(hidden: --show-credentials prints it)"


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    fixtures: str | None = None
    db: str = "mockbank.db"
    workers: int = 1
    server: str = "waitress"  # or "granian" (pip install 'mockbank[fast]')
    limits: ServerLimits = field(default_factory=ServerLimits)
    reset: bool = False
    force: bool = False  # reset even when another process has the database open
    quiet: bool = False  # no access log
    log_format: str = "text"  # or "json"
    control_token: str | None = None
    allow_open_control_plane: bool = False
    show_credentials: bool = False


def check_control_plane(options: ServeOptions) -> str | None:
    """ValueError when a non-loopback address would get an open control plane; a warning when allowed."""
    if options.control_token or is_loopback(options.host):
        return None
    if not options.allow_open_control_plane:
        raise ValueError(f"--host {options.host} is reachable from other machines and the control plane "
                         "(/_mock/*: reset, clock, faults, the journal with every Authorization header) would "
                         "be open to them: give --control-token TOKEN (or $MOCKBANK_CONTROL_TOKEN), or "
                         "--allow-open-control-plane if that is really wanted")
    return (f"warning: the control plane of {options.host} is open to anyone who reaches the port "
            "(--allow-open-control-plane)")


def build_bank(options: ServeOptions, settings: Settings) -> tuple[Bank, bool]:
    """The bank over ``options.db``, seeded if new (or if ``reset``); returns (bank, seeded now).

    ``reset`` refuses (StoreError) when another process has the SQLite file open, unless ``force``.
    """
    fixture = fixtures.load(options.fixtures)
    if options.reset and not options.force and not is_postgres_url(options.db) and options.db != MEMORY \
            and open_elsewhere(options.db):
        raise StoreError(f"--reset: {options.db} is open in another process (a running mockbank serve?); "
                         "stop it first, or add --force to reset the bank under it")
    bank = Bank(open_store(options.db), fixture, settings)
    if options.reset:
        bank.reset()
        return bank, True
    return bank, bank.ensure_seeded()


def serve(options: ServeOptions, settings: Settings, out: TextIO = sys.stdout) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM); a ``:memory:`` database is deleted on the way out."""
    if options.workers > 1 and options.db == MEMORY:
        raise ValueError("--workers needs a database file (--db FILE): processes cannot share :memory:")
    if options.server == "granian":
        granian_server.require()
    warning = check_control_plane(options)
    listener = listen(options.host, options.port)  # before the database: a busy port creates no file
    try:
        bank, seeded = build_bank(options, settings)
    except BaseException:
        listener.close()
        raise
    try:
        host, port = listener.getsockname()[:2]
        url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
        if options.server != "granian":
            hold_stop_signals()  # taken by the supervisor or the server once they can stop gracefully
        _print_banner(out, url, bank, options, seeded)
        if warning:
            print(warning, file=sys.stderr, flush=True)
        accesslog.configure(out, options.log_format, options.quiet)
        if options.server == "granian":
            stop_on_sigterm()
            factory = functools.partial(_worker_app, options, settings, _database_file(bank, options.db))
            _disconnect(bank)  # granian forks its workers: no connection of this process may cross into them
            granian_server.serve_socket(factory, listener, options.limits, options.workers)
            return
        workers = options.workers if hasattr(os, "fork") else 1
        limits = waitress_limits(options)
        if workers == 1:
            stop_on_sigterm()
            serve_socket(_app(bank, options), listener, limits)
            return
    finally:
        bank.store.close()  # a single worker serves above; with --workers each opens its own

    def work() -> None:
        worker_bank = Bank(open_store(options.db), bank.fixture, settings)
        try:
            serve_socket(_app(worker_bank, options), listener, limits)
        finally:
            worker_bank.store.close()

    Supervisor(workers, work).run()


def waitress_limits(options: ServeOptions) -> ServerLimits:
    """``options.limits`` with the default number of active threads filled in: one on SQLite, whose requests
    use the CPU throughout (``bench/README.md``), all of them on PostgreSQL, whose requests wait for its
    answers (a team's database may be on another machine)."""
    if options.limits.active_threads is not None or is_postgres_url(options.db):
        return options.limits
    return replace(options.limits, active_threads=1)


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, or OSError saying in one line why it cannot be had."""
    if not 0 <= port <= 65535:
        raise OSError(f"--port {port}: a port is a number from 0 to 65535 (0 picks a free one)")
    try:
        return socket.create_server((host, port), reuse_port=False)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise OSError(f"--port {port}: {host}:{port} is already in use (another mockbank serve?); stop it, "
                          "or give another --port (0 picks a free one)") from None
        raise OSError(f"--host {host} --port {port}: cannot listen there ({error.strerror or error})") from None


def _app(bank: Bank, options: ServeOptions):
    return create_app(bank, max_body=options.limits.max_body, control_token=options.control_token)


def _worker_app(options: ServeOptions, settings: Settings, db: str):
    """The app of one granian worker process, over its own connection to the parent's database ``db``."""
    if accesslog.ACCESS.level == logging.NOTSET:  # spawned, not forked: nothing of the parent's configuration
        accesslog.configure(sys.stdout, options.log_format, options.quiet)
    return _app(Bank(open_store(db), fixtures.load(options.fixtures), settings), options)


def _disconnect(bank: Bank) -> None:
    """Close the parent's connections before workers start; a ``:memory:`` file stays until the parent stops."""
    database = bank.store.database
    if isinstance(database, SqliteDatabase):
        database.disconnect()
    else:
        bank.store.close()


def _database_file(bank: Bank, db: str) -> str:
    """``db`` as another process opens it: ``:memory:`` is the parent's temporary file (deleted at its exit)."""
    database = bank.store.database
    return database.file if db == MEMORY and isinstance(database, SqliteDatabase) else db


def _print_banner(out: TextIO, url: str, bank: Bank, options: ServeOptions, seeded: bool) -> None:
    fixture = bank.fixture
    state = "new database, seeded from" if seeded else "existing database kept; fixtures from"
    print(f"mockbank {url}", file=out)
    print(f"  database   {redact_url(options.db)} ({state} {fixture.source})", file=out)
    print(f"  clock      {bank.clock().describe()['now']}  progression {bank.progression()['default']}", file=out)
    shown = options.show_credentials or options.fixtures is None  # the demo bank's are public test data
    for erp in fixture.erps:
        print(f"  ERP        serviceProvider {erp.service_provider}  apiKey {erp.api_key if shown else HIDDEN}",
              file=out)
        for account in fixture.accounts:
            if account.service_provider == erp.service_provider:
                code = account.integration_code if shown else HIDDEN
                print(f"    account  {account.account}  integrationCode {code}  {account.currency}  {account.name}",
                      file=out)
    print(f"  dashboard  {url}/_mock/ui  (a browser opening {url}/ lands there)", file=out)
    protected = "X-Mockbank-Token required" if options.control_token else "open"
    print(f"  control    {url}/_mock/health  (journal: {url}/_mock/requests; {protected})", file=out)
    sandboxes = len(bank.store.sandboxes.all())
    print(f"  sandboxes  POST {url}/_mock/sandboxes makes one ({sandboxes} in the database)", file=out)
    if options.server == "granian":
        print(f"  server     granian: {granian_server.REASON_PHRASES}", file=out)
    if not seeded:
        for line in restored_state(bank):
            print(f"  restored   {line}", file=out)
    print(f"mockbank listening on {url}", file=out, flush=True)


def restored_state(bank: Bank) -> list[str]:
    """What a database in use brings back to a restarted server: sandboxes, saved faults, a moved clock."""
    lines = []
    records = bank.store.sandboxes.all()
    if records:
        lines.append(f"{len(records)} sandbox(es): {', '.join(record.id for record in records[:5])}"
                     + (", ..." if len(records) > 5 else ""))
    faults = len(bank.store.faults()) + sum(len(bank.store.sandbox(record.id).faults()) for record in records)
    if faults:
        lines.append(f"{faults} saved fault(s) still active (GET /_mock/faults lists them, DELETE clears them)")
    state = bank.clock()
    if state.frozen_at is not None:
        lines.append(f"the bank clock, frozen at {state.describe()['now']}")
    elif abs(state.offset) >= 1:
        lines.append(f"the bank clock, shifted {state.offset:+.0f} s from real time (now {state.describe()['now']})")
    if not lines:
        lines.append("nothing beyond the bank itself: no sandboxes, no faults, the clock on real time")
    return lines
