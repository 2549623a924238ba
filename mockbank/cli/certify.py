"""``mockbank certify``: run the certification plans against a client's adapter."""

from __future__ import annotations

import argparse
import os
import sys

from mockbank.control_auth import TOKEN_ENV
from mockbank.cli.common import UsageError


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


def run_certify(args: argparse.Namespace) -> int:
    from mockbank.contract_tests import plans as plan_registry
    from mockbank.contract_tests.report import start_line, write_reports
    from mockbank.contract_tests.runner import PASSED, certify

    chosen = [name.strip() for name in args.plans.split(",") if name.strip()] if args.plans else None
    try:
        plan_registry.checks(chosen)
    except ValueError as error:
        raise UsageError(f"--plans: {error}") from None
    if args.examples < 1 or args.timeout_ms < 100:
        raise UsageError("--examples must be at least 1 and --timeout-ms at least 100")
    if not args.adapter_start_timeout > 0:
        raise UsageError("--adapter-start-timeout must be a positive number of seconds")
    report = certify(args.adapter, url=args.url, fixtures=args.fixtures, examples=args.examples, seed=args.seed,
                     plans=chosen, timeout_ms=args.timeout_ms, start_timeout=args.adapter_start_timeout,
                     progress=_progress_bar(sys.stderr), token=args.control_token)
    paths = write_reports(report, args.report)
    failed = [result for result in report.results if result.status != PASSED]
    started = report.start.status == PASSED
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
    if not started:
        print(f"certification FAILED: the adapter did not start ({report.seconds:.1f} s)")
    elif report.partial and report.passed:
        print(f"certification PARTIAL (not a full certificate): {checked}; {report.scope()}")
    else:
        print(f"certification {report.verdict}: {checked}; {report.scope()}")
    if failed:
        print(f'replay: mockbank certify --adapter "{args.adapter}" --seed {report.seed} --examples {args.examples}'
              + (f" --plans {','.join(chosen)}" if chosen else ""))
    print(f"report: {paths['html']}  (JUnit: {paths['junit']})")
    return 0 if report.passed else 1


def _progress_bar(stream):
    """A one-line progress bar on a terminal, a line per check otherwise."""
    width = 30

    def show(done: int, total: int, result) -> None:
        mark = "ok" if result.status == "passed" else result.status.upper()
        if stream.isatty():
            filled = done * width // total
            stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {mark:<6} {result.id:<45.45}")
            if done == total:
                stream.write("\n")
        else:
            stream.write(f"[{done}/{total}] {mark:<6} {result.id} ({result.seconds:.1f} s)\n")
        stream.flush()

    return show
