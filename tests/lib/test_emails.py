"""The message class every email is built with (undersigned.lib.emails.Message)."""

from __future__ import annotations

from email import policy
from email.generator import BytesGenerator
from email.parser import BytesParser
from io import BytesIO

from django.core.mail import EmailMultiAlternatives
from django.test import SimpleTestCase

from undersigned.lib.emails import _POLICY, Message

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


# Header values at the edges of the fast path: a line's length, whitespace, control
# characters (some of which str.splitlines() splits on), encoded words, non-ASCII.
HEADER_VALUES = [
    "",
    "plain",
    "  leading and trailing  ",
    "runs   of\t\ttabs  and spaces",
    "x" * 60,
    "x" * 69,  # "Subject: " + 69 = 78, the longest line left as it is
    "x" * 70,
    "words " * 20,
    "a\x0bb\x0cc\x1cd\x1de\x1ef\x7fg\x01h",
    "=?utf-8?b?7ISc66qFIO2ZleyduA==?= =?utf-8?b?4oCUIENvbmZpcm0=?=",
    "서명 확인",
    '"Park, Ji-won" <ji.won+coalition@example.org>',
    'multipart/alternative; boundary="=_0123456789abcdef0123456789abcdef"',
]


class PolicyTests(SimpleTestCase):
    """Message writes each header as the standard library's compat32 policy would."""

    def test_each_header_is_written_as_compat32_writes_it(self) -> None:
        for name in ("Subject", "To", "Content-Type", "X-A"):
            for value in HEADER_VALUES:
                for linesep in ("\n", "\r\n"):
                    with self.subTest(name=name, value=value, linesep=linesep):
                        self.assertEqual(
                            _POLICY.clone(linesep=linesep).fold_binary(name, value),
                            policy.compat32.clone(linesep=linesep).fold_binary(name, value),
                        )

    def test_a_whole_message_is_written_byte_for_byte_as_before(self) -> None:
        for subject in ("서명 확인 — Confirm", "Confirm your signature", "Long " * 30):
            message = Message(subject=subject, body=TEXT, to=["Ji-won Park <jw@example.org>"])
            message.attach_alternative(HTML, "text/html")
            message.extra_headers["Content-Language"] = "ko"
            built = message.message()
            self.assertIs(built.policy, _POLICY)
            standard = BytesIO()
            BytesGenerator(standard, mangle_from_=False, policy=policy.compat32).flatten(
                built, linesep="\r\n"
            )
            with self.subTest(subject=subject):
                self.assertEqual(built.as_bytes(linesep="\r\n"), standard.getvalue())
