"""pytest plugin: a ``mockbank`` fixture with a running emulator and fresh state for every test, and
``--mockbank-adapter COMMAND`` to run the certification plans as pytest tests.

Installed with mockbank (entry point ``pytest11``). Options:

``--mockbank-fixtures FILE``   the fixture file (default: the built-in demo bank)
``--mockbank-url URL``         use an emulator that already runs there (a shared one: each test gets its own
                               sandbox there, deleted after the test, so ``pytest -n 8`` is safe)
``--mockbank-token TOKEN``     the control token of that emulator (default ``$MOCKBANK_CONTROL_TOKEN``)
``--mockbank-adapter CMD``     add one test per certification check, run against that adapter
``--mockbank-examples N``      examples per property check (default 10)
``--mockbank-plans P,...``     only these plans (default: all)
``--mockbank-seed N``          replay the examples of an earlier run
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest

from mockbank.testing import Emulator

_CERTIFY = pytest.StashKey[dict[str, Any]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockbank", "BankIntegration emulator")
    group.addoption("--mockbank-fixtures", metavar="FILE", help="fixture file for the mockbank fixture")
    group.addoption("--mockbank-url", metavar="URL", help="use a running emulator instead of starting one")
    group.addoption("--mockbank-token", metavar="TOKEN",
                    help="control token of the --mockbank-url emulator (default $MOCKBANK_CONTROL_TOKEN)")
    group.addoption("--mockbank-adapter", metavar="COMMAND",
                    help="run the certification plans against this adapter command, one test per check")
    group.addoption("--mockbank-examples", type=int, default=10, metavar="N", help="examples per property (default 10)")
    group.addoption("--mockbank-plans", metavar="PLAN,...", help="only these certification plans")
    group.addoption("--mockbank-seed", type=int, metavar="N", help="seed of the certification examples")


def pytest_configure(config: pytest.Config) -> None:
    """Refuse bad options as usage errors, before any test runs."""
    from mockbank.contract_tests.plans import parse

    try:
        parse(config.getoption("--mockbank-plans"))
    except ValueError as error:
        raise pytest.UsageError(f"--mockbank-plans: {error}") from None
    examples = config.getoption("--mockbank-examples")
    if examples < 1:
        raise pytest.UsageError(f"--mockbank-examples must be at least 1, not {examples}")


#: How long the ``mockbank`` fixture waits for the requests of the test before to finish (faults cleared first).
SETTLE_SECONDS = 30.0


@contextmanager
def _refusals_end_the_run(config: pytest.Config) -> Iterator[None]:
    """An emulator at ``--mockbank-url`` that cannot be reached, or refuses the token or the sandbox, ends the
    run with one line naming the option (pytest's usage-error status), not a traceback in every test."""
    import requests

    from mockbank.cli.certify import sandbox_refusal
    from mockbank.cli.common import request_error_reason
    from mockbank.testing import ControlError

    url = config.getoption("--mockbank-url")
    try:
        yield
    except ControlError as error:
        pytest.exit(sandbox_refusal(error, url, config.getoption("--mockbank-token"), url_option="--mockbank-url",
                                    token_option="--mockbank-token"), returncode=pytest.ExitCode.USAGE_ERROR)
    except requests.RequestException as error:
        pytest.exit(f"--mockbank-url {url}: cannot reach the emulator there: {request_error_reason(error)}",
                    returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.fixture(scope="session")
def mockbank_session(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """One emulator for the whole test session (the ``mockbank`` fixture resets it per test)."""
    fixture = request.config.getoption("--mockbank-fixtures")
    url = request.config.getoption("--mockbank-url")
    token = request.config.getoption("--mockbank-token")
    with _refusals_end_the_run(request.config):
        emulator = (Emulator.connect(url, fixture, token=token) if url else Emulator(fixture, token=token)).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def mockbank(request: pytest.FixtureRequest, mockbank_session: Emulator) -> Iterator[Emulator]:
    """A running emulator with fresh state: ``.url``, ``.credentials``, ``.client()``, ``.journal()``,
    ``.advance_clock()``, ``.inject_fault()``, ``.reset()`` and the rest of :class:`mockbank.testing.Emulator`.

    With ``--mockbank-url`` it is a sandbox of that emulator of its own, deleted after the test."""
    if request.config.getoption("--mockbank-url"):
        with _refusals_end_the_run(request.config):
            sandbox = mockbank_session.sandbox(request.config.getoption("--mockbank-fixtures"))
        try:
            yield sandbox
        finally:
            sandbox.stop()
        return
    # A request the test before gave up on (a client timeout in an injected delay) may still run: released by
    # clearing the faults, it must finish before the reset, or it lands in this test's bank.
    mockbank_session.clear_faults()
    mockbank_session.wait_for_requests(SETTLE_SECONDS)
    mockbank_session.reset()
    yield mockbank_session


# --------------------------------------------------------------------------- certification as tests


@pytest.hookimpl(tryfirst=True)  # before -k and -m deselect
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--mockbank-adapter"):
        return
    # collected as pytest collects (its collect report counts them), so "N tests collected" includes them
    items.extend(session.genitems(CertificationPlans.from_parent(session, name="mockbank-certify",
                                                                          nodeid="mockbank-certify")))


class CertificationPlans(pytest.Collector):
    """The checks of the certification plans chosen with ``--mockbank-plans`` (all by default)."""

    def collect(self) -> list[pytest.Item]:
        from mockbank.contract_tests.plans import checks, parse

        return [CertificationCheck.from_parent(self, name=check.id, check=check)
                for check in checks(parse(self.config.getoption("--mockbank-plans")))]


class CertificationFailed(Exception):
    """A certification check found the client wrong."""


class CertificationCheck(pytest.Item):
    """One check of a certification plan, run against the adapter of ``--mockbank-adapter``."""

    def __init__(self, *, check, **kwargs: Any):
        super().__init__(**kwargs)
        self.check = check

    def runtest(self) -> None:
        from mockbank.contract_tests.plans import left_out
        from mockbank.contract_tests.report import left_out_reason
        from mockbank.contract_tests.runner import PASSED, run_check

        session = _certify_session(self.config)
        start = self.config.stash[_CERTIFY]["start"]
        if start.status != PASSED:
            raise CertificationFailed(f"adapter/start: {start.message}")
        missing = left_out([self.check.plan], session.operations).get(self.check.plan)
        if missing:
            pytest.skip(left_out_reason(missing))
        result = run_check(session, self.check)
        if result.status != PASSED:
            raise CertificationFailed(_describe(result, session.seed))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CertificationFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"mockbank certify {self.check.id}: {self.check.description}"


def _certify_session(config: pytest.Config):
    state = config.stash.setdefault(_CERTIFY, {})
    if "session" not in state:
        from mockbank.contract_tests.runner import open_session, start_adapter

        stack = ExitStack()
        state["stack"] = stack
        with _refusals_end_the_run(config):
            session = stack.enter_context(open_session(
                config.getoption("--mockbank-adapter"), url=config.getoption("--mockbank-url"),
                token=config.getoption("--mockbank-token"),
                fixtures=config.getoption("--mockbank-fixtures"), examples=config.getoption("--mockbank-examples"),
                seed=config.getoption("--mockbank-seed")))
        state["start"] = start_adapter(session.adapter)  # hello: the operations it offers
        if state["start"].hello is not None:
            session.operations = state["start"].hello.operations
        state["session"] = session
    return state["session"]


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_CERTIFY, {})
    if "stack" in state:
        state["stack"].close()


def _describe(result, seed: int) -> str:
    lines = [f"{result.id}: {result.message}", f"seed {seed} (replay with --mockbank-seed {seed})"]
    if result.diagnosis:
        lines.append(f"signature diagnosis: {json.dumps(result.diagnosis, ensure_ascii=False, default=str)}")
    if result.example is not None:
        lines.append(f"example: {json.dumps(result.example, ensure_ascii=False, default=str)}")
    if result.expected is not None or result.reported is not None:
        lines.append(f"expected: {json.dumps(result.expected, ensure_ascii=False, default=str)[:2000]}")
        lines.append(f"reported: {json.dumps(result.reported, ensure_ascii=False, default=str)[:2000]}")
    return "\n".join(lines)
