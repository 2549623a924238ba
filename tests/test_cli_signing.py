"""`mockbank sign` reproduces the shared vectors; `mockbank explain` names each client mistake."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from mockbank.cli import main
from test_signing import VECTORS
from wrong_signers import MISTAKES, NON_PAYMENT_ONLY, signed_header


def write_json(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def credentials_file(tmp_path, inputs):
    return write_json(tmp_path, "credentials.json", {
        "serviceProvider": inputs["erp_name"], "apiKey": inputs["api_key"], "account": inputs["account"],
        "integrationCode": inputs["integration_code"]})


def body_of(vector):
    inputs = vector["inputs"]
    body = {"requestId": inputs["request_id"]}
    if vector["kind"] == "payment":
        body["transactions"] = inputs["transactions"]
    return body


@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
def test_sign_prints_the_vector_byte_for_byte(vector, tmp_path, capsys):
    inputs = vector["inputs"]
    argv = ["sign", "--credentials", credentials_file(tmp_path, inputs), "--time", inputs["time"],
            "--body", write_json(tmp_path, "body.json", body_of(vector))]
    assert main(argv + ["--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    expected = vector["expected"]
    assert printed == {"token": expected["token"], "now": expected["now"], "payloads": expected["payloads"],
                       "hashes": expected["hashes"], "authJson": expected["auth_json"],
                       "authorization": expected["authorization"]}
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert f"Authorization: {expected['authorization']}\n" in text
    assert all(payload in text for payload in expected["payloads"])


def test_sign_from_flags_only(capsys):
    inputs = VECTORS[0]["inputs"]
    assert main(["sign", "--service-provider", inputs["erp_name"], "--api-key", inputs["api_key"].upper(),
                 "--account", inputs["account"], "--integration-code", inputs["integration_code"],
                 "--request-id", inputs["request_id"], "--time", inputs["time"], "--scheme", "none"]) == 0
    assert capsys.readouterr().out.rstrip().endswith(VECTORS[0]["expected"]["auth_b64"])


@pytest.mark.parametrize("argv, message", [
    (["sign", "--request-id", "R"], "missing credentials"),
    (["sign", "--service-provider", "E", "--api-key", "nope", "--account", "1", "--integration-code", "c",
      "--request-id", "R"], "GUID"),
    (["sign", "--credentials", "/nonexistent.json", "--request-id", "R"], "cannot read"),
])
def test_sign_refuses_bad_input_with_a_clear_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


DEMO_FLAGS = ["--service-provider", "MockERP", "--api-key", "d396c3a8-6981-4b48-9d9c-1649fd768e0c",
              "--account", "52470004471238", "--integration-code", "Demo-Drift-2026"]
PAYMENT = {"paymentId": "P1", "paymentDate": "2026-12-03", "amount": 12.5, "currency": "DKK",
           "account": "80790000820049"}


@pytest.mark.parametrize("body, message", [
    ({"requestId": "R", "transactions": [dict(PAYMENT, paymentId="")]}, "--body: /transactions/0/paymentId is empty"),
    ({"requestId": "R", "transactions": [dict(PAYMENT, amount={"value": 1})]},
     "--body: /transactions/0/amount is not of type"),
    ({"requestId": "R", "transactions": [{k: v for k, v in PAYMENT.items() if k != "currency"}]},
     "--body: /transactions/0/currency is required"),
    ({"requestId": "R", "transactions": [dict(PAYMENT, paymentDate="2026-13-01")]},
     "--body: /transactions/0/paymentDate is not a valid 'date'"),
    ({"requestId": "R", "transactions": []}, "--body: /transactions is empty"),
    ({"requestId": 7}, "--body: /requestId is not of type 'string'"),
    ({"requestId": "R" * 101, "paymentIds": ["P1"]}, "--body: /requestId is longer than 100 characters"),
])
def test_sign_refuses_a_signed_field_the_bank_refuses(body, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["sign", *DEMO_FLAGS, "--body", write_json(tmp_path, "body.json", body)])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "no correct client signs it" in err and err.count("\n") == 1


def test_sign_names_the_request_id_option_and_refuses_nan(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["sign", *DEMO_FLAGS, "--request-id", "R" * 101])
    assert "error: --request-id: /requestId is longer than 100 characters" in capsys.readouterr().err
    nan = tmp_path / "nan.json"
    nan.write_text('{"requestId": "R", "transactions": [{"paymentId": "P1", "amount": NaN}]}', "utf-8")
    with pytest.raises(SystemExit):
        main(["sign", *DEMO_FLAGS, "--body", str(nan)])
    assert f"--body: {nan} is not JSON: NaN is not a JSON value" in capsys.readouterr().err


def test_sign_ignores_fields_the_signature_does_not_cover(tmp_path, capsys):
    body = {"requestId": "R", "transactions": [PAYMENT], "x-anything": {"nested": True}}  # no creditor either
    assert main(["sign", *DEMO_FLAGS, "--body", write_json(tmp_path, "body.json", body)]) == 0
    assert "Authorization: Basic " in capsys.readouterr().out


EXPLAINED = [name for name in MISTAKES if name != "clock-skew"]


@pytest.mark.parametrize("mistake", EXPLAINED)
def test_explain_names_the_cause_of_each_mistake(mistake, tmp_path, capsys):
    if mistake == "token-encoding":  # shows only with a non-ASCII integration code
        vector = next(v for v in VECTORS if not v["inputs"]["integration_code"].isascii())
    elif mistake == "amount-rounded":  # shows only with an amount that has cents
        vector = next(v for v in VECTORS if v["kind"] == "payment"
                      and Decimal(str(v["inputs"]["transactions"][0]["amount"])) % 1)
    else:
        vector = next(v for v in VECTORS if v["kind"] == ("get" if mistake in NON_PAYMENT_ONLY else "payment"))
    inputs = vector["inputs"]
    header = signed_header(MISTAKES[mistake], service_provider=inputs["erp_name"], api_key=inputs["api_key"],
                           account=inputs["account"], integration_code=inputs["integration_code"],
                           request_id=inputs["request_id"], time=datetime.fromisoformat(inputs["time"]),
                           transactions=inputs["transactions"] if vector["kind"] == "payment" else None)
    argv = ["explain", "--header", header, "--credentials", credentials_file(tmp_path, inputs), "--no-clock-check"]
    argv += (["--body", write_json(tmp_path, "body.json", body_of(vector))] if vector["kind"] == "payment"
             else ["--query", f"requestId={inputs['request_id']}"])
    assert main(argv) == 1
    text = capsys.readouterr().out
    assert f"cause {mistake}\n" in text
    assert f"               {vector['expected']['payloads'][0]}\n" in text
    assert main(argv + ["--json"]) == 1
    assert json.loads(capsys.readouterr().out)["cause"] == mistake


def test_explain_shows_clock_skew_against_the_given_bank_clock(tmp_path, capsys):
    vector = VECTORS[0]
    argv = ["explain", "--header", vector["expected"]["authorization"], "--query", "requestId=REQ_0001",
            "--credentials", credentials_file(tmp_path, vector["inputs"]), "--now", "2025-01-07T13:00:00"]
    assert main(argv) == 1
    assert "cause clock-skew" in capsys.readouterr().out


def test_explain_reads_credentials_from_a_saved_sandbox_answer_or_a_list(tmp_path, capsys):
    from mockbank import signing

    other = {"serviceProvider": "OtherERP", "apiKey": "901a4298-b838-4783-b801-e6470723dfbd",
             "account": "34090007716534", "integrationCode": "Other-Kode-2026"}
    mine = {"serviceProvider": "SandboxERP", "apiKey": "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
            "account": "52470021527478", "integrationCode": "sbx-ø-1"}
    signed = signing.sign(signing.Credentials.from_json(mine), "REQ_S", time=datetime.now(timezone.utc))
    argv = ["explain", "--header", signed.header, "--query", "requestId=REQ_S", "--credentials"]
    for saved in ({"id": "s1", "baseUrl": "http://x/sandboxes/s1", "credentials": [other, mine]}, [other, mine]):
        path = write_json(tmp_path, "sandbox.json", saved)
        assert main(argv + [path]) == 0, capsys.readouterr().out
    capsys.readouterr()
    broken = write_json(tmp_path, "broken.json", {"credentials": [mine, {"apiKey": "x"}]})
    with pytest.raises(SystemExit):
        main(argv + [broken])
    assert f"--credentials: entry 1 in {broken} must be an object with serviceProvider" in capsys.readouterr().err


def test_explain_checks_the_clock_by_default_against_the_host(tmp_path, capsys):
    from mockbank import fixtures, signing

    demo = fixtures.load().credentials()[0]
    danish_local = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(hours=2)  # CEST instead of UTC
    signed = signing.sign(demo, "REQ_L", time=danish_local)
    argv = ["explain", "--header", signed.header, "--query", "requestId=REQ_L"]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "cause clock-skew" in out and "this host's clock" in out and "local time instead of UTC" in out
    assert main(argv + ["--no-clock-check"]) == 0
    assert "not checked" in capsys.readouterr().out
    assert main(argv + ["--now", danish_local.isoformat()]) == 0
    assert "(--now)" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(argv + ["--now", danish_local.isoformat(), "--no-clock-check"])
    assert "not allowed with" in capsys.readouterr().err


def test_explain_accepts_a_valid_header_and_a_malformed_one(tmp_path, capsys):
    vector = VECTORS[0]
    creds = credentials_file(tmp_path, vector["inputs"])
    assert main(["explain", "--header", vector["expected"]["authorization"], "--query", "requestId=REQ_0001",
                 "--credentials", creds, "--no-clock-check"]) == 0
    assert "signature valid" in capsys.readouterr().out
    assert main(["explain", "--header", "Basic !!", "--query", "requestId=REQ_0001", "--credentials", creds]) == 1
    assert "cause malformed-header" in capsys.readouterr().out


def test_explain_finds_the_credentials_in_the_demo_bank(tmp_path, capsys):
    from mockbank import fixtures, signing

    demo = fixtures.load().credentials()[0]
    signed = signing.sign(demo, "REQ_D", time=datetime(2026, 11, 24, 9, 30))
    assert main(["explain", "--header", signed.header, "--query", "requestId=REQ_D", "--now", "2026-11-24T09:31:00"]) == 0
    assert "signature valid" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exited:
        main(["explain", "--header", signed.header, "--query", "requestId=REQ_D", "--fixtures",
              str(tmp_path / "missing.json")])
    assert exited.value.code == 2
    assert "cannot read the fixture file" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["explain", "--header", "Basic x", "--now", "yesterday"], "--now"),
    (["explain", "--header", "@/nonexistent/header.txt"], "cannot read"),
    (["explain", "--header", "Basic x", "--max-clock-skew", "soon"], "--max-clock-skew"),
    (["serve", "--clock", "noon"], "--clock"),
    (["serve", "--clock", "9999-12-31T23:59:59"], "--clock 9999-12-31T23:59:59: the bank clock must stay"),
    (["serve", "--clock", "0001-06-01T00:00:00"], "--clock 0001-06-01T00:00:00: the bank clock must stay"),
    (["serve", "--max-clock-skew", "-5"], "--max-clock-skew: '-5' must be 0 or more"),
    (["serve", "--max-clock-skew", "nan"], "--max-clock-skew: 'nan' must be 0 or more"),
    (["explain", "--header", "Basic x", "--max-clock-skew", "-1"], "--max-clock-skew: '-1' must be 0 or more"),
    (["serve", "--step-seconds", "nan"], "--step-seconds must be more than 0"),
    (["serve", "--step-seconds", "0"], "--step-seconds must be more than 0"),
    (["serve", "--sandbox-ttl", "99999999999999999999"], "--sandbox-ttl must be at most 31622400"),
    (["serve", "--max-delay-ms", "999999999999"], "--max-delay-ms must be at most"),
    (["serve", "--workers", "100000"], "--workers must be from 1 to 256"),
    (["serve", "--db", ""], "--db must name a database file"),
    (["sign", "--service-provider", "E\udcff", "--request-id", "R"], "the argument b'E\\xff' is not UTF-8 text"),
])
def test_bad_options_are_named_without_a_traceback(argv, message, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


DEMO_FLAGS = ["--service-provider", "MockERP", "--api-key", "d396c3a8-6981-4b48-9d9c-1649fd768e0c", "--account",
              "52470004471238", "--integration-code", "Demo-Drift-2026"]
REFERENCE_ADAPTER = f'"{sys.executable}" -m mockbank.adapters.reference'


@pytest.mark.parametrize("argv, message", [
    (["sign", *DEMO_FLAGS, "--request-id", "R", "--body", "{latin1}"], "--body: {latin1} is not UTF-8 text (byte 0)"),
    (["sign", "--credentials", "{latin1}", "--request-id", "R"], "--credentials: {latin1} is not UTF-8 text"),
    (["sign", "--credentials", "{array}", "--request-id", "R"], "--credentials: {array} must hold a JSON object"),
    (["sign", "--credentials", "{typed}", "--request-id", "R"], "--credentials: serviceProvider in {typed} must be"),
    (["explain", "--header", "@{latin1}"], "--header: {latin1} is not UTF-8 text"),
    (["explain", "--header", "x", "--fixtures", "{latin1}"], "{latin1}: the fixture file is not UTF-8 text"),
    (["drift-report", "--recording", "{latin1}"], "{latin1} line 1: not JSON"),
    (["certify", "--adapter", ""], "--adapter: give the command"),
    (["certify", "--adapter", "'unbalanced"], "is not a command line (No closing quotation)"),
    (["certify", "--adapter", REFERENCE_ADAPTER, "--adapter-start-timeout", "inf"], "--adapter-start-timeout must"),
    (["certify", "--adapter", REFERENCE_ADAPTER, "--timeout-ms", "99999999999999999"], "--timeout-ms from 100"),
    (["certify", "--adapter", REFERENCE_ADAPTER, "--fixtures", "{latin1}"], "--fixtures: {latin1}: the fixture"),
    (["certify", "--adapter", REFERENCE_ADAPTER, "--url", "http://127.0.0.1:9"], "--url http://127.0.0.1:9: cannot reach"),
    (["certify", "--adapter", REFERENCE_ADAPTER, "--report", "{array}"], "--report {array}: cannot make the folder"),
])
def test_unreadable_files_and_unusable_values_are_one_line(argv, message, tmp_path, capsys):
    files = {"latin1": tmp_path / "latin1.bin", "array": tmp_path / "array.json", "typed": tmp_path / "typed.json"}
    files["latin1"].write_bytes(b"\xff\xfe")
    files["array"].write_text("[1, 2]", encoding="utf-8")
    files["typed"].write_text(json.dumps({"serviceProvider": 5, "apiKey": "d396c3a8-6981-4b48-9d9c-1649fd768e0c",
                                          "account": [1], "integrationCode": {"a": 1}}), encoding="utf-8")
    names = {name: str(path) for name, path in files.items()}
    with pytest.raises(SystemExit) as exited:
        main([part.format(**names) for part in argv])
    error = capsys.readouterr().err
    assert exited.value.code == 2 and message.format(**names) in error and len(error.strip().splitlines()) == 1
