"""The pytest plugin: option validation, collection counts, and the `mockbank` fixture's isolation between tests."""

from __future__ import annotations

import fnmatch
import re
import sys

import pytest

from serving import start_server, stop_server

pytestmark = pytest.mark.slow  # pytest runs in subprocesses (`pytest --all` and CI run them)

pytest_plugins = ["pytester"]

REFERENCE = f'"{sys.executable}" -m mockbank.adapters.reference'


@pytest.mark.parametrize("option, value, named", [("--mockbank-plans", "bogus", "unknown plan(s) bogus"),
                                                  ("--mockbank-plans", ",", "names no plan"),
                                                  ("--mockbank-examples", "0", "must be at least 1")])
def test_bad_plugin_options_are_usage_errors(pytester, option, value, named):
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--mockbank-adapter", REFERENCE, option, value)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {option}*{named}*"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_certification_checks_count_as_collected_tests(pytester):
    pytester.makepyfile("def test_one(): pass\ndef test_two(): pass")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--mockbank-adapter", REFERENCE, "-k", "signing",
                                           "--co", "-q")
    counts = re.search(r"(-?\d+)/(-?\d+) tests collected \((\d+) deselected\)", result.stdout.str())
    assert counts is not None, result.stdout.str()
    selected, collected, deselected = map(int, counts.groups())
    assert selected == 4 and collected == selected + deselected and collected > 30
    result.stdout.fnmatch_lines(["mockbank-certify::signing/payments-are-signed"])


def test_a_request_the_test_before_gave_up_on_does_not_land_in_the_next_test(pytester):
    pytester.makepyfile("""
        import time
        from decimal import Decimal

        import pytest
        from mockbank.client import Timeout

        PAYMENT = {"paymentId": "P1", "paymentDate": "2026-12-21", "amount": Decimal("10.00"), "currency": "DKK",
                   "account": "80790000820049", "creditor": {"name": "X"}}

        def test_gives_up(mockbank):
            mockbank.inject_fault(path="/payment", delayMs=1500)
            with mockbank.client(timeout=0.2) as client, pytest.raises(Timeout):
                client.pay([PAYMENT], options={"moveToNextBankDate": True})

        def test_starts_fresh(mockbank):
            time.sleep(2)  # past the end of the delay the test before set
            assert mockbank.journal() == []
            assert mockbank.payments() == []
    """)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


@pytest.mark.parametrize("token, named", [
    (None, "--mockbank-url http://127.0.0.1:*: the emulator there needs its control token*--mockbank-token TOKEN*"),
    ("wrong", "--mockbank-token: the emulator at --mockbank-url http://127.0.0.1:* refused the token given*"),
])
def test_an_emulator_that_refuses_the_token_ends_the_run_in_one_line(pytester, monkeypatch, token, named):
    monkeypatch.delenv("MOCKBANK_CONTROL_TOKEN", raising=False)
    pytester.makepyfile("def test_pays(mockbank): assert mockbank.url\ndef test_again(mockbank): assert mockbank.url")
    # a server of its own process: pytester drops the modules a test imports, so no emulator in this one
    server, url = start_server(pytester.path, "--control-token", "s3cret", db=":memory:")
    try:
        options = ["--mockbank-token", token] if token else []
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--mockbank-url", url, *options)
    finally:
        stop_server(server)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stdout.str() + result.stderr.str()
    assert fnmatch.fnmatch(output.replace("\n", " "), f"*{named}*"), output
    assert "Traceback" not in output and "ControlError" not in output


def test_an_emulator_that_cannot_be_reached_ends_the_certification_in_one_line(pytester):
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--mockbank-adapter", REFERENCE,
                                           "--mockbank-url", "http://127.0.0.1:9", "-k", "signing")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stdout.str() + result.stderr.str()
    assert "--mockbank-url http://127.0.0.1:9: cannot reach the emulator there" in output
    assert "Traceback" not in output
