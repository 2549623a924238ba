"""``mockbank certify``: run the certification plans against a client's adapter."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

from mockbank.control_auth import TOKEN_ENV
from mockbank.cli.common import UsageError, request_error_reason


def add_certify(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("certify", help="certify a client through its adapter against the emulator",
                                 description=(
        "Run the test plans against a client wrapped in an adapter (see the README's adapter protocol): "
        "signing, payments, status, statement, balance, cancel, errors, robustness. Writes a JUnit XML and "
        "an HTML report. Exit status 0 only when every check passed."))
    parser.add_argument("--adapter", required=True, metavar="COMMAND",
                        help='the adapter command, e.g. "python -m mockbank.adapters.reference"')
    parser.add_argument("--url", help="certify against an emulator already running there (default: start one)")
    parser.add_argument("--fixtures", metavar="FILE", help="the fixture file of that emulator (default: the demo bank)")
    parser.add_argument("--control-token", default=os.environ.get(TOKEN_ENV) or None, metavar="TOKEN",
                        help=f"the control token of the --url emulator (default ${TOKEN_ENV})")
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


#: The longest --timeout-ms and --adapter-start-timeout: an hour (longer ones overflow the clocks below them).
MAX_TIMEOUT_MS = 3_600_000
MAX_START_SECONDS = 3_600


def run_certify(args: argparse.Namespace) -> int:
    import requests

    from mockbank.contract_tests import plans as plan_registry
    from mockbank.contract_tests.report import replay_command, start_line, write_reports
    from mockbank.contract_tests.runner import PASSED, certify
    from mockbank.fixtures import FixtureError
    from mockbank.testing import ControlError

    try:
        chosen = plan_registry.parse(args.plans)
    except ValueError as error:
        raise UsageError(f"--plans: {error}") from None
    if args.examples < 1 or not 100 <= args.timeout_ms <= MAX_TIMEOUT_MS:
        raise UsageError(f"--examples must be at least 1 and --timeout-ms from 100 to {MAX_TIMEOUT_MS}")
    if not 0 < args.adapter_start_timeout <= MAX_START_SECONDS:  # NaN fails this too
        raise UsageError(f"--adapter-start-timeout must be more than 0 and at most {MAX_START_SECONDS} seconds")
    try:
        if not shlex.split(args.adapter):
            raise UsageError("--adapter: give the command that starts your adapter")
    except ValueError as error:  # an unbalanced quote
        raise UsageError(f"--adapter: {args.adapter!r} is not a command line ({error})") from None
    report_folder = Path(args.report)
    try:  # before the run, so that a run is never lost for want of a place for its report
        report_folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"--report {args.report}: cannot make the folder ({error.strerror or error})") from None
    progress = _Progress(sys.stderr)
    try:
        report = certify(args.adapter, url=args.url, fixtures=args.fixtures, examples=args.examples, seed=args.seed,
                         plans=chosen, timeout_ms=args.timeout_ms, start_timeout=args.adapter_start_timeout,
                         progress=progress, token=args.control_token)
    except FixtureError as error:
        raise UsageError(f"--fixtures: {error}") from None
    except ControlError as error:  # only the setup (the sandbox) lets it out: each check catches its own
        raise UsageError(sandbox_refusal(error, args.url, args.control_token)) from None
    except requests.RequestException as error:
        raise UsageError(f"--url {args.url}: cannot reach the emulator there: {request_error_reason(error)}") from None
    if report.interrupted:
        progress.end_line()
    paths = write_reports(report, args.report)
    failed = [result for result in report.results if result.status != PASSED]
    started = report.start is not None and report.start.status == PASSED
    if report.start is not None:
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
    if report.interrupted:
        print(f"certification INTERRUPTED (Ctrl-C; not a certificate): {len(report.results) - len(failed)} of the "
              f"{len(report.results)} checks finished passed, {report.seconds:.1f} s, seed {report.seed}")
    elif not started:
        print(f"certification FAILED: the adapter did not start ({report.seconds:.1f} s)")
    elif report.partial and report.passed:
        print(f"certification PARTIAL (not a full certificate): {checked}; {report.scope()}")
    else:
        print(f"certification {report.verdict}: {checked}; {report.scope()}")
    if failed or report.interrupted:
        print(f"replay: {replay_command(report)}")
    print(f"report: {paths['html']}  (JUnit: {paths['junit']})")
    if report.interrupted:
        return 130
    return 0 if report.passed else 1


def sandbox_refusal(error, url: str, token: str | None, *, url_option: str = "--url",
                    token_option: str = "--control-token") -> str:
    """One line on why the emulator at ``url`` refused to make the sandbox a certification (or a test) runs in,
    naming the options (the command line's, or the pytest plugin's) that fix it."""
    what = f"{error.method} /_mock/sandboxes answered {error.status}"
    if error.status == 401:
        if not token:
            return (f"{url_option} {url}: the emulator there needs its control token ({what}); give it with "
                    f"{token_option} TOKEN or ${TOKEN_ENV}")
        return f"{token_option}: the emulator at {url_option} {url} refused the token given ({what})"
    try:
        message = json.loads(error.detail).get("message")
    except (ValueError, AttributeError):  # not mockbank's JSON error
        message = None
    if isinstance(message, str):
        return f"{url_option} {url}: the emulator there refused to make a sandbox ({what}: {message})"
    return (f"{url_option} {url}: not a mockbank emulator ({what}); give the address that `mockbank serve` "
            "printed")


class _Progress:
    """Shows each finished check: a one-line progress bar on a terminal, a line per check otherwise."""

    WIDTH = 30

    def __init__(self, stream):
        self.stream = stream
        self.open_line = False  # a bar is drawn and its line not ended

    def __call__(self, done: int, total: int, result) -> None:
        mark = "ok" if result.status == "passed" else result.status.upper()
        if self.stream.isatty():
            filled = done * self.WIDTH // total
            self.stream.write(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total} {mark:<6} "
                              f"{result.id:<45.45}")
            self.open_line = done < total
            if done == total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{done}/{total}] {mark:<6} {result.id} ({result.seconds:.1f} s)\n")
        self.stream.flush()

    def end_line(self) -> None:
        """End the bar's line (a run stopped before its last check), so that the summary starts on its own."""
        if self.open_line:
            self.stream.write("\n")
            self.stream.flush()
            self.open_line = False
