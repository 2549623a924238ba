"""``mockbank serve``: build the bank, print how to reach it, serve it with waitress.

With ``--workers N`` (POSIX) the parent seeds the database, binds the listening socket and forks N
processes that each serve it with their own store connection; the database (SQLite or PostgreSQL) keeps
them consistent.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import sys
from dataclasses import dataclass
from typing import TextIO

from mockbank import accesslog, fixtures
from mockbank.app import create_app
from mockbank.bank import Bank
from mockbank.settings import DEFAULT_MAX_BODY, Settings
from mockbank.store import MEMORY, StoreError, is_postgres_url, open_store, redact_url
from mockbank.store.sqlite import open_elsewhere


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    fixtures: str | None = None
    db: str = "mockbank.db"
    workers: int = 1
    threads: int = 8
    max_body: int = DEFAULT_MAX_BODY
    reset: bool = False
    quiet: bool = False  # no access log
    log_format: str = "text"  # or "json"
    force: bool = False  # reset even when another process has the database open


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
    """Serve until interrupted."""
    if options.workers > 1 and options.db == MEMORY:
        raise ValueError("--workers needs a database file (--db FILE): processes cannot share :memory:")
    listener = listen(options.host, options.port)  # before the database: a busy port creates no file
    try:
        bank, seeded = build_bank(options, settings)
    except BaseException:
        listener.close()
        raise
    host, port = listener.getsockname()[:2]
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    _print_banner(out, url, bank, options, seeded)
    accesslog.configure(out, options.log_format, options.quiet)
    workers = options.workers if hasattr(os, "fork") else 1
    if workers == 1:
        _serve_socket(create_app(bank, max_body=options.max_body), listener, options.threads)
        return
    bank.store.close()
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # a worker: its own store connection, the shared socket
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            worker_bank = Bank(open_store(options.db), bank.fixture, settings)
            _serve_socket(create_app(worker_bank, max_body=options.max_body), listener, options.threads)
            os._exit(0)
        children.append(pid)
    _supervise(children)


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


def _serve_socket(app, listener: socket.socket, threads: int) -> None:
    import waitress

    server = waitress.create_server(app, sockets=[listener], threads=threads, ident="mockbank",
                                    clear_untrusted_proxy_headers=True)
    try:
        server.run()
    finally:
        server.close()


def _supervise(children: list[int]) -> None:
    def stop(signum, frame):
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while children:
        pid, _ = os.wait()
        children.remove(pid)


def _print_banner(out: TextIO, url: str, bank: Bank, options: ServeOptions, seeded: bool) -> None:
    fixture = bank.fixture
    state = "new database, seeded from" if seeded else "existing database kept; fixtures from"
    print(f"mockbank {url}", file=out)
    print(f"  database   {redact_url(options.db)} ({state} {fixture.source})", file=out)
    print(f"  clock      {bank.clock().describe()['now']}  progression {bank.progression()['default']}", file=out)
    keys = {erp.service_provider: erp.api_key for erp in fixture.erps}
    for erp in fixture.erps:
        print(f"  ERP        serviceProvider {erp.service_provider}  apiKey {keys[erp.service_provider]}", file=out)
        for account in fixture.accounts:
            if account.service_provider == erp.service_provider:
                print(f"    account  {account.account}  integrationCode {account.integration_code}  "
                      f"{account.currency}  {account.name}", file=out)
    print(f"  dashboard  {url}/_mock/ui  (a browser opening {url}/ lands there)", file=out)
    print(f"  control    {url}/_mock/health  (journal: {url}/_mock/requests)", file=out)
    sandboxes = len(bank.store.sandboxes.all())
    print(f"  sandboxes  POST {url}/_mock/sandboxes makes one ({sandboxes} in the database)", file=out)
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
