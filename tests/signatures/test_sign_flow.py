"""Sign -> email -> confirm -> counted and listed, over HTTP, a real database and real SMTP."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.core.cache import caches
from django.utils import timezone

from tests.base import ORG, PERSON, BaseTestCase
from undersigned.audit.models import AuditEntry
from undersigned.signatures.models import Signature, Status
from undersigned.signatures.services import signature_approve, statement_recount


class SignFlowTests(BaseTestCase):
    def count(self) -> dict[str, int]:
        caches["local"].clear()
        return self.client.get(f"/api/v1/statements/{self.statement.slug}/count").json()

    def listed_names(self) -> str:
        return self.client.get(f"/s/{self.statement.slug}/signatories/").content.decode()

    def test_it_signs_confirms_counts_and_lists_an_individual(self) -> None:
        response = self.sign(PERSON)
        self.assertRedirects(response, f"/s/{self.statement.slug}/thanks/")
        signature = self.signature("j.park@example.org")
        self.assertEqual(signature.status, Status.PENDING)
        self.assertEqual(self.count()["individuals"], 0)
        self.assertNotIn("Jiyoung Park", self.listed_names())

        self.assertEqual(self.run_worker(), 1)
        (message,) = self.mail_to("j.park@example.org")
        self.assertIn("End the Korean War", message["Subject"])
        confirm = self.link(message, "confirm")

        # A mail scanner's GET changes nothing.
        page = self.client.get(confirm)
        self.assertContains(page, "Confirm my signature")
        self.assertEqual(self.signature("j.park@example.org").status, Status.PENDING)

        self.assertContains(self.client.post(confirm), "your signature is confirmed")
        self.assertEqual(self.signature("j.park@example.org").status, Status.CONFIRMED)
        self.assertEqual(self.count(), {"organizations": 0, "individuals": 1, "total": 1})
        self.assertIn("Jiyoung Park", self.listed_names())
        self.assertTrue(AuditEntry.objects.filter(action="signature.confirmed").exists())

    def test_it_confirms_idempotently(self) -> None:
        self.sign(PERSON)
        self.run_worker()
        confirm = self.link(self.mail_to(PERSON["email"])[0], "confirm")
        self.client.post(confirm)
        second = self.client.post(confirm)
        self.assertContains(second, "Already confirmed")
        self.assertEqual(self.count()["individuals"], 1)
        self.assertEqual(AuditEntry.objects.filter(action="signature.confirmed").count(), 1)

    def test_it_lists_an_organization_only_after_approval(self) -> None:
        self.sign(ORG)
        self.run_worker()
        self.client.post(self.link(self.mail_to(ORG["email"])[0], "confirm"))
        signature = self.signature(ORG["email"])
        self.assertEqual(signature.status, Status.CONFIRMED)
        self.assertEqual(self.count()["organizations"], 0)
        self.assertNotIn("East Bay Peace Circle", self.listed_names())

        signature_approve(signature_ids=[signature.pk], actor=self.moderator)
        self.assertEqual(self.count()["organizations"], 1)
        self.assertIn("East Bay Peace Circle", self.listed_names())
        entry = AuditEntry.objects.get(action="signature.approved")
        self.assertEqual(entry.actor, self.moderator)

    def test_it_gives_a_repeat_signer_the_same_answer_one_row_and_an_email_saying_so(self) -> None:
        first = self.sign(PERSON)
        self.run_worker()
        self.client.post(self.link(self.mail_to(PERSON["email"])[0], "confirm"))
        self.smtp.clear()
        # Same person, address typed differently, after the anti-flood interval.
        with time_machine.travel(timezone.now() + timedelta(minutes=20)):
            again = self.sign({**PERSON, "email": "J.Park+peace@EXAMPLE.org", "name": "J. Park"})
        self.assertEqual(again.status_code, first.status_code)
        self.assertEqual(again["Location"], first["Location"])
        self.assertEqual(Signature.objects.filter(statement=self.statement).count(), 1)
        self.assertEqual(self.signature(PERSON["email"]).name, "Jiyoung Park")
        self.run_worker()
        (message,) = self.mail_to(PERSON["email"])
        self.assertIn("already signed", message["Subject"])

    def test_it_does_not_flood_an_inbox_with_repeat_emails(self) -> None:
        for _ in range(5):
            self.sign(PERSON)
        self.run_worker()
        self.assertEqual(len(self.mail_to(PERSON["email"])), 1)

    def test_withdraw_removes_from_list_and_count(self) -> None:
        self.sign(PERSON)
        self.run_worker()
        message = self.mail_to(PERSON["email"])[0]
        self.client.post(self.link(message, "confirm"))
        self.assertEqual(self.count()["individuals"], 1)

        withdraw = self.link(message, "withdraw")
        self.assertContains(self.client.get(withdraw), "Withdraw my signature")
        self.assertEqual(self.count()["individuals"], 1)
        self.assertContains(self.client.post(withdraw), "withdrawn")
        self.assertEqual(self.signature(PERSON["email"]).status, Status.WITHDRAWN)
        self.assertEqual(self.count()["individuals"], 0)
        self.assertNotIn("Jiyoung Park", self.listed_names())
        # The old confirmation link no longer brings the signature back.
        self.assertEqual(self.client.post(self.link(message, "confirm")).status_code, 410)
        self.assertEqual(self.count()["individuals"], 0)

    def test_signing_again_after_withdrawing_needs_a_new_confirmation(self) -> None:
        self.sign(PERSON)
        self.run_worker()
        message = self.mail_to(PERSON["email"])[0]
        self.client.post(self.link(message, "confirm"))
        self.client.post(self.link(message, "withdraw"))
        self.smtp.clear()
        self.sign(PERSON)
        self.assertEqual(self.signature(PERSON["email"]).status, Status.PENDING)
        self.run_worker()
        self.client.post(self.link(self.mail_to(PERSON["email"])[0], "confirm"))
        self.assertEqual(self.count()["individuals"], 1)

    def test_it_sends_the_email_in_the_signers_language(self) -> None:
        self.sign(PERSON, language="ko")
        self.run_worker()
        (message,) = self.mail_to(PERSON["email"])
        self.assertIn("한국전쟁을 끝내라", message["Subject"])
        self.assertEqual(message["Content-Language"], "ko")
        self.assertIn("/ko/s/", self.link(message, "confirm"))

    def test_the_form_sends_each_signer_to_the_thanks_page_in_their_language(self) -> None:
        # Alternating, so a path kept for one language is never handed to the other.
        for n, language in enumerate(("en", "ko", "en", "ko")):
            response = self.sign({**PERSON, "email": f"thanks-{n}@example.org"}, language=language)
            base = "" if language == "en" else f"/{language}"
            self.assertRedirects(
                response, f"{base}/s/{self.statement.slug}/thanks/", fetch_redirect_response=False
            )

    def test_recount_matches_the_counters(self) -> None:
        self.sign(PERSON)
        self.sign(ORG)
        self.run_worker()
        for address in (PERSON["email"], ORG["email"]):
            self.client.post(self.link(self.mail_to(address)[0], "confirm"))
        signature_approve(signature_ids=[self.signature(ORG["email"]).pk], actor=self.moderator)
        report = statement_recount(statement=self.statement)
        self.assertEqual(report.differences, {})
        self.assertEqual(report.after[("kind", "individual")], 1)
        self.assertEqual(report.after[("category", "local")], 1)
        self.assertEqual(report.after[("region", "US-WA")], 1)

    def test_a_tampered_link_is_refused_with_a_clear_message(self) -> None:
        self.sign(PERSON)
        self.run_worker()
        confirm = self.link(self.mail_to(PERSON["email"])[0], "confirm")
        response = self.client.post(confirm.replace("/confirm/", "/confirm/x"))
        self.assertContains(response, "This link is not valid", status_code=400)
        # A withdraw token cannot confirm, nor the other way round.
        withdraw_token = (
            self.link(self.mail_to(PERSON["email"])[0], "withdraw").rstrip("/").rsplit("/", 1)[1]
        )
        response = self.client.post(f"/s/{self.statement.slug}/confirm/{withdraw_token}/")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.signature(PERSON["email"]).status, Status.PENDING)
