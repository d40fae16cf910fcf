"""Signers who asked for updates hear, in their language, when a demand's status changes."""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

from tests.base import ORG, PERSON, BaseTestCase
from undersigned.statements.models import Demand
from undersigned.tracker.models import Source, Status, StatusEmail
from undersigned.tracker.services import assessment_add, source_get_or_create

SILENT = {**PERSON, "name": "Quiet Person", "email": "quiet@example.org"}
PENDING = {**PERSON, "name": "Never Confirmed", "email": "pending@example.org"}


class StatusEmailTests(BaseTestCase):
    demand: ClassVar[Demand]
    source: ClassVar[Source]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.demand = Demand.objects.get(statement=cls.statement, number=1)
        cls.source = source_get_or_create(
            url="https://news.example/hanoi", title="Hanoi summit ends without a deal"
        )

    def sign_and_confirm(self, fields: dict[str, Any], *, language: str = "en") -> None:
        self.sign(fields, language=language)
        self.run_worker()
        (message,) = self.mail_to(fields["email"])
        self.client.post(self.link(message, "confirm"))

    def signers(self) -> None:
        self.sign_and_confirm({**PERSON, "wants_updates": "on"})
        # An organization signing on the Korean page, confirmed but not yet approved.
        self.sign_and_confirm({**ORG, "wants_updates": "on"}, language="ko")
        self.sign_and_confirm(SILENT)
        self.sign({**PENDING, "wants_updates": "on"})
        self.run_worker()
        self.smtp.clear()

    def assess(self, status: str, day: int, **kwargs: Any) -> Any:
        return assessment_add(
            subject=self.demand,
            status=status,
            as_of=datetime.date(2019, 2, day),
            event="The summit in Hanoi ended without a deal.",
            event_ko="하노이 정상회담이 합의 없이 끝났다.",
            sources=[self.source],
            user=self.owner,
            **kwargs,
        )

    def test_it_emails_opted_in_signers_in_their_language(self) -> None:
        self.signers()
        self.assess(Status.STALLED, 28)
        self.assertEqual(self.run_worker(), 1)
        self.assertEqual(
            sorted(str(m["To"]) for m in self.smtp.messages),
            sorted([PERSON["email"], ORG["email"]]),
        )

        (english,) = self.mail_to(PERSON["email"])
        self.assertEqual(english["Content-Language"], "en")
        self.assertIn("Demand 1 is now “Stalled”", str(english["Subject"]))
        body = english.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        self.assertIn("Declare an end to the war.", body)
        self.assertIn("The summit in Hanoi ended without a deal.", body)
        self.assertIn("https://news.example/hanoi", body)
        self.assertIn("/s/end-the-war/demands/#demand-1", body)
        self.assertIn("/withdraw/", self.link(english, "withdraw"))

        (korean,) = self.mail_to(ORG["email"])
        self.assertEqual(korean["Content-Language"], "ko")
        self.assertIn("요구 사항 1, 이제 “교착”", str(korean["Subject"]))
        body = korean.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        self.assertIn("종전을 선언하라.", body)
        self.assertIn("하노이 정상회담이 합의 없이 끝났다.", body)
        self.assertIn("/ko/s/end-the-war/demands/", body)
        self.assertTrue(self.link(korean, "withdraw").startswith("/ko/"))
        html = korean.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
        self.assertIn('<html lang="ko">', html)

    def test_it_emails_only_when_the_public_status_changes(self) -> None:
        self.signers()
        self.assess(Status.STALLED, 26)
        self.run_worker()
        self.smtp.clear()
        self.assess(Status.STALLED, 27)  # same status: nothing to tell
        self.assess(Status.MET, 28, review_state="draft")  # not public: nothing to tell
        self.assertEqual(self.run_worker(), 0)
        self.assertEqual(self.smtp.messages, [])

    def test_the_job_does_not_email_anyone_twice(self) -> None:
        self.signers()
        entry = self.assess(Status.IN_PROGRESS, 28)
        self.run_worker()
        self.assertEqual(len(self.smtp.messages), 2)
        from undersigned.tracker.tasks import send_demand_status_emails

        self.assertEqual(send_demand_status_emails.call(entry.pk), "sent 0")
        self.assertEqual(len(self.smtp.messages), 2)
        self.assertEqual(StatusEmail.objects.filter(sent_at__isnull=False).count(), 2)

    def test_loading_history_sends_nothing(self) -> None:
        self.signers()
        self.assess(Status.STALLED, 28, notify=False)
        self.assertEqual(self.run_worker(), 0)
