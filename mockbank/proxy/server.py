"""Building a proxy from its options, serving it (``mockbank proxy``), or running it in this process (tests)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from mockbank import fixtures
from mockbank.proxy.anonymise import Anonymiser
from mockbank.proxy.app import ProxyApp
from mockbank.proxy.drift import DriftTracker
from mockbank.proxy.exchange import Proxy
from mockbank.proxy.journal import Journal
from mockbank.proxy.recording import Recorder
from mockbank.proxy.signature import SignatureCheck
from mockbank.proxy.upstream import DEFAULT_TIMEOUT, Upstream, check_upstream_url
from mockbank.settings import DEFAULT_MAX_CLOCK_SKEW
from mockbank.verification import StaticCredentials

DEFAULT_PORT = 8081


@dataclass(frozen=True)
class ProxyOptions:
    upstream: str
    credentials: str | None = None  # a fixture file with the developer's real ERPs and accounts
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    record: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    ca_bundle: str | None = None
    control_token: str | None = None
    max_clock_skew: float | None = DEFAULT_MAX_CLOCK_SKEW


def build_proxy(options: ProxyOptions, console: Callable[[str], None] | None = None) -> tuple[Proxy, str]:
    """The proxy and a description of its signature check; ValueError (naming the option) if it cannot be built."""
    check_upstream_url(options.upstream)
    credentials, described = None, "everything but the HMAC (no --credentials)"
    if options.credentials is not None:
        fixture = fixtures.load(options.credentials)
        credentials = StaticCredentials(tuple(fixture.credentials()))
        described = (f"everything, with {len(fixture.erps)} ERP(s) and {len(fixture.accounts)} account(s) from "
                     f"{options.credentials} (the keys stay in this process)")
    anonymiser = Anonymiser()
    recorder = Recorder(options.record, anonymiser) if options.record else None
    proxy = Proxy(Upstream(options.upstream, timeout=options.timeout, ca_bundle=options.ca_bundle),
                  SignatureCheck(credentials, options.max_clock_skew), Journal(), DriftTracker(anonymiser),
                  recorder, console, options.control_token)
    return proxy, described


class Console:
    """Lines for the person running the proxy, best effort: once ``out`` is closed (``| head``), nothing more is
    printed, and the exchanges go on (an answer the bank gave is never lost to a console line)."""

    def __init__(self, out: TextIO):
        self.out = out
        self._lock = threading.Lock()
        self._closed = False

    def __call__(self, line: str) -> None:
        with self._lock:
            if self._closed:
                return
            try:
                print(line, file=self.out, flush=True)
            except (OSError, ValueError):  # a broken pipe, or a closed file
                self._closed = True


def serve(options: ProxyOptions, out: TextIO = sys.stdout) -> None:
    """Serve until interrupted, one line per exchange on ``out``; OSError or ValueError (naming the option) if it
    cannot start. The port is bound first, so a proxy that cannot listen leaves an existing ``--record`` file as it
    was."""
    from mockbank.server import listen

    console = Console(out)
    listener = listen(options.host, options.port)
    try:
        proxy, described = build_proxy(options, console)
    except BaseException:
        listener.close()
        raise
    host, port = listener.getsockname()[:2]
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    console(f"mockbank proxy {url} -> {proxy.upstream.url}")
    console(f"  signature  checks {described}")
    if options.record:
        console(f"  recording  {options.record} (anonymised, Authorization dropped)")
    console(f"  control    {url}/_mock/requests (journal)  {url}/_mock/drift  {url}/_mock/health"
            + ("  (X-Mockbank-Token required)" if options.control_token else ""))
    console(f"mockbank proxy listening on {url}")
    import waitress

    server = waitress.create_server(ProxyApp(proxy), sockets=[listener], threads=8, ident="mockbank-proxy")
    try:
        server.run()
    finally:
        server.close()
        if proxy.recorder is not None:
            proxy.recorder.close()


class RunningProxy:
    """A proxy in this process on a free port of 127.0.0.1, for tests: ``with RunningProxy(options) as p: p.url``."""

    def __init__(self, options: ProxyOptions, console: Callable[[str], None] | None = None):
        self.options = options
        self.proxy, _ = build_proxy(options, console)
        self.url: str | None = None
        self._server = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> RunningProxy:
        from werkzeug.serving import make_server

        from mockbank.testing import QuietHandler

        self._server = make_server("127.0.0.1", 0, ProxyApp(self.proxy), threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
                                        name="mockbank-proxy", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self.proxy.upstream.close()
        if self.proxy.recorder is not None:
            self.proxy.recorder.close()
