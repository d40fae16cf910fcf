"""The console's delivery screens: freeze (with its confirm step), the dossier downloads (the
PDF built by a queued job), recording a delivery, updates to signers sent by the worker, and
the public and private exports."""

from __future__ import annotations

import csv
import datetime
import io
import json

from django.core.cache import caches
from openpyxl import load_workbook

from tests.console.base import ConsoleTestCase, org, person
from tests.delivery.common import pdf_text
from undersigned.audit.models import AuditEntry
from undersigned.delivery.models import Delivery, Snapshot, Update, UpdateEmail
from undersigned.delivery.services import snapshot_freeze
from undersigned.statements.models import StatementStatus


class DeliveryScreenTestCase(ConsoleTestCase):
    def setUp(self) -> None:
        super().setUp()
        caches["default"].clear()
        self.signon(org(1, name="평화 연대"), approve=True)
        self.signon(org(2), approve=True)
        self.signon(person(3, wants_updates=True))
        self.signon(person(4, display="hidden"))
        self.signon(person(5), confirm=False)  # pending: not counted, not frozen


class FreezeTests(DeliveryScreenTestCase):
    def test_the_confirm_step_shows_what_will_be_frozen_then_freezes_it(self) -> None:
        self.client.force_login(self.editor)
        page = self.client.get(self.url("freeze"))
        self.assertEqual(page.status_code, 200)
        self.assertEqual(page.context["preview"].version, 1)
        self.assertEqual(page.context["preview"].organizations, 2)
        self.assertEqual(page.context["preview"].individuals, 2)
        self.assertEqual(page.context["preview"].listed, 3)
        self.assertContains(page, "Freeze 4 sign-ons")
        self.assertFalse(Snapshot.objects.exists())

        response = self.client.post(self.url("freeze"), {"confirm": "1"})
        self.assertRedirects(response, self.url("delivery"))
        snapshot = Snapshot.objects.get()
        self.assertEqual((snapshot.organizations, snapshot.individuals), (2, 2))
        self.assertEqual(snapshot.taken_by, self.editor)
        entry = AuditEntry.objects.get(action="snapshot.frozen")
        self.assertEqual(entry.actor, self.editor)
        page = self.client.get(self.url("delivery"))
        self.assertContains(page, "Prepare the PDF")
        self.assertContains(page, self.url("snapshot_download", number=1, fmt="xlsx"))

    def test_an_addendum_holds_only_the_sign_ons_since_the_delivery(self) -> None:
        snapshot = snapshot_freeze(statement=self.statement)
        Delivery.objects.create(
            statement=self.statement,
            snapshot=snapshot,
            delivered_on=datetime.date(2026, 1, 5),
            method="email",
            recipients="x",
        )
        self.signon(person(6))
        self.client.force_login(self.owner)
        page = self.client.get(self.url("freeze"), {"addendum": "on"})
        self.assertEqual(page.context["preview"].total, 1)
        self.client.post(self.url("freeze"), {"confirm": "1", "addendum": "on"})
        addendum = Snapshot.objects.get(number=2)
        self.assertTrue(addendum.is_addendum)
        self.assertEqual(addendum.total, 1)

    def test_a_moderator_may_look_but_not_freeze_or_deliver(self) -> None:
        snapshot_freeze(statement=self.statement)
        self.client.force_login(self.moderator)
        self.assertEqual(self.client.get(self.url("delivery")).status_code, 200)
        self.assertEqual(self.client.get(self.url("freeze")).status_code, 403)
        self.assertEqual(self.client.post(self.url("freeze"), {"confirm": "1"}).status_code, 403)
        self.assertEqual(self.client.get(self.url("delivery_new")).status_code, 403)
        response = self.client.post(
            self.url("delivery_new"),
            {"snapshot": 1, "delivered_on": "2026-01-05", "method": "email", "recipients": "x"},
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(Snapshot.objects.count(), 1)
        self.assertFalse(Delivery.objects.exists())
        page = self.client.get(self.url("delivery"))
        self.assertNotContains(page, self.url("freeze"))


class DossierTests(DeliveryScreenTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.snapshot = snapshot_freeze(statement=self.statement)
        self.run_worker()  # the confirmation emails of the sign-ons

    def download(self, fmt: str) -> bytes:
        response = self.client.get(self.url("snapshot_download", number=1, fmt=fmt))
        self.assertEqual(response.status_code, 200, fmt)
        self.assertIn("attachment", response["Content-Disposition"])
        if response.streaming:
            return b"".join(response.streaming_content)  # type: ignore[arg-type]
        return response.content

    def test_the_spreadsheets_download_with_the_frozen_list_and_no_contacts(self) -> None:
        self.client.force_login(self.moderator)
        self.signon(org(7, name="Too Late Group"))  # after the freeze
        text = self.download("csv").decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        self.assertEqual({r["name"] for r in rows}, {"평화 연대", "Peace Group 2", "Person 3"})
        self.assertNotIn("@", text)
        data = json.loads(self.download("json"))
        self.assertEqual(data["meta"]["counts"]["total"], 4)
        self.assertEqual(len(data["signatories"]), 3)
        sheet = load_workbook(io.BytesIO(self.download("xlsx"))).active
        assert sheet is not None
        self.assertEqual(sheet.max_row, 4)  # header and three listed signatories

    def test_the_pdf_is_built_by_a_queued_job_and_then_downloadable(self) -> None:
        self.client.force_login(self.editor)
        pdf_url = self.url("snapshot_download", number=1, fmt="pdf")
        self.assertEqual(self.client.get(pdf_url).status_code, 404)
        response = self.client.post(self.url("snapshot_pdf", number=1), follow=True)
        self.assertContains(response, "PDF: waiting in the queue")
        self.assertContains(response, '<meta http-equiv="refresh"')
        self.assertEqual(self.run_worker(), 1)
        page = self.client.get(self.url("delivery"))
        self.assertContains(page, pdf_url)
        self.assertNotContains(page, '<meta http-equiv="refresh"')
        pdf = self.download("pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        text = pdf_text(pdf)
        self.assertIn("평화 연대", text)
        # Asked again, it is not built again.
        self.client.post(self.url("snapshot_pdf", number=1))
        self.assertEqual(self.run_worker(), 0)


class RecordDeliveryTests(DeliveryScreenTestCase):
    def test_it_records_a_delivery_with_the_dossier_and_a_file(self) -> None:
        snapshot_freeze(statement=self.statement)
        target = self.statement.targets.get()
        self.client.force_login(self.editor)
        form = self.client.get(self.url("delivery_new"))
        self.assertContains(form, "President of the United States")
        receipt = io.BytesIO(b"Received with thanks")
        receipt.name = "receipt.txt"
        response = self.client.post(
            self.url("delivery_new"),
            {
                "snapshot": Snapshot.objects.get().pk,
                "delivered_on": "2026-01-05",
                "method": "in_person",
                "targets": [target.pk],
                "notes": "Handed to the chief of staff",
                "dossier": ["csv", "json"],
                "attachments": [receipt],
                "public": "on",
                "close": "on",
            },
        )
        self.assertRedirects(response, self.url("delivery"))
        delivery = Delivery.objects.get()
        self.assertEqual(list(delivery.targets.all()), [target])
        self.assertEqual(
            sorted(f.name for f in delivery.files.all()),
            ["end-the-war-1-dossier.csv", "end-the-war-1-dossier.json", "receipt.txt"],
        )
        self.statement.refresh_from_db()
        self.assertEqual(self.statement.status, StatementStatus.DELIVERED)
        self.assertTrue(AuditEntry.objects.filter(action="delivery.recorded").exists())
        page = self.client.get(self.url("delivery"))
        self.assertContains(page, "Handed to the chief of staff")
        receipt_file = delivery.files.get(name="receipt.txt")
        download = self.client.get(self.url("delivery_file", pk=receipt_file.pk))
        self.assertEqual(download.content, b"Received with thanks")
        public = self.client.get(f"/s/{self.statement.slug}/")
        self.assertContains(public, "President of the United States")
        self.assertNotContains(public, "chief of staff")

    def test_bad_input_keeps_the_form_and_says_why(self) -> None:
        snapshot_freeze(statement=self.statement)
        self.client.force_login(self.editor)
        response = self.client.post(
            self.url("delivery_new"),
            {
                "snapshot": Snapshot.objects.get().pk,
                "delivered_on": "2026-01-05",
                "method": "email",
                "notes": "kept",
                "dossier": ["pdf"],
            },
        )
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "Say to whom the statement was delivered.", status_code=400)
        self.assertContains(response, "kept", status_code=400)
        response = self.client.post(
            self.url("delivery_new"),
            {
                "snapshot": Snapshot.objects.get().pk,
                "delivered_on": "2026-01-05",
                "method": "email",
                "recipients": "The office",
                "dossier": ["pdf"],
            },
        )
        self.assertContains(response, "not prepared yet", status_code=400)
        self.assertFalse(Delivery.objects.exists())

    def test_a_snapshot_of_another_statement_cannot_be_delivered_here(self) -> None:
        foreign = snapshot_freeze(statement=self.other)
        self.client.force_login(self.editor)
        response = self.client.post(
            self.url("delivery_new"),
            {"snapshot": foreign.pk, "delivered_on": "2026-01-05", "method": "email"},
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Delivery.objects.exists())


class UpdateScreenTests(DeliveryScreenTestCase):
    def test_it_previews_then_posts_and_the_worker_emails_the_opted_in_signers(self) -> None:
        self.signon(person(8, wants_updates=True, email="minji@mail.example"))
        self.run_worker()  # the confirmation emails
        self.smtp.clear()
        self.client.force_login(self.editor)
        page = self.client.get(self.url("updates"))
        self.assertContains(page, "2 signers will receive an update by email.")
        data = {
            "en-title": "Delivered to the White House",
            "en-body": "We handed over the letter.",
            "ko-title": "백악관에 전달했습니다",
            "ko-body": "서한을 전달했습니다.",
            "notify": "on",
        }
        preview = self.client.post(self.url("updates"), {**data, "preview": "1"})
        self.assertContains(preview, "백악관에 전달했습니다")
        self.assertContains(preview, "Posting it emails 2 signers.")
        self.assertFalse(Update.objects.exists())
        self.assertFalse(self.smtp.messages)

        response = self.client.post(self.url("updates"), {**data, "post": "1"})
        self.assertRedirects(response, self.url("updates"))
        update = Update.objects.get()
        self.assertEqual(sorted(update.content), ["en", "ko"])
        self.assertFalse(self.smtp.messages)  # never sent in the request
        page = self.client.get(self.url("updates"))
        self.assertContains(page, "queued")
        self.assertContains(page, '<meta http-equiv="refresh"')

        self.run_worker()
        updates = [m for m in self.smtp.messages if "List-Unsubscribe" in m]
        self.assertEqual(
            sorted(str(m["To"]) for m in updates), ["minji@mail.example", "person3@mail.example"]
        )
        self.assertIn("Delivered to the White House", str(updates[0]["Subject"]))
        self.assertEqual(UpdateEmail.objects.filter(sent_at__isnull=False).count(), 2)
        page = self.client.get(self.url("updates"))
        self.assertContains(page, "sent to 2")
        self.assertTrue(AuditEntry.objects.filter(action="update.posted").exists())

    def test_half_a_language_is_refused_with_the_text_kept(self) -> None:
        self.client.force_login(self.owner)
        response = self.client.post(
            self.url("updates"), {"en-title": "Only a title", "preview": "1"}
        )
        self.assertContains(response, "both a title and a text", status_code=400)
        self.assertContains(response, "Only a title", status_code=400)
        response = self.client.post(self.url("updates"), {"post": "1"})
        self.assertContains(response, "at least one language", status_code=400)
        self.assertFalse(Update.objects.exists())

    def test_a_moderator_reads_the_updates_but_cannot_post(self) -> None:
        self.client.force_login(self.moderator)
        page = self.client.get(self.url("updates"))
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, 'name="post"')
        response = self.client.post(
            self.url("updates"), {"en-title": "T", "en-body": "B", "post": "1"}
        )
        self.assertEqual(response.status_code, 403)
        self.assertFalse(Update.objects.exists())


class ExportScreenTests(DeliveryScreenTestCase):
    def streamed(self, url: str) -> str:
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.streaming)
        return b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[arg-type]

    def test_the_public_export_is_the_public_list(self) -> None:
        self.client.force_login(self.moderator)
        text = self.streamed(self.url("export_public"))
        names = {row["name"] for row in csv.DictReader(io.StringIO(text))}
        self.assertEqual(names, {"평화 연대", "Peace Group 2", "Person 3"})
        self.assertNotIn("@", text)
        self.assertNotIn("Contact 1", text)

    def test_the_private_export_has_the_contacts_and_is_audited(self) -> None:
        self.client.force_login(self.editor)
        page = self.client.get(self.url("exports"))
        self.assertContains(page, self.url("export_private"))
        text = self.streamed(self.url("export_private"))
        rows = list(csv.DictReader(io.StringIO(text)))
        self.assertEqual(len(rows), 5)  # the pending one too
        self.assertIn("info@group1.example", text)
        self.assertIn("Contact 1", text)
        entry = AuditEntry.objects.get(action="signatures.exported")
        self.assertEqual((entry.actor, entry.data["private"]), (self.editor, True))

    def test_a_moderator_cannot_take_the_private_export(self) -> None:
        self.client.force_login(self.moderator)
        self.assertNotContains(self.client.get(self.url("exports")), self.url("export_private"))
        self.assertEqual(self.client.get(self.url("export_private")).status_code, 403)
        self.assertFalse(AuditEntry.objects.filter(action="signatures.exported").exists())
