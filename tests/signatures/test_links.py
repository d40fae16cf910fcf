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
from undersigned.signatures.tasks import _SLOT, _owed, signature_links
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


class OwedTests(TestCase):
    def test_a_job_reads_each_statement_s_text_once(self) -> None:
        statements = []
        for slug, title in (("owed-a", "First"), ("owed-b", "Second")):
            content = {lang: {**text, "title": f"{title} {lang}"} for lang, text in CONTENT.items()}
            statement = statement_create(slug=slug, content=content)
            statement_open(statement=statement, public=True)
            statements.append(statement)
        ids = [
            signature_create(
                statement=statements[n % 2],
                data={**PERSON, "email": f"owed-{n}@example.org"},  # type: ignore[arg-type]
            ).signature.pk
            for n in range(6)
        ]
        # The sign-ons with their statements, then the statements' texts: two queries
        # whatever the number of sign-ons.
        with self.assertNumQueries(2):
            owed = _owed(ids)
        self.assertEqual([s.pk for s in owed], sorted(ids))
        for n, signature in enumerate(owed):
            version = signature.statement.current_version
            self.assertEqual(signature.statement.title("en"), ("First en", "Second en")[n % 2])
            # One object for each statement's text, shared by its sign-ons.
            self.assertIs(version, owed[n % 2].statement.current_version)
        self.assertIsNot(owed[0].statement.current_version, owed[1].statement.current_version)
