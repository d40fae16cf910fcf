"""Sign-ons from many request threads at once, written a batch per transaction
(signatures.services._sign_ons): every one stored with its networks, one email job per
50 ms, a repeat inside a batch handled alone, and every signer emailed once."""

from __future__ import annotations

import os
import threading
import time
from typing import Any
from unittest import mock

import django_rq
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import TransactionTestCase, override_settings

from tests.base import CONTENT, ORG, PERSON, drop_connection_under
from tests.signatures.test_concurrency import run_at_once
from tests.smtp import smtp_for_test
from undersigned.signatures import services
from undersigned.signatures.models import EmailOwed, Network, Signature
from undersigned.signatures.services import signature_create
from undersigned.statements.services import statement_create, statement_open

DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def queued_email_batches() -> list[list[int]]:
    """The sign-on ids of each email job waiting in the queue."""
    if settings.REDIS_URL:
        return [list(job.args[0]) for job in django_rq.get_queue("default").jobs]
    from django_tasks_db.models import DBTaskResult

    return [
        job["args"][0]
        for job in DBTaskResult.objects.filter(status="READY").values_list("args_kwargs", flat=True)
    ]


class GroupCommitSignOnTests(TransactionTestCase):
    def setUp(self) -> None:
        self.smtp = smtp_for_test(self)
        self.statement = statement_create(slug="batch", content=CONTENT)
        statement_open(statement=self.statement, public=True)
        self.network = Network.objects.create(slug="peace", name="Peace Network")

    def hold_first_batch_until(self, waiting: int) -> None:
        """The first batch's transaction waits until `waiting` more sign-ons queue behind
        it, so the test knows the batches: [first], [the rest]."""
        group = services._sign_ons
        write = group._write
        calls = 0

        def slow_write(slots: list[Any]) -> None:
            nonlocal calls
            calls += 1
            if calls == 1:
                deadline = time.monotonic() + 10
                while len(group._waiting) < waiting and time.monotonic() < deadline:
                    time.sleep(0.002)
            write(slots)

        group._write = slow_write
        self.addCleanup(setattr, group, "_write", write)

    def data(self, i: int) -> Any:
        if i % 3 == 0:
            return {
                **ORG,
                "name": f"Org {i}",
                "email": f"org{i}@example.org",
                "networks": [self.network],
            }
        return {**PERSON, "name": f"Person {i}", "email": f"p{i}@example.org"}

    def test_sign_ons_at_once_are_stored_in_two_batches_with_one_email_job_each(self) -> None:
        self.hold_first_batch_until(waiting=11)
        results, errors = run_at_once(
            12, lambda i: signature_create(statement=self.statement, data=self.data(i))
        )
        self.assertEqual(errors, [])
        self.assertTrue(all(r.created and r.emailed for r in results))
        stored = Signature.objects.filter(statement=self.statement)
        self.assertEqual(stored.count(), 12)
        # Each answer's sign-on is the stored row, organizations with their network.
        self.assertEqual(
            {r.signature.pk for r in results}, set(stored.values_list("pk", flat=True))
        )
        self.assertEqual(
            set(stored.filter(kind="organization").values_list("networks__slug", flat=True)),
            {"peace"},
        )
        self.assertEqual(stored.filter(kind="organization", networks=None).count(), 0)
        services._email_jobs.flush()
        batches = queued_email_batches()
        # Queued after each commit, gathered per 50 ms: one job, or two if the window closed
        # between the batches' commits.
        self.assertIn(sorted(len(b) for b in batches), ([12], [1, 11]))
        self.assertEqual(
            sorted(i for b in batches for i in b), sorted(stored.values_list("pk", flat=True))
        )

        call_command("emailworker", batch=True)
        self.assertEqual(
            sorted(m["To"] for m in self.smtp.messages),
            sorted(self.data(i)["email"] for i in range(12)),
        )
        self.assertFalse(stored.exclude(email_owed=EmailOwed.NONE).exists())

    def test_a_repeat_inside_a_batch_is_handled_alone_and_the_others_are_stored(self) -> None:
        signature_create(statement=self.statement, data=self.data(1))
        call_command("emailworker", batch=True)
        self.hold_first_batch_until(waiting=7)
        # Thread 1 signs again with the address already stored; the other seven are new.
        results, errors = run_at_once(
            8, lambda i: signature_create(statement=self.statement, data=self.data(i))
        )
        self.assertEqual(errors, [])
        self.assertEqual(sum(not r.created for r in results), 1)
        self.assertEqual(Signature.objects.filter(statement=self.statement).count(), 8)
        self.assertEqual(
            Signature.objects.filter(statement=self.statement, email="p1@example.org").count(), 1
        )

    def test_a_row_the_database_refuses_fails_alone_and_the_others_are_stored(self) -> None:
        if connection.vendor != "postgresql":
            self.skipTest("SQLite does not refuse a text longer than its column")
        self.hold_first_batch_until(waiting=5)

        def sign(i: int) -> Any:
            data = self.data(i)
            if i == 3:  # past the form's checks, as a bug might send it
                data["city"] = "x" * 500
            return signature_create(statement=self.statement, data=data)

        results, errors = run_at_once(6, sign)
        self.assertEqual([type(e).__name__ for e in errors], ["DataError"])
        self.assertEqual(len(results), 5)
        self.assertEqual(Signature.objects.filter(statement=self.statement).count(), 5)
        self.assertFalse(Signature.objects.filter(email=self.data(3)["email"]).exists())

    def test_a_batch_without_networks_is_one_statement_on_postgresql(self) -> None:
        from django.test.utils import CaptureQueriesContext

        def writes(data: Any) -> list[str]:
            with CaptureQueriesContext(connection) as captured:
                self.assertTrue(signature_create(statement=self.statement, data=data).created)
            return [
                q["sql"].split()[0].upper()
                for q in captured.captured_queries
                if not q["sql"].upper().startswith("SELECT")
            ]

        person, organization = writes(self.data(1)), writes(self.data(3))
        if connection.vendor == "postgresql":
            # In autocommit, the INSERT is its own transaction: no BEGIN, no COMMIT.
            self.assertEqual(person, ["INSERT"])
        else:
            self.assertEqual(person, ["BEGIN", "INSERT", "COMMIT"])
        # A sign-on with networks writes its links in the same transaction as its row.
        self.assertEqual(organization, ["BEGIN", "INSERT", "INSERT", "COMMIT"])
        self.assertEqual(Signature.objects.get(email=self.data(3)["email"]).networks.count(), 1)

    def test_a_sign_on_inside_a_callers_transaction_is_written_there(self) -> None:
        from django.db import transaction

        with transaction.atomic():
            result = signature_create(statement=self.statement, data=self.data(1))
            self.assertTrue(connection.in_atomic_block)
            self.assertEqual(services._sign_ons._waiting, [])
            transaction.set_rollback(True)
        self.assertTrue(result.created)
        self.assertFalse(Signature.objects.filter(pk=result.signature.pk).exists())


class PostgreSQLConnectionCheckTests(TransactionTestCase):
    """On PostgreSQL a batch's INSERT is its own connection check (services._write_batch)."""

    def setUp(self) -> None:
        if connection.vendor != "postgresql":
            self.skipTest("needs a database server that can drop a connection")
        self.statement = statement_create(slug="check", content=CONTENT)
        statement_open(statement=self.statement, public=True)
        # The email jobs of this test's sign-ons are written before its tables are emptied,
        # not 50 ms later into the next test's.
        self.addCleanup(services._email_jobs.flush)
        # A first sign-on fills what the process keeps (the screening lists), as a running
        # server has: from then on a sign-on's INSERT is its only query.
        signature_create(statement=self.statement, data={**PERSON, "email": "first@example.org"})  # type: ignore[arg-type]
        self.stored = Signature.objects.filter(statement=self.statement)

    def test_a_batch_sends_no_health_check_query(self) -> None:
        self.assertTrue(connection.settings_dict["CONN_HEALTH_CHECKS"])
        connection.ensure_connection()
        # What the start of each request does: the next query is to be preceded by a check.
        connection.close_if_unusable_or_obsolete()
        self.assertFalse(connection.health_check_done)
        with mock.patch.object(connection, "is_usable", wraps=connection.is_usable) as check:
            result = signature_create(statement=self.statement, data={**PERSON})  # type: ignore[arg-type]
        self.assertTrue(result.created)
        self.assertEqual(check.call_count, 0)

    def test_a_sign_on_on_a_dropped_connection_is_written_on_a_new_one(self) -> None:
        pid = drop_connection_under(connection)
        result = signature_create(statement=self.statement, data={**PERSON})  # type: ignore[arg-type]
        self.assertTrue(result.created)
        self.assertNotEqual(connection.connection.info.backend_pid, pid)
        self.assertEqual(self.stored.filter(email=PERSON["email"]).get().pk, result.signature.pk)
        self.assertEqual(self.stored.count(), 2)

    def test_a_sign_on_with_networks_on_a_dropped_connection_is_written_on_a_new_one(
        self,
    ) -> None:
        # Its INSERTs run in a transaction: the failed one's rollback closes the connection.
        network = Network.objects.create(slug="peace", name="Peace Network")
        drop_connection_under(connection)
        result = signature_create(
            statement=self.statement,
            data={**ORG, "networks": [network]},  # type: ignore[arg-type]
        )
        self.assertTrue(result.created)
        stored = self.stored.get(email=ORG["email"])
        self.assertEqual(stored.pk, result.signature.pk)
        self.assertEqual(list(stored.networks.values_list("slug", flat=True)), ["peace"])

    def test_a_batch_that_fails_for_another_reason_is_not_written_again(self) -> None:
        from django.db import OperationalError

        calls = 0

        def failing(slots: list[Any]) -> None:
            nonlocal calls
            calls += 1
            raise OperationalError("canceling statement due to lock timeout")

        with mock.patch.object(services, "_write_sign_ons", failing):
            with self.assertRaises(OperationalError):
                signature_create(statement=self.statement, data={**PERSON})  # type: ignore[arg-type]
        # The connection still answers: the error is the batch's, not a lost connection's.
        self.assertEqual(calls, 1)
        self.assertEqual(self.stored.count(), 1)


class DatabaseQueueEmailJobTests(TransactionTestCase):
    """The job the gathering thread writes to the database queue, in its own transaction."""

    def test_a_connection_the_database_dropped_is_replaced_for_the_next_job(self) -> None:
        if connection.vendor != "postgresql":
            self.skipTest("needs a database server that can drop a connection")
        from django.db import OperationalError
        from django_tasks_db.models import DBTaskResult

        with override_settings(TASKS=DB_QUEUE):
            drop_connection_under(connection)
            with self.assertRaises(OperationalError):
                services._queue_email_job([1, 2])
            self.assertIsNone(connection.connection)
            services._queue_email_job([3])
            self.assertEqual(
                [
                    job["args"][0]
                    for job in DBTaskResult.objects.values_list("args_kwargs", flat=True)
                ],
                [[3]],
            )


class SQLiteWriterTurnTests(TransactionTestCase):
    """Writers take turns through `<database>-writer` (undersigned.lib.sqlite)."""

    def setUp(self) -> None:
        if connection.vendor != "sqlite":
            self.skipTest("SQLite's writer turns; PostgreSQL has row locks")

    def test_a_transaction_waits_for_the_one_writing_then_goes_on(self) -> None:
        from django.db import transaction

        events: list[str] = []
        holding = threading.Event()

        def first() -> None:
            with transaction.atomic():
                holding.set()
                time.sleep(0.3)
                events.append("first commits")
            connection.close()

        def second() -> None:
            holding.wait(5)
            with transaction.atomic():
                events.append("second begins")
            connection.close()

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        self.assertEqual(events, ["first commits", "second begins"])
        connection.ensure_connection()
        self.assertTrue(os.path.exists(connection.settings_dict["NAME"] + "-writer"))

    def test_a_turn_never_given_back_delays_but_never_fails_a_write(self) -> None:
        import fcntl

        from undersigned.lib.sqlite import base

        statement = statement_create(slug="turn", content=CONTENT)
        statement_open(statement=statement, public=True)
        fd = os.open(connection.settings_dict["NAME"] + "-writer", os.O_RDWR)
        self.addCleanup(os.close, fd)
        fcntl.flock(fd, fcntl.LOCK_EX)  # held by "another process" that hangs
        self.addCleanup(fcntl.flock, fd, fcntl.LOCK_UN)
        original = base.MAX_WAIT
        base.MAX_WAIT = 0.3
        self.addCleanup(setattr, base, "MAX_WAIT", original)
        started = time.monotonic()
        result = signature_create(statement=statement, data={**PERSON})  # type: ignore[arg-type]
        self.assertTrue(result.created)
        self.assertGreaterEqual(time.monotonic() - started, 0.3)
        self.assertTrue(Signature.objects.filter(pk=result.signature.pk).exists())
