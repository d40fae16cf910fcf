"""Items handed in by many threads of a process, passed on together.

The first item to arrive starts a short window; everything that arrived by its end is passed
on in one call (or a few, at most `most` items each), from a thread of its own. Under a flood
of sign-ons this turns hundreds of small email jobs a second into a few large ones: a job
queue's cost is per job (building it, its round trips to Redis, the worker's bookkeeping).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Gather(Generic[T]):
    def __init__(
        self, send: Callable[[list[T]], None], *, window: float = 0.05, most: int = 100
    ) -> None:
        self._send = send
        self._window = window
        self._most = most
        self._lock = threading.Lock()
        self._items: list[T] = []
        self._arrived = threading.Event()
        self._pid: int | None = None  # the process whose thread passes items on
        atexit.register(self.flush)

    def add(self, items: Iterable[T]) -> None:
        with self._lock:
            self._items.extend(items)
            self._arrived.set()
            if self._pid != os.getpid():
                # First use in this process (a forked child has no copy of the thread).
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="gather", daemon=True).start()

    def _run(self) -> None:
        while True:
            self._arrived.wait()
            # The window: what arrives meanwhile goes in the same call.
            time.sleep(self._window)
            self.flush()

    def flush(self) -> None:
        """Pass on what is waiting now, in the calling thread."""
        with self._lock:
            items, self._items = self._items, []
            self._arrived.clear()
        for start in range(0, len(items), self._most):
            part = items[start : start + self._most]
            try:
                self._send(part)
            except Exception:
                logger.exception("passing on %d items", len(part))
