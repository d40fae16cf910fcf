"""Django's SQLite backend, with writers taking turns through a lock file.

SQLite lets one transaction write at a time. A writer that finds the lock taken sleeps in
SQLite's busy handler for 1, 2, 5, 10, ... up to 100 ms between tries, so the lock often
sits free while the next writer sleeps: under a flood of sign-ons the servers used 1.3 of
their 2 cores and p99 latency reached seconds. Here every transaction first takes an
exclusive `flock` on `<database>-writer` and holds it until COMMIT or ROLLBACK; a writer
that finds it taken retries within a millisecond (a few microseconds of CPU per try). The
turn is only a way of queueing: SQLite's own lock still decides who writes, so a process
that does not take turns (the sqlite3 shell, a backup) is as safe as before.

Transactions here are `BEGIN IMMEDIATE` (settings.py), so every `atomic()` block is a
writer. Statements outside a transaction are not covered and keep the busy handler.
"""

from __future__ import annotations

import fcntl
import os
import time
from typing import Any

from django.db.backends.sqlite3 import base

# The longest a writer waits for its turn before going on to SQLite's own lock and
# busy_timeout: the turn is an optimisation, never a new way to fail.
MAX_WAIT = 20.0
# Between tries: starts short (a batch commit takes a few milliseconds), never above 1 ms.
FIRST_PAUSE, LONGEST_PAUSE = 0.0001, 0.001


class WriterTurn:
    """An exclusive lock on a file, waited for with short pauses, bounded in time."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def take(self) -> None:
        pause = FIRST_PAUSE
        deadline = None
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                now = time.monotonic()
                deadline = deadline or now + MAX_WAIT
                if now >= deadline:
                    return
            time.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)

    def give_back(self) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self.fd)


class DatabaseWrapper(base.DatabaseWrapper):
    turn: WriterTurn | None = None

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            self.turn = WriterTurn(f"{self.settings_dict['NAME']}-writer")
        return connection

    def _start_transaction_under_autocommit(self) -> None:
        if self.turn is not None:
            self.turn.take()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._give_back()
            raise

    def _give_back(self) -> None:
        if self.turn is not None:
            self.turn.give_back()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._give_back()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._give_back()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            if self.turn is not None:
                self.turn.close()
                self.turn = None
