"""The console's import screen, with the realistic Google Forms sample: upload, the guessed
columns (each one changeable), a dry run reporting every bad row with its line and reason,
the import, and the same file imported again adding no one."""

from __future__ import annotations

import io
from typing import Any

from django.core.cache import caches
from django.http import HttpResponse

from tests.console.base import ConsoleTestCase
from tests.delivery.common import SAMPLE_CSV
from undersigned.audit.models import AuditEntry
from undersigned.console.delivery_forms import IMPORT_MAX_BYTES
from undersigned.signatures.models import Signature, Source, Status

GUESSED = {
    0: "timestamp",
    1: "email",
    2: "kind",
    3: "organization",
    4: "person",
    5: "title",
    6: "city",
    7: "region",
    8: "phone",
    9: "website",
    10: "display",
}


def upload(content: bytes, name: str = "responses.csv") -> io.BytesIO:
    buffer = io.BytesIO(content)
    buffer.name = name
    return buffer


class ImportScreenTests(ConsoleTestCase):
    def setUp(self) -> None:
        super().setUp()
        caches["default"].clear()

    def upload(self, content: bytes | None = None) -> str:
        """Upload the file; returns the address of its column page."""
        raw = SAMPLE_CSV.read_bytes() if content is None else content
        response = self.client.post(self.url("import"), {"file": upload(raw)})
        self.assertEqual(response.status_code, 302, response.content[:2000])
        return str(response["Location"])

    def queued(self, url: str, data: dict[str, Any]) -> HttpResponse:
        """Send the form, see the queued run on the page, run the job, read the report."""
        response = self.client.post(url, data)
        self.assertRedirects(response, url, fetch_redirect_response=False)
        waiting = self.client.get(url)
        self.assertContains(waiting, "Waiting in the queue")
        self.assertContains(waiting, '<meta http-equiv="refresh"')
        self.run_worker()
        done = self.client.get(url)
        self.assertEqual(done.status_code, 200)
        self.assertNotContains(done, '<meta http-equiv="refresh"')
        return done

    def mapping(self, page: HttpResponse, **changes: str) -> dict[str, Any]:
        form = page.context["form"]
        data = {name: form[name].value() for name in form.fields if name.startswith("col-")}
        data.update(changes)
        return data

    def test_dry_run_then_import_then_the_same_file_again_adds_no_one(self) -> None:
        self.client.force_login(self.editor)
        url = self.upload()
        page = self.client.get(url)
        self.assertEqual(page.status_code, 200)
        form = page.context["form"]
        for index, field_name in GUESSED.items():
            self.assertEqual(form[f"col-{index}"].value(), field_name)
        self.assertContains(page, "Email Address")
        self.assertContains(page, "뉴저지 한인 평화 포럼")  # a sample value of the first rows

        dry = self.queued(url, {**self.mapping(page), "dry_run": "1"})
        report = dry.context["run"]
        self.assertEqual((report["added"], report["duplicates"], report["errors"]), (15, 3, 6))
        problems = {row["line"]: row["reason"] for row in report["problems"]}
        self.assertEqual(problems[4], "same email as line 2")
        self.assertEqual(problems[6], "Email: This field is required.")
        self.assertIn("is not a yes or no answer", problems[26])
        self.assertContains(dry, "Dry run: nothing stored yet")
        self.assertContains(dry, "Import 15 sign-ons")
        self.assertFalse(Signature.objects.exists())

        done = self.queued(url, {**self.mapping(page), "apply": "1"})
        self.assertEqual(done.context["run"]["added"], 15)
        self.assertContains(done, "Imported")
        stored = Signature.objects.filter(statement=self.statement)
        self.assertEqual(stored.count(), 15)
        self.assertEqual(set(stored.values_list("source", flat=True)), {Source.IMPORT})
        self.assertEqual(AuditEntry.objects.get(action="statement.imported").data["added"], 15)
        self.assertEqual(AuditEntry.objects.get(action="statement.imported").actor, self.editor)
        # The upload is gone once imported: sending the form again imports nothing.
        again = self.client.post(url, {**self.mapping(page), "apply": "1"})
        self.assertEqual(again.status_code, 200)
        self.assertEqual(self.run_worker(), 0)

        second = self.upload()
        page = self.client.get(second)
        self.queued(second, {**self.mapping(page), "dry_run": "1"})
        report = self.queued(second, {**self.mapping(page), "apply": "1"}).context["run"]
        self.assertFalse(report["dry_run"])
        self.assertEqual((report["added"], report["duplicates"]), (0, 18))
        self.assertEqual(stored.count(), 15)

    def test_a_column_can_be_read_as_another_field_or_ignored(self) -> None:
        self.client.force_login(self.owner)
        url = self.upload()
        page = self.client.get(url)
        # Leave the phone column out, and read the website column as nothing.
        changed = self.mapping(page, **{"col-8": "ignore", "col-9": "ignore"})
        dry = self.queued(url, {**changed, "dry_run": "1"})
        self.assertEqual(dry.context["form"]["col-8"].value(), "ignore")
        # An import of another mapping than the dry run checked is a dry run again.
        self.queued(url, {**self.mapping(page), "apply": "1"})
        self.assertFalse(Signature.objects.exists())
        self.queued(url, {**changed, "dry_run": "1"})
        response = self.queued(url, {**changed, "apply": "1"})
        self.assertEqual(response.context["run"]["added"], 15)
        self.assertFalse(Signature.objects.exclude(phone="").exists())
        self.assertFalse(Signature.objects.exclude(website="").exists())

    def test_a_mapping_that_cannot_work_is_refused_with_the_choices_kept(self) -> None:
        self.client.force_login(self.owner)
        url = self.upload()
        page = self.client.get(url)
        twice = self.client.post(url, {**self.mapping(page, **{"col-6": "email"}), "dry_run": "1"})
        self.assertContains(twice, "Another column is already read as", status_code=400)
        no_email = self.client.post(
            url, {**self.mapping(page, **{"col-1": "ignore"}), "dry_run": "1"}
        )
        self.assertContains(no_email, "holds the email address", status_code=400)
        self.assertEqual(no_email.context["form"]["col-1"].value(), "ignore")
        bogus = self.client.post(url, {**self.mapping(page, **{"col-2": "password"}), "apply": "1"})
        self.assertEqual(bogus.status_code, 400)
        self.assertFalse(Signature.objects.exists())

    def test_confirmation_emails_go_out_from_the_queue_when_asked(self) -> None:
        self.client.force_login(self.editor)
        url = self.upload()
        page = self.client.get(url)
        data = {**self.mapping(page), "send_confirmation": "on"}
        self.queued(url, {**data, "dry_run": "1"})
        self.assertFalse(Signature.objects.exists())
        self.client.post(url, {**data, "apply": "1"})
        self.assertFalse(Signature.objects.exists())  # nothing imported in the request
        self.run_worker()  # the import, which queues the confirmation emails
        self.run_worker()  # the emails (on Redis, queued once the import's work is done)
        self.assertEqual(self.client.get(url).context["run"]["added"], 15)
        self.assertEqual(set(Signature.objects.values_list("status", flat=True)), {Status.PENDING})
        self.assertEqual(len(self.smtp.messages), 15)
        first = Signature.objects.order_by("id").first()
        assert first is not None
        self.assertEqual(len(self.mail_to(first.email)), 1)

    def test_bad_files_are_refused_with_a_reason(self) -> None:
        self.client.force_login(self.editor)
        for content, reason in (
            (b"", "The submitted file is empty."),
            (b"\xff\xfe\x00\x01garbage\x80\x81", "neither UTF-8 nor Korean"),
            (b"a" * (IMPORT_MAX_BYTES + 1), "larger than 2 MB"),
        ):
            with self.subTest(reason):
                response = self.client.post(self.url("import"), {"file": upload(content)})
                self.assertContains(response, reason, status_code=400)
        response = self.client.post(self.url("import"), {})
        self.assertEqual(response.status_code, 400)

    def test_an_upload_belongs_to_its_statement(self) -> None:
        self.client.force_login(self.editor)
        url = self.upload()
        token = url.rstrip("/").rsplit("/", 1)[1]
        self.client.force_login(self.other_editor)
        foreign = self.url("import_file", self.other, token=token)
        self.assertRedirects(self.client.get(foreign), self.url("import", self.other))

    def test_a_moderator_cannot_import(self) -> None:
        self.client.force_login(self.moderator)
        self.assertEqual(self.client.get(self.url("import")).status_code, 403)
        response = self.client.post(self.url("import"), {"file": upload(SAMPLE_CSV.read_bytes())})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(
            self.client.post(self.url("import_file", token="x"), {"apply": "1"}).status_code, 403
        )
        self.assertFalse(Signature.objects.exists())
