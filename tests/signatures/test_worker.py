"""The email worker as `undersigned worker` runs it: the real queue, committed data, real SMTP,
and the sweep that recovers an email whose job was lost."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import django_rq
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import TransactionTestCase
from django.utils import timezone

from tests.base import CONTENT, PERSON, drop_connection_under
from tests.smtp import smtp_for_test
from undersigned.signatures import services
from undersigned.signatures.models import EmailOwed, Signature
from undersigned.signatures.services import signature_create
from undersigned.statements.services import statement_create, statement_open


class WorkerTests(TransactionTestCase):
    def setUp(self) -> None:
        self.smtp = smtp_for_test(self)
        self.statement = statement_create(slug="worker", content=CONTENT)
        statement_open(statement=self.statement, public=True)

    def lose_queued_jobs(self) -> None:
        """What kill -9 of a worker mid-job, or a Redis restart without persistence, does."""
        services._email_jobs.flush()  # out of the 50 ms window, into the queue, then lost
        if settings.REDIS_URL:
            django_rq.get_queue("default").empty()
        else:
            from django_tasks_db.models import DBTaskResult

            DBTaskResult.objects.all().delete()

    def test_it_sends_queued_confirmations_and_clears_what_was_owed(self) -> None:
        signature_create(statement=self.statement, data=dict(PERSON))  # type: ignore[arg-type]
        call_command("emailworker", batch=True)
        (message,) = self.smtp.messages
        self.assertIn(PERSON["email"], message["To"])
        signature = Signature.objects.get()
        self.assertEqual(signature.email_owed, EmailOwed.NONE)
        self.assertIsNotNone(signature.emailed_at)
        # Running again sends nothing twice.
        call_command("emailworker", batch=True)
        self.assertEqual(len(self.smtp.messages), 1)

    def test_it_recovers_an_email_whose_job_was_lost(self) -> None:
        signature_create(statement=self.statement, data=dict(PERSON))  # type: ignore[arg-type]
        self.lose_queued_jobs()
        call_command("emailworker", batch=True)
        self.assertEqual(self.smtp.messages, [], "a fresh sign-on's job may still be on its way")
        with time_machine.travel(timezone.now() + timedelta(minutes=2)):
            call_command("emailworker", batch=True)
        (message,) = self.smtp.messages
        self.assertIn("Confirm your signature", message["Subject"])

    def test_the_sweep_does_not_queue_an_email_whose_job_is_still_waiting(self) -> None:
        from undersigned.signatures.services import signature_requeue_owed_emails

        signature_create(statement=self.statement, data=dict(PERSON))  # type: ignore[arg-type]
        services._email_jobs.flush()  # the job is in the queue (after the 50 ms window)
        with time_machine.travel(timezone.now() + timedelta(minutes=5)):
            requeued = signature_requeue_owed_emails(older_than=timedelta(minutes=2))
        self.assertEqual(requeued, 0 if not settings.REDIS_URL else 1)
        call_command("emailworker", batch=True)
        self.assertEqual(len(self.smtp.messages), 1)

    def two_jobs(self) -> None:
        if connection.vendor != "postgresql":
            self.skipTest("needs a database server that can drop a connection")
        for n in range(2):
            signature_create(
                statement=self.statement,
                data={**PERSON, "email": f"signer{n}@example.org"},  # type: ignore[arg-type]
            )
            services._email_jobs.flush()  # a job each

    def sent_to(self) -> list[str]:
        return sorted(m["To"] for m in self.smtp.messages)

    def test_a_database_restart_while_the_worker_waits_costs_no_job(self) -> None:
        from django_tasks.signals import task_started

        self.two_jobs()
        dropped: list[int] = []

        def restart(**kwargs: object) -> None:
            # Before the worker's own receivers (connected when it starts): the connection
            # is gone when the first job comes, as after a restart while the worker waited.
            if not dropped:
                dropped.append(drop_connection_under(connection))

        task_started.connect(restart, dispatch_uid="test-restart", weak=False)
        self.addCleanup(task_started.disconnect, dispatch_uid="test-restart")
        call_command("emailworker", batch=True)
        self.assertEqual(len(dropped), 1)
        self.assertEqual(self.sent_to(), ["signer0@example.org", "signer1@example.org"])

    def test_a_connection_lost_during_a_job_costs_that_job_only(self) -> None:
        from unittest import mock

        from undersigned.signatures import tasks

        if connection.vendor != "postgresql":
            self.skipTest("needs a database server that can drop a connection")
        if not settings.REDIS_URL:
            self.skipTest(
                "on the database queue a job that loses its connection stops the worker "
                "(django_tasks_db records the failure on that connection); the service "
                "manager starts it again and its start-up sweep sends what was owed"
            )
        self.two_jobs()
        owed = tasks._owed
        dropped: list[int] = []

        def lost_during_the_first_job(ids: list[int]) -> Any:
            if not dropped:
                # A first query takes the connection check the job starts with; the drop
                # then comes between two of the job's queries.
                Signature.objects.exists()
                dropped.append(drop_connection_under(connection))
            return owed(ids)

        with mock.patch.object(tasks, "_owed", lost_during_the_first_job):
            call_command("emailworker", batch=True)
        self.assertEqual(len(dropped), 1)
        # The job that lost its connection failed; the next one ran on a new connection.
        self.assertEqual(len(self.smtp.messages), 1)
        self.assertEqual(Signature.objects.exclude(email_owed=EmailOwed.NONE).count(), 1)
        # What the failed job owed, the sweep queues again.
        with time_machine.travel(timezone.now() + timedelta(minutes=2)):
            call_command("emailworker", batch=True)
        self.assertEqual(self.sent_to(), ["signer0@example.org", "signer1@example.org"])


class SharedRedisConnectionTests(TransactionTestCase):
    """Queueing a job reuses the process's Redis client (undersigned.lib.rq) rather than
    opening a new connection per sign-on."""

    def test_every_queue_shares_one_client_and_jobs_still_arrive(self) -> None:
        if not settings.REDIS_URL:
            self.skipTest("the database queue is in use: the PostgreSQL + Redis pass runs it")
        from undersigned.signatures.tasks import send_signature_email

        first, second = django_rq.get_queue("default"), django_rq.get_queue("default")
        self.assertIs(first.connection, second.connection)
        first.empty()
        before = first.connection.client_id()
        for n in range(20):
            send_signature_email.enqueue(10**9 + n)
        self.assertEqual(len(first), 20)
        # Twenty jobs later this process still talks over the same connection.
        self.assertEqual(django_rq.get_queue("default").connection.client_id(), before)
        first.empty()
