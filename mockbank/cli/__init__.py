"""The ``mockbank`` command line: serve, sign, explain, certify, proxy, drift-report, fixtures-from-recording."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from mockbank import __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mockbank`` console script."""
    try:
        parser = build_parser()  # imports every command's modules: most of a command's start-up time
    except KeyboardInterrupt:  # Ctrl-C right after the command was typed: no traceback from an import
        return 130
    from mockbank.cli.common import UsageError  # imported by build_parser already

    args = parser.parse_args(argv)
    for value in sys.argv[1:] if argv is None else argv:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # bytes that are not UTF-8, which Python keeps as lone surrogates
            parser.exit(2, f"mockbank {args.command}: error: the argument {os.fsencode(value)!r} is "
                           "not UTF-8 text\n")
    try:
        return args.handler(args)
    except UsageError as error:
        parser.exit(2, f"mockbank {args.command}: error: {error}\n")
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `mockbank sign --json | head`: the reader went away
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        sys.stderr.write(f"mockbank {args.command}: stopped: the output was closed before everything was "
                         "written (broken pipe)\n")
        return 1


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command. Their modules are imported here, not when ``mockbank.cli`` is, so that
    :func:`main` catches a Ctrl-C that arrives while they load."""
    from mockbank.cli.certify import add_certify
    from mockbank.cli.proxy import add_proxy_commands
    from mockbank.cli.serve import add_serve
    from mockbank.cli.signatures import add_explain, add_sign

    parser = argparse.ArgumentParser(prog="mockbank", description=(
        "Local emulator and contract-testing kit for the BankIntegration REST API."))
    parser.add_argument("--version", action="version", version=f"mockbank {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_serve(commands)
    add_sign(commands)
    add_explain(commands)
    add_certify(commands)
    add_proxy_commands(commands)
    return parser
