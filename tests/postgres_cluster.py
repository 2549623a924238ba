"""A throwaway PostgreSQL cluster for the tests: ``initdb`` and ``pg_ctl`` in a temporary folder.

The server listens on 127.0.0.1 at a free port (and on a socket in its folder for the admin commands),
runs as the ``postgres`` user when the tests run as root, asks TCP clients for a password, and trades
durability for speed (``fsync=off``): its folder is deleted when it stops.

    cluster = Cluster.start()
    url = cluster.new_database()   # postgresql://postgres:...@127.0.0.1:PORT/mockbank_1
    cluster.stop()
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

USER = "postgres"
PASSWORD = "throwaway-secret"


class Unavailable(Exception):
    """No PostgreSQL server can be started here; the message says why in one line."""


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    initdb = found[-1] if found else shutil.which("initdb")
    if not initdb:
        raise Unavailable("initdb not found (apt-get install -y postgresql)")
    return Path(initdb).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """A running throwaway cluster; :meth:`new_database` hands out fresh, empty databases."""

    def __init__(self, bindir: Path, folder: Path, port: int, run_as: str | None):
        self.bindir, self.folder, self.port, self._run_as = bindir, folder, port, run_as
        self.data = folder / "data"
        self._names = itertools.count(1)

    @classmethod
    def start(cls) -> Cluster:
        try:
            import psycopg  # noqa: F401  (mockbank's driver: without it nothing could use the server)
        except ImportError:
            raise Unavailable("psycopg is not installed (pip install '.[postgres]')") from None
        bindir = _bindir()
        run_as = None
        if os.geteuid() == 0:  # initdb refuses to run as root
            try:
                owner = pwd.getpwnam(USER)
            except KeyError:
                raise Unavailable(f"running as root and there is no {USER!r} user to run the server") from None
            run_as = USER
        folder = Path(tempfile.mkdtemp(prefix="mockbank-pg-"))
        if run_as:
            os.chown(folder, owner.pw_uid, owner.pw_gid)
        cluster = cls(bindir, folder, _free_port(), run_as)
        try:
            cluster._init_and_start()
        except Unavailable:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return cluster

    def _run(self, *argv: str) -> None:
        try:
            subprocess.run([str(self.bindir / argv[0]), *argv[1:]], user=self._run_as, cwd=self.folder, check=True,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        except subprocess.CalledProcessError as error:
            last = error.stdout.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise Unavailable(f"{argv[0]} failed: {last[0]}") from None
        except (OSError, subprocess.TimeoutExpired) as error:
            raise Unavailable(f"{argv[0]} failed: {error}") from None

    def _init_and_start(self) -> None:
        password_file = self.folder / "password"
        password_file.write_text(PASSWORD + "\n")
        if self._run_as:
            owner = pwd.getpwnam(self._run_as)
            os.chown(password_file, owner.pw_uid, owner.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", USER, "--auth-local=trust", "--auth-host=scram-sha-256",
                  f"--pwfile={password_file}", "--no-sync")
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def url(self, database: str, password: str = PASSWORD) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """The URL of a new, empty database."""
        name = f"mockbank_{next(self._names)}"
        self._run("createdb", "-h", str(self.folder), "-p", str(self.port), "-U", USER, name)
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
