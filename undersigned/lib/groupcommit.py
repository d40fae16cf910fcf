"""Group commit: the writes of several threads of one process in one transaction.

A server process runs a few request threads. When a sign-on arrives while another thread's
transaction is committing, it does not queue for the database's write lock on its own: it
joins the next batch. The first thread to find nobody writing leads: it writes every waiting
item in one transaction, wakes the others, and hands the lead to the first item that arrived
meanwhile. Nobody waits on a timer, so a lone request is written at once, as before; under
load a batch is whatever gathered during the previous commit.

Each caller returns only after the transaction holding its item has committed (or raises the
error that item met), so "answered" still means "stored". The write function gets the items
and may mark single items as failed (`Slot.error`) without failing the others; an exception
it raises fails the whole batch.

This is the leader/follower scheme of database group commit (PostgreSQL's commit_delay,
MySQL's binlog group commit) applied one level up, where Python's per-transaction cost is.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Slot(Generic[T]):
    """One caller's item, and what became of it."""

    __slots__ = ("_lead", "_wake", "error", "item")

    def __init__(self, item: T) -> None:
        self.item = item
        self.error: BaseException | None = None
        self._lead = False
        # Held from the start, released once by whoever wakes this caller: a plain lock is
        # the cheapest one-time signal between threads (an Event costs a Condition).
        self._wake = threading.Lock()
        self._wake.acquire()


class GroupCommit(Generic[T]):
    def __init__(self, write: Callable[[list[Slot[T]]], None], *, max_batch: int = 64) -> None:
        self._write = write
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._waiting: list[Slot[T]] = []
        self._busy = False

    def submit(self, item: T) -> None:
        """Return once `item` is committed; raise its error if it was not."""
        slot = Slot(item)
        with self._lock:
            self._waiting.append(slot)
            lead = not self._busy
            self._busy = True
        if not lead:
            slot._wake.acquire()
            if not slot._lead:
                self._raise(slot)
                return
        self._lead_one_batch()
        self._raise(slot)

    def _lead_one_batch(self) -> None:
        with self._lock:
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
        try:
            self._write(batch)
        except BaseException as exc:
            for slot in batch:
                slot.error = slot.error or exc
        finally:
            with self._lock:
                if self._waiting:
                    # The lead passes on; the leader itself answers its own request now
                    # instead of serving others' commits for as long as the load lasts.
                    successor = self._waiting[0]
                    successor._lead = True
                    successor._wake.release()
                else:
                    self._busy = False
            for slot in batch:
                # Every slot's lock is held here (since its creation, or taken again by a
                # successor on waking), so each release below is its one wake-up.
                slot._wake.release()

    @staticmethod
    def _raise(slot: Slot[T]) -> None:
        error = slot.error
        if error is None:
            return
        # A batch's failure is one exception object shared by its threads: each raises its
        # own copy (chained to the original, which holds the leader's traceback), so their
        # tracebacks do not run into each other.
        try:
            own = copy.copy(error)
        except Exception:
            raise error from None
        raise own from error
