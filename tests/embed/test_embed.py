"""The embeds for partner sites: the sign-on form and the counter, frameable by any site
(and no other page is), working without any cookie; the snippets organizers paste."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.core.cache import caches
from django.test import Client, override_settings
from django.utils import timezone

from tests.base import ORG, PERSON, BaseTestCase
from undersigned.signatures.embed import embed_snippets, form_token
from undersigned.signatures.models import Signature, Source, Status
from undersigned.signatures.screening import form_started_token
from undersigned.signatures.services import signature_confirm
from undersigned.statements.services import statement_create, statement_open

SIGN = "/embed/s/end-the-war/sign/"
COUNTER = "/embed/s/end-the-war/counter/"


class EmbedTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        # A browser in a partner's frame: no cookie of ours, CSRF enforced as in production.
        self.browser = Client(enforce_csrf_checks=True)

    def post(self, fields: dict[str, Any], *, token: str | None = None, **extra: Any) -> Any:
        data = self.form_data(fields)
        data["token"] = form_token(self.statement) if token is None else token
        data.update(extra)
        return self.browser.post(SIGN, data)

    def assertFrameable(self, response: Any) -> None:
        self.assertIn("frame-ancestors *", response["Content-Security-Policy"])
        self.assertNotIn(
            "'none'", response["Content-Security-Policy"].split("frame-ancestors")[1].split(";")[0]
        )
        self.assertFalse(response.has_header("X-Frame-Options"))
        self.assertEqual(response.cookies, {})


class EmbedFormTests(EmbedTestCase):
    def test_the_form_is_frameable_and_sets_no_cookie(self) -> None:
        response = self.browser.get(SIGN)
        self.assertEqual(response.status_code, 200)
        self.assertFrameable(response)
        self.assertContains(response, 'name="token"')
        self.assertContains(response, 'name="ind-started"')
        self.assertContains(response, 'name="ind-homepage"')
        self.assertNotContains(response, "csrfmiddlewaretoken")
        self.assertContains(response, 'action="/embed/s/end-the-war/sign/"')
        self.assertNotContains(response, 'class="site"')

    def test_no_other_page_is_frameable(self) -> None:
        for url in ("/s/end-the-war/", "/s/end-the-war/signatories/", "/", "/s/end-the-war/sign/"):
            with self.subTest(url):
                response = self.client.get(url)
                self.assertIn("frame-ancestors 'none'", response["Content-Security-Policy"])
                self.assertEqual(response["X-Frame-Options"], "DENY")

    def test_it_signs_without_a_cookie_and_thanks_in_the_frame(self) -> None:
        response = self.post(PERSON, ref="partner-site")
        self.assertRedirects(
            response, "/embed/s/end-the-war/thanks/", fetch_redirect_response=False
        )
        self.assertEqual(response.cookies, {})
        signature = self.signature(PERSON["email"])
        self.assertEqual((signature.status, signature.source), (Status.PENDING, Source.EMBED))
        self.assertEqual(signature.referral, "partner-site")
        self.assertEqual(signature.hold_reason, "")
        thanks = self.browser.get(response["Location"])
        self.assertContains(thanks, "Check your inbox")
        self.assertFrameable(thanks)
        self.run_worker()
        [message] = self.mail_to(PERSON["email"])
        self.client.post(self.link(message, "confirm"))
        self.assertEqual(self.signature(PERSON["email"]).status, Status.CONFIRMED)

    def test_an_organization_signs_through_its_own_form(self) -> None:
        page = self.browser.get(SIGN, {"kind": "organization"})
        self.assertContains(page, 'name="org-contact_name"')
        self.assertNotContains(page, 'name="ind-name"')
        self.assertEqual(self.post(ORG).status_code, 302)
        self.assertEqual(self.signature(ORG["email"]).contact_name, "Grace Lim")

    def test_a_missing_or_stale_token_is_refused_with_the_typed_data_kept(self) -> None:
        with time_machine.travel(timezone.now() - timedelta(days=3)):
            stale = form_token(self.statement)
        other = statement_create(slug="other-one", content={"en": {"title": "Other"}})
        for token in ("", "nonsense", stale, form_token(other)):
            with self.subTest(token=token[:12]):
                response = self.post(PERSON, token=token)
                self.assertContains(response, "Your form expired", status_code=403)
                self.assertContains(response, 'value="Jiyoung Park"', status_code=403)
                self.assertFrameable(response)
        self.assertFalse(Signature.objects.exists())

    def test_field_errors_are_shown_in_the_frame(self) -> None:
        response = self.post({**PERSON, "email": "nope"})
        self.assertContains(response, "Enter a valid email address", status_code=400)
        self.assertFrameable(response)

    def test_a_filled_honeypot_or_a_hasty_form_is_held_quietly(self) -> None:
        self.assertEqual(
            self.post(PERSON, **{"ind-homepage": "http://spam.example"}).status_code, 302
        )
        self.assertIn("hidden field", self.signature(PERSON["email"]).hold_reason)
        with override_settings(MIN_FILL_SECONDS=30):
            data = {**PERSON, "email": "quick@example.org"}
            self.assertEqual(
                self.post(data, **{"ind-started": form_started_token()}).status_code, 302
            )
        self.assertIn("form filled in", self.signature("quick@example.org").hold_reason)

    def test_it_speaks_the_visitors_language_or_the_one_pinned(self) -> None:
        korean = Client(headers={"accept-language": "ko"}).get(SIGN)
        self.assertEqual(korean.status_code, 200)
        self.assertContains(korean, '<html lang="ko">')
        self.assertContains(korean, "한국전쟁을 끝내라")
        pinned = self.browser.get(SIGN, {"lang": "ko"})
        self.assertContains(pinned, '<html lang="ko">')
        self.assertContains(pinned, 'name="lang" value="ko"')
        self.assertEqual(pinned.cookies, {})
        response = self.post(PERSON, lang="ko")
        self.assertEqual(response["Location"], "/embed/s/end-the-war/thanks/?lang=ko")
        self.assertEqual(self.signature(PERSON["email"]).language, "ko")

    def test_a_closed_statement_takes_no_sign_on(self) -> None:
        self.statement.status = "closed"
        self.statement.save(update_fields=["status"])
        caches["local"].clear()
        self.assertContains(self.browser.get(SIGN), "not open for signing")
        self.assertContains(self.post(PERSON), "not open for signing", status_code=409)
        self.assertFalse(Signature.objects.exists())

    def test_a_draft_has_no_embed(self) -> None:
        statement_create(slug="draft-one", content={"en": {"title": "Draft"}})
        self.assertEqual(self.browser.get("/embed/s/draft-one/sign/").status_code, 404)
        self.assertEqual(self.browser.get("/embed/s/draft-one/counter/").status_code, 404)


class CounterTests(EmbedTestCase):
    def test_it_shows_the_counts_and_may_be_cached(self) -> None:
        self.post(PERSON)
        signature = self.signature(PERSON["email"])
        signature_confirm(signature_id=signature.pk, nonce=signature.nonce)
        caches["local"].clear()
        response = self.browser.get(COUNTER)
        self.assertContains(response, "1 individual")
        self.assertContains(response, "0 organizations")
        self.assertFrameable(response)
        self.assertEqual(response["Cache-Control"], "public, max-age=5, stale-while-revalidate=30")
        again = self.browser.get(COUNTER, headers={"if-none-match": response["ETag"]})
        self.assertEqual(again.status_code, 304)
        self.assertNotContains(response, PERSON["name"])

    def test_a_collecting_statement_shows_no_count(self) -> None:
        quiet = statement_create(slug="quiet-one", content={"en": {"title": "Quiet"}})
        statement_open(statement=quiet)
        response = self.browser.get("/embed/s/quiet-one/counter/")
        self.assertContains(response, "shown once the statement is released")
        self.assertNotContains(response, "individual")


class SnippetTests(BaseTestCase):
    def test_it_gives_an_iframe_for_the_form_and_the_counter(self) -> None:
        snippets = embed_snippets(self.statement)
        self.assertIn('src="http://127.0.0.1:8000/embed/s/end-the-war/sign/"', snippets["sign"])
        self.assertIn(
            'src="http://127.0.0.1:8000/embed/s/end-the-war/counter/"', snippets["counter"]
        )
        self.assertIn('title="Sign: End the Korean War"', snippets["sign"])
        for snippet in snippets.values():
            self.assertTrue(snippet.startswith("<iframe "))
            self.assertTrue(snippet.endswith("></iframe>"))
        korean = embed_snippets(self.statement, language="ko")
        self.assertIn("/embed/s/end-the-war/sign/?lang=ko", korean["sign"])
        self.assertIn("한국전쟁을 끝내라", korean["sign"])

    def test_a_title_cannot_break_out_of_the_snippet(self) -> None:
        statement = statement_create(
            slug="quote", content={"en": {"title": 'A "quoted" <b>title</b>'}}
        )
        snippet = embed_snippets(statement)["sign"]
        self.assertIn("&quot;quoted&quot; &lt;b&gt;", snippet)
