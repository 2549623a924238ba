"""The proxy's commands as a user runs them: ``mockbank proxy``, ``drift-report``, ``fixtures-from-recording``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from types import SimpleNamespace

import pytest

from mockbank import cli, schemas
from mockbank.proxy.server import ProxyOptions, RunningProxy
from mockbank.testing import Emulator
from conftest import BANK_NOW, BANK_TODAY
from raw import get, post, transaction
from test_proxy import bank, credentials_file, mis_signed_payment, secrets_of, upstream  # noqa: F401 (fixtures)

PERIOD = {"from": "2026-11-01", "to": BANK_TODAY}


def start_proxy_command(*options: str) -> tuple[subprocess.Popen, str, list[str]]:
    """``mockbank proxy`` as a process; its URL and the banner lines once it listens."""
    process = subprocess.Popen([sys.executable, "-m", "mockbank", "proxy", "--port", "0", *options],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    banner = []
    for line in process.stdout:
        banner.append(line)
        if "listening on" in line:
            return process, line.split("listening on", 1)[1].strip(), banner
    process.wait()
    raise AssertionError("mockbank proxy did not start:\n" + "".join(banner))


def test_the_proxy_command_diagnoses_a_mis_signed_payment_and_prints_no_secret(upstream, credentials_file, tmp_path):
    recording = tmp_path / "traffic.jsonl"
    process, url, banner = start_proxy_command("--upstream", upstream.url, "--credentials", str(credentials_file),
                                               "--record", str(recording))
    try:
        body = {"requestId": "REQ-C1", "transactions": [transaction("PAY-C1", day=BANK_TODAY)]}
        assert post(SimpleNamespace(url=url, credentials=upstream.credentials), "/payment", body).status_code == 200
        assert mis_signed_payment(SimpleNamespace(url=url), upstream, "key-as-text").status_code == 401
    finally:
        process.terminate()
        rest, _ = process.communicate(timeout=60)
    console = "".join(banner) + rest
    assert f"-> {upstream.url}" in console and "with 2 ERP(s) and 4 account(s)" in console
    assert "POST /payment -> 200 OK  signature ok" in console
    assert "POST /payment -> 401 Invalid Signature  signature key-as-text" in console
    assert "401 explained: mockbank's diagnosis: key-as-text" in console
    assert "Traceback" not in console
    for secret in secrets_of(upstream):
        assert secret not in console
        assert secret not in recording.read_text(encoding="utf-8")


@pytest.mark.parametrize("options, words", [
    (["--upstream", "http://example.com"], "plain http:// is allowed only for an upstream on this machine"),
    (["--upstream", "ftp://127.0.0.1"], "is not an http(s) URL"),
    (["--upstream", "https://api.bankintegration.dk", "--credentials", "no-such-file.json"], "no-such-file.json"),
    (["--upstream", "https://api.bankintegration.dk", "--host", "0.0.0.0"], "--control-token"),
    (["--upstream", "https://api.bankintegration.dk", "--timeout", "0"], "--timeout"),
    (["--upstream", "https://api.bankintegration.dk", "--timeout", "nan"], "--timeout"),
    (["--upstream", "https://api.bankintegration.dk", "--timeout", "1e300"], "--timeout"),
    (["--upstream", "https://api.bankintegration.dk", "--ca-bundle", "/no/such/bundle.pem"], "--ca-bundle"),
    (["--upstream", "https://api.bankintegration.dk", "--ca-bundle", "/"], "--ca-bundle /:"),
    (["--upstream", "https://api.bankintegration.dk", "--control-token", "   "], "--control-token"),
    (["--upstream", "https://api.bankintegration.dk", "--port", "70000"], "--port 70000"),
])
def test_unusable_proxy_options_are_one_line_and_exit_2(options, words, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["proxy", *options])
    error = capsys.readouterr().err
    assert exited.value.code == 2 and words in error and len(error.strip().splitlines()) == 1


def test_a_proxy_that_cannot_listen_leaves_an_existing_recording_as_it_was(tmp_path, capsys):
    recording = tmp_path / "traffic.jsonl"
    recording.write_text('{"kept": true}\n', encoding="utf-8")
    with socket.create_server(("127.0.0.1", 0)) as busy:
        with pytest.raises(SystemExit) as exited:
            cli.main(["proxy", "--upstream", "https://api.bankintegration.dk", "--port", str(busy.getsockname()[1]),
                      "--record", str(recording)])
    assert exited.value.code == 2 and "--port" in capsys.readouterr().err
    assert recording.read_text(encoding="utf-8") == '{"kept": true}\n'


def test_answers_go_on_when_the_console_is_closed(upstream):
    process, url, _ = start_proxy_command("--upstream", upstream.url)
    process.stdout.close()  # as `mockbank proxy | head -1` does once it has its line
    try:
        for index in range(3):
            body = {"requestId": f"REQ-H{index}", "transactions": [transaction(f"PAY-H{index}", day=BANK_TODAY)]}
            answer = post(SimpleNamespace(url=url, credentials=upstream.credentials), "/payment", body)
            assert answer.status_code == 200 and answer.json()["answers"][0]["status"] == 1
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_a_credentials_file_with_a_bad_field_is_named_without_its_value(tmp_path, capsys):
    path = tmp_path / "creds.json"
    path.write_text(json.dumps({"erps": [{"serviceProvider": "MyERP", "apiKey": "not-a-guid-secret"}],
                                "accounts": []}), encoding="utf-8")
    with pytest.raises(SystemExit):
        cli.main(["proxy", "--upstream", "https://api.bankintegration.dk", "--credentials", str(path)])
    error = capsys.readouterr().err
    assert "/erps/0/apiKey" in error and "not-a-guid-secret" not in error


# --------------------------------------------------------------------------- drift-report


def test_drift_report_names_an_injected_unknown_field_from_the_proxy_and_from_the_recording(upstream, tmp_path,
                                                                                             capsys):
    recording = tmp_path / "traffic.jsonl"
    upstream.inject_fault(path="/status", reshape="unknown-fields")
    with RunningProxy(ProxyOptions(upstream=upstream.url, record=str(recording))) as running:
        post(SimpleNamespace(url=running.url, credentials=upstream.credentials), "/payment",
             {"requestId": "REQ-D1", "transactions": [transaction("PAY-D1", day=BANK_TODAY)]})
        get(SimpleNamespace(url=running.url, credentials=upstream.credentials), "/status", {"requestId": "REQ-D2"})
        assert cli.main(["drift-report", "--url", running.url]) == 0
        text = capsys.readouterr().out
        assert cli.main(["drift-report", "--url", running.url, "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
    assert "2 answers checked, 4 difference(s)" in text
    assert "GET /status" in text and "/answers/*/futureField" in text and "unknown-field" in text
    assert {row["pointer"] for row in report["differences"]} == {"/futureField", "/futureObject",
                                                                 "/answers/*/futureField", "/answers/*/futureObject"}
    assert cli.main(["drift-report", "--recording", str(recording)]) == 0
    offline = capsys.readouterr().out
    assert "GET /status" in offline and "/answers/*/futureField" in offline and "4 difference(s)" in offline


def test_drift_report_without_a_proxy_is_one_line(capsys, tmp_path):
    with pytest.raises(SystemExit) as exited:
        cli.main(["drift-report", "--url", "http://127.0.0.1:9"])
    assert exited.value.code == 2 and "cannot reach the proxy" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["drift-report", "--url", "garbage"])
    assert "'garbage' is not an http:// or https:// URL" in capsys.readouterr().err
    with Emulator() as not_a_proxy:  # reached, but it has no /_mock/drift
        with pytest.raises(SystemExit):
            cli.main(["drift-report", "--url", not_a_proxy.url])
    assert "answered 404" in capsys.readouterr().err
    (tmp_path / "x.jsonl").write_text('{"method": "GET"}\n', encoding="utf-8")
    with pytest.raises(SystemExit):
        cli.main(["drift-report", "--recording", str(tmp_path / "x.jsonl")])
    assert "line 1: not a recorded exchange" in capsys.readouterr().err


# --------------------------------------------------------------------------- fixtures-from-recording


def test_fixtures_from_a_recording_replay_the_recorded_statement_in_the_emulator(upstream, tmp_path, capsys):
    recording, fixture = tmp_path / "traffic.jsonl", tmp_path / "recorded-bank.json"
    with RunningProxy(ProxyOptions(upstream=upstream.url, record=str(recording))) as running:
        answer = get(SimpleNamespace(url=running.url, credentials=upstream.credentials), "/report/account",
                     {"requestId": "REQ-F1", **PERIOD})
    assert answer.status_code == 200 and len(answer.json()["entries"]) > 3
    recorded = json.loads(recording.read_text(encoding="utf-8").splitlines()[0])["responseBody"]

    assert cli.main(["fixtures-from-recording", str(recording), "--output", str(fixture)]) == 0
    assert "mockbank serve --fixtures" in capsys.readouterr().err
    document = json.loads(fixture.read_text(encoding="utf-8"))
    assert schemas.violations("fixtures", document) == []
    text = fixture.read_text(encoding="utf-8")
    for secret in [*secrets_of(upstream), upstream.credentials[0].account, "Søholm Tømrer"]:
        assert secret not in text

    with Emulator(str(fixture), clock=BANK_NOW, frozen_clock=True) as replay:
        (credentials,) = replay.credentials
        assert credentials.account == recorded["account"]
        replayed = get(replay, "/report/account", {"requestId": "REQ-F2", **PERIOD}).json()
    assert [(e["id"], e["date"], e["amount"], e["text"]) for e in replayed["entries"]] == \
        [(e["id"], e["date"], e["amount"], e["text"]) for e in recorded["entries"]]
    assert replayed["entries"][0]["balance"] == recorded["entries"][0]["balance"]
    assert replayed["currency"] == recorded["currency"] and replayed["name"] == recorded["name"]


def test_fixtures_from_a_recording_without_statements_is_one_line(upstream, tmp_path, capsys):
    recording = tmp_path / "traffic.jsonl"
    with RunningProxy(ProxyOptions(upstream=upstream.url, record=str(recording))) as running:
        get(SimpleNamespace(url=running.url, credentials=upstream.credentials), "/status", {"requestId": "R"})
    with pytest.raises(SystemExit) as exited:
        cli.main(["fixtures-from-recording", str(recording)])
    error = capsys.readouterr().err
    assert exited.value.code == 2 and "no successful /report/account" in error
    (tmp_path / "junk.jsonl").write_text("not json\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        cli.main(["fixtures-from-recording", str(tmp_path / "junk.jsonl")])
    assert "junk.jsonl line 1: not JSON" in capsys.readouterr().err
