"""The links in a signer's emails (undersigned.signatures.tasks.signature_links), built from
each statement's paths once per language, with only the token put in per email."""

from __future__ import annotations

from django.conf import settings
from django.test import TestCase
from django.urls import resolve, reverse
from django.utils import translation

from tests.base import CONTENT, PERSON
from undersigned.lib.tokens import read_token
from undersigned.signatures.services import signature_create
from undersigned.signatures.tasks import _SLOT, signature_links
from undersigned.statements.services import statement_create, statement_open


class SignatureLinksTests(TestCase):
    def test_links_are_those_reverse_gives_in_the_signer_s_language(self) -> None:
        # A slug holding the placeholder the paths are cut at, and one without.
        for slug in (f"slot-{_SLOT}-{_SLOT}", "links"):
            statement = statement_create(slug=slug, content=CONTENT)
            statement_open(statement=statement, public=True)
            for n, language in enumerate(("en", "ko")):
                signature = signature_create(
                    statement=statement,
                    data={**PERSON, "email": f"{language}-{n}@example.org"},  # type: ignore[arg-type]
                    language=language,
                ).signature
                links = signature_links(signature)
                with self.subTest(slug=slug, language=language):
                    for purpose in ("confirm", "withdraw"):
                        url = links[f"{purpose}_url"]
                        path = url.removeprefix(settings.BASE_URL)
                        with translation.override(language):  # /ko/ resolves in Korean
                            match = resolve(path)
                        self.assertEqual(match.url_name, purpose)
                        self.assertEqual(match.kwargs["slug"], slug)
                        token = match.kwargs["token"]
                        self.assertEqual(
                            read_token(purpose, token, max_age=60), (signature.pk, signature.nonce)
                        )
                        with translation.override(language):
                            expected = reverse(
                                f"signatures:{purpose}", kwargs={"slug": slug, "token": token}
                            )
                        self.assertEqual(path, expected)
                    with translation.override(language):
                        statement_path = reverse("statements:detail", kwargs={"slug": slug})
                    self.assertEqual(links["statement_url"], settings.BASE_URL + statement_path)
                    self.assertEqual(path.startswith("/ko/"), language == "ko")
