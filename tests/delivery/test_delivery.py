"""Freeze, dossier, delivery: the PDF carries the statement in each language and the grouped
list with Hangul intact; the delivery shows on the statement page; later sign-ons make an
addendum."""

from __future__ import annotations

import datetime
from unittest import mock

from django.core.exceptions import ValidationError
from django.utils import translation

from tests.base import ORG, PERSON, BaseTestCase
from tests.delivery.common import pdf_text, signed
from undersigned.delivery.dossier import DossierSource, dossier_files, dossier_pdf
from undersigned.delivery.models import DeliveryFile, Method, SnapshotEntry
from undersigned.delivery.selectors import snapshot_entries
from undersigned.delivery.services import delivery_record, snapshot_freeze
from undersigned.signatures.services import signature_withdraw
from undersigned.statements.models import StatementStatus

FORUM = {
    **ORG,
    "name": "뉴저지 한인 평화 포럼",
    "name_alt": "",
    "category": "national",
    "email": "info@kaforum-nj.example",
    "website": "",
}
HIDDEN = {**PERSON, "name": "Hidden Person", "email": "hidden@example.org", "display": "hidden"}
LATE = {**PERSON, "name": "Late Signer", "name_alt": "", "email": "late@example.org"}
DELIVERED_ON = datetime.date(2018, 12, 10)


class DeliveryTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.org = signed(self.statement, ORG)
        self.forum = signed(self.statement, FORUM)
        self.person = signed(self.statement, PERSON)
        signed(self.statement, HIDDEN)

    def deliver(self, **options: object) -> object:
        snapshot = snapshot_freeze(statement=self.statement, actor=self.owner)
        return delivery_record(
            snapshot=snapshot,
            delivered_on=DELIVERED_ON,
            method=Method.IN_PERSON,
            targets=self.statement.targets.all(),
            notes="Handed to the duty officer at the gate.",
            actor=self.owner,
            **options,  # type: ignore[arg-type]
        )

    def record_on_page(self, prefix: str) -> str:
        """The delivery section of the statement page (the page is long)."""
        response = self.client.get(f"{prefix}/s/{self.statement.slug}/")
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        start = html.find('<section class="delivery"')
        return html[start : html.find("</section>", start)] if start >= 0 else ""

    def test_the_pdf_has_the_korean_title_and_hangul_names(self) -> None:
        # An emoji no font has would break the PDF's whole text layer: it is left out.
        signed(self.statement, {**LATE, "name": "Kim Soon-ja 👵", "email": "kim@example.org"})
        snapshot = snapshot_freeze(statement=self.statement)
        for language in ("en", "ko"):
            with self.subTest(language=language):
                pdf = dossier_pdf(DossierSource.of_snapshot(snapshot), language=language)
                self.assertTrue(pdf.startswith(b"%PDF"))
                text = pdf_text(pdf)
                self.assertIn("한국전쟁을 끝내라", text)  # the Korean title
                self.assertIn("End the Korean War", text)
                self.assertIn("뉴저지 한인 평화 포럼", text)  # a Hangul organization name
                self.assertIn("이스트베이 평화모임", text)
                self.assertIn("종전을 선언하라.", text)  # the demands, in Korean too
                self.assertIn("Declare an end to the war.", text)
                self.assertNotIn("Hidden Person", text)
                self.assertIn("Kim Soon-ja", text)
                self.assertNotIn(ORG["email"], text)
        korean = pdf_text(dossier_pdf(DossierSource.of_snapshot(snapshot), language="ko"))
        self.assertIn("2개 단체", korean)  # the counts, in Korean

    def test_a_long_list_leaves_the_individuals_to_the_spreadsheet(self) -> None:
        snapshot = snapshot_freeze(statement=self.statement)
        with (
            mock.patch("undersigned.delivery.dossier.PDF_LIST_LIMIT", 2),
            translation.override("en"),
        ):
            text = pdf_text(dossier_pdf(DossierSource.of_snapshot(snapshot)))
        self.assertIn("East Bay Peace Circle", text)
        self.assertNotIn("Jiyoung Park", text)
        self.assertIn("1 further signatory is listed in the spreadsheet", text)
        self.assertIn("1 more signed and asked not to be named.", text)
        self.assertIn("2 organizations · 2 individuals", text)

    def test_a_snapshot_is_frozen(self) -> None:
        snapshot = snapshot_freeze(statement=self.statement)
        self.assertEqual(
            (snapshot.number, snapshot.organizations, snapshot.individuals, snapshot.listed),
            (1, 2, 2, 3),
        )
        self.assertEqual(snapshot.version, self.statement.current_version)
        # The hidden signer is counted, not named.
        hidden = SnapshotEntry.objects.get(snapshot=snapshot, listed=False)
        self.assertEqual((hidden.name, hidden.affiliation, hidden.city), ("", "", ""))
        signature_withdraw(signature_id=self.person.pk, nonce=self.person.nonce)
        names = [e["name"] for e in snapshot_entries(snapshot, language="en")]
        self.assertIn("Jiyoung Park", names)  # withdrawn since, but it was delivered so
        self.assertEqual(snapshot_freeze(statement=self.statement).number, 2)

    def test_a_delivery_is_recorded_with_its_files_and_shown_on_the_page(self) -> None:
        snapshot = snapshot_freeze(statement=self.statement, actor=self.owner)
        files = dossier_files(DossierSource.of_snapshot(snapshot))
        self.assertEqual(
            [name for name, _content in files],
            [f"end-the-war-1-dossier.{fmt}" for fmt in ("pdf", "csv", "xlsx", "json")],
        )
        delivery = delivery_record(
            snapshot=snapshot,
            delivered_on=DELIVERED_ON,
            method=Method.IN_PERSON,
            targets=self.statement.targets.all(),
            files=files,
            actor=self.owner,
        )
        stored = DeliveryFile.objects.filter(delivery=delivery).order_by("id")
        self.assertEqual(stored.count(), 4)
        self.assertTrue(bytes(stored[0].content).startswith(b"%PDF"))
        self.assertEqual(stored[0].content_type, "application/pdf")
        self.assertEqual(len(stored[0].sha256), 64)

        page = self.record_on_page("")
        self.assertIn("Delivered on Dec. 10, 2018 to President of the United States.", page)
        self.assertNotIn("duty officer", page)
        korean = self.record_on_page("/ko")
        self.assertIn("2018년 12월 10일", korean)
        self.assertIn("President of the United States", korean)
        # Signing goes on: later sign-ons make an addendum.
        self.assertTrue(self.statement.is_open_for_signing())

    def test_late_sign_ons_make_an_addendum(self) -> None:
        with self.assertRaises(ValidationError):
            snapshot_freeze(statement=self.statement, addendum=True)
        self.deliver()
        late = signed(self.statement, LATE)
        addendum = snapshot_freeze(statement=self.statement, addendum=True)
        self.assertTrue(addendum.is_addendum)
        self.assertEqual((addendum.organizations, addendum.individuals), (0, 1))
        self.assertEqual(
            [e["name"] for e in snapshot_entries(addendum, language="en")], [late.name]
        )
        text = pdf_text(dossier_pdf(DossierSource.of_snapshot(addendum)))
        self.assertIn("Addendum", text)
        self.assertIn("Late Signer", text)
        self.assertNotIn("Jiyoung Park", text)
        delivery_record(
            snapshot=addendum,
            delivered_on=DELIVERED_ON + datetime.timedelta(days=30),
            method=Method.EMAIL,
            recipients="The Special Representative's office",
        )
        self.assertIn(
            "Further signatories delivered on Jan. 9, 2019 to "
            "The Special Representative&#x27;s office.",
            self.record_on_page(""),
        )
        # Nothing new since: the next addendum is empty.
        self.assertEqual(snapshot_freeze(statement=self.statement, addendum=True).total, 0)

    def test_closing_on_delivery_stops_signing(self) -> None:
        self.deliver(close=True)
        self.statement.refresh_from_db()
        self.assertEqual(self.statement.status, StatementStatus.DELIVERED)
        self.assertFalse(self.statement.is_open_for_signing())
        self.assertIn("Delivered on", self.record_on_page(""))

    @translation.override("en")
    def test_a_delivery_needs_a_recipient_and_a_past_date(self) -> None:
        snapshot = snapshot_freeze(statement=self.statement)
        with self.assertRaisesMessage(ValidationError, "to whom"):
            delivery_record(snapshot=snapshot, delivered_on=DELIVERED_ON, method=Method.POST)
        with self.assertRaisesMessage(ValidationError, "once it has happened"):
            delivery_record(
                snapshot=snapshot,
                delivered_on=datetime.date.today() + datetime.timedelta(days=7),
                method=Method.POST,
                recipients="Someone",
            )
        with self.assertRaises(ValidationError):
            delivery_record(
                snapshot=snapshot, delivered_on=DELIVERED_ON, method="pigeon", recipients="X"
            )
