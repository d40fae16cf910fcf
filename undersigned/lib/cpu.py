"""How busy the rest of the machine kept its cores, from Linux's /proc/stat: lets background
work (the email worker) step aside while the web servers need them.

A lower CPU priority is not enough for that. On two cores in a flood of sign-ons on
PostgreSQL, the email worker at nice 10 (or SCHED_IDLE) still took about half a core, and
the servers took 20-26% more sign-ons a second with it stopped; stopped 80% of the time,
17% more (notes on #8). Where /proc/stat cannot be read, nothing steps aside.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

_TICK = 1 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01
_STAT = "/proc/stat"


def _cores() -> int:
    try:
        with open(_STAT, "rb") as stat:
            return sum(1 for line in stat if line[:3] == b"cpu" and line[3:4].isdigit()) or 1
    except OSError:
        return os.cpu_count() or 1


_CORES = _cores()


@dataclass(frozen=True, slots=True)
class Sample:
    wall: float  # time.monotonic()
    busy: float  # CPU seconds every core of the machine spent on any work, since boot
    own: float  # CPU seconds this process has used (every thread)


def sample() -> Sample | None:
    """Now, or None where /proc/stat cannot be read or is not as Linux writes it."""
    try:
        with open(_STAT, "rb") as stat:
            fields = stat.readline().split()
        # cpu  user nice system idle iowait irq softirq steal ...: all but idle and iowait
        # are busy (steal too: the host gave the core to someone else).
        ticks = [int(value) for value in fields[1:9]]
        busy = sum(ticks) - ticks[3] - ticks[4]
    except (OSError, ValueError, IndexError):
        return None
    return Sample(time.monotonic(), busy * _TICK, time.process_time())


def others_busy(before: Sample, after: Sample) -> float:
    """The share of the machine's cores that other processes kept busy between two samples
    (0 to 1; this process's own CPU left out)."""
    wall = after.wall - before.wall
    if wall <= 0:
        return 0.0
    others = (after.busy - before.busy) - (after.own - before.own)
    return min(1.0, max(0.0, others / (wall * _CORES)))
