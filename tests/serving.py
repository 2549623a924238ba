"""`mockbank serve` as a real process on a free loopback port, for tests of the server itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from conftest import BANK_TODAY


def start_server(tmp_path, *args, env=None, db=None):
    """Start ``mockbank serve`` (a database file in ``tmp_path`` unless ``db``); returns (process, base URL).

    The lines it printed up to "listening" are in ``process.banner``."""
    process = subprocess.Popen([sys.executable, "-m", "mockbank", "serve", "--port", "0", "--db",
                                db or str(tmp_path / "bank.db"), "--clock", f"{BANK_TODAY}T10:00:00", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                               env={**{name: value for name, value in os.environ.items() if name != "MOCKBANK_SERVER"},
                                    **(env or {})})
    process.banner = []
    for line in process.stdout:
        process.banner.append(line)
        if line.startswith("mockbank listening on "):
            return process, line.split()[-1]
    raise AssertionError(f"the server did not start: {process.stderr.read()}")


def stop_server(process, how=None):
    """Stop it as Ctrl-C does (or with signal ``how``) and wait for it."""
    process.send_signal(how or (signal.SIGINT if os.name != "nt" else signal.SIGTERM))
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()
    process.stderr.close()


class Remote:
    """Just enough of an Emulator handle for raw.post against a server started here."""

    def __init__(self, url):
        from mockbank import fixtures

        self.url = url
        self.credentials = fixtures.load().credentials()
