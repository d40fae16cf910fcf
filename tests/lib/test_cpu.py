"""How busy the rest of the machine is (undersigned.lib.cpu), and the email worker stepping
aside while it is busy (signatures.tasks._step_aside), measured on real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import SkipTest, TestCase

from undersigned.lib import cpu
from undersigned.signatures import tasks

SPIN = "import time\nend = time.monotonic() + 20\nwhile time.monotonic() < end: pass\n"


@contextmanager
def every_core_busy() -> Iterator[None]:
    """One process spinning per core, as the web servers are in a flood."""
    spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(os.cpu_count() or 1)]
    try:
        time.sleep(0.3)  # started and spinning
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


class CpuTests(TestCase):
    def setUp(self) -> None:
        if cpu.sample() is None:
            raise SkipTest("/proc/stat cannot be read here (not Linux)")

    def test_other_processes_keeping_every_core_busy_read_as_busy(self) -> None:
        with every_core_busy():
            before = cpu.sample()
            time.sleep(0.5)
            after = cpu.sample()
        assert before is not None and after is not None
        self.assertGreater(cpu.others_busy(before, after), 0.8)

    def test_this_process_s_own_work_is_left_out(self) -> None:
        quiet = cpu.sample()
        time.sleep(0.3)
        now = cpu.sample()
        assert quiet is not None and now is not None
        if cpu.others_busy(quiet, now) > 0.25:
            self.skipTest("other processes are keeping this machine busy (a test run beside it?)")
        before = cpu.sample()
        spin(0.5)  # one core, all of it this process's
        after = cpu.sample()
        assert before is not None and after is not None
        own = (after.own - before.own) / (after.wall - before.wall)
        self.assertGreater(own, 0.8)
        # At most what other processes did meanwhile: on two cores, under half.
        self.assertLess(cpu.others_busy(before, after), 0.5)
        # So a worker whose own job kept a core busy does not rest for it.
        self.assertEqual(tasks._step_aside(before), 0.0)

    def test_the_worker_rests_after_a_job_on_a_busy_machine_not_after_a_short_one(self) -> None:
        with every_core_busy():
            started = cpu.sample()
            time.sleep(0.1)  # a job of a tenth of a second
            began_rest = time.monotonic()
            rest = tasks._step_aside(started)
            rested = time.monotonic() - began_rest
            # A job too short for /proc/stat's hundredths is not measured.
            self.assertEqual(tasks._step_aside(cpu.sample()), 0.0)
        self.assertGreaterEqual(rest, 0.1 * tasks.REST)
        self.assertLessEqual(rest, tasks.LONGEST_REST)
        self.assertGreaterEqual(rested, rest)

    def test_without_proc_stat_nothing_steps_aside(self) -> None:
        stat = cpu._STAT
        self.addCleanup(setattr, cpu, "_STAT", stat)
        cpu._STAT = "/nonexistent/stat"
        self.assertIsNone(cpu.sample())
        self.assertEqual(tasks._step_aside(None), 0.0)
        # A file that is not Linux's /proc/stat (a sandbox's stand-in) reads as none either.
        with tempfile.NamedTemporaryFile("w", suffix="stat") as odd:
            odd.write("cpu 12 34\n")
            odd.flush()
            cpu._STAT = odd.name
            self.assertIsNone(cpu.sample())
