"""A PostgreSQL URL that cannot be used is one clear message naming the problem, never the password."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from postgres_cluster import PASSWORD, Cluster

from mockbank.store import StoreError, open_store, redact_url


def unused_port() -> int:
    """A local port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def refusal(url: str) -> str:
    with pytest.raises(StoreError) as refused:
        open_store(url)
    message = str(refused.value)
    assert PASSWORD not in message and "Traceback" not in message
    return message


def test_a_database_that_does_not_exist_is_named(postgres_cluster: Cluster):
    message = refusal(postgres_cluster.url("no_such_bank"))
    assert "'no_such_bank' does not exist" in message and "createdb" in message


def test_a_wrong_password_is_reported_without_echoing_a_password(postgres_cluster: Cluster, postgres_url: str):
    message = refusal(postgres_url.replace(PASSWORD, "wrong-password"))
    assert "refused user 'postgres'" in message and "wrong-password" not in message


def test_a_short_password_does_not_hide_letters_of_the_message(postgres_cluster: Cluster, postgres_url: str):
    message = refusal(postgres_url.replace(f"postgres:{PASSWORD}@", "nouser:a@"))
    assert "refused user 'nouser'" in message and "password authentication failed" in message
    assert "nouser:***@" in message


def test_an_unreachable_server_says_where_it_was_looked_for(postgres_cluster: Cluster):
    port = unused_port()
    message = refusal(f"postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/bank")
    assert f"cannot connect to the PostgreSQL server at 127.0.0.1:{port}" in message


def test_serve_with_an_unusable_url_prints_one_line_and_fails(postgres_cluster: Cluster, tmp_path):
    result = subprocess.run([sys.executable, "-m", "mockbank", "serve", "--port", "0", "--db",
                             postgres_cluster.url("no_such_bank")], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and PASSWORD not in result.stderr + result.stdout
    assert "'no_such_bank' does not exist" in result.stderr and len(result.stderr.strip().splitlines()) == 1



@pytest.mark.parametrize("url, shown", [
    ("postgresql://bank:s3cret@db:5432/mockbank", "postgresql://bank:***@db:5432/mockbank"),
    ("postgresql://bank:p@ss@db/mockbank", "postgresql://bank:***@db/mockbank"),
    ("postgresql://db/mockbank?user=bank&password=s3cret&sslmode=require",
     "postgresql://db/mockbank?user=bank&password=***&sslmode=require"),
    ("postgresql://bank@db/mockbank", "postgresql://bank@db/mockbank"),
    ("mockbank.db", "mockbank.db"),
])
def test_a_database_url_is_shown_without_its_password(url, shown):
    assert redact_url(url) == shown
