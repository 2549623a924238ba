"""A running emulator for tests: in this process on a free port, or a remote one by URL.

    with Emulator() as bank:
        client = bank.client()            # the reference client, signed for the first demo account
        client.pay([...])
        bank.advance_clock(3600)
        assert bank.journal()[-1]["verdict"]["ok"]

Everything but :meth:`Emulator.client` goes through the ``/_mock/*`` control plane, so the same
calls work against ``mockbank serve`` started elsewhere (``Emulator.connect(url)``), and against a
sandbox of it: ``with bank.sandbox() as mine: ...`` is an isolated bank, deleted afterwards.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

import requests
from werkzeug.serving import WSGIRequestHandler

from mockbank import fixtures, signing
from mockbank.control_auth import TOKEN_ENV, token_headers
from mockbank.jsonnumbers import decimal_to_json
from mockbank.settings import DEFAULT_MAX_CLOCK_SKEW, Settings


class ControlError(RuntimeError):
    """A control-plane call (``/_mock/*``) that the server refused or answered with something else than mockbank
    would: ``status`` is its HTTP status, ``detail`` what it answered."""

    def __init__(self, method: str, url: str, status: int, detail: str):
        super().__init__(f"{method} {url} answered {status}: {detail}")
        self.method, self.url, self.status, self.detail = method, url, status, detail


class QuietHandler(WSGIRequestHandler):
    """werkzeug's request handler without its access log (the journal has every request)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class Emulator:
    """An emulator served on 127.0.0.1 at a free port, with its own bank.

    ``db`` is where that bank lives: ``":memory:"`` (a throwaway SQLite file, the default), a SQLite path,
    or a PostgreSQL URL (``pip install 'mockbank[postgres]'``). ``token``: the control token; an emulator
    started here then requires it on ``/_mock/*`` (as ``mockbank serve --control-token`` does), and every
    control call of this handle sends it.
    """

    def __init__(self, fixture: str | None = None, *, db: str = ":memory:", progression: str = "poll",
                 max_clock_skew: float | None = DEFAULT_MAX_CLOCK_SKEW, clock: str | None = None, frozen_clock: bool = False,
                 url: str | None = None, token: str | None = None, **settings: Any):
        self._fixture_path = fixture
        self._db = db
        self._settings = dict(progression=progression, max_clock_skew=max_clock_skew, clock_start=clock,
                              frozen_clock=frozen_clock, **settings)
        self.url = url
        self.token = token
        self._server = None
        self._thread: threading.Thread | None = None
        self.bank = None
        self.fixture = fixtures.load(fixture)
        self.http = requests.Session()
        self._credentials: list[signing.Credentials] | None = None  # a sandbox's, given when it was made
        self._owner: Emulator | None = None  # the server a sandbox handle lives on
        self.sandbox_id: str | None = None

    @classmethod
    def connect(cls, url: str, fixture: str | None = None, credentials: list[dict[str, str]] | None = None,
                token: str | None = None) -> Emulator:
        """A handle on an emulator that already runs at ``url``: its fixture file for the credentials, or the
        ``credentials`` a sandbox was created with (``POST /_mock/sandboxes`` answers them). ``token`` is the
        server's control token (default ``$MOCKBANK_CONTROL_TOKEN``)."""
        handle = cls(fixture, url=url.rstrip("/"), token=token or os.environ.get(TOKEN_ENV) or None)
        if credentials is not None:
            handle._credentials = [signing.Credentials.from_json(item) for item in credentials]
        return handle

    # ------------------------------------------------------------------ life cycle

    def start(self) -> Emulator:
        if self.url is not None:
            return self
        from mockbank.store import open_store  # the server side is imported only when served here
        from werkzeug.serving import make_server

        from mockbank.app import create_app
        from mockbank.bank import Bank

        self.bank = Bank(open_store(self._db), self.fixture, Settings(**self._settings))
        self.bank.ensure_seeded()
        self._server = make_server("127.0.0.1", 0, create_app(self.bank, control_token=self.token), threaded=True,
                                   request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
                                        name="mockbank-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._owner is not None:  # a sandbox: delete it and its data on the server (unless it is gone already)
            if self.sandbox_id is not None:
                self._owner.http.delete(f"{self._owner.url}/_mock/sandboxes/{self.sandbox_id}", timeout=30,
                                        headers=token_headers(self.token))
                self.sandbox_id = None
            self.http.close()
            return
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self.bank.store.close()
            self._server = None
        self.http.close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ credentials and clients

    @property
    def credentials(self) -> list[signing.Credentials]:
        """Signing credentials of every account of the fixture (or the sandbox), in fixture order."""
        return self._credentials if self._credentials is not None else self.fixture.credentials()

    def sandbox(self, fixture: str | None = None, **options: Any) -> Emulator:
        """A new sandbox on this emulator's server: a handle like this one, whose ``stop()`` (or the end of a
        ``with`` block) deletes it. ``fixture`` is a fixture file sent inline; ``options`` are the other fields
        of ``POST /_mock/sandboxes`` (``clock``, ``frozenClock``, ``progression``, ``ttlSeconds``)."""
        body = dict(options)
        if fixture is not None:
            body["fixtures"] = fixtures.load(fixture).document
        return self._create_sandbox(body, fixture)

    def demo_sandbox(self, **options: Any) -> Emulator:
        """A new sandbox holding the built-in demo bank, whatever fixtures the server runs, with freshly generated
        API keys and integration codes (as a sandbox made without fixtures has them); see :meth:`sandbox`."""
        return self._create_sandbox({**options, "fixtures": fixtures.fresh_credentials(fixtures.load().document)},
                                    None)

    def _create_sandbox(self, body: dict[str, Any], fixture: str | None) -> Emulator:
        if self._owner is not None:  # sandboxes are made at the server's root
            return self._owner._create_sandbox(body, fixture)
        created = self._call("POST", "/sandboxes", data=_json_text(body), headers={"Content-Type": "application/json"})
        if not (isinstance(created, dict) and {"id", "baseUrl", "credentials"} <= created.keys()):
            raise ControlError("POST", f"{self.url}/_mock/sandboxes", 201, "the answer is not a new sandbox")
        handle = Emulator.connect(created["baseUrl"], fixture, credentials=created["credentials"], token=self.token)
        handle._owner, handle.sandbox_id = self, created["id"]
        return handle

    def client(self, account: int | str = 0, **options: Any):
        """The reference client for one account (index or account number)."""
        from mockbank.client import BankIntegrationClient

        creds = self.credentials
        chosen = creds[account] if isinstance(account, int) else next(c for c in creds if c.account == account)
        return BankIntegrationClient(self.url, chosen, **options)

    # ------------------------------------------------------------------ control plane

    def _call(self, method: str, path: str, expect_json: bool = True, **kwargs: Any) -> Any:
        url = f"{self.url}/_mock{path}"
        response = self._request(method, url, **kwargs)
        if not expect_json:
            return None
        try:
            return response.json()
        except ValueError:
            raise ControlError(method, url, response.status_code, "the answer is not JSON") from None

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """A control-plane call, with the control token when this handle has one; :class:`ControlError` unless 2xx."""
        headers = {**token_headers(self.token), **kwargs.pop("headers", {})}
        response = self.http.request(method, url, timeout=30, headers=headers, **kwargs)
        if response.status_code >= 400:
            raise ControlError(method, url, response.status_code, response.text)
        return response

    def in_flight(self) -> int:
        """API requests the emulator (the process answering this call) is still working on."""
        return self._call("GET", "/health").get("inFlight", 0)

    def wait_for_requests(self, seconds: float = 30.0) -> bool:
        """Wait until the emulator has answered every API request sent to it so far (up to ``seconds``);
        False if some still ran then.

        A client that gave up (a timeout) may have left its request running in the emulator, e.g. in an
        injected delay; it must finish before a reset, or it lands in the fresh bank.
        """
        deadline = time.monotonic() + seconds
        while self.in_flight():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def reset(self) -> None:
        """Back to the fixtures: no payments, empty journal, no faults, initial clock."""
        self._call("POST", "/reset")

    def journal(self, since: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """The requests the emulator received, oldest first, each with its verdict: all of them after
        ``since`` (following the server's pages), or at most ``limit``."""
        entries: list[dict[str, Any]] = []
        url: str | None = f"{self.url}/_mock/requests"
        params: dict[str, Any] | None = {"since": since, **({"limit": limit} if limit is not None else {})}
        while url is not None and (limit is None or len(entries) < limit):
            response = self._request("GET", url, params=params)
            entries.extend(response.json())
            url, params = response.links.get("next", {}).get("url"), None
        return entries if limit is None else entries[:limit]

    def clear_journal(self) -> None:
        self._call("DELETE", "/requests")

    def clock(self) -> dict[str, Any]:
        return self._call("GET", "/clock")

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Move the bank clock forward (payments in time mode move on, days close)."""
        return self._call("POST", "/clock", json={"advance": seconds})

    def set_clock(self, now: str, frozen: bool | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"now": now}
        if frozen is not None:
            body["frozen"] = frozen
        return self._call("POST", "/clock", json=body)

    def inject_fault(self, **spec: Any) -> dict[str, Any]:
        """Add a fault, e.g. ``inject_fault(path="/payment", status=503)`` or ``(delayMs=3000)``."""
        return self._call("POST", "/faults", json=spec)

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def progress(self, payment_id: str | None = None, status: int | None = None) -> list[dict[str, Any]]:
        body: dict[str, Any] = {}
        if payment_id is not None:
            body["paymentId"] = payment_id
        if status is not None:
            body["status"] = status
        return self._call("POST", "/progress", json=body)["payments"]

    def payments(self) -> list[dict[str, Any]]:
        return self._call("GET", "/payments")

    def set_progression(self, mode: str, account: str | None = None, step_seconds: float | None = None):
        body: dict[str, Any] = {"mode": mode}
        if account is not None:
            body["account"] = account
        if step_seconds is not None:
            body["stepSeconds"] = step_seconds
        return self._call("POST", "/progression", json=body)

    def magic(self) -> dict[str, Any]:
        return self._call("GET", "/magic")


def _json_text(body: dict[str, Any]) -> str:
    """A request body with the fixture's Decimal amounts written as JSON numbers."""
    return json.dumps(body, default=decimal_to_json)
