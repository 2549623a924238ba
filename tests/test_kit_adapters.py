"""Every language kit's adapter (adapters/<lang>/) spoken to through the adapter protocol, and its certify.sh
started from an awkwardly named folder.

Per kit: the adapter answers every request line, a bad one with an error of one of the protocol's kinds, and
goes on answering; it echoes each id exactly as sent, numbers beyond 64 bits or a double's digits included; it
pays a numeric-string amount ("154.00") as the reference client does. Its certify.sh starts the adapter from a
folder named with Danish letters, quotes and shell characters under LC_ALL=C. The adapter command is the one
certify.sh hands to mockbank certify, split the way certify splits it. A kit whose tools are missing is skipped
here with the reason, and fails when CI=true (see test_language_kits.py).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from conftest import BANK_NOW, BANK_TODAY
from mockbank.adapters.protocol import ERROR_KINDS
from mockbank.contract_tests.adapter import split_command
from mockbank.testing import Emulator
from test_language_kits import KIT_PARAMS, MOCKBANK, SCRIPT_TIMEOUT, build_outputs, kit_settings

pytestmark = pytest.mark.slow  # the kits' real toolchains (`pytest --all` and CI run them)

#: Danish letters, both quotes, a space and shell characters: every one must reach the adapter as written.
AWKWARD_FOLDER = "søren \"q\" $HOME `x` it's"
ADAPTER_TIMEOUT = 120


@pytest.fixture(scope="module")
def bank():
    with Emulator(clock=BANK_NOW, frozen_clock=True) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def adapters(tmp_path_factory):
    """kit folder -> (argv, environment) of its adapter, as its certify.sh hands them to mockbank certify."""
    found: dict[Path, tuple[list[str], dict[str, str]]] = {}

    def adapter(folder: Path) -> tuple[list[str], dict[str, str]]:
        if folder not in found:
            found[folder] = adapter_launch(folder, tmp_path_factory.mktemp(folder.name))
        return found[folder]

    return adapter


def adapter_launch(folder: Path, scratch: Path) -> tuple[list[str], dict[str, str]]:
    """Runs certify.sh with a stand-in for mockbank that records its arguments and environment."""
    args, env = scratch / "args", scratch / "env"
    stand_in = scratch / "mockbank-stand-in"
    stand_in.write_text(f"#!/usr/bin/env bash\nprintf '%s\\0' \"$@\" > {shlex.quote(str(args))}\n"
                        f"env -0 > {shlex.quote(str(env))}\n", encoding="utf-8")
    stand_in.chmod(0o755)
    done = subprocess.run(["bash", str(folder / "certify.sh")], capture_output=True, text=True, encoding="utf-8",
                          cwd=scratch, env={**os.environ, "MOCKBANK": str(stand_in)}, timeout=SCRIPT_TIMEOUT)
    assert done.returncode == 0, f"{folder.name}/certify.sh exited {done.returncode}:\n{done.stderr[-3000:]}"
    arguments = args.read_text(encoding="utf-8").split("\0")[:-1]
    assert arguments[:2] == ["certify", "--adapter"], arguments
    argv = split_command(arguments[2])
    if argv[0] in ("python", "python3"):  # mockbank certify runs these with its own Python, which has requests
        argv[0] = sys.executable
    environment = dict(item.split("=", 1) for item in env.read_text(encoding="utf-8").split("\0") if "=" in item)
    return argv, environment


def exchange(launch: tuple[list[str], dict[str, str]], lines: list[str], cwd: Path) -> list[str]:
    """Starts the adapter, writes the request lines, closes its stdin; the reply lines it wrote."""
    argv, env = launch
    try:
        done = subprocess.run(argv, input="".join(line + "\n" for line in lines), capture_output=True, text=True,
                              encoding="utf-8", cwd=cwd, env=env, timeout=ADAPTER_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{argv} did not answer {len(lines)} lines within {ADAPTER_TIMEOUT} s")
    replies = done.stdout.splitlines()
    assert done.returncode == 0 and len(replies) == len(lines), \
        f"{argv} exited {done.returncode} after {len(replies)} of {len(lines)} replies; stderr:\n{done.stderr[-3000:]}"
    return replies


def reply_of(line: str) -> dict[str, Any]:
    """One reply line read strictly (no NaN or Infinity), numbers exactly."""
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    reply = json.loads(line, parse_float=Decimal, parse_constant=refuse)
    assert isinstance(reply, dict) and isinstance(reply.get("ok"), bool), line
    return reply


def same_json(a: Any, b: Any) -> bool:
    """Equal JSON values: numbers by their value (1E2 is 100, 1e400 is 1 and 400 zeros), true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, Decimal)) and isinstance(b, (int, Decimal)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(same_json, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[key], b[key]) for key in a)
    return type(a) is type(b) and a == b


def request_line(bank: Emulator, id_json: str, op: str, params: Any) -> str:
    """A request line whose id (and any number in params) is written as given: no float in between."""
    body = {"op": op, "baseUrl": bank.url, "timeoutMs": 10000, "credentials": bank.credentials[0].to_json(),
            "params": params}
    return '{"id": ' + id_json + ", " + json.dumps(body, ensure_ascii=False)[1:]


def pay_line(bank: Emulator, id_json: str, amount_json: str) -> str:
    """A pay request of one transaction whose amount is the JSON text given (1e400 stays 1e400)."""
    transaction = {"paymentId": f"P{len(id_json)}", "paymentDate": BANK_TODAY, "amount": "AMOUNT",
                   "currency": "DKK", "account": "80790000820049"}
    line = request_line(bank, id_json, "pay", {"requestId": "R_amount", "transactions": [transaction]})
    return line.replace('"AMOUNT"', amount_json)


@pytest.mark.parametrize("folder", KIT_PARAMS)
def test_a_bad_request_is_answered_and_so_is_the_next_one(folder, bank, adapters, tmp_path):
    kit_settings(folder)
    bad_amounts = ['"abc"', "true", "null", "{}", "1e30", "1e400", '"1,5"']
    lines = [pay_line(bank, str(10 + index), amount) for index, amount in enumerate(bad_amounts)]
    lines += [request_line(bank, "20", "pay", {"requestId": "R_bad", "transactions": ["x"]}),
              request_line(bank, "21", "pay", {"requestId": "R_bad", "transactions": [None]}),
              request_line(bank, "22", "balance", "not an object"),
              "this is not JSON",
              '{"id": 23, "op": "hello"}']
    replies = [reply_of(line) for line in exchange(adapters(folder), lines, tmp_path)]

    for line, reply in zip(lines[:-1], replies):
        assert reply["ok"] is False and reply["error"]["kind"] in ERROR_KINDS, (line, reply)
    for line, reply in zip(lines[len(bad_amounts):-1], replies[len(bad_amounts):-1]):  # refused before any call
        assert reply["error"]["kind"] == "bad-request", (line, reply)
    assert [reply["id"] for reply in replies] == [*range(10, 10 + len(bad_amounts)), 20, 21, 22, None, 23]
    assert replies[-1]["ok"] is True and "pay" in replies[-1]["result"]["ops"]


#: Ids as JSON text: beyond 53 and 64 bits, more digits than a double or decimal holds, beyond a double's range.
IDS = ["12345678901234567", "123456789012345678901234567890", "-9223372036854775809", "0.1000000000000000000001",
       "1e400", "1E2", '"s\\u00f8ren \\"q\\""', "null", '[1, "a", {"b": 2.50}]']


@pytest.mark.parametrize("folder", KIT_PARAMS)
def test_every_id_comes_back_exactly_as_sent(folder, bank, adapters, tmp_path):
    kit_settings(folder)
    lines = [f'{{"id": {id_json}, "op": "hello"}}' for id_json in IDS]
    lines.append(request_line(bank, IDS[0], "balance", {"requestId": "R_big_id"}))
    lines.append(pay_line(bank, IDS[0], "1e30"))  # a number the signer may not hold on the same line
    lines.append(pay_line(bank, IDS[1], "1e400"))
    sent = [json.loads(id_json, parse_float=Decimal) for id_json in [*IDS, IDS[0], IDS[0], IDS[1]]]
    replies = [reply_of(line) for line in exchange(adapters(folder), lines, tmp_path)]

    wrong = [f"sent {line[:60]}..., got id {reply['id']!r}" for line, reply, id_value in zip(lines, replies, sent)
             if not same_json(reply["id"], id_value)]
    assert not wrong, "\n".join(wrong)
    assert replies[len(IDS)]["ok"] is True, replies[len(IDS)]  # the balance with a 17-digit id


@pytest.mark.parametrize("folder", KIT_PARAMS)
def test_a_numeric_string_amount_is_paid_as_the_reference_client_pays_it(folder, bank, adapters, tmp_path):
    kit_settings(folder)
    bank.reset()
    [line] = exchange(adapters(folder), [pay_line(bank, "1", '"154.00"')], tmp_path)
    reply = reply_of(line)
    assert reply["ok"] is True, reply
    entry = bank.journal()[-1]
    assert entry["verdict"] == {"ok": True}
    assert entry["body"]["transactions"][0]["amount"] == "154.00"  # sent as given, like the reference client


@pytest.mark.parametrize("folder", KIT_PARAMS)
def test_certify_sh_starts_the_adapter_from_a_folder_named_with_danish_letters_and_quotes(folder, tmp_path):
    kit_settings(folder)
    copy = tmp_path / AWKWARD_FOLDER / folder.name
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns(*build_outputs(folder)))
    env = {**os.environ, "MOCKBANK": str(MOCKBANK), "LC_ALL": "C"}
    done = subprocess.run(["bash", str(copy / "certify.sh"), "--plans", "balance", "--examples", "1",
                           "--report", str(tmp_path / "report")], capture_output=True, text=True, encoding="utf-8",
                          cwd=tmp_path, env=env, timeout=SCRIPT_TIMEOUT)
    assert done.returncode == 0, f"{folder.name}/certify.sh exited {done.returncode}:\n{done.stdout}\n" \
                                 f"{done.stderr[-3000:]}"
    assert "certification PASSED" in done.stdout
