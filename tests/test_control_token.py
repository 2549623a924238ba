"""The control-plane token: every /_mock/* route, in every sandbox, needs X-Mockbank-Token; the tools send it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import BANK_NOW
from mockbank.app import create_app
from mockbank.bank import Bank
from mockbank import fixtures
from mockbank.server import ServeOptions, check_control_plane
from mockbank.settings import Settings
from mockbank.store import open_store
from mockbank.testing import Emulator
from raw import post

TOKEN = "team-secret-7"
pytest_plugins = ["pytester"]


@pytest.fixture(scope="module")
def protected():
    with Emulator(clock=BANK_NOW, frozen_clock=True, token=TOKEN) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def app():
    bank = Bank(open_store(":memory:"), fixtures.load(), Settings())
    bank.ensure_seeded()
    yield create_app(bank, control_token=TOKEN)
    bank.store.close()


def control_routes(app):
    """(method, path) of every control route the app has, with placeholders filled in."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/_mock") and not rule.endpoint.startswith("dashboard."):  # below: its own guard
            path = rule.rule.replace("<sandbox_id>", "nosuch")
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, path


@pytest.mark.parametrize("prefix", ["", "/sandboxes/anything"])
def test_every_control_route_answers_401_json_without_the_token(app, prefix):
    client = app.test_client()
    routes = list(control_routes(app))
    assert len(routes) >= 15
    for method, path in [*routes, ("GET", "/_mock/no-such-route")]:
        for headers in ({}, {"X-Mockbank-Token": "wrong"}):
            answer = client.open(prefix + path, method=method, headers=headers, json={})
            assert answer.status_code == 401, (method, path, headers)
            assert answer.json["error"] == "unauthorized" and "X-Mockbank-Token" in answer.json["message"]


@pytest.mark.parametrize("in_a_sandbox", [False, True])
def test_dashboard_pages_ask_for_the_token_and_show_nothing_without_it(app, in_a_sandbox):
    client = app.test_client()
    prefix = ""
    if in_a_sandbox:
        made = client.post("/_mock/sandboxes", json={}, headers={"X-Mockbank-Token": TOKEN})
        prefix = f"/sandboxes/{made.json['id']}"
    for page in ("/_mock/ui/", "/_mock/ui/accounts", "/_mock/ui/payments", "/_mock/ui/clock"):
        answer = client.get(prefix + page)
        assert answer.status_code == 401 and b'name="token"' in answer.data, page
        assert b"52470004471238" not in answer.data  # no account, no journal
    assert client.post(prefix + "/_mock/ui/token", data={"token": "wrong"}).status_code == 401


def test_the_token_opens_the_control_plane_and_the_api_keeps_its_signatures(app):
    client = app.test_client()
    assert client.get("/_mock/health", headers={"X-Mockbank-Token": TOKEN}).status_code == 200
    assert client.get("/_mock/clock", headers={"X-Mockbank-Token": TOKEN}).status_code == 200
    refused = client.get("/status?requestId=R")  # the API answers as before: the signature decides
    assert refused.status_code == 401 and refused.json["diagnosis"]["cause"] == "malformed-header"


def test_the_emulator_handle_sends_its_token(protected):
    assert post(protected, "/status", {"requestId": "R1"}).status_code == 200
    assert [entry["path"] for entry in protected.journal()] == ["/status"]
    protected.reset()
    with protected.sandbox() as sandbox:
        assert sandbox.clock()["now"]
    stranger = Emulator.connect(protected.url)
    with pytest.raises(RuntimeError, match="401"):
        stranger.reset()


@pytest.mark.slow  # pytest and certify in subprocesses
def test_the_pytest_plugin_and_certify_take_the_token(protected, pytester, tmp_path):
    pytester.makepyfile("""
        def test_in_a_sandbox(mockbank):
            assert mockbank.client().status().answers == ()
    """)
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "--mockbank-url", protected.url,
                                  "--mockbank-token", TOKEN).assert_outcomes(passed=1)
    without = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--mockbank-url", protected.url)
    assert without.ret == pytest.ExitCode.USAGE_ERROR  # the run ends in one line naming the option
    assert "the emulator there needs its control token" in without.stdout.str() + without.stderr.str()
    result = subprocess.run([sys.executable, "-m", "mockbank", "certify", "--url", protected.url, "--control-token",
                             TOKEN, "--adapter", f'"{sys.executable}" -m mockbank.adapters.reference', "--plans",
                             "cancel", "--examples", "1", "--report", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "/sandboxes/" in json.loads((tmp_path / "report.json").read_text())["url"]


def test_an_open_control_plane_on_a_reachable_address_is_refused_unless_allowed(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mockbank", "serve", "--host", "0.0.0.0", "--port", "0", "--db",
                             ":memory:"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "--control-token" in result.stderr
    assert "--allow-open-control-plane" in result.stderr
    warning = check_control_plane(ServeOptions(host="10.1.2.3", allow_open_control_plane=True))
    assert warning.startswith("warning: the control plane of 10.1.2.3 is open")
    assert check_control_plane(ServeOptions(host="10.1.2.3", control_token=TOKEN)) is None
    assert check_control_plane(ServeOptions(host="::1")) is None
