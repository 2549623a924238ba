"""Test settings shared by the whole suite."""

import os

# Every Python a test starts (`python -m mockbank ...`, an adapter script) imports the installed mockbank, never
# the source tree of the current folder (which lacks the data packages a wheel maps in: mockbank.schema_files).
os.environ["PYTHONSAFEPATH"] = "1"

from hypothesis import HealthCheck, settings

# Machines here are noisy: no per-example deadline; speed is measured by bench/, not by tests.
settings.register_profile("mockbank", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("mockbank")

import pytest  # noqa: E402

from mockbank.testing import Emulator  # noqa: E402
from postgres_cluster import Cluster, Unavailable  # noqa: E402

# --------------------------------------------------------------------------- the everyday run and --all


def pytest_addoption(parser):
    parser.addoption("--all", action="store_true", dest="run_all",
                     help="with no paths given, also run the tests marked slow (real toolchains, a browser, server "
                          "processes, fuzzing), as CI (CI=true) always does")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: left out of a run given no paths (the everyday `pytest`) unless --all; "
                                       "CI runs it")


def _leaves_out_slow_tests(config) -> bool:
    """The everyday `pytest`: no paths given, no marker expression naming them (`-m slow`), no --all, not CI."""
    no_paths = config.args_source in (pytest.Config.ArgsSource.TESTPATHS, pytest.Config.ArgsSource.INVOCATION_DIR)
    return (no_paths and "slow" not in config.option.markexpr and not config.getoption("run_all")
            and os.environ.get("CI") != "true")


def pytest_collection_modifyitems(config, items):
    if not _leaves_out_slow_tests(config):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]


def pytest_report_header(config):
    if _leaves_out_slow_tests(config):
        return ("the tests marked slow are left out (deselected): `pytest --all`, or naming their files, runs them; "
                "CI runs them all")
    return None


#: A Tuesday, not a holiday: payments dated "today" are valid without moveToNextBankDate.
BANK_NOW = "2026-11-24T10:00:00"
BANK_TODAY = BANK_NOW[:10]


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throwaway PostgreSQL server for this run; skipped locally (failed in CI) when none can start."""
    try:
        cluster = Cluster.start()
    except Unavailable as reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI: {reason}")
        pytest.skip(f"no PostgreSQL server could be started: {reason}")
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster):
    """The URL of a fresh, empty PostgreSQL database."""
    return postgres_cluster.new_database()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def emulator_session(request):
    """One emulator per storage engine: every test using it runs on SQLite and on PostgreSQL."""
    db = ":memory:" if request.param == "sqlite" else request.getfixturevalue("postgres_cluster").new_database()
    with Emulator(db=db, clock=BANK_NOW, frozen_clock=True) as emulator:
        yield emulator


@pytest.fixture
def emulator(emulator_session):
    """The demo bank on a frozen clock (BANK_NOW), reset for every test."""
    emulator_session.reset()
    return emulator_session
