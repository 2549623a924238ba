"""SQLite's WAL is copied into the database file by a thread of the process, not by the request that fills it."""

from __future__ import annotations

import gc
import os
import queue
import threading
import time

from mockbank.store import open_store
from mockbank.store.sqlite import CHECKPOINT_DELAY_SECONDS
from serving import wait_until

THREAD_NAME = "mockbank-wal-checkpoint"


def _checkpoint_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name == THREAD_NAME}


def _append(store, entries: int) -> None:
    for number in range(entries):
        store.journal_append({"path": "/status", "number": number, "padding": "x" * 3000})


def _store_and_its_thread(tmp_path):
    """A store on a file, after its first commit, and the checkpoint thread that commit started."""
    before = _checkpoint_threads()
    store = open_store(str(tmp_path / "bank.db"))
    _append(store, 1)
    started = _checkpoint_threads() - before
    assert len(started) == 1
    return store, started.pop()


def test_committed_pages_reach_the_database_file_without_another_commit(tmp_path):
    path = str(tmp_path / "bank.db")
    store = open_store(path)
    try:
        size = os.path.getsize(path)
        _append(store, 50)  # some 250 pages: below the WAL length at which SQLite's commit would copy them
        wait_until(lambda: os.path.getsize(path) > size + 50 * 3000, "the WAL's pages copied into the file")
        assert [entry["number"] for entry in store.journal()] == list(range(50))
    finally:
        store.close()


def test_the_checkpoint_thread_starts_with_the_first_commit_and_stops_with_the_store(tmp_path):
    store, thread = _store_and_its_thread(tmp_path)
    store.close()
    assert not thread.is_alive()


def test_a_store_never_closed_stops_its_checkpoint_thread_when_collected(tmp_path):
    store, thread = _store_and_its_thread(tmp_path)
    del store
    gc.collect()
    wait_until(lambda: not thread.is_alive(), "the thread of a collected store ending")


def test_a_store_disconnected_before_a_fork_starts_the_thread_again_at_its_next_commit(tmp_path):
    store, thread = _store_and_its_thread(tmp_path)
    try:
        store.database.disconnect()  # what `serve --workers` does before it forks
        assert not thread.is_alive()
        before = _checkpoint_threads()
        _append(store, 1)
        assert len(_checkpoint_threads() - before) == 1
    finally:
        store.close()


def test_a_commit_after_close_starts_no_thread_and_recreates_no_file():
    """A request outliving its server's stop may still commit on its own connection, after close()."""
    store = open_store(":memory:")
    file = store.database.file
    commits = queue.Queue()
    done = queue.Queue()

    def request_thread() -> None:
        while (entries := commits.get()) is not None:
            _append(store, entries)
            done.put(entries)

    worker = threading.Thread(target=request_thread)
    worker.start()
    try:
        commits.put(1)
        assert done.get(timeout=10) == 1
        store.close()
        before = _checkpoint_threads()
        commits.put(1)
        assert done.get(timeout=10) == 1
        time.sleep(0.2)
        assert _checkpoint_threads() - before == set()
        assert not os.path.exists(file)
    finally:
        commits.put(None)
        worker.join()


class _SlowClear(threading.Event):
    """An event whose clear() takes a while: it widens the microseconds between the checkpoint thread's wait
    ending and its clearing the event, where a stop() once lost its wake-up and waited forever."""

    def clear(self) -> None:
        time.sleep(0.2)
        super().clear()


def test_stopping_while_the_thread_wakes_for_a_checkpoint_does_not_wait_forever(tmp_path):
    store = open_store(str(tmp_path / "bank.db"))
    checkpointer = store.database._checkpointer
    checkpointer._committed = _SlowClear()
    _append(store, 1)
    time.sleep(CHECKPOINT_DELAY_SECONDS + 0.1)  # the thread's wait is over; it is clearing the event
    closing = threading.Thread(target=store.close)
    closing.start()
    closing.join(timeout=10)
    assert not closing.is_alive(), "close() waits for a checkpoint thread that lost its wake-up"
