"""`mockbank serve` as a real process on a free loopback port, for tests of the server itself."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

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


def children_of(pid: int) -> set[int]:
    """The pids of the processes whose parent is ``pid`` (Linux: read from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def wait_until(condition, what: str, seconds: float = 30) -> None:
    """Poll ``condition()`` until it is true; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.05)


def refuses(url: str) -> bool:
    """True when nothing accepts connections at ``url`` any more."""
    host, port = url.removeprefix("http://").split(":")
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError:
        return True
    return False


def temporary_files(folder: Path, pid: int) -> list[str]:
    """The ``:memory:`` database files process ``pid`` has in ``folder``."""
    return sorted(path.name for path in folder.glob(f"mockbank-{pid}-*"))
