"""Bad input through the HTML form and the JSON API: always a 4xx with the message next to the
field, the typed data kept, and no sign-on stored."""

from __future__ import annotations

import html
import json
import unicodedata
from typing import Any

from django.core.cache import caches
from django.test import Client

from tests.base import ORG, PERSON, BaseTestCase
from undersigned.signatures.models import Display, Signature, Status
from undersigned.statements.models import StatementStatus
from undersigned.statements.services import statement_create, statement_open

REQUIRED = "This field is required."
INVALID_EMAIL = "Enter a valid email address, like name@example.org."
INVISIBLE = "Remove the invisible or control characters from this field."
FORMULA = "This cannot start with =, +, - or @."
URL = "Leave web addresses out of this field."
CHOICE = "Select a valid choice."

# (what is wrong, the signer it starts from, fields changed, field blamed, message)
CASES: list[tuple[str, dict[str, Any], dict[str, str], str, str]] = [
    ("empty name", PERSON, {"name": ""}, "name", REQUIRED),
    ("blank name", PERSON, {"name": "   "}, "name", REQUIRED),
    ("empty email", PERSON, {"email": ""}, "email", REQUIRED),
    ("name too long", PERSON, {"name": "N" * 201}, "name", "at most 200 characters"),
    ("affiliation too long", PERSON, {"affiliation": "A" * 201}, "affiliation", "at most 200"),
    ("city too long", PERSON, {"city": "C" * 101}, "city", "at most 100 characters"),
    ("email too long", PERSON, {"email": "x" * 250 + "@example.org"}, "email", "at most 254"),
    ("email without @", PERSON, {"email": "not-an-email"}, "email", INVALID_EMAIL),
    ("email without domain", PERSON, {"email": "j.park@"}, "email", INVALID_EMAIL),
    ("email without dot", PERSON, {"email": "j.park@localhost"}, "email", INVALID_EMAIL),
    ("email with two @", PERSON, {"email": "j.park@@example.org"}, "email", INVALID_EMAIL),
    ("email with a space", PERSON, {"email": "j park@example.org"}, "email", INVALID_EMAIL),
    ("email with zero-width", PERSON, {"email": "j.park\u200b@example.org"}, "email", INVISIBLE),
    ("bell character", PERSON, {"name": "Jiyoung\x07Park"}, "name", INVISIBLE),
    ("NUL character", PERSON, {"name": "Jiyoung\x00Park"}, "name", INVISIBLE),
    ("escape character", PERSON, {"name": "Jiyoung \x1b[31mPark"}, "name", INVISIBLE),
    ("zero-width space", PERSON, {"name": "Jiyoung\u200bPark"}, "name", INVISIBLE),
    ("zero-width joiner", PERSON, {"name": "Ji\u200dyoung Park"}, "name", INVISIBLE),
    ("byte order mark", PERSON, {"name": "\ufeffJiyoung Park"}, "name", INVISIBLE),
    ("bidi override", PERSON, {"name": "Jiyoung \u202ekraP"}, "name", INVISIBLE),
    ("bidi isolate", PERSON, {"name": "Jiyoung \u2067Park\u2069"}, "name", INVISIBLE),
    ("bidi override, other name", PERSON, {"name_alt": "\u202e박지영"}, "name_alt", INVISIBLE),
    ("invisible city", PERSON, {"city": "Seat\u200btle"}, "city", INVISIBLE),
    ("Hangul filler for a name", PERSON, {"name": "\u3164"}, "name", INVISIBLE),
    ("half-width Hangul filler", PERSON, {"name_alt": "박지영\uffa0"}, "name_alt", INVISIBLE),
    ("formula =", PERSON, {"name": '=HYPERLINK("http://x","y")'}, "name", FORMULA),
    ("formula +", PERSON, {"name": "+1"}, "name", FORMULA),
    ("formula -", PERSON, {"name": "-2"}, "name", FORMULA),
    ("formula @", PERSON, {"name": "@SUM(A1:A9)"}, "name", FORMULA),
    ("formula after spaces", PERSON, {"name": "  =1+1"}, "name", FORMULA),
    (
        "formula in affiliation",
        PERSON,
        {"affiliation": "=cmd|' /C calc'!A0"},
        "affiliation",
        FORMULA,
    ),
    ("formula in city", PERSON, {"city": "@Seattle"}, "city", FORMULA),
    ("URL in name", PERSON, {"name": "Jiyoung Park http://spam.example"}, "name", URL),
    ("https URL in name", PERSON, {"name": "HTTPS://spam.example/buy"}, "name", URL),
    ("www in name", PERSON, {"name": "www.spam.example"}, "name", URL),
    ("URL in affiliation", PERSON, {"affiliation": "see https://x.example"}, "affiliation", URL),
    ("unknown country", PERSON, {"country": "XX"}, "country", CHOICE),
    ("country name", PERSON, {"country": "United States"}, "country", CHOICE),
    ("unknown display", PERSON, {"display": "everyone"}, "display", CHOICE),
    ("organization without category", ORG, {"category": ""}, "category", "type of organization"),
    ("unknown category", ORG, {"category": "secret"}, "category", CHOICE),
    ("organization without contact", ORG, {"contact_name": ""}, "contact_name", "person signing"),
    ("organization name empty", ORG, {"name": ""}, "name", REQUIRED),
    ("formula in organization", ORG, {"name": "=1+1"}, "name", FORMULA),
    ("invisible contact", ORG, {"contact_name": "Grace\u200bLim"}, "contact_name", INVISIBLE),
    ("bad phone", ORG, {"phone": "call me maybe"}, "phone", "Enter a phone number"),
    ("phone too long", ORG, {"phone": "1" * 41}, "phone", "at most 40"),
    ("script website", ORG, {"website": "javascript:alert(1)"}, "website", "Enter a valid URL."),
    ("website not a URL", ORG, {"website": "two words"}, "website", "Enter a valid URL."),
]
# Fields shown as <select>: the typed value cannot be echoed as an option that does not exist.
SELECTS = {"country", "display", "category"}


class BadInputTestCase(BaseTestCase):
    def assertNothingStored(self) -> None:
        self.assertEqual(Signature.objects.count(), 0)

    def post_json(self, body: Any, *, slug: str | None = None, **extra: Any) -> Any:
        return self.client.post(
            f"/api/v1/statements/{slug or self.statement.slug}/signatures",
            body if isinstance(body, str | bytes) else json.dumps(body),
            content_type=extra.pop("content_type", "application/json"),
            **extra,
        )

    def assertApiErrors(self, response: Any, status: int, field: str, message: str) -> None:
        self.assertEqual(response.status_code, status, response.content)
        errors = response.json()["errors"]
        self.assertIn(field, errors, errors)
        self.assertTrue(all(isinstance(m, str) for m in errors[field]))
        self.assertIn(message, " ".join(errors[field]))

    def field_html(self, page: str, name: str) -> str:
        """The markup of one form field: its label, its error list and its input."""
        for chunk in page.split('<div class="field')[1:]:
            chunk = chunk.split("</form>")[0]
            if f'name="{name}"' in chunk:
                return chunk
        raise AssertionError(f"no field {name} in the page")


class FormBadInputTests(BadInputTestCase):
    def test_it_refuses_bad_input_next_to_the_field_and_keeps_what_was_typed(self) -> None:
        for label, signer, changes, field, message in CASES:
            with self.subTest(label):
                fields = {**signer, **changes}
                prefix = "org" if signer["kind"] == "organization" else "ind"
                response = self.sign(fields)
                self.assertEqual(response.status_code, 400)
                page = response.content.decode()
                self.assertIn("Please correct the fields marked below.", page)
                block = self.field_html(page, f"{prefix}-{field}")
                self.assertTrue(block.startswith(' has-error"'), block[:80])
                self.assertIn(html.escape(message), block)
                if field not in SELECTS and fields[field].strip():
                    self.assertIn(f'value="{html.escape(fields[field])}"', block)
                if field != "email":
                    # The fields that were right are kept too.
                    self.assertIn(f'value="{html.escape(fields["email"])}"', page)
                self.assertNothingStored()

    def test_it_keeps_every_typed_field_when_one_is_wrong(self) -> None:
        response = self.sign({**ORG, "contact_name": ""})
        page = response.content.decode()
        for name in ("name", "name_alt", "city", "region", "website", "email", "phone"):
            block = self.field_html(page, f"org-{name}")
            self.assertIn(f'value="{html.escape(ORG[name])}"', block)
        self.assertIn('<option value="local" selected>', self.field_html(page, "org-category"))
        self.assertIn('<option value="US" selected>', self.field_html(page, "org-country"))

    def test_it_shows_the_messages_in_korean_on_the_korean_page(self) -> None:
        response = self.sign({**PERSON, "name": "", "email": "nope"}, language="ko")
        self.assertEqual(response.status_code, 400)
        page = response.content.decode()
        self.assertIn("필수 항목입니다.", self.field_html(page, "ind-name"))
        self.assertIn("올바른 이메일 주소를 입력해 주십시오.", self.field_html(page, "ind-email"))
        self.assertNothingStored()

    def test_it_answers_an_oversized_post_with_400(self) -> None:
        response = self.sign({**PERSON, "name": "N" * 2_000_000})
        self.assertEqual(response.status_code, 400)
        self.assertNothingStored()

    def test_it_stores_html_as_typed_and_escapes_it_on_every_page(self) -> None:
        name = '<script>alert("x")</script> & <b>Co</b>'
        self.sign({**PERSON, "name": name, "affiliation": "<img src=x onerror=alert(1)>"})
        self.run_worker()
        self.client.post(self.link(self.mail_to(PERSON["email"])[0], "confirm"))
        signature = self.signature(PERSON["email"])
        self.assertEqual(signature.name, name)
        self.assertEqual(signature.status, Status.CONFIRMED)

        for url in (
            f"/s/{self.statement.slug}/signatories/",
            f"/ko/s/{self.statement.slug}/signatories/",
            f"/s/{self.statement.slug}/signatories/?q=script",
        ):
            page = Client().get(url).content.decode()
            self.assertIn("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;", page)
            self.assertIn("&lt;img src=x onerror=alert(1)&gt;", page)
            self.assertNotIn("<script", page)
            self.assertNotIn("<img", page)
            self.assertNotIn("<b>", page)
        api = self.client.get(f"/api/v1/statements/{self.statement.slug}/signatories")
        self.assertEqual(api.json()["results"][0]["name"], name)

    def test_it_escapes_a_search_for_html(self) -> None:
        response = self.client.get(
            f"/s/{self.statement.slug}/signatories/", {"q": "<script>x</script>"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("<script>", response.content.decode())
        self.assertIn("&lt;script&gt;x&lt;/script&gt;", response.content.decode())

    def test_it_answers_404_for_an_unknown_statement(self) -> None:
        response = self.client.post("/s/no-such-statement/sign/", self.form_data(PERSON))
        self.assertEqual(response.status_code, 404)
        self.assertNothingStored()

    def test_it_answers_404_for_a_draft(self) -> None:
        statement_create(slug="draft-one", content={"en": {"title": "Draft"}})
        response = self.client.post("/s/draft-one/sign/", self.form_data(PERSON))
        self.assertEqual(response.status_code, 404)
        self.assertNothingStored()

    def test_it_refuses_a_closed_statement_with_a_message(self) -> None:
        self.statement.status = StatementStatus.CLOSED
        self.statement.save(update_fields=["status"])
        response = self.sign(PERSON)
        self.assertContains(response, "This statement is not open for signing.", status_code=409)
        self.assertNothingStored()

    def test_it_refuses_an_organization_where_only_individuals_sign(self) -> None:
        statement = statement_create(
            slug="people-only",
            content={"en": {"title": "People only"}},
            accepts_organizations=False,
        )
        statement_open(statement=statement, public=True)
        response = self.client.post("/s/people-only/sign/", self.form_data(ORG))
        self.assertContains(
            response, "This statement does not accept sign-ons of this kind.", status_code=409
        )
        self.assertNothingStored()

    def test_it_refuses_an_unknown_kind(self) -> None:
        response = self.client.post(
            f"/s/{self.statement.slug}/sign/", {**self.form_data(ORG), "org-kind": "robot"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertNothingStored()

    def test_a_form_sent_from_another_website_shows_the_form_again_with_what_was_typed(
        self,
    ) -> None:
        client = Client(enforce_csrf_checks=True)
        response = client.post(
            f"/s/{self.statement.slug}/sign/",
            self.form_data(PERSON),
            headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        )
        self.assertEqual(response.status_code, 403)
        page = response.content.decode()
        self.assertIn("This form was sent from another website.", page)
        for name in ("name", "name_alt", "affiliation", "city", "email"):
            self.assertIn(
                f'value="{html.escape(PERSON[name])}"', self.field_html(page, f"ind-{name}")
            )
        self.assertNothingStored()

        # Sent again from the page itself, as the browser says, it is taken.
        again = client.post(
            f"/s/{self.statement.slug}/sign/",
            self.form_data(PERSON),
            headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
        )
        self.assertRedirects(again, f"/s/{self.statement.slug}/thanks/")
        self.assertEqual(Signature.objects.count(), 1)

    def test_a_form_from_another_website_keeps_the_organization_form(self) -> None:
        response = Client().post(
            f"/s/{self.statement.slug}/sign/",
            self.form_data(ORG),
            headers={"Origin": "https://evil.example"},  # a browser without Sec-Fetch-Site
        )
        self.assertEqual(response.status_code, 403)
        page = response.content.decode()
        self.assertIn(f'value="{html.escape(ORG["contact_name"])}"', page)
        self.assertIn('<option value="local" selected>', self.field_html(page, "org-category"))
        self.assertNothingStored()

    def test_the_form_needs_no_cookie(self) -> None:
        """A signer whose browser blocks cookies signs like anyone: the page sets none and
        the form carries no CSRF token (see signatures.views.sign)."""
        client = Client(enforce_csrf_checks=True)
        page = client.get(f"/s/{self.statement.slug}/")
        self.assertEqual(page.cookies, {})
        self.assertNotContains(page, "csrfmiddlewaretoken")
        for headers in (
            {"Sec-Fetch-Site": "same-origin"},
            {"Sec-Fetch-Site": "none"},  # typed or opened from a bookmark
            {"Origin": "http://testserver"},
            {},  # a script, or a browser too old to say
        ):
            Signature.objects.all().delete()
            with self.subTest(headers=headers):
                response = Client(enforce_csrf_checks=True).post(
                    f"/s/{self.statement.slug}/sign/", self.form_data(PERSON), headers=headers
                )
                self.assertRedirects(response, f"/s/{self.statement.slug}/thanks/")
                self.assertEqual(Signature.objects.count(), 1)
        for headers in (
            {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is another site's page
            {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver.evil.example"},
            {"Origin": "null"},
        ):
            with self.subTest(headers=headers):
                response = Client().post(
                    f"/s/{self.statement.slug}/sign/", self.form_data(ORG), headers=headers
                )
                self.assertEqual(response.status_code, 403)
        self.assertFalse(Signature.objects.filter(kind="organization").exists())

    def test_it_drops_details_an_individual_is_not_asked_for(self) -> None:
        self.sign(
            {
                **PERSON,
                "phone": "555-0100",
                "contact_name": "Someone Else",
                "website": "https://x.example",
                "category": "national",
            }
        )
        signature = self.signature(PERSON["email"])
        self.assertEqual(
            (signature.phone, signature.contact_name, signature.website, signature.category),
            ("", "", "", ""),
        )

    def test_it_cleans_a_referral_code(self) -> None:
        response = self.client.post(
            f"/s/{self.statement.slug}/sign/",
            {**self.form_data(PERSON), "ref": "partner\x00-" + "x" * 100},
        )
        self.assertRedirects(response, f"/s/{self.statement.slug}/thanks/")
        referral = self.signature(PERSON["email"]).referral
        self.assertEqual(referral, ("partner-" + "x" * 100)[:64])


class ApiBadInputTests(BadInputTestCase):
    def test_it_refuses_bad_input_with_field_errors(self) -> None:
        for label, signer, changes, field, message in CASES:
            with self.subTest(label):
                response = self.post_json({**signer, **changes})
                self.assertApiErrors(response, 400, field, message)
                self.assertNothingStored()

    def test_it_names_every_missing_field(self) -> None:
        response = self.post_json({})
        self.assertEqual(response.status_code, 400)
        errors = response.json()["errors"]
        self.assertEqual(errors["kind"], [REQUIRED])
        self.assertEqual(errors["name"], [REQUIRED])
        self.assertEqual(errors["email"], [REQUIRED])
        self.assertNothingStored()

    def test_it_refuses_a_field_sent_as_another_json_type(self) -> None:
        for field, value in (
            ("name", 123),
            ("name", 1.5),
            ("name", True),
            ("name", ["Jiyoung", "Park"]),
            ("name", {"first": "Jiyoung"}),
            ("email", ["j.park@example.org"]),
            ("kind", 1),
            ("country", {"code": "US"}),
            ("display", False),
            ("city", 0),
        ):
            with self.subTest(f"{field}={value!r}"):
                response = self.post_json({**PERSON, field: value})
                self.assertApiErrors(response, 400, field, "Send this field as a string.")
                self.assertNothingStored()

    def test_it_wants_updates_as_a_boolean(self) -> None:
        for value in ("yes", "true", 1, 0, [True], {"on": True}):
            with self.subTest(repr(value)):
                response = self.post_json({**PERSON, "updates": value})
                self.assertApiErrors(response, 400, "updates", "Send true or false.")
                self.assertNothingStored()
        response = self.post_json({**PERSON, "updates": True})
        self.assertEqual(response.status_code, 202)
        self.assertTrue(self.signature(PERSON["email"]).wants_updates)

    def test_it_refuses_other_bad_types(self) -> None:
        for body, field in (
            ({**ORG, "networks": "kpn"}, "networks"),
            ({**ORG, "networks": [1, 2]}, "networks"),
            ({**ORG, "networks": ["no-such-network"]}, "networks"),
            ({**PERSON, "ref": 12}, "ref"),
            ({**PERSON, "language": ["ko"]}, "language"),
            ({**PERSON, "language": {"code": "ko"}}, "language"),
            ({**PERSON, "language": "klingon"}, "language"),
        ):
            with self.subTest(f"{field}={body[field]!r}"):
                response = self.post_json(body)
                self.assertEqual(response.status_code, 400, response.content)
                self.assertIn(field, response.json()["errors"])
                self.assertNothingStored()

    def test_it_refuses_text_that_is_not_unicode(self) -> None:
        # JSON can escape half of a surrogate pair, which no database can store.
        for field in ("name", "email", "website", "country", "ref", "networks"):
            with self.subTest(field):
                body = json.dumps({**ORG, field: "PLACEHOLDER"})
                if field == "networks":
                    body = body.replace('"PLACEHOLDER"', '["\\ud800"]')
                body = body.replace("PLACEHOLDER", "x\\ud800")
                response = self.post_json(body)
                self.assertApiErrors(response, 400, field, INVISIBLE)
                self.assertNothingStored()

    def test_it_takes_null_for_a_field_left_out_and_ignores_unknown_fields(self) -> None:
        body = {**PERSON, "name_alt": None, "affiliation": None, "favourite_colour": ["blue"]}
        response = self.post_json(body)
        self.assertEqual(response.status_code, 202, response.content)
        signature = self.signature(PERSON["email"])
        self.assertEqual((signature.name_alt, signature.affiliation), ("", ""))

    def test_it_reads_a_regional_language_code(self) -> None:
        response = self.post_json({**PERSON, "language": "ko-KR"})
        self.assertEqual(response.status_code, 202)
        self.assertEqual(self.signature(PERSON["email"]).language, "ko")

    def test_it_refuses_malformed_json(self) -> None:
        for body in (
            "{",
            '{"name": "x",}',
            " ",
            "nul",
            b"\xff\xfe\x00{",
            "{'name': 'single quotes'}",
            "[" * 100_000 + "]" * 100_000,
            '{"n": ' + "1" * 5000 + "}",
        ):
            with self.subTest(body[:20]):
                response = self.post_json(body)
                self.assertApiErrors(response, 400, "__all__", "not valid JSON")
                self.assertNothingStored()

    def test_it_wants_a_json_object(self) -> None:
        for body in ([PERSON], "a string", 42, None, True):
            with self.subTest(repr(body)[:20]):
                response = self.post_json(json.dumps(body))
                self.assertApiErrors(response, 400, "__all__", "must be a JSON object")
                self.assertNothingStored()

    def test_it_answers_415_to_another_content_type(self) -> None:
        for content_type in ("application/x-www-form-urlencoded", "text/plain", "text/json"):
            with self.subTest(content_type):
                response = self.post_json(PERSON, content_type=content_type)
                self.assertApiErrors(response, 415, "__all__", "Content-Type: application/json")
                self.assertNothingStored()
        response = self.client.post(
            f"/api/v1/statements/{self.statement.slug}/signatures", self.form_data(PERSON)
        )
        self.assertEqual(response.status_code, 415)
        self.assertNothingStored()

    def test_it_takes_json_with_a_charset(self) -> None:
        response = self.post_json(PERSON, content_type="application/json; charset=utf-8")
        self.assertEqual(response.status_code, 202)

    def test_it_answers_a_one_megabyte_body_with_413(self) -> None:
        body = json.dumps({**PERSON, "name": "N" * (1024 * 1024)})
        response = self.post_json(body)
        self.assertApiErrors(response, 413, "__all__", "too large")
        self.assertNothingStored()

    def test_it_answers_a_large_but_accepted_body_with_a_field_error(self) -> None:
        response = self.post_json({**PERSON, "name": "N" * 900_000})
        self.assertApiErrors(response, 400, "name", "at most 200 characters")
        self.assertNothingStored()

    def test_it_answers_404_for_an_unknown_statement(self) -> None:
        for slug in ("no-such-statement", "%00", "a%00b", "x" * 300, "%E2%80%AE"):
            with self.subTest(slug):
                response = self.post_json(PERSON, slug=slug)
                self.assertApiErrors(response, 404, "__all__", "Not found.")
        self.assertNothingStored()

    def test_it_answers_404_for_a_draft(self) -> None:
        statement_create(slug="draft-one", content={"en": {"title": "Draft"}})
        response = self.post_json(PERSON, slug="draft-one")
        self.assertApiErrors(response, 404, "__all__", "Not found.")
        self.assertNothingStored()

    def test_it_answers_409_for_a_closed_statement(self) -> None:
        self.statement.status = StatementStatus.CLOSED
        self.statement.save(update_fields=["status"])
        response = self.post_json(PERSON)
        self.assertEqual(response.status_code, 409)
        self.assertEqual(
            response.json(), {"errors": {"__all__": ["This statement is not open for signing."]}}
        )
        self.assertNothingStored()

    def test_it_refuses_an_organization_where_only_individuals_sign(self) -> None:
        statement = statement_create(
            slug="people-only",
            content={"en": {"title": "People only"}},
            accepts_organizations=False,
        )
        statement_open(statement=statement, public=True)
        response = self.post_json(ORG, slug="people-only")
        self.assertApiErrors(response, 400, "kind", "does not accept sign-ons of this kind")
        self.assertNothingStored()
        self.assertEqual(self.post_json(PERSON, slug="people-only").status_code, 202)

    def test_it_lists_an_organization_as_it_signed_whatever_display_it_sends(self) -> None:
        self.post_json({**ORG, "display": "hidden"})
        self.assertEqual(self.signature(ORG["email"]).display, Display.FULL)


class HangulTests(BaseTestCase):
    def confirm(self, fields: dict[str, Any]) -> None:
        self.sign(fields)
        self.run_worker()
        self.client.post(self.link(self.mail_to(fields["email"])[-1], "confirm"))

    def names(self, url: str, **params: str) -> str:
        # A new visitor each time: a /ko/ page visited earlier would send this one on to /ko/.
        response = Client().get(url, params)
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def test_it_stores_a_name_typed_in_decomposed_jamo_as_nfc(self) -> None:
        nfd = unicodedata.normalize("NFD", "박지영")
        self.assertNotEqual(nfd, "박지영")
        self.sign({**PERSON, "name_alt": nfd})
        self.sign({**ORG, "name": unicodedata.normalize("NFD", "평화 네트워크")})
        self.assertEqual(self.signature(PERSON["email"]).name_alt, "박지영")
        self.assertEqual(self.signature(ORG["email"]).name, "평화 네트워크")

    def test_the_list_finds_hangul_and_latin_names(self) -> None:
        self.confirm({**PERSON, "name_alt": unicodedata.normalize("NFD", "박지영")})
        self.confirm(
            {
                **PERSON,
                "name": "김정호",
                "name_alt": "Jungho Kim",
                "email": "kim@example.org",
                "city": "Seoul",
                "country": "KR",
                "region": "",
            }
        )
        url = f"/s/{self.statement.slug}/signatories/"
        for q in ("박", "박지영", unicodedata.normalize("NFD", "박지"), "park", "PARK", "Jiyoung"):
            with self.subTest(q):
                page = self.names(url, q=q)
                self.assertIn("Jiyoung Park", page)
                self.assertNotIn("Jungho Kim", page)
        for q in ("김", "kim", "SEOUL", "jungho"):
            with self.subTest(q):
                page = self.names(url, q=q)
                self.assertIn("Jungho Kim", page)
                self.assertNotIn("Jiyoung Park", page)
        # On the Korean page the Hangul name comes first.
        page = self.names(f"/ko{url}", q="park")
        self.assertIn('<span class="name">박지영</span>', page)
        self.assertIn('<span class="alt">(Jiyoung Park)</span>', page)

        api = f"/api/v1/statements/{self.statement.slug}/signatories"
        for q, name in (("박", "Jiyoung Park"), ("park", "Jiyoung Park"), ("김정", "Jungho Kim")):
            with self.subTest(f"api {q}"):
                results = self.client.get(api, {"q": q}).json()["results"]
                self.assertEqual([r["name"] for r in results], [name])

    def test_a_search_with_odd_characters_answers_normally(self) -> None:
        self.confirm(PERSON)
        url = f"/s/{self.statement.slug}/signatories/"
        for q in ("\x00", "park\x00", "%", "_", "\u202epark", "x" * 5000, "' OR 1=1 --"):
            with self.subTest(repr(q)[:20]):
                self.assertEqual(self.client.get(url, {"q": q}).status_code, 200)
                response = self.client.get(
                    f"/api/v1/statements/{self.statement.slug}/signatories", {"q": q[:100]}
                )
                self.assertEqual(response.status_code, 200, response.content)
        self.assertIn("Jiyoung Park", self.names(url, q="\u202epark"))


class EncodingTests(BaseTestCase):
    def test_a_form_in_another_charset_gets_a_400_not_a_500(self) -> None:
        body = "ind-name=Jiyoung&ind-email=j%40example.org&ind-kind=individual"
        for charset in ("iso-8859-1", "utf-16", "ascii"):
            response = self.client.post(
                f"/s/{self.statement.slug}/sign/",
                body,
                content_type=f"application/x-www-form-urlencoded; charset={charset}",
            )
            self.assertEqual(response.status_code, 400, charset)
        self.assertFalse(Signature.objects.exists())

    def test_utf8_spelled_utf8_is_read_as_utf_8(self) -> None:
        response = self.client.post(
            f"/s/{self.statement.slug}/sign/",
            "ind-name=Jiyoung&ind-email=j%40example.org&ind-kind=individual",
            content_type="application/x-www-form-urlencoded; charset=utf8",
        )
        self.assertNotEqual(response.status_code, 500)

    def test_a_name_that_grows_under_normalisation_is_stored(self) -> None:
        self.sign({**PERSON, "name": "\ufdfa" * 60, "affiliation": "a" * 200, "city": "c" * 100})
        self.assertLessEqual(len(Signature.objects.get().search_key), 800)


class SharedFieldsTests(BaseTestCase):
    """The API validates with the declared fields shared rather than copied (render=False):
    the answers must be the same, and the forms people see must not change."""

    def test_a_validation_only_form_judges_like_a_rendered_one(self) -> None:
        from undersigned.signatures.forms import SignatureForm

        for _what, start, changes, field, message in CASES:
            data = {**start, **changes}
            shared = SignatureForm(data, render=False)
            copied = SignatureForm(data)
            self.assertEqual(shared.is_valid(), copied.is_valid(), _what)
            self.assertEqual(shared.errors, copied.errors, _what)
            self.assertIn(message, " ".join(shared.errors.get(field, [])), _what)

    def test_api_and_form_sign_ons_leave_the_page_forms_as_they_were(self) -> None:
        page = f"/s/{self.statement.slug}/"
        before = self.client.get(page).content.decode()
        self.client.post(
            f"/api/v1/statements/{self.statement.slug}/signatures",
            json.dumps({**PERSON, "name": "Shared Fields"}),
            content_type="application/json",
        )
        self.sign({**ORG, "email": ""})  # refused, shown again with its errors
        self.sign({**PERSON, "email": "shared-fields@example.org"})
        caches["local"].clear()  # the page as rendered now, not the copy kept for 2 s
        after = Client().get(page).content.decode()
        for hint in ('autocomplete="organization"', 'autocomplete="name"', "address-level2"):
            self.assertEqual(before.count(hint), after.count(hint), hint)
            self.assertIn(hint, after)


class ValidationOnlyFormTests(BaseTestCase):
    """The JSON API and the form POST validate with `render=False`, which cleans each field
    without Django's bound fields; it must reach the same data and errors as the form a page
    renders, for every bad input above and for good sign-ons."""

    def test_it_cleans_and_refuses_exactly_as_the_rendering_form(self) -> None:
        from django.http import QueryDict

        from undersigned.signatures.forms import SignatureForm

        cases = [("good person", PERSON, {}), ("good organization", ORG, {})]
        cases += [(label, signer, changes) for label, signer, changes, _f, _m in CASES]
        from undersigned.signatures.models import Network

        Network.objects.create(slug="pt-now", name="Peace Treaty Now")
        cases.append(("organization in a network", ORG, {"networks": ["pt-now"]}))
        cases.append(("unknown network", ORG, {"networks": ["pt-now", "nowhere"]}))
        for label, signer, changes in cases:
            with self.subTest(label):
                data = QueryDict(mutable=True)
                for key, value in {**signer, **changes}.items():
                    data.setlist(key, value if isinstance(value, list) else [value])
                lean = SignatureForm(data, statement=self.statement, render=False)
                full = SignatureForm(data, statement=self.statement)
                self.assertEqual(lean.is_valid(), full.is_valid())
                self.assertEqual(lean.errors.get_json_data(), full.errors.get_json_data())
                if full.is_valid():
                    self.assertEqual(
                        {
                            k: list(v) if k == "networks" else v
                            for k, v in lean.cleaned_data.items()
                        },
                        {
                            k: list(v) if k == "networks" else v
                            for k, v in full.cleaned_data.items()
                        },
                    )
        self.assertTrue(any(not c[2] for c in cases), "good sign-ons were compared too")
