"""What the public can see: no email, phone, contact person or IP on any public page or API
answer; statements collecting behind their link stay unlisted, unindexed and without a list."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.core.cache import caches
from django.db.models import Model
from django.test import Client
from django.utils import timezone

from tests.base import BaseTestCase
from undersigned.audit.models import AuditEntry
from undersigned.signatures.models import Signature, Status
from undersigned.signatures.services import signature_approve
from undersigned.statements.models import StatementStatus, Target
from undersigned.statements.services import statement_create, statement_open

SLUG = "end-the-war"

# Distinctive private details, one sign-on each: (how it signs, its fields, its address).
SIGN_ONS: list[tuple[str, dict[str, Any], str]] = [
    (
        "form",
        {
            "kind": "organization",
            "name": "Approved Peace Org",
            "category": "national",
            "country": "US",
            "contact_name": "Quintessa Marlowe-Ibarra",
            "contact_title": "Keeper of Zebras",
            "email": "qmi.secret@approved-org.example",
            "phone": "+1 (510) 555-7311",
        },
        "198.51.100.11",
    ),
    (
        "api",
        {
            "kind": "organization",
            "name": "Confirmed Peace Org",
            "category": "faith",
            "contact_name": "Bartholomew Xylander",
            "contact_title": "Warden of Lanterns",
            "email": "bx.hidden@confirmed-org.example",
            "phone": "02-555-8642",
        },
        "198.51.100.12",
    ),
    (
        "form",
        {
            "kind": "organization",
            "name": "Pending Peace Org",
            "category": "local",
            "contact_name": "Ottoline Vasquez-Brandt",
            "contact_title": "Steward of Kites",
            "email": "ovb.private@pending-org.example",
            "phone": "+82 10 5555 1234",
        },
        "2001:db8::13",
    ),
    (
        "form",
        {
            "kind": "individual",
            "name": "Approved Person",
            "affiliation": "Peace College",
            "email": "approved.person.private@inbox.example",
        },
        "203.0.113.14",
    ),
    (
        "api",
        {
            "kind": "individual",
            "name": "Confirmed Person",
            "name_alt": "확인된 사람",
            "email": "confirmed.person.private@inbox.example",
        },
        "203.0.113.15",
    ),
    (
        "api",
        {
            "kind": "individual",
            "name": "Pending Person",
            "email": "pending.person.private@inbox.example",
        },
        "203.0.113.16",
    ),
    (
        "form",
        {
            "kind": "individual",
            "name": "Hidden Person",
            "email": "hidden.person.private@inbox.example",
            "display": "hidden",
        },
        "203.0.113.17",
    ),
]
CONFIRMED = {"Approved Peace Org", "Confirmed Peace Org", "Approved Person", "Confirmed Person"}
CONFIRMED |= {"Hidden Person"}
APPROVED = {"Approved Peace Org", "Approved Person"}
TARGET_CONTACT = "minister.desk.private@gov.example"


class PrivacyTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        Target.objects.create(
            statement=cls.statement, position=1, name="Minister", contact=TARGET_CONTACT
        )

    def setUp(self) -> None:
        super().setUp()
        for how, fields, ip in SIGN_ONS:
            if how == "form":
                response = self.sign(fields, REMOTE_ADDR=ip)
                self.assertEqual(response.status_code, 302, response.content)
            else:
                response = self.client.post(
                    f"/api/v1/statements/{SLUG}/signatures",
                    json.dumps(fields),
                    content_type="application/json",
                    REMOTE_ADDR=ip,
                )
                self.assertEqual(response.status_code, 202, response.content)
        self.run_worker()
        for _how, fields, _ip in SIGN_ONS:
            if fields["name"] in CONFIRMED:
                self.client.post(self.link(self.mail_to(fields["email"])[0], "confirm"))
        approve = Signature.objects.filter(name__in=APPROVED).values_list("pk", flat=True)
        signature_approve(signature_ids=list(approve), actor=self.moderator)
        caches["local"].clear()

    def secrets(self) -> set[str]:
        """Everything private about the sign-ons, read back from the database."""
        found = {TARGET_CONTACT}
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

    def public_urls(self) -> list[str]:
        api = f"/api/v1/statements/{SLUG}"
        urls = [
            "/",
            "/ko/",
            f"/s/{SLUG}/",
            f"/ko/s/{SLUG}/",
            f"/s/{SLUG}/?ref=partner",
            f"/s/{SLUG}/thanks/",
            f"/ko/s/{SLUG}/thanks/",
            "/api/v1/statements",
            api,
            f"{api}/count",
            "/api/v1/openapi.json",
        ]
        for base in (f"/s/{SLUG}/signatories/", f"/ko/s/{SLUG}/signatories/", f"{api}/signatories"):
            urls += [
                base,
                f"{base}?kind=organization",
                f"{base}?kind=individual",
                f"{base}?q=peace",
                f"{base}?q=person&kind=individual",
                f"{base}?page=2",
            ]
        return urls

    def assertNothingPrivate(self, url: str, response: Any, secrets: set[str]) -> None:
        headers = "\n".join(f"{k}: {v}" for k, v in response.items())
        headers += "\n" + response.cookies.output()
        body = response.content.decode()
        for secret in secrets:
            self.assertNotIn(secret, body, f"{secret!r} leaks in the body of {url}")
            self.assertNotIn(secret, headers, f"{secret!r} leaks in the headers of {url}")
            # Also as JSON escapes it (a non-ASCII contact name, say).
            self.assertNotIn(json.dumps(secret)[1:-1], body, f"{secret!r} leaks in {url}")

    def test_the_seeded_sign_ons_are_what_the_crawl_needs(self) -> None:
        status = dict(Signature.objects.values_list("name", "status"))
        self.assertEqual(status["Approved Peace Org"], Status.APPROVED)
        self.assertEqual(status["Confirmed Peace Org"], Status.CONFIRMED)
        self.assertEqual(status["Pending Peace Org"], Status.PENDING)
        self.assertEqual(status["Approved Person"], Status.APPROVED)
        self.assertEqual(status["Confirmed Person"], Status.CONFIRMED)
        self.assertEqual(status["Pending Person"], Status.PENDING)
        listed = visit(f"/s/{SLUG}/signatories/").content.decode()
        for name in ("Approved Peace Org", "Approved Person", "Confirmed Person"):
            self.assertIn(name, listed)
        for name in ("Confirmed Peace Org", "Pending Peace Org", "Pending Person", "Hidden Person"):
            self.assertNotIn(name, listed)

    def test_it_stores_the_address_only_as_a_salted_hash(self) -> None:
        for _how, fields, ip in SIGN_ONS:
            signature = Signature.objects.get(email=fields["email"])
            self.assertEqual(len(signature.ip_hash), 32)
            row = self.row_text(signature)
            self.assertNotIn(ip, row)
        hashes = set(Signature.objects.values_list("ip_hash", flat=True))
        self.assertEqual(len(hashes), len(SIGN_ONS))
        for entry in AuditEntry.objects.all():
            text = json.dumps(entry.data) + str(entry)
            for _how, fields, ip in SIGN_ONS:
                self.assertNotIn(ip, text)
                self.assertNotIn(fields["email"], text)

    def row_text(self, obj: Model) -> str:
        return " ".join(str(getattr(obj, f.attname)) for f in obj._meta.concrete_fields)

    def test_no_public_page_or_api_answer_shows_a_private_detail(self) -> None:
        secrets = self.secrets()
        self.assertGreater(len(secrets), 30)
        for url in self.public_urls():
            # A new visitor, and one who reads Korean (sent on to the /ko/ pages).
            for language in ("", "ko"):
                client = Client(headers={"accept-language": language} if language else None)
                with self.subTest(url, language=language):
                    response = client.get(url, follow=True)
                    self.assertEqual(response.status_code, 200, url)
                    self.assertNothingPrivate(url, response, secrets)
                    for hop, _status in response.redirect_chain:
                        self.assertNotIn("@", hop)

    def test_searching_for_a_private_detail_finds_no_one(self) -> None:
        for _how, fields, ip in SIGN_ONS:
            for private in (fields["email"], fields.get("contact_name"), fields.get("phone"), ip):
                if not private:
                    continue
                with self.subTest(private):
                    page = visit(f"/s/{SLUG}/signatories/", {"q": private})
                    self.assertContains(page, "No one is listed yet.")
                    api = visit(f"/api/v1/statements/{SLUG}/signatories", {"q": private[:100]})
                    self.assertEqual(api.json()["count"], 0)

    def test_the_links_in_the_emails_show_nothing_private(self) -> None:
        secrets = self.secrets()
        for message in self.smtp.messages:
            for purpose in ("confirm", "withdraw"):
                url = self.link(message, purpose)
                with self.subTest(url):
                    response = visit(url)
                    self.assertEqual(response.status_code, 200)
                    self.assertNothingPrivate(url, response, secrets)


def visit(url: str, params: dict[str, str] | None = None) -> Any:
    """A page as a new visitor sees it (no language cookie from an earlier page)."""
    return Client().get(url, params)


class VisibilityTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        content = {"en": {"title": "Quietly Gathered", "summary": "Before the press."}}
        cls.collecting = statement_create(slug="quiet-one", content=content)
        statement_open(statement=cls.collecting)
        statement_create(slug="draft-one", content={"en": {"title": "Still a Draft"}})

    def test_a_released_statement_is_listed_indexed_and_has_a_public_list(self) -> None:
        index = visit("/").content.decode()
        self.assertIn(f'href="/s/{SLUG}/"', index)
        self.assertIn("End the Korean War", index)
        self.assertIn("한국전쟁을 끝내라", visit("/ko/").content.decode())
        page = visit(f"/s/{SLUG}/")
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, 'name="robots"')
        self.assertContains(page, f'href="/s/{SLUG}/signatories/"')
        self.assertEqual(visit(f"/s/{SLUG}/signatories/").status_code, 200)

    def test_a_collecting_statement_is_reachable_by_its_link_but_not_indexed(self) -> None:
        for url in ("/s/quiet-one/", "/ko/s/quiet-one/"):
            with self.subTest(url):
                page = visit(url)
                self.assertEqual(page.status_code, 200)
                self.assertContains(page, '<meta name="robots" content="noindex')
                self.assertContains(page, "Quietly Gathered")
                self.assertContains(page, 'name="ind-name"')
                self.assertNotContains(page, "/s/quiet-one/signatories/")
        self.assertContains(visit("/s/quiet-one/"), "not public yet")

    def test_a_collecting_statement_keeps_its_list_private(self) -> None:
        self.client.post("/s/quiet-one/sign/", self.form_data(self.person()))
        self.run_worker()
        self.client.post(self.link(self.mail_to("early@example.org")[0], "confirm"))
        for url in ("/s/quiet-one/signatories/", "/ko/s/quiet-one/signatories/"):
            with self.subTest(url):
                response = visit(url, {"q": "Early"})
                self.assertEqual(response.status_code, 403)
                self.assertNotContains(response, "Early Signer", status_code=403)
        self.assertContains(visit("/s/quiet-one/signatories/"), "not public yet", status_code=403)
        self.assertNotContains(visit("/s/quiet-one/"), "1 individual")

    def test_a_collecting_statement_is_not_listed_anywhere(self) -> None:
        self.assertNotContains(visit("/"), "Quietly Gathered")
        self.assertNotContains(visit("/ko/"), "quiet-one")
        slugs = [s["slug"] for s in visit("/api/v1/statements").json()]
        self.assertNotIn("quiet-one", slugs)
        self.assertIsNone(visit("/api/v1/statements/quiet-one").json()["counts"])

    def test_a_draft_is_not_found_anywhere(self) -> None:
        for url in (
            "/s/draft-one/",
            "/ko/s/draft-one/",
            "/s/draft-one/signatories/",
            "/s/draft-one/thanks/",
            "/api/v1/statements/draft-one",
        ):
            with self.subTest(url):
                self.assertEqual(visit(url).status_code, 404)
        self.assertNotContains(visit("/"), "Still a Draft")

    def test_releasing_makes_the_statement_and_its_list_public(self) -> None:
        self.client.post("/s/quiet-one/sign/", self.form_data(self.person()))
        self.run_worker()
        self.client.post(self.link(self.mail_to("early@example.org")[0], "confirm"))
        self.collecting.release_at = timezone.now() - timedelta(minutes=1)
        self.collecting.save(update_fields=["release_at"])
        caches["local"].clear()
        page = visit("/s/quiet-one/")
        self.assertNotContains(page, 'name="robots"')
        self.collecting.refresh_from_db()
        self.assertEqual(self.collecting.status, StatementStatus.RELEASED)
        self.assertContains(visit("/s/quiet-one/signatories/"), "Early Signer")
        self.assertContains(visit("/"), "Quietly Gathered")

    def person(self) -> dict[str, Any]:
        return {"kind": "individual", "name": "Early Signer", "email": "early@example.org"}
