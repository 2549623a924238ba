"""`mockbank certify` runs end to end: against `mockbank serve --url`, refused setups, Ctrl-C, replay lines, and the
reports of runs in which no check ran."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
import threading
import xml.etree.ElementTree as ElementTree
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mockbank import fixtures
from mockbank.cli import main
from mockbank.contract_tests.runner import ERROR, PASSED
from mockbank.jsonnumbers import decimal_to_json
from mockbank.testing import Emulator
from serving import start_server, stop_server

REFERENCE = f'"{sys.executable}" -m mockbank.adapters.reference'
FAKE = Path(__file__).parent / "fake_adapter.py"
MUTANT = Path(__file__).parent / "mutants" / "mutant.py"


def results_of(folder: Path) -> dict[str, str]:
    data = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    return {result["id"]: result["status"] for result in data["results"]}


def refused(capsys, *argv: str) -> str:
    """certify's one-line usage error (exit status 2) for ``argv``."""
    with pytest.raises(SystemExit) as exited:
        main(["certify", "--adapter", REFERENCE, *argv])
    error = capsys.readouterr().err
    assert exited.value.code == 2, error
    assert len(error.strip().splitlines()) == 1 and "Traceback" not in error, error
    return error


# --------------------------------------------------------------------------- --url against a running server


@pytest.mark.slow  # a server process and a certification run
def test_certify_url_passes_the_reference_client_against_a_started_server(tmp_path, capsys):
    server, url = start_server(tmp_path, "--fixtures", str(_ascii_fixture(tmp_path)))  # no code with æøå
    try:
        status = main(["certify", "--url", url, "--adapter", REFERENCE, "--examples", "2", "--seed", "4",
                       "--report", str(tmp_path / "report")])
    finally:
        stop_server(server)
    printed = capsys.readouterr().out
    assert status == 0, printed
    assert "certification PASSED" in printed
    results = results_of(tmp_path / "report")
    assert results["signing/non-ascii-integration-code"] == PASSED
    assert set(results.values()) == {PASSED} and len(results) >= 30


def _ascii_fixture(tmp_path: Path) -> Path:
    document = fixtures.load().document
    accounts = [{**account, "integrationCode": f"Kode-{index}"} for index, account in enumerate(document["accounts"])]
    path = tmp_path / "ascii-bank.json"
    path.write_text(json.dumps({**document, "accounts": accounts}, default=decimal_to_json), encoding="utf-8")
    return path


def test_a_sandbox_made_without_fixtures_keeps_an_integration_code_with_non_ascii_letters():
    with Emulator() as server, server.sandbox() as sandbox:
        codes = [credentials.integration_code for credentials in sandbox.credentials]
        demo_codes = {credentials.integration_code for credentials in server.credentials}
    assert not demo_codes & set(codes)  # fresh codes
    assert any(not code.isascii() for code in codes), codes


@pytest.mark.slow  # a certification run
def test_fixtures_without_a_non_ascii_code_are_a_kit_error_not_the_clients_failure(tmp_path, capsys):
    status = main(["certify", "--adapter", REFERENCE, "--fixtures", str(_ascii_fixture(tmp_path)), "--plans", "signing",
                   "--examples", "1", "--report", str(tmp_path / "report")])
    printed = capsys.readouterr().out
    assert status == 1
    assert results_of(tmp_path / "report")["signing/non-ascii-integration-code"] == ERROR
    assert "ERROR signing/non-ascii-integration-code: the kit could not run this check: the fixtures have no " \
           "account with a non-ASCII integration code" in printed


# --------------------------------------------------------------------------- --url that cannot be used


def test_a_missing_or_wrong_control_token_is_one_line_naming_the_option(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("MOCKBANK_CONTROL_TOKEN", raising=False)
    with Emulator(token="the-team-token") as server:
        missing = refused(capsys, "--url", server.url, "--report", str(tmp_path))
        wrong = refused(capsys, "--url", server.url, "--control-token", "not-it", "--report", str(tmp_path))
    assert f"--url {server.url}: the emulator there needs its control token" in missing
    assert "--control-token" in missing
    assert f"--control-token: the emulator at --url {server.url} refused the token given" in wrong


class QuietFileServer(SimpleHTTPRequestHandler):
    """Python's file server (it answers POST with 501), without its log on stderr."""

    def log_message(self, *args) -> None:
        pass


def test_a_server_that_is_not_mockbank_is_one_line_naming_url(tmp_path, capsys):
    server = ThreadingHTTPServer(("127.0.0.1", 0), QuietFileServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        error = refused(capsys, "--url", url, "--report", str(tmp_path))
    finally:
        server.shutdown()
        server.server_close()
    assert f"--url {url}: not a mockbank emulator (POST /_mock/sandboxes answered 501)" in error


# --------------------------------------------------------------------------- --plans


def test_plans_naming_no_plan_are_refused(tmp_path, capsys):
    error = refused(capsys, "--plans", ",", "--report", str(tmp_path))
    assert "--plans: ',' names no plan" in error


# --------------------------------------------------------------------------- the replay line


@pytest.mark.slow  # certification runs
def test_the_replay_line_is_the_whole_command_and_runs_the_same_examples_again(tmp_path, capsys):
    adapter = f'"{sys.executable}" "{MUTANT}" key-byte-order'  # quotes inside: the line must quote them again
    demo = tmp_path / "demo.json"
    demo.write_text(json.dumps(fixtures.load().document, default=decimal_to_json), encoding="utf-8")
    with Emulator() as server:
        options = ["--url", server.url, "--fixtures", str(demo), "--plans", "signing", "--seed", "5",
                   "--examples", "2", "--timeout-ms", "3000", "--adapter-start-timeout", "30.0"]
        assert main(["certify", "--adapter", adapter, *options, "--report", str(tmp_path / "first")]) == 1
        printed = capsys.readouterr().out
        replay = next(line for line in printed.splitlines() if line.startswith("replay: "))[len("replay: "):]
        assert shlex.split(replay) == ["mockbank", "certify", "--adapter", adapter, *options]
        reported = json.loads((tmp_path / "first" / "report.json").read_text(encoding="utf-8"))
        junit = ElementTree.parse(tmp_path / "first" / "junit.xml").getroot()
        assert junit.find(".//property[@name='replay']").get("value") == replay
        assert main([*shlex.split(replay)[1:], "--report", str(tmp_path / "again")]) == 1
    again = json.loads((tmp_path / "again" / "report.json").read_text(encoding="utf-8"))
    assert [(r["id"], r["status"], r["example"]) for r in again["results"]] == \
        [(r["id"], r["status"], r["example"]) for r in reported["results"]]


# --------------------------------------------------------------------------- runs without a full set of checks


@pytest.mark.slow  # a certification process
def test_ctrl_c_reports_the_checks_finished_so_far_and_exits_130(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "mockbank", "certify", "--adapter", REFERENCE, "--examples",
                                "60", "--report", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    finished = []
    for line in process.stderr:  # not a terminal: a line per finished check
        finished.append(line)
        if len(finished) == 2:
            process.send_signal(signal.SIGINT)
            break
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "certification INTERRUPTED (Ctrl-C; not a certificate)" in out
    assert "ok   signing" in out and "replay: mockbank certify" in out
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["interrupted"] is True and data["passed"] is False
    assert 2 <= len(data["results"]) < 31 and {result["status"] for result in data["results"]} == {PASSED}
    junit = ElementTree.parse(tmp_path / "junit.xml").getroot()
    assert "INTERRUPTED" in junit.get("name") and junit.get("errors") == "1"
    assert junit.find(".//testcase[@name='interrupted']/error") is not None
    assert "<h1>INTERRUPTED</h1>" in (tmp_path / "report.html").read_text(encoding="utf-8")


@pytest.mark.slow  # a certification run
def test_a_run_in_which_no_check_ran_fails_in_junit_too(tmp_path, capsys):
    status = main(["certify", "--adapter", f'"{sys.executable}" "{FAKE}" offers payment', "--report", str(tmp_path)])
    printed = capsys.readouterr().out
    assert status == 1 and "certification FAILED: 0/0 checks" in printed
    junit = ElementTree.parse(tmp_path / "junit.xml").getroot()
    assert junit.get("failures") == "1"
    failure = junit.find(".//testcase[@name='checks-ran']/failure")
    assert failure is not None and "no check ran" in failure.get("message")


@pytest.mark.slow  # a certification run
def test_a_partial_certificate_names_the_error_handling_and_signing_it_did_not_check(tmp_path, capsys):
    status = main(["certify", "--adapter", f'"{sys.executable}" "{FAKE}" offers statement,balance', "--examples", "2",
                   "--report", str(tmp_path)])
    verdict = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("certification "))
    assert status == 0
    assert verdict.startswith("certification PARTIAL (not a full certificate)")
    assert "NOT checked: signing edge cases (every request type, non-ASCII integration codes)" in verdict
    assert "error handling (401, 5xx, timeouts, dropped connections, payment retries)" in verdict
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert "NOT checked: signing edge cases" in data["certificate"]["summary"]
