"""The background worker that sends email: the job queue's own worker, plus a sweep that
queues again any email still owed (a job lost to kill -9, a Redis restart or an SMTP error)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connections
from django_tasks.signals import task_finished, task_started

from undersigned.signatures.services import signature_requeue_owed_emails

logger = logging.getLogger("undersigned.worker")


def sweep(older_than: timedelta) -> int:
    try:
        n = signature_requeue_owed_emails(older_than=older_than)
        if n:
            logger.warning("queued again %d emails still owed after %s", n, older_than)
        return n
    finally:
        close_old_connections()


def fresh_connections(**kwargs: Any) -> None:
    """Before and after each job, what Django does before and after each request: close a
    connection that failed or outlived CONN_MAX_AGE, and have the next query check it
    first (CONN_HEALTH_CHECKS). The Redis queue's worker runs every job in this process
    (SimpleWorker) and does neither: after a database restart, every later job failed on
    the closed connection until the worker was restarted. A connection inside a
    transaction (a test's) is left alone, as Django's test client leaves it."""
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()


RETENTION_EVERY = 24 * 3600  # seconds between two retention passes


def retention_pass() -> None:
    """Delete old unconfirmed sign-ons and anonymize long-closed statements' signers
    (undersigned.signatures.retention); a failure is logged and tried again next time."""
    from undersigned.signatures.retention import retention_run

    try:
        report = retention_run(apply=True)
        if report.purged_total or report.anonymized_total:
            logger.info(
                "retention: deleted %d unconfirmed sign-ons, anonymized %d",
                report.purged_total,
                report.anonymized_total,
            )
    except Exception:
        logger.exception("retention pass failed")
    finally:
        close_old_connections()


class Command(BaseCommand):
    help = "Send queued email (database queue, or Redis when REDIS_URL is set)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="Send what is queued, then exit.")
        parser.add_argument(
            "--sweep-every",
            type=int,
            default=60,
            help="Seconds between sweeps for owed email (default 60).",
        )

    def handle(self, *args: Any, batch: bool, sweep_every: int, **options: Any) -> None:
        # At start, anything owed for a minute has lost its job (the worker was down); later,
        # every minute, anything owed for two minutes whose job is not waiting in the queue.
        sweep(timedelta(seconds=60))
        if not batch:
            stop = threading.Event()

            def loop() -> None:
                # Retention runs once soon after start, then about once a day.
                next_retention = time.monotonic() + sweep_every
                while not stop.wait(sweep_every):
                    sweep(timedelta(seconds=120))
                    if time.monotonic() >= next_retention:
                        retention_pass()
                        next_retention = time.monotonic() + RETENTION_EVERY

            threading.Thread(target=loop, name="email-sweep", daemon=True).start()
        task_started.connect(fresh_connections, dispatch_uid="emailworker-started")
        task_finished.connect(fresh_connections, dispatch_uid="emailworker-finished")
        try:
            self.run_queue(batch)
        finally:
            task_started.disconnect(dispatch_uid="emailworker-started")
            task_finished.disconnect(dispatch_uid="emailworker-finished")

    @staticmethod
    def run_queue(batch: bool) -> None:
        if settings.REDIS_URL:
            call_command(
                "rqworker",
                "default",
                job_class="django_tasks_rq.Job",
                # In this process, not a fork per email (about 4x the throughput); the jobs are
                # idempotent and the sweep requeues what a crash loses.
                worker_class="rq.worker.SimpleWorker",
                burst=batch,
                with_scheduler=False,
            )
        else:
            call_command(
                "db_worker",
                queue_name="default",
                interval=0.2,
                batch=batch,
                reload=False,
                startup_delay=False,
            )
