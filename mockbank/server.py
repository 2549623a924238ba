"""``mockbank serve``: build the bank, print how to reach it, serve it with waitress.

With ``--workers N`` (POSIX) the parent seeds the database, binds the listening socket and forks N
processes that each serve it with their own store connection; the database (SQLite or PostgreSQL) keeps
them consistent.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
from dataclasses import dataclass
from typing import TextIO

from mockbank import fixtures
from mockbank.app import create_app
from mockbank.bank import Bank
from mockbank.settings import DEFAULT_MAX_BODY, Settings
from mockbank.store import MEMORY, open_store, redact_url


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


def build_bank(options: ServeOptions, settings: Settings) -> tuple[Bank, bool]:
    """The bank over ``options.db``, seeded if new (or if ``reset``); returns (bank, seeded now)."""
    bank = Bank(open_store(options.db), fixtures.load(options.fixtures), settings)
    if options.reset:
        bank.reset()
        return bank, True
    return bank, bank.ensure_seeded()


def serve(options: ServeOptions, settings: Settings, out: TextIO = sys.stdout) -> None:
    """Serve until interrupted."""
    if options.workers > 1 and options.db == MEMORY:
        raise ValueError("--workers needs a database file (--db FILE): processes cannot share :memory:")
    bank, seeded = build_bank(options, settings)
    listener = socket.create_server((options.host, options.port), reuse_port=False)
    host, port = listener.getsockname()[:2]
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    _print_banner(out, url, bank, options, seeded)
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
    print(f"  control    {url}/_mock/health  (journal: {url}/_mock/requests)", file=out)
    sandboxes = len(bank.store.sandboxes.all())
    print(f"  sandboxes  POST {url}/_mock/sandboxes makes one ({sandboxes} in the database)", file=out)
    print(f"mockbank listening on {url}", file=out, flush=True)
