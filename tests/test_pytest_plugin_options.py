"""The pytest plugin: option validation, collection counts, and the `mockbank` fixture's isolation between tests."""

from __future__ import annotations

import re
import sys

import pytest

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
