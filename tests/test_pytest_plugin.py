"""The pytest plugin's --mockbank-adapter option runs the certification plans as tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # pytest runs in subprocesses (`pytest --all` and CI run them)

pytest_plugins = ["pytester"]

MUTANT_SCRIPT = Path(__file__).parent / "mutants" / "mutant.py"


def test_the_reference_adapter_passes_as_pytest_tests(pytester):
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--mockbank-adapter",
                                           f'"{sys.executable}" -m mockbank.adapters.reference',
                                           "--mockbank-plans", "errors,cancel", "--mockbank-examples", "2")
    result.assert_outcomes(passed=7)


def test_a_broken_adapter_fails_the_right_tests_with_the_diagnosis(pytester):
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--mockbank-adapter",
                                           f'"{sys.executable}" "{MUTANT_SCRIPT}" token-case',
                                           "--mockbank-plans", "signing", "--mockbank-examples", "2",
                                           "--mockbank-seed", "3")
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(["*signing/payments-are-signed*the signature was refused (token-case)*",
                                 "*signature diagnosis*token-case*"])


def test_the_mockbank_fixture_is_offered_to_other_projects(pytester):
    pytester.makepyfile("""
        def test_uses_the_fixture(mockbank):
            client = mockbank.client()
            assert client.status().answers == ()
            assert mockbank.journal()[-1]["verdict"] == {"ok": True}
    """)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_plans_an_adapter_does_not_offer_are_skipped_with_the_reason(pytester):
    fake = Path(__file__).parent / "fake_adapter.py"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs", "--mockbank-adapter",
                                           f'"{sys.executable}" "{fake}" offers statement,balance',
                                           "--mockbank-plans", "balance,cancel", "--mockbank-examples", "2")
    result.assert_outcomes(passed=2, skipped=2)
    result.stdout.fnmatch_lines(["*left out: needs pay, status, cancel, which the adapter does not offer*"])
