"""Progress for long commands: a bar on a terminal, plain lines otherwise (logs, CI)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(items: Iterable[T], *, total: int, label: str, stream=None) -> Iterator[T]:  # type: ignore[no-untyped-def]
    stream = stream or sys.stderr
    if stream.isatty():
        from rich.progress import Progress

        with Progress(transient=False) as bar:
            task = bar.add_task(label, total=total)
            for item in items:
                yield item
                bar.advance(task)
        return
    step = max(1, total // 10)
    last = time.monotonic()
    for done, item in enumerate(items, 1):
        yield item
        if done % step == 0 or done == total or time.monotonic() - last > 10:
            stream.write(f"{label}: {done}/{total}\n")
            stream.flush()
            last = time.monotonic()
