"""Updates: shown on the statement page, emailed (through a real SMTP server) to the signers
who asked for them, in their language, with an unsubscribe link that works."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from tests.base import ORG, PERSON, BaseTestCase
from undersigned.delivery.models import UpdateEmail
from undersigned.delivery.services import update_post
from undersigned.delivery.tasks import send_update_emails
from undersigned.signatures.models import Signature

SILENT = {**PERSON, "name": "Quiet Person", "email": "quiet@example.org"}
PENDING = {**PERSON, "name": "Never Confirmed", "email": "pending@example.org"}
NEWS = {
    "en": {
        "title": "Delivered to the White House",
        "body": "We handed over the statement.\n\nThank you.",
    },
    "ko": {"title": "백악관에 전달했습니다", "body": "성명을 전달했습니다.\n\n감사합니다."},
}
UNSUBSCRIBE = re.compile(r"https?://\S+/unsubscribe/\S+?/")


class UpdateTests(BaseTestCase):
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

    def unsubscribe_link(self, message: EmailMessage) -> str:
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        match = UNSUBSCRIBE.search(body.get_content())
        assert match, body.get_content()
        return urlsplit(match.group(0)).path

    def test_it_emails_opted_in_signers_in_their_language(self) -> None:
        self.signers()
        update_post(statement=self.statement, content=NEWS, actor=self.owner)
        self.run_worker()
        self.assertEqual(
            sorted(str(m["To"]) for m in self.smtp.messages),
            sorted([PERSON["email"], ORG["email"]]),
        )
        (english,) = self.mail_to(PERSON["email"])
        self.assertEqual(english["Content-Language"], "en")
        self.assertIn("Delivered to the White House", str(english["Subject"]))
        text = english.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        self.assertIn("We handed over the statement.", text)
        self.assertIn("/withdraw/", self.link(english, "withdraw"))
        link = self.unsubscribe_link(english)
        self.assertEqual(english["List-Unsubscribe"].strip(), f"<http://127.0.0.1:8000{link}>")
        self.assertEqual(english["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")

        (korean,) = self.mail_to(ORG["email"])
        self.assertEqual(korean["Content-Language"], "ko")
        self.assertIn("백악관에 전달했습니다", str(korean["Subject"]))
        text = korean.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        self.assertIn("성명을 전달했습니다.", text)
        self.assertIn("안녕하세요", text)
        self.assertTrue(self.unsubscribe_link(korean).startswith("/ko/"))
        html = korean.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
        self.assertIn('<html lang="ko">', html)

    def test_the_unsubscribe_link_works_and_only_stops_updates(self) -> None:
        self.signers()
        update_post(statement=self.statement, content=NEWS)
        self.run_worker()
        link = self.unsubscribe_link(self.mail_to(PERSON["email"])[0])
        page = self.client.get(link)  # a mail scanner's GET changes nothing
        self.assertContains(page, "Receive no more updates")
        self.assertTrue(self.signature(PERSON["email"]).wants_updates)
        self.assertContains(self.client.post(link), "You will receive no more updates")
        signature = self.signature(PERSON["email"])
        self.assertFalse(signature.wants_updates)
        self.assertTrue(signature.counted)  # the signature stays
        self.assertContains(self.client.post(link), "You will receive no more updates")

        self.smtp.clear()
        update_post(statement=self.statement, content={"en": {"title": "Next", "body": "More."}})
        self.run_worker()
        self.assertEqual([str(m["To"]) for m in self.smtp.messages], [ORG["email"]])

    def test_one_click_unsubscribe_works_without_a_form(self) -> None:
        self.signers()
        update_post(statement=self.statement, content=NEWS)
        self.run_worker()
        link = self.unsubscribe_link(self.mail_to(ORG["email"])[0])
        mail_program = Client(enforce_csrf_checks=True)
        response = mail_program.post(link, {"List-Unsubscribe": "One-Click"})
        self.assertEqual(response.status_code, 200)
        self.assertFalse(self.signature(ORG["email"]).wants_updates)
        damaged = link.replace("/unsubscribe/", "/unsubscribe/x")
        self.assertEqual(self.client.post(damaged).status_code, 400)
        with override_settings(WITHDRAW_TOKEN_MAX_AGE=-1):
            self.assertEqual(self.client.get(link).status_code, 400)

    def test_the_job_emails_no_one_twice(self) -> None:
        self.signers()
        update = update_post(statement=self.statement, content=NEWS)
        self.run_worker()
        self.assertEqual(len(self.smtp.messages), 2)
        self.assertEqual(send_update_emails.call(update.pk), "sent 0")
        self.assertEqual(len(self.smtp.messages), 2)
        self.assertEqual(UpdateEmail.objects.filter(sent_at__isnull=False).count(), 2)

    def test_updates_are_shown_on_the_page(self) -> None:
        update_post(statement=self.statement, content=NEWS, notify=False)
        self.run_worker()
        self.assertEqual(self.smtp.messages, [])
        page = self.client.get(f"/s/{self.statement.slug}/").content.decode()
        self.assertIn("Delivered to the White House", page)
        news = self.client.get(f"/s/{self.statement.slug}/updates/")
        self.assertContains(news, "<p>We handed over the statement.</p>", html=True)
        korean = self.client.get(f"/ko/s/{self.statement.slug}/").content.decode()
        self.assertIn("백악관에 전달했습니다", korean)
        only_english = update_post(
            statement=self.statement, content={"en": {"title": "English only", "body": "Text."}}
        )
        korean_news = self.client.get(f"/ko/s/{self.statement.slug}/updates/").content.decode()
        self.assertIn(f'id="update-{only_english.pk}" lang="en"', korean_news)
        self.assertIn("성명을 전달했습니다.", korean_news)

    def test_an_update_is_checked(self) -> None:
        for content in (
            {},
            {"en": {"title": "", "body": "x"}},
            {"fr": {"title": "Titre", "body": "Texte"}},
            {"en": {"title": "x" * 201, "body": "x"}},
        ):
            with self.subTest(content=content), self.assertRaises(ValidationError):
                update_post(statement=self.statement, content=content)
        self.assertFalse(Signature.objects.exists())
