"""Retention: unconfirmed sign-ons deleted after PENDING_RETENTION_DAYS; private data erased
ANONYMIZE_AFTER_CLOSE_DAYS after the statement closed; counts unchanged, audit counts only."""

from __future__ import annotations

import io
from datetime import timedelta

import time_machine
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from tests.console.base import ConsoleTestCase, org, person
from undersigned.audit.models import AuditEntry
from undersigned.signatures.models import Signature, Status
from undersigned.signatures.retention import retention_run, statement_closed_at
from undersigned.signatures.services import statement_recount
from undersigned.statements.services import statement_close, statement_reopen


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("retention", *args, stdout=out)
    return out.getvalue()


@override_settings(PENDING_RETENTION_DAYS=30, ANONYMIZE_AFTER_CLOSE_DAYS=365)
class RetentionTests(ConsoleTestCase):
    def test_old_unconfirmed_sign_ons_are_deleted_and_counts_stay(self) -> None:
        old = self.signon(person(1), confirm=False)
        counted = self.signon(person(2))
        Signature.objects.filter(pk__in=[old.pk, counted.pk]).update(
            created_at=timezone.now() - timedelta(days=40)
        )
        recent = self.signon(person(3), confirm=False)
        counts_before = statement_recount(statement=self.statement).after

        self.assertIn("would delete 1 unconfirmed", run())
        self.assertTrue(Signature.objects.filter(pk=old.pk).exists())  # a dry run by default
        self.assertFalse(AuditEntry.objects.filter(action="retention.pending_purged").exists())

        self.assertIn("deleted 1 unconfirmed", run("--apply"))
        self.assertFalse(Signature.objects.filter(pk=old.pk).exists())
        self.assertTrue(Signature.objects.filter(pk__in=[counted.pk, recent.pk]).count() == 2)
        report = statement_recount(statement=self.statement)
        self.assertFalse(report.differences)
        self.assertEqual(report.after, counts_before)
        entry = AuditEntry.objects.get(action="retention.pending_purged")
        self.assertEqual(entry.data, {"count": 1, "days": 30})
        self.assertNoEmailInAudit()
        self.assertEqual(retention_run(apply=True).purged_total, 0)

    def test_signers_are_anonymized_a_year_after_the_statement_closed(self) -> None:
        organization = self.signon(org(1, phone="02-123-4567"), approve=True)
        individual = self.signon(person(1, phone="010-1111-2222"))
        other = self.signon(person(2), statement=self.other)
        statement_close(statement=self.statement, actor=self.owner)
        counts = statement_recount(statement=self.statement).after
        self.assertEqual(retention_run(apply=True).anonymized_total, 0)  # closed just now
        with time_machine.travel(timezone.now() + timedelta(days=366)):
            self.assertIn("would anonymize 2", run())
            self.assertEqual(Signature.objects.get(pk=individual.pk).email, "person1@mail.example")
            self.assertEqual(retention_run(apply=True).anonymized, {self.statement.slug: 2})
        for signature in (organization, individual):
            signature.refresh_from_db()
            self.assertEqual(
                (signature.email, signature.phone, signature.contact_name, signature.ip_hash),
                ("", "", "", ""),
            )
            self.assertEqual(signature.email_key, f"anonymized:{signature.pk}")
            self.assertTrue(signature.counted)
        # The public record stays.
        self.assertEqual(organization.name, "Peace Group 1")
        self.assertEqual(individual.city, "Seattle")
        self.assertEqual(statement_recount(statement=self.statement).after, counts)
        self.assertEqual(Signature.objects.get(pk=other.pk).email, "person2@mail.example")
        entry = AuditEntry.objects.get(action="retention.anonymized")
        self.assertEqual(entry.data, {"count": 2, "days": 365})
        self.assertNoEmailInAudit()

    def test_a_reopened_statement_is_not_closed(self) -> None:
        closed = statement_close(statement=self.statement, actor=self.owner)
        self.assertIsNotNone(statement_closed_at(closed))
        statement_reopen(statement=self.statement, actor=self.owner)
        self.statement.refresh_from_db()
        self.assertIsNone(statement_closed_at(self.statement))

    def test_a_past_closing_time_counts_as_closing(self) -> None:
        self.signon(person(1))
        self.statement.closes_at = timezone.now() - timedelta(days=400)
        self.statement.save()
        self.assertEqual(retention_run(apply=True).anonymized_total, 1)

    @override_settings(PENDING_RETENTION_DAYS=0, ANONYMIZE_AFTER_CLOSE_DAYS=0)
    def test_zero_turns_both_off(self) -> None:
        pending = self.signon(person(1), confirm=False)
        Signature.objects.filter(pk=pending.pk).update(
            created_at=timezone.now() - timedelta(days=4000)
        )
        self.statement.closes_at = timezone.now() - timedelta(days=4000)
        self.statement.save()
        output = run("--apply")
        self.assertIn("PENDING_RETENTION_DAYS=0", output)
        self.assertEqual(Signature.objects.get(pk=pending.pk).status, Status.PENDING)
        self.assertEqual(Signature.objects.get(pk=pending.pk).email, "person1@mail.example")
