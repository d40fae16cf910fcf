"""The public JSON API under /api/v1: statements, counts, the signatory list and JSON sign-on."""

from __future__ import annotations

import json
from typing import Any

from django.core.cache import caches
from django.test import override_settings

from tests.base import ORG, PERSON, BaseTestCase
from undersigned.signatures.models import Signature, Source, Status
from undersigned.signatures.services import signature_approve
from undersigned.statements.services import statement_create, statement_open

API = "/api/v1/statements"


class ApiTestCase(BaseTestCase):
    def get(self, path: str, status: int = 200, **params: Any) -> Any:
        caches["local"].clear()
        response = self.client.get(f"{API}{path}", params)
        self.assertEqual(response.status_code, status, response.content)
        self.assertEqual(response["Content-Type"], "application/json; charset=utf-8")
        return response.json()

    def post(self, body: dict[str, Any], slug: str | None = None) -> Any:
        return self.client.post(
            f"{API}/{slug or self.statement.slug}/signatures",
            json.dumps(body),
            content_type="application/json",
        )

    def signed(self, fields: dict[str, Any]) -> Signature:
        """Sign through the API and confirm through the emailed link (organizations approved)."""
        self.assertEqual(self.post(fields).status_code, 202)
        self.run_worker()
        self.client.post(self.link(self.mail_to(fields["email"])[-1], "confirm"))
        signature = Signature.objects.get(email=fields["email"])
        if signature.kind == "organization":
            signature_approve(signature_ids=[signature.pk], actor=self.moderator)
            signature.refresh_from_db()
        return signature

    def person(self, n: int, **fields: Any) -> dict[str, Any]:
        return {**PERSON, "email": f"person{n}@example.org", **fields}


class StatementApiTests(ApiTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        content = {"en": {"title": "Quiet", "demands": ["One."]}}
        statement_open(statement=statement_create(slug="quiet-one", content=content))
        statement_create(slug="draft-one", content=content)
        delivered = statement_create(slug="delivered-one", content=content)
        statement_open(statement=delivered, public=True)
        delivered.status = "delivered"
        delivered.save(update_fields=["status"])

    def test_it_lists_only_released_statements(self) -> None:
        slugs = [s["slug"] for s in self.get("")]
        self.assertCountEqual(slugs, ["end-the-war", "delivered-one"])

    def test_it_describes_a_statement_in_every_language(self) -> None:
        data = self.get("/end-the-war")
        self.assertEqual(data["status"], "released")
        self.assertEqual(data["text"]["en"]["title"], "End the Korean War")
        self.assertEqual(data["text"]["ko"]["title"], "한국전쟁을 끝내라")
        self.assertEqual(data["languages"], ["en", "ko"])
        self.assertEqual(
            data["demands"][1],
            {"number": 2, "text": {"en": "Lift the travel ban.", "ko": "여행 금지를 해제하라."}},
        )
        self.assertEqual(data["targets"][0]["name"], "President of the United States")
        self.assertEqual(data["counts"], {"organizations": 0, "individuals": 0, "total": 0})
        self.assertEqual(data["accepts"], ["organization", "individual"])
        self.assertTrue(data["is_open_for_signing"])
        self.assertTrue(data["url"].endswith("/s/end-the-war/"))

    def test_a_collecting_statement_is_reachable_by_its_slug_without_counts(self) -> None:
        data = self.get("/quiet-one")
        self.assertEqual(data["status"], "collecting")
        self.assertIsNone(data["counts"])
        self.assertTrue(data["is_open_for_signing"])
        for path in ("/quiet-one/count", "/quiet-one/signatories"):
            with self.subTest(path):
                self.assertEqual(self.get(path, 404), {"errors": {"__all__": ["Not found."]}})

    def test_a_draft_is_not_found(self) -> None:
        for path in ("/draft-one", "/draft-one/count", "/draft-one/signatories", "/nothing"):
            with self.subTest(path):
                self.assertEqual(self.get(path, 404), {"errors": {"__all__": ["Not found."]}})

    def test_it_takes_sign_ons_while_collecting(self) -> None:
        response = self.post(PERSON, slug="quiet-one")
        self.assertEqual(response.status_code, 202)
        self.assertEqual(Signature.objects.get().statement.slug, "quiet-one")

    def test_it_counts_confirmed_sign_ons(self) -> None:
        self.signed(PERSON)
        self.signed(ORG)
        self.post(self.person(2))  # pending: not counted
        self.assertEqual(
            self.get("/end-the-war/count"), {"organizations": 1, "individuals": 1, "total": 2}
        )
        self.assertEqual(self.get("/end-the-war")["counts"]["total"], 2)

    def test_it_serves_its_openapi_document(self) -> None:
        response = self.client.get("/api/v1/openapi.json")
        self.assertEqual(response.status_code, 200)
        document = response.json()
        self.assertTrue(document["openapi"].startswith("3."))
        self.assertLessEqual(
            {
                "/api/v1/statements",
                "/api/v1/statements/{slug}",
                "/api/v1/statements/{slug}/count",
                "/api/v1/statements/{slug}/signatories",
                "/api/v1/statements/{slug}/signatures",
            },
            set(document["paths"]),
        )
        post = document["paths"]["/api/v1/statements/{slug}/signatures"]["post"]
        schema = post["requestBody"]["content"]["application/json"]["schema"]
        self.assertEqual(schema["required"], ["kind", "name", "email"])
        self.assertEqual(schema["properties"]["updates"], {"type": "boolean"})
        self.assertLessEqual({"202", "400", "404", "409", "413", "415"}, set(post["responses"]))


class SignatoryApiTests(ApiTestCase):
    def test_it_pages_through_the_list(self) -> None:
        self.signed(ORG)
        for n, name in enumerate(("Ann Lee", "Bo Kim", "Cy Park")):
            self.signed(self.person(n, name=name, name_alt=""))
        with override_settings(SIGNATORIES_PAGE_SIZE=2):
            first = self.get("/end-the-war/signatories")
            second = self.get("/end-the-war/signatories", page="2")
            after = self.get("/end-the-war/signatories", page="3")
        self.assertEqual((first["count"], first["page"], first["pages"]), (4, 1, 2))
        # Organizations first, then individuals by name.
        self.assertEqual(
            [r["name"] for r in first["results"]], ["East Bay Peace Circle", "Ann Lee"]
        )
        self.assertEqual([r["name"] for r in second["results"]], ["Bo Kim", "Cy Park"])
        self.assertEqual((second["page"], second["pages"]), (2, 2))
        self.assertEqual((after["count"], after["page"], after["results"]), (4, 3, []))

    def test_it_filters_by_kind_and_searches(self) -> None:
        self.signed(ORG)
        self.signed(PERSON)
        orgs = self.get("/end-the-war/signatories", kind="organization")
        self.assertEqual([r["name"] for r in orgs["results"]], ["East Bay Peace Circle"])
        self.assertEqual(orgs["results"][0]["category"], "local")
        self.assertEqual(orgs["results"][0]["website"], ORG["website"])
        people = self.get("/end-the-war/signatories", kind="individual")
        self.assertEqual([r["name"] for r in people["results"]], ["Jiyoung Park"])
        self.assertEqual(people["count"], 1)
        found = self.get("/end-the-war/signatories", q="peace circle")
        self.assertEqual([r["name"] for r in found["results"]], ["East Bay Peace Circle"])
        self.assertEqual(self.get("/end-the-war/signatories", q="nobody")["count"], 0)

    def test_it_refuses_a_bad_page_or_kind_with_an_errors_object(self) -> None:
        for params, field in (
            ({"page": "0"}, "page"),
            ({"page": "-1"}, "page"),
            ({"page": "abc"}, "page"),
            ({"page": "1.5"}, "page"),
            ({"page": "9" * 30}, "page"),
            ({"kind": "robot"}, "kind"),
            ({"q": "x" * 101}, "q"),
        ):
            with self.subTest(params):
                errors = self.get("/end-the-war/signatories", 400, **params)["errors"]
                self.assertEqual(list(errors), [field])
                self.assertTrue(errors[field] and all(isinstance(m, str) for m in errors[field]))

    def test_it_honours_each_display_choice(self) -> None:
        for n, display in enumerate(("full", "name", "initials", "hidden")):
            self.signed(
                self.person(
                    n,
                    name=f"{display.title()} Person",
                    name_alt="",
                    affiliation=f"{display} University",
                    city=f"{display} City",
                    display=display,
                )
            )
        data = self.get("/end-the-war/signatories")
        by_city = {r["city"]: r for r in data["results"]}
        self.assertEqual(data["count"], 3)
        self.assertEqual(self.get("/end-the-war/count")["individuals"], 4)
        self.assertEqual(by_city["full City"]["name"], "Full Person")
        self.assertEqual(by_city["full City"]["affiliation"], "full University")
        self.assertEqual(by_city["name City"]["name"], "Name Person")
        self.assertEqual(by_city["name City"]["affiliation"], "")
        self.assertEqual(by_city["initials City"]["name"], "I. P.")
        self.assertEqual(by_city["initials City"]["affiliation"], "")
        self.assertNotIn("hidden City", by_city)

        body = json.dumps(data)
        for private in ("Initials Person", "initials University", "name University", "Hidden"):
            self.assertNotIn(private, body)
        # The page honours the same choices.
        page = self.client.get(f"/s/{self.statement.slug}/signatories/").content.decode()
        for private in ("Initials Person", "initials University", "name University", "Hidden"):
            self.assertNotIn(private, page)
        self.assertIn("I. P.", page)
        # Searching for a hidden or abbreviated name finds nothing.
        self.assertEqual(self.get("/end-the-war/signatories", q="hidden")["results"], [])

    def test_it_never_lists_a_pending_or_unapproved_sign_on(self) -> None:
        self.post(PERSON)
        self.post(ORG)
        self.run_worker()
        self.client.post(self.link(self.mail_to(ORG["email"])[-1], "confirm"))
        self.assertEqual(Signature.objects.get(email=ORG["email"]).status, Status.CONFIRMED)
        data = self.get("/end-the-war/signatories")
        self.assertEqual((data["count"], data["results"]), (0, []))


class SignatureApiTests(ApiTestCase):
    def test_it_answers_202_for_a_new_and_a_repeat_sign_on_and_emails_once(self) -> None:
        first = self.post(PERSON)
        again = self.post(PERSON)
        self.assertEqual(first.status_code, 202)
        self.assertEqual(again.status_code, 202)
        self.assertEqual(first.json(), {"status": "pending_confirmation"})
        self.assertEqual(again.content, first.content)
        signature = self.signature(PERSON["email"])
        self.assertEqual((signature.status, signature.source), (Status.PENDING, Source.API))
        self.assertEqual(Signature.objects.count(), 1)

        self.run_worker()
        (message,) = self.mail_to(PERSON["email"])
        self.assertIn("End the Korean War", message["Subject"])
        confirm = self.link(message, "confirm")
        self.client.post(confirm)
        self.assertEqual(self.signature(PERSON["email"]).status, Status.CONFIRMED)
        self.assertEqual(self.get("/end-the-war/count")["individuals"], 1)

    def test_a_confirmed_signer_who_signs_again_gets_the_same_answer(self) -> None:
        self.signed(ORG)
        response = self.post({**ORG, "email": ORG["email"].upper(), "name": "Another Name"})
        self.assertEqual(response.status_code, 202)
        self.assertEqual(response.json(), {"status": "pending_confirmation"})
        self.assertEqual(self.signature(ORG["email"]).name, "East Bay Peace Circle")
        self.assertEqual(Signature.objects.count(), 1)

    def test_it_keeps_the_signers_choices(self) -> None:
        body = {**ORG, "language": "ko", "ref": "kpn-2018", "updates": True}
        self.assertEqual(self.post(body).status_code, 202)
        signature = self.signature(ORG["email"])
        self.assertEqual(signature.language, "ko")
        self.assertEqual(signature.referral, "kpn-2018")
        self.assertTrue(signature.wants_updates)
        self.assertEqual(signature.contact_name, "Grace Lim")
        self.assertEqual(signature.category, "local")
        self.run_worker()
        (message,) = self.mail_to(ORG["email"])
        self.assertIn("한국전쟁을 끝내라", message["Subject"])
        self.assertIn("/ko/s/", self.link(message, "confirm"))

    def test_it_answers_errors_in_the_signers_language(self) -> None:
        response = self.post({**PERSON, "email": "", "language": "ko"})
        self.assertEqual(response.status_code, 400)
        self.assertNotEqual(response.json()["errors"]["email"], ["This field is required."])
