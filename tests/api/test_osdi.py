"""OSDI under /osdi/v1: the entry point, petitions, signatures (public, and with an
organizer's token), organizations, and record_signature_helper, which stores a pending sign-on
through the same service as the form and queues its confirmation email."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection
from django.test import override_settings

from tests.base import ORG, PERSON, BaseTestCase
from undersigned.accounts.models import Role, StatementRole
from undersigned.api.services import api_token_create, api_token_revoke
from undersigned.signatures.models import EmailOwed, Signature, Source, Status
from undersigned.signatures.services import (
    signature_approve,
    signature_confirm,
    signature_create,
)
from undersigned.statements.services import statement_create, statement_open

OSDI = "/osdi/v1"
PETITION = f"{OSDI}/petitions/end-the-war"
HELPER = f"{PETITION}/record_signature_helper"
HAL = "application/hal+json; charset=utf-8"

OSDI_PERSON = {
    "person": {
        "given_name": "Mina",
        "family_name": "Lee",
        "email_addresses": [{"address": "mina.lee@example.org", "status": "subscribed"}],
        "postal_addresses": [{"locality": "Oakland", "region": "CA", "country": "US"}],
        "employer": "Peace College",
    },
    "referrer_data": {"referrer": "partner-site"},
}


def signed(statement: Any, fields: dict[str, Any], approve: bool = True) -> Signature:
    signature = signature_create(statement=statement, data=fields).signature  # type: ignore[arg-type]
    signature_confirm(signature_id=signature.pk, nonce=signature.nonce)
    if approve:
        signature_approve(signature_ids=[signature.pk], actor=None)
    signature.refresh_from_db()
    return signature


class OsdiTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.token, cls.key = api_token_create(statement=cls.statement, user=cls.owner)
        cls.quiet = statement_create(slug="quiet-one", content={"en": {"title": "Quiet"}})
        statement_open(statement=cls.quiet)
        statement_create(slug="draft-one", content={"en": {"title": "Draft"}})

    def get(self, url: str, status: int = 200, key: str = "", **params: Any) -> Any:
        caches["local"].clear()
        headers = {"osdi-api-token": key} if key else {}
        response = self.client.get(url, params, headers=headers)
        self.assertEqual(response.status_code, status, response.content)
        self.assertEqual(response["Content-Type"], HAL)
        return response.json()

    def record(self, body: Any, *, key: str | None = None, url: str = HELPER) -> Any:
        key = self.key if key is None else key
        return self.client.post(
            url,
            json.dumps(body),
            content_type="application/json",
            headers={"authorization": f"Token {key}"} if key else {},
        )


class ReadTests(OsdiTestCase):
    def test_the_entry_point_links_to_petitions_and_organizations(self) -> None:
        data = self.get(f"{OSDI}/")
        self.assertEqual(data["osdi_version"], "1.1")
        self.assertEqual(
            data["_links"]["osdi:petitions"]["href"], "http://127.0.0.1:8000/osdi/v1/petitions"
        )
        self.assertIn("osdi:organizations", data["_links"])
        self.assertEqual(data["_links"]["curies"][0]["name"], "osdi")

    def test_it_lists_released_statements_as_petitions(self) -> None:
        data = self.get(f"{OSDI}/petitions")
        self.assertEqual(data["total_records"], 1)
        self.assertEqual((data["page"], data["total_pages"], data["per_page"]), (1, 1, 25))
        petition = data["_embedded"]["osdi:petitions"][0]
        self.assertEqual(petition["identifiers"], ["undersigned:end-the-war"])
        self.assertEqual(petition["title"], "End the Korean War")
        self.assertIn("1. Declare an end to the war.", petition["petition_text"])
        self.assertEqual(petition["target"][0]["name"], "President of the United States")
        self.assertEqual(petition["total_signatures"], 0)
        links = petition["_links"]
        self.assertTrue(links["osdi:signatures"]["href"].endswith(f"{PETITION}/signatures"))
        self.assertTrue(links["osdi:record_signature_helper"]["href"].endswith(HELPER))

    def test_a_petition_in_korean(self) -> None:
        caches["local"].clear()
        response = self.client.get(PETITION, headers={"accept-language": "ko"})
        self.assertEqual(response.json()["title"], "한국전쟁을 끝내라")

    def test_a_collecting_statement_is_readable_by_its_slug_without_counts_or_list(self) -> None:
        data = self.get(f"{OSDI}/petitions/quiet-one")
        self.assertEqual(data["status"], "collecting")
        self.assertNotIn("total_signatures", data)
        self.get(f"{OSDI}/petitions/quiet-one/signatures", 404)
        self.get(f"{OSDI}/organizations", 404, petition="quiet-one")
        self.get(f"{OSDI}/petitions/draft-one", 404)
        self.get(f"{OSDI}/petitions/nothing", 404)
        self.get(f"{OSDI}/organizations", 404, petition="no\x00thing")

    def test_signatures_without_a_token_are_the_public_list(self) -> None:
        signed(self.statement, ORG)
        signed(self.statement, PERSON)
        signed(
            self.statement,
            {**PERSON, "email": "x@example.org", "name": "Bo Kim", "display": "initials"},
        )
        signed(self.statement, {**PERSON, "email": "h@example.org", "display": "hidden"})
        signature_create(statement=self.statement, data={**PERSON, "email": "p@example.org"})  # type: ignore[typeddict-item]
        data = self.get(f"{PETITION}/signatures")
        self.assertEqual(data["total_records"], 3)
        items = data["_embedded"]["osdi:signatures"]
        self.assertEqual(items[0]["organization"]["name"], "East Bay Peace Circle")
        self.assertNotIn("person", items[0])
        self.assertEqual(items[1]["person"]["name"], "B. K.")
        self.assertEqual(items[2]["person"]["name"], "Jiyoung Park")
        self.assertEqual(items[2]["person"]["employer"], "Example State University")
        text = json.dumps(data)
        for private in ("@", "Grace Lim", "510-555-0134", "identifiers"):
            self.assertNotIn(private, text)

    def test_it_pages(self) -> None:
        for n in range(3):
            signed(self.statement, {**PERSON, "email": f"p{n}@example.org", "name": f"P{n}"})
        first = self.get(f"{PETITION}/signatures", per_page="2")
        self.assertEqual((first["total_pages"], first["total_records"]), (2, 3))
        self.assertIn("page=2", first["_links"]["next"]["href"])
        second = self.get(f"{PETITION}/signatures", per_page="2", page="2")
        self.assertEqual(len(second["_embedded"]["osdi:signatures"]), 1)
        self.assertNotIn("next", second["_links"])
        past = self.get(f"{PETITION}/signatures", per_page="2", page="9")
        self.assertEqual(past["_embedded"]["osdi:signatures"], [])
        for bad in ("0", "-1", "x", "101", "\u0661"):
            with self.subTest(bad):
                error = self.get(f"{PETITION}/signatures", 400, per_page=bad)
                self.assertIn("per_page", error["errors"])

    def test_organizations_are_the_listed_organization_signatories(self) -> None:
        signed(self.statement, ORG)
        signed(
            self.statement, {**ORG, "email": "a@b.example", "name": "Waiting Org"}, approve=False
        )
        signed(self.statement, PERSON)
        data = self.get(f"{OSDI}/organizations")
        self.assertEqual(data["total_records"], 1)
        org = data["_embedded"]["osdi:organizations"][0]
        self.assertEqual(org["name"], "East Bay Peace Circle")
        self.assertEqual(org["postal_addresses"][0]["locality"], "Oakland")
        self.assertTrue(org["_links"]["osdi:petition"]["href"].endswith(PETITION))
        self.assertNotIn("Grace", json.dumps(data))
        self.assertEqual(
            self.get(f"{OSDI}/organizations", petition="end-the-war")["total_records"], 1
        )

    def test_public_reads_are_cacheable_and_token_reads_are_not(self) -> None:
        public = self.client.get(f"{PETITION}/signatures")
        self.assertIn("public", public["Cache-Control"])
        self.assertIn("OSDI-API-Token", public["Vary"])
        private = self.client.get(f"{PETITION}/signatures", headers={"osdi-api-token": self.key})
        self.assertEqual(private.status_code, 200)
        self.assertIn("no-store", private["Cache-Control"])
        self.assertIn("private", private["Cache-Control"])
        self.assertFalse(private.has_header("ETag"))


class TokenReadTests(OsdiTestCase):
    def test_an_organizers_token_reads_counted_sign_ons_with_their_contacts(self) -> None:
        org = signed(self.statement, {**ORG, "wants_updates": True})
        person = signed(self.statement, {**PERSON, "display": "hidden"})
        signed(self.statement, {**ORG, "email": "w@b.example", "name": "Waiting"}, approve=False)
        signature_create(statement=self.statement, data={**PERSON, "email": "p@example.org"})  # type: ignore[typeddict-item]
        data = self.get(f"{PETITION}/signatures", key=self.key)
        self.assertEqual(data["total_records"], 2)
        first, second = data["_embedded"]["osdi:signatures"]
        self.assertEqual(first["identifiers"], [f"undersigned:signature-{org.pk}"])
        self.assertEqual(first["organization"]["name"], "East Bay Peace Circle")
        self.assertEqual(first["person"]["name"], "Grace Lim")
        self.assertEqual(
            first["person"]["email_addresses"],
            [{"address": ORG["email"], "primary": True, "status": "subscribed"}],
        )
        self.assertEqual(first["person"]["phone_numbers"][0]["number"], "510-555-0134")
        self.assertEqual(first["status"], "approved")
        self.assertEqual(second["identifiers"], [f"undersigned:signature-{person.pk}"])
        self.assertEqual(second["person"]["email_addresses"][0]["address"], PERSON["email"])
        self.assertEqual(second["person"]["email_addresses"][0]["status"], "unsubscribed")
        self.assertEqual(second["display"], "hidden")
        self.assertNotIn("ip_hash", json.dumps(data))

    def test_a_bad_or_revoked_token_is_refused(self) -> None:
        self.assertIn("error", self.get(f"{PETITION}/signatures", 401, key="usk_nope"))
        api_token_revoke(token=self.token, actor=self.owner)
        self.get(f"{PETITION}/signatures", 401, key=self.key)
        response = self.client.get(PETITION, headers={"authorization": "Basic eDp5"})
        self.assertEqual(response.status_code, 401)
        self.assertIn("Token", response["WWW-Authenticate"])

    def test_a_token_reads_only_its_own_statement(self) -> None:
        other = statement_create(slug="other-one", content={"en": {"title": "Other"}})
        statement_open(statement=other, public=True)
        self.get(f"{OSDI}/petitions/other-one/signatures", 403, key=self.key)

    def test_a_token_stops_working_when_its_owner_loses_the_role(self) -> None:
        editor = get_user_model().objects.create_user(
            "ed@coalition.example", "ed@coalition.example"
        )
        role = StatementRole.objects.create(statement=self.statement, user=editor, role=Role.EDITOR)
        _token, key = api_token_create(statement=self.statement, user=editor)
        self.get(f"{PETITION}/signatures", key=key)
        role.role = Role.MODERATOR
        role.save()
        self.get(f"{PETITION}/signatures", 401, key=key)


class RecordSignatureTests(OsdiTestCase):
    def test_it_records_a_pending_sign_on_and_queues_its_confirmation_email(self) -> None:
        response = self.record(OSDI_PERSON)
        self.assertEqual(response.status_code, 202, response.content)
        self.assertEqual(response["Content-Type"], HAL)
        self.assertIn("no-store", response["Cache-Control"])
        signature = Signature.objects.get()
        self.assertEqual(response.json()["status"], "pending_confirmation")
        self.assertEqual(response.json()["identifiers"], [f"undersigned:signature-{signature.pk}"])
        self.assertEqual(signature.status, Status.PENDING)
        self.assertEqual(signature.source, Source.API)
        self.assertEqual(signature.email_owed, EmailOwed.CONFIRM)
        self.assertEqual(
            (signature.name, signature.affiliation, signature.city, signature.country),
            ("Mina Lee", "Peace College", "Oakland", "US"),
        )
        self.assertEqual(signature.referral, "partner-site")
        self.assertTrue(signature.wants_updates)
        self.assertFalse(signature.counted)
        # The email is queued on commit, which a TestCase never reaches: the job waits.
        waiting = [c for _s, c, _r in connection.run_on_commit if c.args == ([signature.pk],)]
        self.assertEqual(len(waiting), 1)
        self.run_worker()
        [message] = self.mail_to("mina.lee@example.org")
        self.assertIn("/confirm/", self.link(message, "confirm"))
        self.client.post(self.link(message, "confirm"))
        signature.refresh_from_db()
        self.assertEqual(signature.status, Status.CONFIRMED)

    def test_a_tool_syncing_many_sign_ons_is_not_taken_for_a_flood(self) -> None:
        with override_settings(RATE_LIMITS=True):
            for n in range(8):
                body = {"person": {"name": f"P{n}", "email_addresses": [{"address": f"{n}@x.org"}]}}
                self.assertEqual(self.record(body).status_code, 202)
        held = Signature.objects.exclude(hold_reason="")
        self.assertFalse(held.exists())
        self.assertEqual(set(Signature.objects.values_list("ip_hash", flat=True)), {""})

    def test_the_osdi_api_token_header_works_too(self) -> None:
        response = self.client.post(
            HELPER,
            json.dumps(OSDI_PERSON),
            content_type="application/json",
            headers={"osdi-api-token": self.key},
        )
        self.assertEqual(response.status_code, 202)

    def test_a_korean_name_is_family_name_first(self) -> None:
        body = {
            "person": {
                "given_name": "지영",
                "family_name": "박",
                "email_addresses": [{"address": "jy@example.org"}],
            },
            "language": "ko",
        }
        self.assertEqual(self.record(body).status_code, 202)
        signature = Signature.objects.get()
        self.assertEqual((signature.name, signature.language), ("박지영", "ko"))
        self.assertFalse(signature.wants_updates)

    def test_it_records_an_organization_with_its_contact(self) -> None:
        body = {
            "person": {
                "given_name": "Grace",
                "family_name": "Lim",
                "title": "Director",
                "email_addresses": [{"address": "grace@eastbay.example"}],
                "phone_numbers": [{"number": "510-555-0134"}],
            },
            "organization": {
                "name": "East Bay Peace Circle",
                "category": "local",
                "website": "eastbay.example",
                "postal_addresses": [{"locality": "Oakland", "country": "US"}],
            },
        }
        self.assertEqual(self.record(body).status_code, 202)
        signature = Signature.objects.get()
        self.assertEqual(signature.kind, "organization")
        self.assertEqual(
            (signature.name, signature.contact_name, signature.contact_title, signature.phone),
            ("East Bay Peace Circle", "Grace Lim", "Director", "510-555-0134"),
        )
        self.assertEqual(signature.website, "https://eastbay.example")

    def test_a_repeat_is_answered_the_same(self) -> None:
        self.assertEqual(self.record(OSDI_PERSON).status_code, 202)
        self.assertEqual(self.record(OSDI_PERSON).status_code, 202)
        self.assertEqual(Signature.objects.count(), 1)

    def test_bad_input_is_answered_with_field_errors(self) -> None:
        cases: list[tuple[Any, int, str]] = [
            (
                {"person": {"email_addresses": [{"address": "nope"}]}},
                400,
                "person.email_addresses.0.address",
            ),
            (
                {"person": {"given_name": "=cmd", "email_addresses": [{"address": "a@b.example"}]}},
                400,
                "person.given_name",
            ),
            ({"person": "Mina"}, 400, "person"),
            ({"person": {"email_addresses": "a@b.example"}}, 400, "person.email_addresses"),
            ({"person": {"given_name": 5}}, 400, "person.given_name"),
            ({"person": {"email_addresses": [5]}}, 400, "person.email_addresses.0"),
            ({**OSDI_PERSON, "organization": {"name": "Org"}}, 400, "organization.category"),
            ({**OSDI_PERSON, "language": "xx"}, 400, "language"),
            ([], 400, ""),
        ]
        for body, status, field in cases:
            with self.subTest(body=body):
                response = self.record(body)
                self.assertEqual(response.status_code, status, response.content)
                data = response.json()
                self.assertIn("error", data)
                if field:
                    self.assertIn(field, data["errors"])
        self.assertEqual(Signature.objects.count(), 0)

    def test_it_needs_a_token_for_this_statement(self) -> None:
        self.assertEqual(self.record(OSDI_PERSON, key="").status_code, 401)
        self.assertEqual(self.record(OSDI_PERSON, key="usk_wrong").status_code, 401)
        StatementRole.objects.create(statement=self.quiet, user=self.owner, role=Role.OWNER)
        _token, key = api_token_create(statement=self.quiet, user=self.owner)
        self.assertEqual(self.record(OSDI_PERSON, key=key).status_code, 403)
        self.assertEqual(
            self.record(
                OSDI_PERSON, key=key, url=f"{OSDI}/petitions/quiet-one/record_signature_helper"
            ).status_code,
            202,
        )
        self.assertEqual(Signature.objects.get().statement, self.quiet)

    def test_it_wants_json(self) -> None:
        response = self.client.post(
            HELPER,
            "person=x",
            content_type="application/x-www-form-urlencoded",
            headers={"authorization": f"Token {self.key}"},
        )
        self.assertEqual(response.status_code, 415)
        response = self.client.post(
            HELPER,
            "{nope",
            content_type="application/json",
            headers={"authorization": f"Token {self.key}"},
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.client.get(HELPER).status_code, 405)

    def test_a_closed_statement_takes_no_sign_on(self) -> None:
        self.statement.status = "closed"
        self.statement.save(update_fields=["status"])
        caches["local"].clear()
        response = self.record(OSDI_PERSON)
        self.assertEqual(response.status_code, 409)
        self.assertIn("not open", response.json()["error"])
