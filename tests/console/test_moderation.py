"""The moderation queue: approve and reject one or many, correct how a signer is shown,
merge duplicates, release held sign-ons; counts follow and every decision is audited."""

from __future__ import annotations

from django.core.cache import caches

from tests.console.base import ConsoleTestCase, org, person
from undersigned.audit.models import AuditEntry
from undersigned.moderation.models import InvalidationBatch
from undersigned.signatures.models import Display, Signature, Status
from undersigned.signatures.selectors import statement_breakdown, statement_counts
from undersigned.signatures.services import statement_recount


class ModerationTests(ConsoleTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.client.force_login(self.moderator)

    def counts(self) -> dict[str, int]:
        caches["local"].clear()
        return dict(statement_counts(self.statement))

    def assertCountsReconcile(self) -> None:
        self.assertEqual(statement_recount(statement=self.statement).differences, {})

    def test_it_lists_organizations_waiting_with_the_domain_check(self) -> None:
        matching = self.signon(org(1))
        elsewhere = self.signon(org(2, email="someone@gmail.example"))
        self.signon(org(3), confirm=False)  # pending: not in the queue yet
        page = self.client.get(self.url("moderation"))
        self.assertContains(page, "Waiting for approval (2)")
        self.assertContains(page, f'value="approve:{matching.pk}"')
        self.assertContains(page, f'value="approve:{elsewhere.pk}"')
        self.assertNotContains(page, "Peace Group 3")
        self.assertContains(page, "Email domain matches the website", count=1)
        self.assertContains(page, "Email at gmail.example, not the website")
        self.assertContains(page, f'<label for="a-{matching.pk}" class="visually-hidden">')

    def test_it_approves_one_and_then_many_at_once(self) -> None:
        first, second, third = (self.signon(org(n)) for n in (1, 2, 3))
        response = self.client.post(self.url("moderation"), {"row": f"approve:{first.pk}"})
        self.assertRedirects(response, self.url("moderation"))
        self.assertEqual(self.counts()["organizations"], 1)
        self.client.post(
            self.url("moderation"), {"action": "approve", "ids": [second.pk, third.pk]}
        )
        self.assertEqual(self.counts()["organizations"], 3)
        entries = AuditEntry.objects.filter(action="signature.approved")
        self.assertEqual(entries.count(), 3)
        self.assertEqual({e.actor for e in entries}, {self.moderator})
        self.assertContains(self.client.get(self.url("moderation")), "Nothing waits for approval.")
        self.assertCountsReconcile()

    def test_it_rejects_with_a_reason_kept_on_record(self) -> None:
        first, second = self.signon(org(1)), self.signon(org(2))
        self.client.post(
            self.url("moderation"),
            {"action": "reject", "ids": [first.pk, second.pk], "reason": "Not a real group"},
        )
        for signature in (first, second):
            signature.refresh_from_db()
            self.assertEqual(signature.status, Status.REJECTED)
            self.assertEqual(signature.note, "Not a real group")
        entry = AuditEntry.objects.filter(action="signature.rejected").first()
        assert entry is not None
        self.assertEqual(entry.data["reason"], "Not a real group")
        self.assertEqual(self.counts()["organizations"], 0)

    def test_it_edits_how_a_signer_is_shown_and_hides_a_name(self) -> None:
        signature = self.signon(person(1))
        self.assertEqual(statement_breakdown(self.statement, "listed"), {"individual": 1})
        response = self.client.post(
            self.url("signature", pk=signature.pk),
            {"name": "Person Won", "name_alt": "박원", "affiliation": "", "display": "name"},
        )
        self.assertRedirects(response, self.url("signature", pk=signature.pk))
        signature.refresh_from_db()
        self.assertEqual((signature.name, signature.name_alt), ("Person Won", "박원"))
        self.assertEqual(signature.sort_key, "person won")
        self.assertIn("박원", signature.search_key)
        self.assertIn(
            "Person Won", self.client.get(f"/s/{self.statement.slug}/signatories/").content.decode()
        )

        self.client.post(self.url("signature", pk=signature.pk), {"hide": "1"})
        signature.refresh_from_db()
        self.assertEqual(signature.display, Display.HIDDEN)
        self.assertTrue(signature.counted)
        self.assertFalse(signature.listed)
        self.assertEqual(self.counts()["individuals"], 1)
        self.assertEqual(statement_breakdown(self.statement, "listed"), {})
        self.assertEqual(
            AuditEntry.objects.filter(
                action="signature.display_changed", object_id=str(signature.pk)
            ).count(),
            2,
        )
        self.assertCountsReconcile()

    def test_an_organization_is_listed_as_it_signed_or_hidden(self) -> None:
        signature = self.signon(org(1), approve=True)
        page = self.client.get(self.url("signature", pk=signature.pk))
        self.assertNotContains(page, "Initials and city")
        self.client.post(
            self.url("signature", pk=signature.pk), {"name": "Peace Group 1", "display": "initials"}
        )
        self.assertEqual(Signature.objects.get(pk=signature.pk).display, Display.FULL)
        self.client.post(self.url("signature", pk=signature.pk), {"hide": "1"})
        signature.refresh_from_db()
        self.assertEqual(
            (signature.display, signature.counted, signature.listed), ("hidden", True, False)
        )
        self.assertEqual(self.counts()["organizations"], 1)
        self.assertNotIn(
            "Peace Group 1",
            self.client.get(f"/s/{self.statement.slug}/signatories/").content.decode(),
        )

    def test_it_refuses_a_formula_as_a_name(self) -> None:
        signature = self.signon(person(1))
        response = self.client.post(
            self.url("signature", pk=signature.pk), {"name": "=HYPERLINK(1)", "display": "full"}
        )
        self.assertContains(response, "cannot start with", status_code=400)

    def test_it_merges_a_duplicate_and_the_merge_can_be_reverted(self) -> None:
        keep = self.signon(org(1))
        duplicate = self.signon(org(1, email="director@group1.example", name="Peace Group One"))
        self.client.post(
            self.url("moderation"), {"action": "approve", "ids": [keep.pk, duplicate.pk]}
        )
        self.assertEqual(self.counts()["organizations"], 2)
        page = self.client.get(self.url("signature", pk=keep.pk))
        self.assertContains(page, "Merge a duplicate")

        response = self.client.post(
            self.url("merge", pk=keep.pk), {"other": duplicate.pk, "keep": "this"}
        )
        self.assertRedirects(response, self.url("signature", pk=keep.pk))
        duplicate.refresh_from_db()
        self.assertEqual(duplicate.status, Status.INVALIDATED)
        batch = InvalidationBatch.objects.get()
        self.assertEqual(batch.reason, f"duplicate of #{keep.pk}")
        self.assertEqual(duplicate.invalidation_batch, batch)
        self.assertEqual(self.counts()["organizations"], 1)
        self.assertContains(
            self.client.get(self.url("signature", pk=duplicate.pk)), f"duplicate of #{keep.pk}"
        )
        self.assertTrue(AuditEntry.objects.filter(action="signature.merged").exists())

        self.client.post(self.url("invalidation_revert", pk=batch.pk))
        duplicate.refresh_from_db()
        self.assertEqual(duplicate.status, Status.APPROVED)
        self.assertEqual(self.counts()["organizations"], 2)
        self.assertCountsReconcile()

    def test_it_refuses_to_merge_a_sign_on_with_itself_or_a_withdrawn_one(self) -> None:
        signature = self.signon(person(1))
        response = self.client.post(
            self.url("merge", pk=signature.pk), {"other": signature.pk, "keep": "this"}, follow=True
        )
        self.assertContains(response, "Choose two different sign-ons.")
        response = self.client.post(
            self.url("merge", pk=signature.pk), {"other": 999999, "keep": "this"}, follow=True
        )
        self.assertContains(response, "This statement has no sign-on #999999.")
        self.assertFalse(InvalidationBatch.objects.exists())

    def test_it_releases_a_held_sign_on_which_then_counts(self) -> None:
        held = self.signon(person(1), hold="rate limit: 12 sign-ons in a minute")
        self.assertFalse(held.counted)
        self.assertEqual(self.counts()["individuals"], 0)
        page = self.client.get(self.url("moderation"))
        self.assertContains(page, "Held for review (1)")
        self.assertContains(page, "rate limit: 12 sign-ons in a minute")

        self.client.post(self.url("moderation"), {"row": f"release:{held.pk}"})
        held.refresh_from_db()
        self.assertEqual(held.hold_reason, "")
        self.assertTrue(held.counted)
        self.assertEqual(self.counts()["individuals"], 1)
        entry = AuditEntry.objects.get(action="signature.hold_released")
        self.assertEqual(entry.data["hold_reason"], "rate limit: 12 sign-ons in a minute")
        self.assertCountsReconcile()

    def test_it_invalidates_held_sign_ons_in_one_reversible_decision(self) -> None:
        held = [self.signon(person(n), hold="honeypot") for n in range(3)]
        self.client.post(
            self.url("moderation"),
            {"action": "invalidate", "ids": [s.pk for s in held], "reason": "bot"},
        )
        self.assertEqual(Signature.objects.filter(status=Status.INVALIDATED).count(), 3)
        batch = InvalidationBatch.objects.get()
        self.assertEqual((batch.kind, batch.count, batch.reason), ("selection", 3, "bot"))
        self.assertContains(self.client.get(self.url("moderation")), "Nothing is held.")

    def test_every_decision_leaves_an_audit_entry_without_an_email(self) -> None:
        a, b, c = self.signon(org(1)), self.signon(org(2)), self.signon(person(3))
        held = self.signon(person(4), hold="too fast")
        self.client.post(self.url("moderation"), {"row": f"approve:{a.pk}"})
        self.client.post(
            self.url("moderation"),
            {"row": f"reject:{b.pk}", "reason": "spam, see complaint from jo@example.org"},
        )
        self.assertEqual(Signature.objects.get(pk=b.pk).note, "spam, see complaint from […]")
        self.client.post(self.url("moderation"), {"row": f"release:{held.pk}"})
        self.client.post(
            self.url("signature", pk=c.pk),
            {"name": "Person Three", "name_alt": "", "affiliation": "", "display": "initials"},
        )
        self.client.post(self.url("merge", pk=c.pk), {"other": held.pk, "keep": "this"})
        self.client.post(self.url("moderation"), {"action": "invalidate", "ids": [a.pk]})
        actions = set(AuditEntry.objects.values_list("action", flat=True))
        for action in (
            "signature.approved",
            "signature.rejected",
            "signature.hold_released",
            "signature.display_changed",
            "signature.merged",
            "invalidation.applied",
        ):
            self.assertIn(action, actions)
        self.assertNoEmailInAudit()
        page = self.client.get(self.url("audit"))
        self.assertContains(page, "signature.merged")
        for address in Signature.objects.values_list("email", flat=True):
            self.assertNotContains(page, address)
