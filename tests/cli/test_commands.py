"""The `undersigned` command as an operator meets it: help, one-line errors, serve and Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import ClassVar
from unittest import TestCase

BIN = str(Path(sys.executable).with_name("undersigned"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_processes(pid: int) -> dict[int, str]:
    """A process's children (Linux): pid → command line."""
    found = {}
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            raw = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        found[int(child)] = raw.replace(b"\0", b" ").decode(errors="replace")
    return found


def child_commands(pid: int) -> list[str]:
    """The command lines of a process's children (Linux)."""
    return list(child_processes(pid).values())


class CommandTests(TestCase):
    """Each command runs in its own process on a fresh SQLite data folder."""

    data_dir: ClassVar[tempfile.TemporaryDirectory[str]]
    env: ClassVar[dict[str, str]]

    @classmethod
    def setUpClass(cls) -> None:
        cls.data_dir = tempfile.TemporaryDirectory()
        cls.env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
        }
        cls.env["UNDERSIGNED_DATA_DIR"] = cls.data_dir.name
        cls.run_cli("manage", "migrate", "--verbosity", "0")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.data_dir.cleanup()

    @classmethod
    def run_cli(cls, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [BIN, *args],
            env=cls.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def test_it_has_help_for_every_command(self) -> None:
        for command in ([], ["demo"], ["serve"], ["worker"], ["recount"], ["createorganizer"]):
            result = self.run_cli(*command, "--help")
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("usage:", result.stdout)

    def test_it_reports_a_users_mistake_in_one_line_without_a_traceback(self) -> None:
        result = self.run_cli("recount", "no-such-statement")
        self.assertEqual(result.returncode, 1)
        self.assertEqual(
            result.stderr.strip(), "undersigned: No statement with the address 'no-such-statement'."
        )

        result = self.run_cli(
            "createorganizer", "not-an-email", "--password-stdin", stdin="a long password 123\n"
        )
        self.assertEqual(result.returncode, 1)
        self.assertNotIn("Traceback", result.stderr)
        self.assertIn("valid email", result.stderr)

    def test_it_refuses_a_bad_environment_variable_in_one_line(self) -> None:
        env = {**self.env, "EMAIL_URL": "pigeon://coop"}
        result = subprocess.run(
            [BIN, "recount"], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertNotIn("Traceback", result.stderr)
        self.assertIn("EMAIL_URL must start with", result.stderr)

    def test_it_creates_an_organizer_and_recounts(self) -> None:
        result = self.run_cli(
            "createorganizer",
            "lead@coalition.example",
            "--password-stdin",
            stdin="peace treaty now 2018\n",
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("lead@coalition.example", result.stdout)
        result = self.run_cli("recount")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("counters matched the sign-ons", result.stdout)
        result = self.run_cli("retention")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("unconfirmed sign-ons older than 30 days: 0 would delete", result.stdout)

    def test_serve_answers_and_stops_cleanly_on_ctrl_c(self) -> None:
        port = free_port()
        process = subprocess.Popen(
            [BIN, "serve", "--port", str(port), "--workers", "1"],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/healthz", timeout=2
                    ) as response:
                        self.assertEqual(response.status, 200)
                        break
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        errors = process.stderr.read() if process.stderr else ""
                        self.fail(f"server did not start: {errors}")
                    time.sleep(0.3)
            children = child_processes(process.pid)
            # The server runs request threads for the group commit; the email worker gives
            # way to it (nice 10) in a flood.
            self.assertTrue(
                any("granian" in c and "--blocking-threads 8 " in c for c in children.values()),
                children,
            )
            (worker,) = [pid for pid, c in children.items() if "undersigned.cli worker" in c]

            def worker_nice() -> int:
                stat = Path(f"/proc/{worker}/stat").read_text()
                return int(stat.rsplit(")", 1)[1].split()[16])

            deadline = time.monotonic() + 20  # it lowers its priority once it has started
            while worker_nice() != min(os.nice(0) + 10, 19) and time.monotonic() < deadline:
                time.sleep(0.1)
            self.assertEqual(worker_nice(), min(os.nice(0) + 10, 19))
            process.send_signal(signal.SIGINT)
            self.assertEqual(process.wait(timeout=20), 0)
        finally:
            if process.poll() is None:
                process.kill()
        with self.assertRaises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)

    def test_serve_no_worker_starts_only_the_app_server(self) -> None:
        """The scale-out app server (docs/deploy/undersigned-web@.service): no email worker
        among its processes, so workers run separately with `undersigned worker`."""
        port = free_port()
        process = subprocess.Popen(
            [BIN, "serve", "--port", str(port), "--workers", "1", "--no-worker", "--no-migrate"],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/healthz", timeout=2
                    ) as response:
                        self.assertEqual(response.status, 200)
                        break
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        errors = process.stderr.read() if process.stderr else ""
                        self.fail(f"server did not start: {errors}")
                    time.sleep(0.3)
            children = child_commands(process.pid)
            self.assertTrue(any("granian" in child for child in children), children)
            self.assertFalse(any("undersigned.cli worker" in child for child in children), children)
            process.send_signal(signal.SIGTERM)
            self.assertEqual(process.wait(timeout=20), 0)
        finally:
            if process.poll() is None:
                process.kill()
