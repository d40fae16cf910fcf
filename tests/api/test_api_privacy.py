"""Every public API endpoint, over a database seeded with known emails, phones and contacts
(signed through the form, the JSON API, OSDI and the embed): none of them in any answer.

The /api/v1 endpoints are read from the OpenAPI document, so a new endpoint is walked without
editing this test; the OSDI reads are found by following their HAL links from the entry point,
as a client without a token would."""

from __future__ import annotations

import json
import re
from collections import deque
from typing import Any
from urllib.parse import urlsplit

from django.core.cache import caches
from django.test import Client

from tests.base import BaseTestCase
from undersigned.api.services import api_token_create
from undersigned.signatures.embed import form_token
from undersigned.signatures.models import Signature
from undersigned.signatures.services import signature_approve
from undersigned.statements.models import Target
from undersigned.statements.services import statement_create, statement_open

SLUG = "end-the-war"
QUIET = "quiet-one"
TARGET_CONTACT = "desk.officer.private@gov.example"

# (how it signs, its fields, its address). Organizations' contacts and everyone's emails,
# phones and addresses are private.
SIGN_ONS: list[tuple[str, dict[str, Any], str]] = [
    (
        "form",
        {
            "kind": "organization",
            "name": "Harbor Peace Alliance",
            "category": "national",
            "country": "US",
            "contact_name": "Perpetua Okonkwo-Lindqvist",
            "contact_title": "Custodian of Maps",
            "email": "pol.secret@harbor-alliance.example",
            "phone": "+1 (206) 555-7391",
        },
        "198.51.100.21",
    ),
    (
        "api",
        {
            "kind": "organization",
            "name": "Lantern Faith Network",
            "category": "faith",
            "contact_name": "Ignatius Vellacott",
            "contact_title": "Bearer of Bells",
            "email": "iv.hidden@lantern-faith.example",
            "phone": "02-555-9753",
        },
        "198.51.100.22",
    ),
    (
        "osdi",
        {
            "kind": "organization",
            "name": "River Labor Council",
            "category": "labor",
            "contact_name": "Ximena Haldorsdottir",
            "contact_title": "Warden of Ledgers",
            "email": "xh.private@river-labor.example",
            "phone": "+82 10 5555 8642",
        },
        "2001:db8::23",
    ),
    (
        "embed",
        {
            "kind": "organization",
            "name": "Hill Students for Peace",
            "category": "academic",
            "contact_name": "Cornelius Abernathy-Moss",
            "contact_title": "Keeper of Minutes",
            "email": "cam.private@hill-students.example",
            "phone": "+1 (415) 555-2468",
        },
        "203.0.113.24",
    ),
    (
        "embed",
        {
            "kind": "individual",
            "name": "Framed Person",
            "email": "framed.person.private@inbox.example",
        },
        "203.0.113.25",
    ),
    (
        "osdi",
        {
            "kind": "individual",
            "name": "Synced Person",
            "email": "synced.person.private@inbox.example",
        },
        "203.0.113.26",
    ),
    (
        "api",
        {
            "kind": "individual",
            "name": "Hidden Person",
            "email": "hidden.person.private@inbox.example",
            "display": "hidden",
        },
        "203.0.113.27",
    ),
    (
        "form",
        {
            "kind": "individual",
            "name": "Pending Person",
            "email": "pending.person.private@inbox.example",
        },
        "203.0.113.28",
    ),
]
UNCONFIRMED = {"Pending Person"}
PARAM = re.compile(r"\{(\w+)\}")


class ApiPrivacyTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        Target.objects.create(
            statement=cls.statement, position=1, name="Minister", contact=TARGET_CONTACT
        )
        cls.token, cls.key = api_token_create(statement=cls.statement, user=cls.owner)
        quiet = statement_create(slug=QUIET, content={"en": {"title": "Quiet", "demands": ["A."]}})
        statement_open(statement=quiet)

    def setUp(self) -> None:
        super().setUp()
        for how, fields, ip in SIGN_ONS:
            with self.subTest(how=how, name=fields["name"]):
                response = getattr(self, f"sign_by_{how}")(fields, ip)
                self.assertIn(response.status_code, {202, 302}, response.content)
        self.run_worker()
        for _how, fields, _ip in SIGN_ONS:
            if fields["name"] not in UNCONFIRMED:
                self.client.post(self.link(self.mail_to(fields["email"])[0], "confirm"))
        ids = Signature.objects.filter(status="confirmed").values_list("pk", flat=True)
        signature_approve(signature_ids=list(ids), actor=self.moderator)
        caches["local"].clear()

    # The four ways in ---------------------------------------------------------------------
    def sign_by_form(self, fields: dict[str, Any], ip: str) -> Any:
        return self.sign(fields, REMOTE_ADDR=ip)

    def sign_by_api(self, fields: dict[str, Any], ip: str) -> Any:
        return self.client.post(
            f"/api/v1/statements/{SLUG}/signatures",
            json.dumps(fields),
            content_type="application/json",
            REMOTE_ADDR=ip,
        )

    def sign_by_osdi(self, fields: dict[str, Any], ip: str) -> Any:
        person = {
            "given_name": fields.get("contact_name") or fields["name"],
            "title": fields.get("contact_title"),
            "email_addresses": [{"address": fields["email"]}],
            "phone_numbers": [{"number": fields["phone"]}] if "phone" in fields else [],
        }
        body: dict[str, Any] = {"person": person}
        if fields["kind"] == "organization":
            body["organization"] = {"name": fields["name"], "category": fields["category"]}
        return self.client.post(
            f"/osdi/v1/petitions/{SLUG}/record_signature_helper",
            json.dumps(body),
            content_type="application/json",
            headers={"osdi-api-token": self.key},
            REMOTE_ADDR=ip,
        )

    def sign_by_embed(self, fields: dict[str, Any], ip: str) -> Any:
        data = {**self.form_data(fields), "token": form_token(self.statement)}
        return Client(enforce_csrf_checks=True).post(f"/embed/s/{SLUG}/sign/", data, REMOTE_ADDR=ip)

    # What must never show ------------------------------------------------------------------
    def secrets(self) -> set[str]:
        found = {TARGET_CONTACT, self.key}
        for _how, fields, ip in SIGN_ONS:
            found.add(ip)
            found.update(
                fields[f]
                for f in ("email", "contact_name", "contact_title", "phone")
                if f in fields
            )
        for row in Signature.objects.values(
            "email", "email_key", "ip_hash", "phone", "contact_name"
        ):
            found.update(v for v in row.values() if v)
        return found

    def assertNothingPrivate(self, url: str, response: Any, secrets: set[str]) -> None:
        headers = "\n".join(f"{k}: {v}" for k, v in response.items())
        body = response.content.decode()
        for secret in secrets:
            for text, where in ((body, "body"), (headers, "headers")):
                self.assertNotIn(secret, text, f"{secret!r} leaks in the {where} of {url}")
            self.assertNotIn(json.dumps(secret)[1:-1], body, f"{secret!r} leaks in {url}")

    # Where to look -----------------------------------------------------------------------
    def api_urls(self) -> list[str]:
        """Every GET of the OpenAPI document, for both statements, with each query parameter."""
        document = Client().get("/api/v1/openapi.json").json()
        samples = {"kind": ["organization", "individual"], "q": ["peace", "person", "@"]}
        samples |= {"page": ["1", "2"]}
        urls = []
        for template, operations in document["paths"].items():
            if "get" not in operations:
                continue
            slugs = [SLUG, QUIET] if "{slug}" in template else [""]
            for slug in slugs:
                url = PARAM.sub(lambda m: slug if m.group(1) == "slug" else m.group(0), template)  # noqa: B023
                self.assertNotIn("{", url, f"no sample for a parameter of {template}")
                urls.append(url)
                for parameter in operations["get"].get("parameters", []):
                    if parameter["in"] == "query":
                        for value in samples.get(parameter["name"], []):
                            urls.append(f"{url}?{parameter['name']}={value}")
        return urls

    def osdi_urls(self) -> list[str]:
        """Every URL a client without a token reaches by following links from the entry point."""
        seen: set[str] = set()
        # Small pages too, so that the walk follows `next` and `prev` links.
        queue = deque(
            [
                "/osdi/v1/",
                f"/osdi/v1/petitions/{QUIET}",
                f"/osdi/v1/petitions/{SLUG}/signatures?per_page=2",
                "/osdi/v1/organizations?per_page=1",
            ]
        )
        while queue and len(seen) < 200:
            url = queue.popleft()
            if url in seen:
                continue
            seen.add(url)
            response = Client().get(url)
            if response.status_code != 200 or not response["Content-Type"].startswith(
                "application/hal+json"
            ):
                continue
            for href in _hrefs(response.json()):
                parts = urlsplit(href)
                if parts.path.startswith("/osdi/v1/") and "record_signature_helper" not in href:
                    queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
        return sorted(seen)

    def embed_urls(self) -> list[str]:
        base = f"/embed/s/{SLUG}"
        return [
            f"{base}/sign/",
            f"{base}/sign/?kind=organization",
            f"{base}/sign/?lang=ko",
            f"{base}/thanks/",
            f"{base}/counter/",
            f"/embed/s/{QUIET}/counter/",
        ]

    # The walk ------------------------------------------------------------------------------
    def test_the_seeded_sign_ons_are_what_the_walk_needs(self) -> None:
        sources = set(Signature.objects.values_list("source", flat=True))
        self.assertEqual(sources, {"web", "api", "embed"})
        self.assertEqual(Signature.objects.filter(counted=True).count(), len(SIGN_ONS) - 1)
        listed = Client().get(f"/api/v1/statements/{SLUG}/signatories").json()
        names = {r["name"] for r in listed["results"]}
        self.assertEqual(
            names,
            {
                "Harbor Peace Alliance",
                "Lantern Faith Network",
                "River Labor Council",
                "Hill Students for Peace",
                "Framed Person",
                "Synced Person",
            },
        )
        # The token does read the private details: so the walk below would see them if the
        # public reads let them through.
        private = Client().get(
            f"/osdi/v1/petitions/{SLUG}/signatures", headers={"osdi-api-token": self.key}
        )
        self.assertIn("xh.private@river-labor.example", private.content.decode())

    def test_no_public_api_answer_shows_a_private_detail(self) -> None:
        secrets = self.secrets()
        self.assertGreater(len(secrets), 35)
        api, osdi, embed = self.api_urls(), self.osdi_urls(), self.embed_urls()
        self.assertGreaterEqual(len(api), 20)
        self.assertTrue(any("/organizations" in u for u in osdi))
        self.assertIn(f"/osdi/v1/petitions/{SLUG}/signatures?per_page=2&page=3", osdi)
        for url in [*api, *osdi, *embed]:
            for language in ("en", "ko"):
                with self.subTest(url, language=language):
                    caches["local"].clear()
                    response = Client(headers={"accept-language": language}).get(url)
                    self.assertIn(response.status_code, {200, 404}, url)
                    if QUIET not in url:
                        self.assertEqual(response.status_code, 200, url)
                    self.assertNothingPrivate(url, response, secrets)

    def test_searching_the_api_for_a_private_detail_finds_no_one(self) -> None:
        for _how, fields, ip in SIGN_ONS:
            for private in (fields["email"], fields.get("contact_name"), fields.get("phone"), ip):
                if private:
                    with self.subTest(private):
                        answer = Client().get(
                            f"/api/v1/statements/{SLUG}/signatories", {"q": private}
                        )
                        self.assertEqual(answer.json()["count"], 0)


def _hrefs(data: Any) -> list[str]:
    """Every `href` in a HAL document, embedded resources included."""
    if isinstance(data, dict):
        found = [data["href"]] if isinstance(data.get("href"), str) else []
        return found + [h for value in data.values() for h in _hrefs(value)]
    if isinstance(data, list):
        return [h for value in data for h in _hrefs(value)]
    return []
