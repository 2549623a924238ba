"""Run the test plans against an adapter and collect a :class:`Report`."""

from __future__ import annotations

import random
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from hypothesis.errors import HypothesisException

from mockbank.adapters.protocol import OPERATIONS
from mockbank.contract_tests import plans as plan_registry
from mockbank.contract_tests import strategies
from mockbank.contract_tests.adapter import DEFAULT_START_TIMEOUT, AdapterFailure, AdapterProcess, Hello
from mockbank.contract_tests.session import DEFAULT_TIMEOUT_MS, CheckCannotRun, CheckFailed, Session
from mockbank.testing import Emulator

PASSED, FAILED, ERROR = "passed", "failed", "error"


@dataclass
class CheckResult:
    """The verdict of one check, with the evidence of a failure."""

    id: str
    plan: str
    name: str
    description: str
    status: str
    seconds: float
    message: str = ""
    example: Any = None
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    diagnosis: dict[str, Any] | None = None
    expected: Any = None
    reported: Any = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class StartResult:
    """The adapter's start: its first reply (to ``hello``), or why there was none."""

    status: str
    seconds: float
    message: str = ""
    hello: Hello | None = None
    stderr: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "seconds": round(self.seconds, 3), "message": self.message,
                "hello": self.hello.to_json() if self.hello else None, "stderr": self.stderr}


@dataclass
class Report:
    """Everything ``certify`` found: the adapter's start, then one result per check.

    ``operations`` are what the certificate covers (what the adapter offered in its reply to hello);
    ``plans_left_out`` names the plans not run because they need other operations (plan -> missing ops).
    ``server_url``, ``fixtures``, ``plans_asked``, ``timeout_ms`` and ``start_timeout`` are the options of the
    run (``server_url``: the emulator given, None when certify started its own). ``interrupted``: stopped
    (Ctrl-C) before every check ran; ``results`` are the checks finished by then.
    """

    adapter: str
    url: str
    seed: int
    examples: int
    started: str
    seconds: float = 0.0
    results: list[CheckResult] = field(default_factory=list)
    adapter_starts: int = 0
    start: StartResult | None = None
    operations: tuple[str, ...] = OPERATIONS
    plans_left_out: dict[str, list[str]] = field(default_factory=dict)
    server_url: str | None = None
    fixtures: str | None = None
    plans_asked: list[str] | None = None
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    start_timeout: float = DEFAULT_START_TIMEOUT
    interrupted: bool = False

    @property
    def passed(self) -> bool:
        started = self.start is None or self.start.status == PASSED
        return (started and not self.interrupted and bool(self.results)
                and all(result.status == PASSED for result in self.results))

    @property
    def partial(self) -> bool:
        """The certificate covers only some operations: plans were left out."""
        return bool(self.plans_left_out)

    @property
    def verdict(self) -> str:
        """PASSED, PARTIAL (passed, but only for some operations) or FAILED."""
        return "FAILED" if not self.passed else "PARTIAL" if self.partial else "PASSED"

    def scope(self) -> str:
        """One sentence on what the certificate covers."""
        if not self.partial:
            return f"covers every operation ({', '.join(self.operations)})"
        missing = sorted({op for ops in self.plans_left_out.values() for op in ops}, key=OPERATIONS.index)
        unchecked = "; ".join(plan_registry.PLAN_TOPICS[plan] for plan in self.plans_left_out)
        return (f"covers only {', '.join(self.operations)}; NOT checked: {unchecked} "
                f"(plans left out: {', '.join(self.plans_left_out)}; they need {', '.join(missing)}, "
                "which the adapter does not offer)")

    def plans(self) -> dict[str, list[CheckResult]]:
        grouped: dict[str, list[CheckResult]] = {}
        for result in self.results:
            grouped.setdefault(result.plan, []).append(result)
        return grouped

    def to_json(self) -> dict[str, Any]:
        return {"adapter": self.adapter, "url": self.url, "seed": self.seed, "examples": self.examples,
                "started": self.started, "seconds": round(self.seconds, 3), "passed": self.passed,
                "adapterStarts": self.adapter_starts, "verdict": self.verdict, "interrupted": self.interrupted,
                "certificate": {"scope": "partial" if self.partial else "full", "operations": list(self.operations),
                                "plansLeftOut": [{"plan": plan, "missingOperations": ops}
                                                 for plan, ops in self.plans_left_out.items()],
                                "summary": self.scope()},
                "adapterStart": self.start.to_json() if self.start else None,
                "results": [result.to_json() for result in self.results]}


class CertifySession(Session):
    """A session that also puts the bank on the kit's frozen clock and on poll progression after each reset."""

    def reset(self) -> None:
        super().reset()
        self.emulator.set_clock(strategies.BANK_NOW, frozen=True)
        self.emulator.set_progression("poll")


@contextmanager
def open_session(adapter: str, *, url: str | None = None, fixtures: str | None = None, examples: int = 25,
                 seed: int | None = None, timeout_ms: int = 5000,
                 start_timeout: float = DEFAULT_START_TIMEOUT, token: str | None = None) -> Iterator[CertifySession]:
    """An emulator (started here, or a fresh sandbox of the one at ``url``, which is left untouched) and the
    adapter command, ready to run checks. ``token``: the control token of the emulator at ``url``."""
    seed = random.randrange(2 ** 32) if seed is None else seed
    with ExitStack() as stack:
        if url:
            server = stack.enter_context(Emulator.connect(url, fixtures, token=token))
            options = {"clock": strategies.BANK_NOW, "frozenClock": True}
            # without fixtures: the demo bank the plans are written for, whatever fixtures the server runs
            emulator = stack.enter_context(server.sandbox(fixtures, **options) if fixtures
                                           else server.demo_sandbox(**options))
        else:
            emulator = stack.enter_context(Emulator(fixtures, clock=strategies.BANK_NOW, frozen_clock=True))
        process = stack.enter_context(AdapterProcess(adapter, start_timeout=start_timeout))
        yield CertifySession(emulator, process, examples=examples, seed=seed, timeout_ms=timeout_ms)


def certify(adapter: str, *, url: str | None = None, fixtures: str | None = None, examples: int = 25,
            seed: int | None = None, plans: list[str] | None = None, timeout_ms: int = 5000,
            start_timeout: float = DEFAULT_START_TIMEOUT,
            progress: Callable[[int, int, CheckResult], None] | None = None, token: str | None = None) -> Report:
    """Start the adapter, then run the plans (all by default) that its operations allow.

    The emulator is started here unless ``url``. An adapter that does not start (no reply to hello
    within ``start_timeout`` seconds, or not a reply) fails the certification before any check.
    """
    plan_registry.checks(plans)  # unknown plan names fail before anything starts
    started = time.perf_counter()
    with open_session(adapter, url=url, fixtures=fixtures, examples=examples, seed=seed, timeout_ms=timeout_ms,
                      start_timeout=start_timeout, token=token) as session:
        report = Report(adapter, session.emulator.url, session.seed, examples,
                        datetime.now(timezone.utc).isoformat(timespec="seconds"), server_url=url, fixtures=fixtures,
                        plans_asked=plans, timeout_ms=timeout_ms, start_timeout=start_timeout)
        with _noticing_interrupts() as interrupted:
            try:
                _run_plans(session, report, progress, interrupted)
            except KeyboardInterrupt:  # Ctrl-C: the report holds the checks finished so far
                report.interrupted = True
        report.adapter_starts = session.adapter.starts
    report.seconds = time.perf_counter() - started
    return report


@contextmanager
def _noticing_interrupts() -> Iterator[threading.Event]:
    """An event set by Ctrl-C (SIGINT), which still raises KeyboardInterrupt as well.

    The exception alone can be lost: raised inside a garbage-collector callback (hypothesis keeps one), Python
    prints it and goes on. The event is looked at between checks. Only the main thread can handle signals.
    """
    noticed = threading.Event()
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield noticed
        return

    def handle(number: int, frame: Any) -> None:
        noticed.set()
        signal.default_int_handler(number, frame)

    signal.signal(signal.SIGINT, handle)
    try:
        yield noticed
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _run_plans(session: Session, report: Report, progress: Callable[[int, int, CheckResult], None] | None,
               interrupted: threading.Event) -> None:
    """Start the adapter, then run the checks of the plans its operations allow, adding each result to ``report``;
    KeyboardInterrupt once ``interrupted`` is set."""
    report.start = start_adapter(session.adapter)
    if report.start.hello is None:
        return
    report.operations = session.operations = report.start.hello.operations
    report.plans_left_out = plan_registry.left_out(report.plans_asked, report.operations)
    chosen = [check for check in plan_registry.checks(report.plans_asked) if check.plan not in report.plans_left_out]
    for index, check in enumerate(chosen, 1):
        result = run_check(session, check)
        if interrupted.is_set():  # stopped during this check, which may have been cut short: no verdict
            raise KeyboardInterrupt
        report.results.append(result)
        if progress is not None:
            progress(index, len(chosen), result)


def start_adapter(adapter: AdapterProcess) -> StartResult:
    """Start the adapter and wait (up to its start timeout) for its reply to hello."""
    started = time.perf_counter()
    try:
        hello = adapter.start()
    except AdapterFailure as failure:
        return StartResult(FAILED, time.perf_counter() - started, str(failure), None, adapter.take_stderr())
    return StartResult(PASSED, hello.seconds, "", hello, adapter.take_stderr())


def run_check(session: Session, check: plan_registry.Check) -> CheckResult:
    """Run one check on a fresh bank and judge it."""
    started = time.perf_counter()
    result = CheckResult(check.id, check.plan, check.name, check.description, PASSED, 0.0)
    try:
        session.reset()
        session.start_example(None)
        check.run(session)
    except CheckFailed as failure:
        result.status, result.message = FAILED, failure.message
        result.expected, result.reported, result.diagnosis = failure.expected, failure.reported, failure.diagnosis
    except CheckCannotRun as problem:  # the kit's setup, not the client
        result.status, result.message = ERROR, f"the kit could not run this check: {problem}"
    except HypothesisException as problem:  # e.g. a flaky client: the shrunk example passed on replay
        result.status, result.message = FAILED, f"{type(problem).__name__}: {problem}"
    except Exception as problem:  # the kit or the emulator failed: not the client's fault
        result.status, result.message = ERROR, f"the kit could not run this check: {type(problem).__name__}: {problem}"
    broke = next((exchange for exchange in session.exchanges if exchange.failure), None)
    if result.status != PASSED and broke is not None and broke.failure not in result.message:
        # The adapter broke the protocol (garbage on stdout, died, hung): that is the headline.
        result.status, result.message = FAILED, f"{broke.op}: {broke.failure} (then: {result.message})"
    result.seconds = round(time.perf_counter() - started, 3)
    if result.status != PASSED:
        result.example = _plain(session.example)
        result.exchanges = [exchange.to_json() for exchange in session.exchanges]
    return result


def _plain(value: Any) -> Any:
    """An example as JSON-able data (Decimal amounts as their text)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)

