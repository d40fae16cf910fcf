"""Bulk invalidation: the dry run counts exactly what is applied, and reverting restores
every sign-on's status and every counter exactly."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from django.core.cache import caches
from django.utils import timezone

from tests.console.base import ConsoleTestCase, org, person
from undersigned.audit.models import AuditEntry
from undersigned.lib.http import ip_hash
from undersigned.moderation.models import InvalidationBatch
from undersigned.moderation.selectors import Criteria, invalidation_candidates
from undersigned.moderation.services import (
    CountChanged,
    invalidation_batch_revert,
    signature_invalidate_bulk,
)
from undersigned.signatures.models import Signature, Status, Tally
from undersigned.signatures.selectors import statement_counts
from undersigned.signatures.services import (
    _tally_totals,
    signature_reject,
    signature_withdraw,
    statement_recount,
)

SPAM_IP = "198.51.100.66"
CHECKED = re.compile(r'name="checked" value="([^"]+)"')


class InvalidationTests(ConsoleTestCase):
    def setUp(self) -> None:
        super().setUp()
        # Genuine sign-ons from elsewhere, and a wave from one address in every state.
        self.genuine = [
            self.signon(org(1), approve=True, networks=[self.network]),
            self.signon(person(2)),
        ]
        self.wave = {
            "confirmed": self.signon(person(10), ip=SPAM_IP),
            "confirmed2": self.signon(person(11), ip=SPAM_IP),
            "pending": self.signon(person(12), ip=SPAM_IP, confirm=False),
            "approved_org": self.signon(org(13), ip=SPAM_IP, approve=True, networks=[self.network]),
            "waiting_org": self.signon(org(14), ip=SPAM_IP),
            "rejected_org": self.signon(org(15), ip=SPAM_IP),
            "held": self.signon(person(16), ip=SPAM_IP, hold="rate limit"),
        }
        signature_reject(signature_ids=[self.wave["rejected_org"].pk], actor=self.moderator)
        withdrawn = self.signon(person(17), ip=SPAM_IP)
        signature_withdraw(signature_id=withdrawn.pk, nonce=withdrawn.nonce)
        self.withdrawn = withdrawn
        self.client.force_login(self.moderator)

    def snapshot(self) -> tuple[dict[str, int], dict[tuple[str, str], int], dict[int, str]]:
        caches["local"].clear()
        statuses = dict(
            Signature.objects.filter(statement=self.statement).values_list("pk", "status")
        )
        return dict(statement_counts(self.statement)), _tally_totals(self.statement), statuses

    def test_the_dry_run_counts_what_is_applied_and_reverting_restores_the_counts(self) -> None:
        counts, tallies, statuses = self.snapshot()
        self.assertEqual(counts, {"organizations": 2, "individuals": 3, "total": 5})

        dry = self.client.post(
            self.url("invalidate"), {"ip_hash": ip_hash(SPAM_IP), "dry_run": "1"}
        )
        self.assertContains(dry, "7 sign-ons match")
        self.assertContains(dry, "Invalidate 7 sign-ons")
        self.assertEqual(Signature.objects.filter(status=Status.INVALIDATED).count(), 0)
        checked = CHECKED.search(dry.content.decode())
        assert checked is not None

        applied = self.client.post(
            self.url("invalidate"),
            {
                "ip_hash": ip_hash(SPAM_IP),
                "reason": "one address, seven sign-ons in a minute",
                "checked": checked.group(1),
                "apply": "1",
            },
        )
        self.assertRedirects(applied, self.url("invalidate"))
        batch = InvalidationBatch.objects.get()
        self.assertEqual(batch.count, 7)
        rows = Signature.objects.filter(invalidation_batch=batch)
        self.assertEqual(rows.count(), 7)
        self.assertEqual(set(rows.values_list("status", flat=True)), {Status.INVALIDATED})
        self.assertEqual(Signature.objects.get(pk=self.withdrawn.pk).status, Status.WITHDRAWN)
        after, _tallies, _statuses = self.snapshot()
        self.assertEqual(after, {"organizations": 1, "individuals": 1, "total": 2})
        self.assertEqual(statement_recount(statement=self.statement).differences, {})
        entry = AuditEntry.objects.get(action="invalidation.applied")
        self.assertEqual(entry.data["count"], 7)
        self.assertEqual(entry.actor, self.moderator)

        page = self.client.get(self.url("invalidate"))
        self.assertContains(page, "one address, seven sign-ons in a minute")
        self.client.post(self.url("invalidation_revert", pk=batch.pk))
        restored_counts, restored_tallies, restored_statuses = self.snapshot()
        self.assertEqual(restored_counts, counts)
        self.assertEqual(restored_tallies, tallies)
        self.assertEqual(restored_statuses, statuses)
        report = statement_recount(statement=self.statement)
        self.assertEqual(report.differences, {})
        self.assertEqual(report.after, tallies)
        held = Signature.objects.get(pk=self.wave["held"].pk)
        self.assertEqual((held.hold_reason, held.counted), ("rate limit", False))
        self.assertIsNone(held.invalidation_batch)
        self.assertTrue(AuditEntry.objects.filter(action="invalidation.reverted").exists())
        self.assertContains(self.client.get(self.url("invalidate")), "reverted")
        self.assertNoEmailInAudit()

    def test_it_applies_nothing_when_the_matches_changed_since_the_count(self) -> None:
        dry = self.client.post(
            self.url("invalidate"), {"ip_hash": ip_hash(SPAM_IP), "dry_run": "1"}
        )
        checked = CHECKED.search(dry.content.decode())
        assert checked is not None
        self.signon(person(30), ip=SPAM_IP)
        response = self.client.post(
            self.url("invalidate"),
            {"ip_hash": ip_hash(SPAM_IP), "checked": checked.group(1), "apply": "1"},
        )
        self.assertContains(response, "changed since the count")
        self.assertContains(response, "8 sign-ons match")
        self.assertFalse(InvalidationBatch.objects.exists())
        # Criteria edited after the count are counted again, not applied.
        response = self.client.post(
            self.url("invalidate"),
            {"email_domain": "mail.example", "checked": checked.group(1), "apply": "1"},
        )
        self.assertContains(response, "The criteria changed since the count")
        self.assertFalse(InvalidationBatch.objects.exists())

    def test_it_matches_by_email_domain_name_and_time_window(self) -> None:
        statement = self.statement
        domain = Criteria(email_domain="mail.example")
        self.assertEqual(
            set(invalidation_candidates(statement, domain).values_list("name", flat=True)),
            {"Person 2", "Person 10", "Person 11", "Person 12", "Person 16"},
        )
        by_name = Criteria(name_contains="GROUP 1")
        self.assertEqual(
            set(invalidation_candidates(statement, by_name).values_list("name", flat=True)),
            {"Peace Group 1", "Peace Group 13", "Peace Group 14", "Peace Group 15"},
        )
        later = timezone.now() + timedelta(hours=2)
        with time_machine.travel(later, tick=False):
            late = self.signon(person(40), ip="192.0.2.1")
        window = Criteria(since=later - timedelta(minutes=1), until=later + timedelta(minutes=1))
        self.assertEqual(list(invalidation_candidates(statement, window)), [late])
        self.assertFalse(invalidation_candidates(statement, Criteria()).exists())

        batch = signature_invalidate_bulk(
            statement=statement, criteria=by_name, actor=self.owner, expected=4
        )
        self.assertEqual(batch.count, 4)
        with self.assertRaises(CountChanged):
            signature_invalidate_bulk(
                statement=statement, criteria=domain, actor=self.owner, expected=4
            )
        invalidation_batch_revert(statement=statement, batch_id=batch.pk, actor=self.owner)
        self.assertEqual(statement_recount(statement=statement).differences, {})

    def test_a_revert_leaves_a_sign_on_withdrawn_since_withdrawn(self) -> None:
        victim = self.wave["confirmed"]
        batch = signature_invalidate_bulk(
            statement=self.statement, criteria=Criteria(ids=(victim.pk,)), actor=self.owner
        )
        signature_withdraw(signature_id=victim.pk, nonce=victim.nonce)
        invalidation_batch_revert(statement=self.statement, batch_id=batch.pk, actor=self.owner)
        self.assertEqual(Signature.objects.get(pk=victim.pk).status, Status.WITHDRAWN)
        self.assertEqual(statement_recount(statement=self.statement).differences, {})

    def test_the_form_refuses_empty_criteria_and_a_backwards_window(self) -> None:
        response = self.client.post(self.url("invalidate"), {"dry_run": "1"})
        self.assertContains(response, "Give at least one criterion.", status_code=400)
        response = self.client.post(
            self.url("invalidate"),
            {"since": "2026-05-02T10:00", "until": "2026-05-01T10:00", "dry_run": "1"},
        )
        self.assertContains(response, "must come after its start", status_code=400)
        self.assertEqual(Tally.objects.filter(statement=self.statement).count() > 0, True)
