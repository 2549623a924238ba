"""Safer state and clear start errors: --reset on a database in use, fixture typos, statement sequences,
and one readable line (never a traceback) for every bad start option."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from conftest import BANK_TODAY
from mockbank import fixtures
from mockbank.store import open_store
from raw import get, post, transaction

DEMO = Path(__file__).parents[1] / "fixtures" / "demo.json"


def mockbank(*argv: str, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mockbank", *argv], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, timeout=120)


def refused(*argv: str) -> str:
    """Run a command that must fail: exit 2, one line on stderr, no traceback; that line."""
    result = mockbank(*argv)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# --------------------------------------------------------------------------- bad start options


def test_db_in_an_unwritable_folder(tmp_path):
    if os.geteuid() == 0:  # root writes anywhere chmod allows; /sys refuses new files even to root
        folder = Path("/sys")
    else:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o500)
    line = refused("serve", "--port", "0", "--db", str(folder / "mockbank.db"))
    assert f"--db {folder / 'mockbank.db'}: cannot create the database file in {folder}" in line
    assert "Permission denied" in line


def test_db_on_a_directory(tmp_path):
    line = refused("serve", "--port", "0", "--db", str(tmp_path))
    assert f"--db {tmp_path} is a folder, not a database file" in line


def test_db_on_a_file_that_is_not_sqlite(tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("not a database\n")
    line = refused("serve", "--port", "0", "--db", str(other))
    assert f"--db {other} is not a SQLite database" in line
    assert other.read_text() == "not a database\n"



def test_a_db_path_with_uri_characters_is_the_file_of_that_name(tmp_path):
    path = tmp_path / "bank?mode=ro#v%41.db"  # ?, # and % mean something in the URI SQLite is opened with
    store = open_store(str(path))
    store.close()
    assert path.read_bytes().startswith(b"SQLite format 3\x00")
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name, path.name + "-writer"]


def test_a_sqlite_uri_as_db_is_refused_before_any_file_is_made(tmp_path):
    uri = f"file:{tmp_path / 'x.db'}?mode=ro"
    line = refused("serve", "--port", "0", "--db", uri)
    assert f"--db {uri}: give the database file's path, not a SQLite URI" in line
    assert list(tmp_path.iterdir()) == []

def test_a_port_out_of_range(tmp_path):
    line = refused("serve", "--port", "99999", "--db", str(tmp_path / "m.db"))
    assert "--port 99999: a port is a number from 0 to 65535" in line
    assert not (tmp_path / "m.db").exists()


def test_a_port_in_use_creates_no_database_file(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        line = refused("serve", "--port", str(port), "--db", str(tmp_path / "new.db"))
    assert f"--port {port}: 127.0.0.1:{port} is already in use" in line
    assert list(tmp_path.iterdir()) == []


def test_serve_into_a_closed_pipe_goes_on_answering_without_a_traceback(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "mockbank", "serve", "--port", "0", "--db", ":memory:"],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        for line in process.stdout:
            if "listening on" in line:
                url = line.split("listening on", 1)[1].strip()
                break
        process.stdout.close()  # as `mockbank serve | head -20` does once it has its lines
        for index in range(3):
            answer = requests.get(f"{url}/status", params={"requestId": f"R{index}"}, timeout=10)
            assert answer.status_code == 401  # answered, and written to the (closed) access log
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=60)
    assert process.returncode == 0
    assert "Traceback" not in errors and "Logging error" not in errors


def test_sign_into_a_closed_pipe_says_so_in_one_line():
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head` that has already exited
    try:
        result = subprocess.run([sys.executable, "-m", "mockbank", "sign", "--json", "--service-provider", "E",
                                 "--api-key", "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "--account",
                                 "52470021527478", "--integration-code", "c", "--request-id", "R"],
                                stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert result.returncode == 1
    assert result.stderr.strip() == ("mockbank sign: stopped: the output was closed before everything was written "
                                     "(broken pipe)")


#: A real Ctrl-C (SIGINT to the process itself) while ``mockbank serve``'s modules load, then the console
#: script's own lines: what pressing Ctrl-C just after typing a command does.
_CTRL_C_WHILE_LOADING = """
import importlib.abc, os, signal, sys

class CtrlC(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "mockbank.cli.serve":
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, CtrlC())
from mockbank.cli import main
sys.exit(main(["serve", "--help"]))
"""


def test_ctrl_c_while_a_command_loads_exits_130_without_a_traceback():
    result = subprocess.run([sys.executable, "-c", _CTRL_C_WHILE_LOADING], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, timeout=120)
    assert (result.returncode, result.stderr, result.stdout) == (130, "", "")


@pytest.mark.parametrize("argv, message", [
    (["--cutoff-same-day", "2pm"], "--cutoff-same-day: '2pm' is not a time HH:MM or 'off'"),
    (["--express-limit", "lots"], "--express-limit: 'lots' is not an amount"),
    (["--fik-creditor-prefix", "x"], "--fik-creditor-prefix: 'x' must be digits"),
])
def test_bad_payment_rule_options(argv, message, tmp_path):
    assert message in refused("serve", "--port", "0", "--db", str(tmp_path / "m.db"), *argv)


# --------------------------------------------------------------------------- --reset on a database in use


def _first_line(process: subprocess.Popen) -> str:
    """The server's first line of output (it prints its URL when ready)."""
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(120)
    return found[0] if found else ""


def test_reset_refuses_while_another_process_has_the_database_open_unless_forced(tmp_path):
    path = str(tmp_path / "shared.db")
    store = open_store(path)  # this test process holds the database open, as a running server would
    try:
        line = refused("serve", "--port", "0", "--db", path, "--reset")
        assert f"--reset: {path} is open in another process" in line and "--force" in line
        server = subprocess.Popen([sys.executable, "-m", "mockbank", "serve", "--port", "0", "--db", path,
                                   "--reset", "--force"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert _first_line(server).startswith("mockbank http://127.0.0.1:")
        finally:
            server.terminate()
            server.communicate(timeout=60)
    finally:
        store.database.close()
    result = subprocess.Popen([sys.executable, "-m", "mockbank", "serve", "--port", "0", "--db", path, "--reset"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert _first_line(result).startswith("mockbank http://")  # nobody else has it open now
    finally:
        result.terminate()
        result.communicate(timeout=60)


# --------------------------------------------------------------------------- fixture files


def _demo_with(change) -> dict:
    document = json.loads(DEMO.read_text("utf-8"))
    change(document)
    return document


def test_an_unknown_fixture_key_is_an_error_with_a_did_you_mean(tmp_path):
    document = _demo_with(lambda d: d["accounts"][0].update(openingbalance=100))
    with pytest.raises(fixtures.FixtureError) as error:
        fixtures.from_document(document, "bank.json")
    assert "/accounts/0/openingbalance is not a known field (did you mean 'openingBalance'?)" in str(error.value)
    path = tmp_path / "bank.json"
    path.write_text(json.dumps(document), "utf-8")
    assert "did you mean 'openingBalance'?" in refused("serve", "--port", "0", "--db", ":memory:",
                                                       "--fixtures", str(path))


def test_keys_under_an_x_prefix_are_the_users_own():
    def extend(d):
        d["x-team"] = {"owner": "payments"}
        d["accounts"][0]["x-note"] = "used by the invoice tests"
        d["erps"][0]["x-contact"] = "ops@example.invalid"

    assert fixtures.from_document(_demo_with(extend), "bank.json").accounts[0].account

@pytest.mark.parametrize("spelled, reason", [
    ("\\u0000", "the string at /accounts/0/name holds a NUL character"),  # PostgreSQL cannot store it
    ("\\ud800", "the string at /accounts/0/name holds a lone surrogate escape"),  # no database can encode it
])
def test_a_fixture_file_with_text_no_database_stores_is_refused_naming_the_field(tmp_path, spelled, reason):
    text = json.dumps(_demo_with(lambda d: d["accounts"][0].update(name="Drift@konto")))
    path = tmp_path / "bank.json"
    path.write_text(text.replace("@", spelled), "utf-8")
    with pytest.raises(fixtures.FixtureError, match=f"bank.json: not JSON: {reason}"):
        fixtures.load(path)
    assert reason in refused("serve", "--port", "0", "--db", ":memory:", "--fixtures", str(path))


def test_a_fixture_file_with_nan_is_refused(tmp_path):
    path = tmp_path / "bank.json"
    path.write_text(json.dumps(_demo_with(lambda d: d["accounts"][0].update(openingBalance=float("nan")))), "utf-8")
    with pytest.raises(fixtures.FixtureError, match="bank.json: not JSON: NaN is not a JSON value"):
        fixtures.load(path)



# --------------------------------------------------------------------------- statement sequence


def test_a_booked_payment_follows_the_accounts_last_entry_without_gaps(emulator):
    account = emulator.credentials[1].account
    assert post(emulator, "/payment", {"requestId": "REQ_SEQ", "transactions": [
        transaction("SEQ_1", day=BANK_TODAY)]}, account=1).json()["answers"][0]["status"] == 1
    emulator.progress("SEQ_1", status=8)
    start = (date.fromisoformat(BANK_TODAY) - timedelta(days=120)).isoformat()
    entries = get(emulator, "/report/account", {"requestId": "REQ_ST", "from": start, "to": BANK_TODAY},
                  account=1).json()["entries"]
    sequences = [entry["sequence"] for entry in entries]
    assert sequences == list(range(1, len(entries) + 1)), account
    assert entries[-1]["amount"] == -100.0
