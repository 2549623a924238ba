"""pytest plugin: a ``mockbank`` fixture with a running emulator and fresh state for every test.

Installed with mockbank (entry point ``pytest11``). Options:

``--mockbank-fixtures FILE``   the fixture file (default: the built-in demo bank)
``--mockbank-url URL``         use an emulator that already runs there instead of starting one
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockbank.testing import Emulator


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockbank", "BankIntegration emulator")
    group.addoption("--mockbank-fixtures", metavar="FILE", help="fixture file for the mockbank fixture")
    group.addoption("--mockbank-url", metavar="URL", help="use a running emulator instead of starting one")


@pytest.fixture(scope="session")
def mockbank_session(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """One emulator for the whole test session (the ``mockbank`` fixture resets it per test)."""
    fixture = request.config.getoption("--mockbank-fixtures")
    url = request.config.getoption("--mockbank-url")
    emulator = Emulator.connect(url, fixture) if url else Emulator(fixture)
    with emulator:
        yield emulator


@pytest.fixture
def mockbank(mockbank_session: Emulator) -> Emulator:
    """A running emulator with fresh state: ``.url``, ``.credentials``, ``.client()``, ``.journal()``,
    ``.advance_clock()``, ``.inject_fault()``, ``.reset()`` and the rest of :class:`mockbank.testing.Emulator`."""
    mockbank_session.reset()
    return mockbank_session
