"""Test settings shared by the whole suite."""

from hypothesis import HealthCheck, settings

# Machines here are noisy: no per-example deadline; speed is measured by bench/, not by tests.
settings.register_profile("mockbank", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("mockbank")


import pytest  # noqa: E402

from mockbank.testing import Emulator  # noqa: E402

#: A Tuesday, not a holiday: payments dated "today" are valid without moveToNextBankDate.
BANK_NOW = "2026-11-24T10:00:00"
BANK_TODAY = BANK_NOW[:10]


@pytest.fixture(scope="session")
def emulator_session():
    with Emulator(clock=BANK_NOW, frozen_clock=True) as emulator:
        yield emulator


@pytest.fixture
def emulator(emulator_session):
    """The demo bank on a frozen clock (BANK_NOW), reset for every test."""
    emulator_session.reset()
    return emulator_session
