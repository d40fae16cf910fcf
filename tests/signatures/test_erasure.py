"""A signer withdraws and has their data erased (the emailed link), or asks an organizer to
(the console, owners only). Counters follow; the audit trail names no address."""

from __future__ import annotations

from django.core.cache import caches

from tests.base import PERSON
from tests.console.base import ConsoleTestCase, org, person
from undersigned.audit.models import AuditEntry
from undersigned.signatures.models import Signature, Status
from undersigned.signatures.services import ERASED_FIELDS, statement_recount

PRIVATE_AND_PUBLIC = (
    "name",
    "affiliation",
    "city",
    "region",
    "country",
    "website",
    "email",
    "contact_name",
    "phone",
    "ip_hash",
)


class ErasureTests(ConsoleTestCase):
    def count(self) -> dict[str, int]:
        caches["local"].clear()
        return self.client.get(f"/api/v1/statements/{self.statement.slug}/count").json()

    def assertErased(self, signature: Signature) -> None:
        signature.refresh_from_db()
        self.assertEqual(signature.status, Status.WITHDRAWN)
        self.assertFalse(signature.counted or signature.listed)
        for name in PRIVATE_AND_PUBLIC:
            self.assertEqual(getattr(signature, name), "", name)
        self.assertEqual(signature.email_key, f"erased:{signature.pk}")
        self.assertFalse(signature.networks.exists())
        self.assertFalse(statement_recount(statement=self.statement).differences)
        self.assertNoEmailInAudit()

    def test_the_signer_withdraws_and_erases_through_the_emailed_link(self) -> None:
        self.sign({**PERSON, "phone": "010-1234-5678"})
        self.run_worker()
        message = self.mail_to(PERSON["email"])[0]
        self.client.post(self.link(message, "confirm"))
        self.assertEqual(self.count()["individuals"], 1)
        signature = self.signature(PERSON["email"])
        page = self.client.get(self.link(message, "withdraw"))
        self.assertContains(page, "Withdraw and erase my data")
        done = self.client.post(self.link(message, "withdraw"), {"erase": "1"})
        self.assertContains(done, "your data erased")
        self.assertContains(done, "email address")
        self.assertErased(signature)
        self.assertEqual(self.count()["individuals"], 0)
        self.assertNotIn(
            PERSON["name"],
            self.client.get(f"/s/{self.statement.slug}/signatories/").content.decode(),
        )
        self.assertTrue(AuditEntry.objects.filter(action="signature.erased").exists())
        # The address may sign again: the unique key no longer holds it.
        self.smtp.clear()
        self.sign(PERSON)
        self.assertEqual(
            Signature.objects.filter(statement=self.statement, email=PERSON["email"]).count(), 1
        )

    def test_withdrawing_alone_keeps_the_data(self) -> None:
        self.sign(PERSON)
        self.run_worker()
        message = self.mail_to(PERSON["email"])[0]
        done = self.client.post(self.link(message, "withdraw"), {"erase": "0"})
        self.assertNotContains(done, "your data erased")
        signature = self.signature(PERSON["email"])
        self.assertEqual(signature.status, Status.WITHDRAWN)
        self.assertEqual(signature.name, PERSON["name"])

    def test_an_owner_erases_an_organization_on_request(self) -> None:
        signature = self.signon(org(1, phone="02-123-4567"), approve=True, networks=[self.network])
        self.assertEqual(self.count()["organizations"], 1)
        self.client.force_login(self.owner)
        page = self.client.get(self.url("signature", pk=signature.pk))
        self.assertContains(page, "Erase the signer")
        # Without the box ticked nothing happens.
        self.client.post(self.url("erase", pk=signature.pk))
        signature.refresh_from_db()
        self.assertEqual(signature.status, Status.APPROVED)
        response = self.client.post(self.url("erase", pk=signature.pk), {"confirm": "1"})
        self.assertRedirects(response, self.url("signature", pk=signature.pk))
        self.assertErased(signature)
        self.assertEqual(self.count()["organizations"], 0)
        entry = AuditEntry.objects.get(action="signature.erased")
        self.assertEqual(entry.actor, self.owner)
        self.assertNotContains(
            self.client.get(self.url("signature", pk=signature.pk)), "Erase the signer"
        )

    def test_only_owners_may_erase(self) -> None:
        signature = self.signon(person(1))
        for user in (self.moderator, self.editor, self.other_editor, self.outsider):
            self.client.force_login(user)
            response = self.client.post(self.url("erase", pk=signature.pk), {"confirm": "1"})
            self.assertEqual(response.status_code, 403, user)
        signature.refresh_from_db()
        self.assertEqual(signature.email, "person1@mail.example")

    def test_every_erased_field_is_a_real_column(self) -> None:
        names = {f.name for f in Signature._meta.get_fields()}
        self.assertLessEqual(set(ERASED_FIELDS), names)
