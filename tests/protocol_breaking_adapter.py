"""An adapter that answers hello properly, then breaks the protocol in one way: ``python protocol_breaking_adapter.py
MODE [ARG]``. It calls no bank: every request other than hello gets ``{"id", "ok": true, "result": {}}`` unless
the mode changes that, so the kit's side of the protocol can be tested without an emulator.

Modes: ``latin1-logs`` (a cp1252/latin-1 line and 100 kB of ordinary log lines on stderr before each reply),
``latin1-reply`` (the reply encoded in latin-1), ``huge-integer DIGITS`` (an integer of that many digits in the
result), ``nested DEPTH`` (a result of arrays nested that deep), ``id-true`` (``"id": true`` in every reply),
``garbage-then-hang PIDFILE`` (writes its pid to PIDFILE; answers every request with a log line on stdout, then
hangs without reading stdin), ``leaves-child PIDFILE`` (starts a ``sleep`` that outlives it, writes the sleep's
pid to PIDFILE), ``closes-stdout`` (closes stdout at the first request and keeps running).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

OPERATIONS = ["pay", "status", "payment", "statement", "balance", "cancel"]


def write(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def reply_for(mode: str, argument: str, request_id: object) -> bytes:
    if mode == "latin1-reply":
        return json.dumps({"id": request_id, "ok": True, "result": {"name": "Søren"}},
                          ensure_ascii=False).encode("latin-1") + b"\n"
    if mode == "huge-integer":
        return b'{"id": %d, "ok": true, "result": {"account": %s}}\n' % (request_id, b"9" * int(argument))
    if mode == "nested":
        depth = int(argument)
        return b'{"id": %d, "ok": true, "result": %s%s}\n' % (request_id, b"[" * depth, b"]" * depth)
    if mode == "id-true":
        request_id = True
    return json.dumps({"id": request_id, "ok": True, "result": {}}).encode("utf-8") + b"\n"


def main(mode: str, argument: str = "") -> None:
    if mode in ("garbage-then-hang", "outlives-stdin"):
        with open(argument, "w", encoding="utf-8") as pid_file:
            pid_file.write(str(os.getpid()))
    if mode == "leaves-child":
        sleeper = subprocess.Popen(["sleep", "60"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        with open(argument, "w", encoding="utf-8") as pid_file:
            pid_file.write(str(sleeper.pid))
    for line in sys.stdin.buffer:
        request = json.loads(line)
        if request["op"] == "hello":
            write(json.dumps({"id": request["id"], "ok": True, "result": {"ops": OPERATIONS}}).encode() + b"\n")
            continue
        if mode == "latin1-logs":
            sys.stderr.buffer.write("betaling til Søren\n".encode("latin-1"))
            sys.stderr.buffer.write(b"debug line of a chatty client\n" * 3500)
            sys.stderr.buffer.flush()
        if mode == "garbage-then-hang":
            write(b"oops\n")
            time.sleep(600)
        if mode == "closes-stdout":
            os.close(sys.stdout.fileno())
            time.sleep(600)
        write(reply_for(mode, argument, request["id"]))
    if mode == "outlives-stdin":  # does not exit when its stdin closes
        time.sleep(600)


if __name__ == "__main__":
    main(*sys.argv[1:])
