"""The message class every email is built with (undersigned.lib.emails.Message)."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

from django.core.mail import EmailMultiAlternatives
from django.test import SimpleTestCase

from undersigned.lib.emails import Message

TEXT = "서명을 확인해 주세요: https://example.org/confirm/abc/\n--\nundersigned\n"
HTML = "<p>서명을 확인해 주세요: <a href='https://example.org/confirm/abc/'>확인</a></p>"


def build(cls: type[EmailMultiAlternatives]) -> bytes:
    message = cls(subject="서명 확인 — Confirm", body=TEXT, to=["signer@example.org"])
    message.attach_alternative(HTML, "text/html")
    message.extra_headers["Content-Language"] = "ko"
    return message.message().as_bytes(linesep="\r\n")


class MessageTests(SimpleTestCase):
    def test_it_reads_back_as_django_s_own_message_does(self) -> None:
        ours, django_s = (
            BytesParser(policy=policy.default).parsebytes(build(cls))
            for cls in (Message, EmailMultiAlternatives)
        )
        for parsed in (ours, django_s):
            self.assertEqual(parsed.get_content_type(), "multipart/alternative")
            self.assertEqual(
                [part.get_content_type() for part in parsed.iter_parts()],
                ["text/plain", "text/html"],
            )
        for header in ("Subject", "To", "Content-Language", "MIME-Version"):
            self.assertEqual(ours[header], django_s[header])
        self.assertEqual(
            [part.get_content() for part in ours.iter_parts()],
            [part.get_content() for part in django_s.iter_parts()],
        )
        plain = ours.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        self.assertEqual(plain.replace("\r\n", "\n"), TEXT)

    def test_each_message_has_a_boundary_of_its_own(self) -> None:
        boundaries = {
            BytesParser(policy=policy.default).parsebytes(build(Message)).get_boundary()
            for _ in range(20)
        }
        self.assertEqual(len(boundaries), 20)
        for boundary in boundaries:
            self.assertRegex(boundary or "", r"^=_[0-9a-f]{32}$")
