"""The reference adapter with one start-up or output habit each: ``python tests/fake_adapter.py MODE [ARG]``.

Modes: ``slow-start SECONDS`` (sleeps before it reads anything, like ``dotnet run`` building),
``building`` (prints "Building..." on stdout first), ``noisy OP`` (prints a log line on stdout before
each reply to OP), ``offers OP,OP`` (answers hello with only those operations), ``no-hello`` (an
older adapter that does not know hello), ``offers-nonsense`` (answers hello with an unknown operation).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from mockbank.adapters import reference
from mockbank.adapters.protocol import OPERATIONS, hello_result, serve


def main(mode: str, argument: str = "") -> None:
    hello = hello_result("fake adapter", "1.0")
    handle = reference.handle
    if mode == "slow-start":
        time.sleep(float(argument))
    elif mode == "building":
        print("Building...", flush=True)
    elif mode == "noisy":
        def handle(request: dict[str, Any]) -> Any:
            if request["op"] == argument:
                print(f"fetching {argument} ...", flush=True)
            return reference.handle(request)
    elif mode == "offers":
        hello = hello_result("statements only", "1.0", tuple(op for op in OPERATIONS if op in argument.split(",")))
    elif mode == "no-hello":
        hello = None
    elif mode == "offers-nonsense":
        hello = {"ops": ["statement", "refund"]}
    else:
        sys.exit(f"fake_adapter.py: unknown mode {mode!r}")
    serve(handle, hello=hello)


if __name__ == "__main__":
    main(*sys.argv[1:])
