"""lib.rows writes the rows the ORM would: a sign-on as Model.save stores it, and an email
job as django-tasks-db's enqueue stores it (the worker then runs it)."""

from __future__ import annotations

import threading
from typing import Any

from django.db import connection, connections, transaction
from django.forms.models import model_to_dict
from django.test import TestCase, TransactionTestCase, override_settings
from django_tasks_db.models import DBTaskResult

from tests.base import CONTENT, PERSON
from undersigned.lib.rows import enqueue_in_database, insert_rows, new_instance, update_row
from undersigned.signatures.models import Signature
from undersigned.signatures.services import signature_create
from undersigned.signatures.tasks import send_signature_emails
from undersigned.statements.services import statement_create, statement_open

DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def stored(obj: Any, *leave_out: str) -> dict[str, Any]:
    row = type(obj).objects.filter(pk=obj.pk).values().get()
    return {k: v for k, v in row.items() if k not in leave_out}


class InsertRowsTests(TestCase):
    def test_sign_ons_are_stored_as_save_stores_them_with_their_new_ids(self) -> None:
        statement = statement_create(slug="rows", content=CONTENT)
        statement_open(statement=statement, public=True)
        model = signature_create(statement=statement, data=dict(PERSON)).signature  # type: ignore[arg-type]
        copies = []
        for n in range(3):
            copy = Signature(
                **{
                    k: v
                    for k, v in model_to_dict(model, exclude=["id", "networks"]).items()
                    if k not in {"statement", "version", "invalidation_batch"}
                },
                statement=statement,
                version=model.version,
            )
            copy.email_key = f"{model.email_key}-{n}"
            copy.nonce = model.nonce
            copies.append(copy)
        insert_rows(copies)
        self.assertEqual(len({c.pk for c in copies}), 3)
        self.assertTrue(all(c.pk > model.pk and not c._state.adding for c in copies))
        for n, copy in enumerate(copies):
            row = stored(copy, "id", "created_at", "email_key")
            self.assertEqual(row, stored(model, "id", "created_at", "email_key"))
            self.assertEqual(stored(copy)["email_key"], f"{model.email_key}-{n}")
            self.assertIsNotNone(stored(copy)["created_at"])

    @override_settings(TASKS=DB_QUEUE)
    def test_a_job_is_stored_as_enqueue_stores_it(self) -> None:
        by_enqueue = send_signature_emails.enqueue([1, 2])
        enqueue_in_database(send_signature_emails, [1, 2])
        theirs, ours = (
            DBTaskResult.objects.get(pk=by_enqueue.id),
            DBTaskResult.objects.exclude(pk=by_enqueue.id).get(),
        )
        leave_out = ("id", "enqueued_at")
        self.assertEqual(stored(ours, *leave_out), stored(theirs, *leave_out))
        self.assertEqual(ours.args_kwargs, {"args": [[1, 2]], "kwargs": {}})
        self.assertIn(ours, DBTaskResult.objects.ready())


class NewInstanceTests(TestCase):
    def test_it_builds_what_keyword_construction_builds(self) -> None:
        statement = statement_create(slug="rows", content=CONTENT)
        statement_open(statement=statement, public=True)
        version = statement.current_version
        assert version is not None
        given = {"kind": "individual", "name": "Jiyoung Park", "email": "j@example.org"}
        ours = new_instance(
            Signature, {"statement_id": statement.pk, "version_id": version.pk, **given}
        )
        theirs = Signature(statement=statement, version=version, **given)
        for field in Signature._meta.concrete_fields:
            if field.name != "nonce":  # a fresh random default each time
                with self.subTest(field.name):
                    self.assertEqual(getattr(ours, field.attname), getattr(theirs, field.attname))
        self.assertTrue(ours._state.adding)
        self.assertNotEqual(ours.nonce, "")

    def test_values_that_are_not_plain_text_are_stored_as_save_stores_them(self) -> None:
        from django.utils.translation import gettext_lazy

        from undersigned.signatures.models import Status

        statement = statement_create(slug="rows", content=CONTENT)
        statement_open(statement=statement, public=True)
        model = signature_create(statement=statement, data=dict(PERSON)).signature  # type: ignore[arg-type]
        odd = {
            "name": gettext_lazy("Name"),  # a lazy string
            "referral": 1234,  # a number in a text column
            "status": Status.CONFIRMED,  # a choice (a str subclass)
            "group_rank": True,  # a boolean in an integer column
            "counted": 1,  # an integer in a boolean column
        }
        saved, inserted = Signature.objects.get(pk=model.pk), Signature.objects.get(pk=model.pk)
        for field, value in odd.items():
            setattr(saved, field, value)
            setattr(inserted, field, value)
        saved.save()
        inserted.pk, inserted.email_key = None, "other"
        inserted._state.adding = True
        insert_rows([inserted])
        leave_out = ("id", "email_key", "created_at")
        self.assertEqual(stored(inserted, *leave_out), stored(saved, *leave_out))
        self.assertEqual(stored(inserted)["referral"], "1234")


class UpdateRowTests(TestCase):
    def setUp(self) -> None:
        statement = statement_create(slug="rows", content=CONTENT)
        statement_open(statement=statement, public=True)
        self.rows = [
            signature_create(
                statement=statement,
                data={**PERSON, "email": f"u{n}@example.org"},  # type: ignore[arg-type]
            ).signature
            for n in range(3)
        ]

    def test_it_stores_what_queryset_update_stores(self) -> None:
        from django.utils import timezone
        from django.utils.translation import gettext_lazy

        from undersigned.signatures.models import EmailOwed

        by_orm, ours, untouched = self.rows
        when = timezone.now()
        values = {
            "email_owed": EmailOwed.NONE,  # a choice (a str subclass)
            "emailed_at": when,
            "referral": 1234,  # a number in a text column
            "name": gettext_lazy("Name"),  # a lazy string, which only the field can prepare
        }
        Signature.objects.filter(pk=by_orm.pk, email_owed=EmailOwed.CONFIRM).update(**values)
        changed = update_row(
            Signature, ours.pk, where={"email_owed": EmailOwed.CONFIRM}, values=values
        )
        self.assertEqual(changed, 1)
        leave_out = ("id", "email", "email_key", "nonce", "created_at")
        self.assertEqual(stored(ours, *leave_out), stored(by_orm, *leave_out))
        self.assertEqual(stored(ours)["emailed_at"], when)
        self.assertEqual(stored(ours)["referral"], "1234")
        self.assertEqual(stored(untouched)["email_owed"], EmailOwed.CONFIRM)
        self.assertIsNone(stored(untouched)["emailed_at"])

    def test_it_changes_nothing_where_the_row_no_longer_matches(self) -> None:
        from undersigned.signatures.models import EmailOwed

        row = self.rows[0]
        before = stored(row)
        changed = update_row(
            Signature, row.pk, where={"email_owed": EmailOwed.REPEAT}, values={"name": "X"}
        )
        self.assertEqual(changed, 0)
        self.assertEqual(stored(row), before)
        self.assertEqual(update_row(Signature, 10**9, where={}, values={"name": "X"}), 0)

    def test_only_columns_can_be_named(self) -> None:
        with self.assertRaises(ValueError):
            update_row(Signature, self.rows[0].pk, where={}, values={"networks": []})


class NotDurableUpdateTests(TransactionTestCase):
    """update_row(durable=False): one statement, its own transaction with synchronous_commit
    off, on PostgreSQL only, and never inside another transaction."""

    def setUp(self) -> None:
        statement = statement_create(slug="rows", content=CONTENT)
        statement_open(statement=statement, public=True)
        self.row = signature_create(statement=statement, data=dict(PERSON)).signature  # type: ignore[arg-type]

    def update(self, name: str) -> list[tuple[str, bool]]:
        """Run update_row(durable=False); the statements it sent, each with whether the
        connection was in autocommit mode (each statement its own transaction)."""
        sent: list[tuple[str, bool]] = []

        def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            sent.append((sql, connection.get_autocommit()))
            self.params = params
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            changed = update_row(
                Signature, self.row.pk, where={}, values={"name": name}, durable=False
            )
        self.assertEqual(changed, 1)
        return sent

    def test_on_postgresql_its_commit_alone_does_not_wait_for_the_disk(self) -> None:
        sent = self.update("Changed")
        self.assertEqual(len(sent), 1)
        sql, autocommit = sent[0]
        self.assertTrue(sql.startswith("UPDATE"))
        if connection.vendor != "postgresql":
            self.assertNotIn("synchronous_commit", sql)
        else:
            # One statement, its own transaction, which it sets to commit without waiting.
            self.assertTrue(autocommit)
            self.assertIn("set_config('synchronous_commit', 'off', true)", sql)
            with connection.cursor() as cursor:
                # The same statement again, asked what the setting is while it runs (then,
                # its commit reads it)...
                cursor.execute(
                    sql + " RETURNING current_setting('synchronous_commit')", self.params
                )
                self.assertEqual(cursor.fetchall(), [("off",)])
                # ...and no longer once its transaction is over.
                cursor.execute("SHOW synchronous_commit")
                self.assertEqual(cursor.fetchone(), ("on",))
        # Committed: another connection (another thread's) reads it.
        read: list[str] = []
        thread = threading.Thread(
            target=lambda: (
                read.append(Signature.objects.get(pk=self.row.pk).name),
                connections.close_all(),
            )
        )
        thread.start()
        thread.join()
        self.assertEqual(read, ["Changed"])

    def test_inside_a_transaction_it_is_part_of_it(self) -> None:
        with transaction.atomic():
            sent = self.update("Undone")
            transaction.set_rollback(True)
        self.assertFalse(any("synchronous_commit" in sql for sql, _ in sent))
        self.assertEqual(Signature.objects.get(pk=self.row.pk).name, PERSON["name"])
