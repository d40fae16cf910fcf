"""Importing a Google Forms sign-on sheet: good rows in, bad rows reported with their line and
reason, nothing twice, nothing at all on a dry run."""

from __future__ import annotations

import datetime
import io
from pathlib import Path
from tempfile import TemporaryDirectory

from django.core.management import CommandError, call_command
from django.utils import translation

from tests.base import BaseTestCase
from tests.delivery.common import SAMPLE_CSV, signed
from undersigned.audit.models import AuditEntry
from undersigned.signatures.imports import (
    ImportFileError,
    guess_mapping,
    resolve_mapping,
    signatures_import,
)
from undersigned.signatures.models import Display, Signature, Source, Status
from undersigned.signatures.selectors import statement_counts
from undersigned.signatures.services import signature_withdraw

ADDED = [2, 3, 5, 8, 9, 12, 13, 15, 16, 17, 18, 19, 20, 21, 24]
DUPLICATES = {4: "same email as line 2", 14: "same email as line 13", 22: "same email as line 21"}
ERRORS = {
    6: "Email: This field is required.",
    7: "Email: Enter a valid email address",
    11: "Name: This cannot start with =, +, - or @.",
    23: "Name: Ensure this value has at most 200 characters",
    25: "Name: This field is required.",
    26: "“maybe” is not a yes or no answer (List my name publicly? / 이름 공개 동의)",
}


class ImportTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        # Reasons come in the language active for the caller (a view's visitor); these
        # tests read them in English, whatever an earlier test left active.
        translation.activate("en")
        self.addCleanup(translation.deactivate)

    def run_import(self, **options: object) -> object:
        return signatures_import(
            statement=self.statement, file=SAMPLE_CSV, stream=io.StringIO(), **options
        )

    def outcomes(self, report: object) -> dict[int, tuple[str, str]]:
        return {row.line: (row.outcome, row.reason) for row in report.rows}  # type: ignore[attr-defined]

    def test_it_guesses_the_columns_from_english_and_korean_headers(self) -> None:
        headers = SAMPLE_CSV.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
        self.assertEqual(
            list(guess_mapping(headers).values()),
            [
                "timestamp",
                "email",
                "kind",
                "organization",
                "person",
                "title",
                "city",
                "region",
                "phone",
                "website",
                "display",
            ],
        )
        korean = ["타임스탬프", "이메일 주소", "서명 유형", "단체명", "성명", "직함 또는 소속"]
        korean += ["도시", "주", "전화번호", "웹사이트", "이름 공개 동의", "소식 받기"]
        self.assertEqual(
            list(guess_mapping(korean).values()),
            [
                "timestamp",
                "email",
                "kind",
                "organization",
                "person",
                "title",
                "city",
                "region",
                "phone",
                "website",
                "display",
                "updates",
            ],
        )

    def test_it_imports_every_good_row_and_reports_every_bad_row_with_its_line(self) -> None:
        report = self.run_import()
        outcomes = self.outcomes(report)
        self.assertEqual(sorted(line for line, (o, _r) in outcomes.items() if o == "added"), ADDED)
        for line, reason in DUPLICATES.items():
            self.assertEqual(outcomes[line], ("duplicate", reason))
        for line, reason in ERRORS.items():
            outcome, given = outcomes[line]
            self.assertEqual(outcome, "error", line)
            self.assertIn(reason, given, line)
        self.assertEqual(outcomes[10][0], "empty")
        self.assertEqual(len(outcomes), 25)  # every data line of the file has its outcome

        stored = Signature.objects.filter(statement=self.statement)
        self.assertEqual(stored.count(), len(ADDED))
        self.assertEqual(set(stored.values_list("source", flat=True)), {Source.IMPORT})
        self.assertEqual(set(stored.values_list("status", flat=True)), {Status.CONFIRMED})
        self.assertFalse(stored.filter(name__startswith="=").exists())

        # Normalised as the sign-on form does, plus what only a sheet needs.
        forum = stored.get(email="info@kaforum-nj.example")
        self.assertEqual(
            (forum.kind, forum.name, forum.name_alt, forum.contact_name, forum.contact_title),
            (
                "organization",
                "뉴저지 한인 평화 포럼",
                "Korean American Peace Forum of NJ",
                "김정호",
                "회장",
            ),
        )
        self.assertEqual(
            (forum.website, forum.region, forum.language),
            ("https://kaforum-nj.example", "NJ", "ko"),
        )
        self.assertEqual(forum.category, "other")
        minji = stored.get(email="m.kim@example.net")
        self.assertEqual((minji.kind, minji.region, minji.phone), ("individual", "CA", ""))
        choi = stored.get(email="h.choi@example.edu")
        self.assertEqual(
            (choi.name, choi.name_alt, choi.display), ("최 현우", "Hyunwoo Choi", Display.HIDDEN)
        )
        east_bay = stored.get(email_key="director@eastbaypeacecircle.example")
        self.assertEqual(east_bay.contact_name, "Grace Lim")
        self.assertEqual(
            east_bay.created_at,
            datetime.datetime(2018, 11, 2, 14, 14, 3, tzinfo=datetime.UTC),  # 9:14:03 AM EST
        )
        self.assertEqual(
            stored.get(email="a.yoon@example.org").created_at,
            datetime.datetime(2018, 11, 6, 14, 3, 22, tzinfo=datetime.UTC),
        )
        # Typed markup is kept as typed (and escaped wherever shown), as on the web form.
        self.assertTrue(stored.filter(name__contains="<script>").exists())
        self.assertEqual(AuditEntry.objects.filter(action="signature.imported").count(), len(ADDED))

    def test_importing_the_same_file_twice_creates_no_duplicate(self) -> None:
        self.run_import()
        stored = Signature.objects.filter(statement=self.statement).count()
        second = self.run_import()
        self.assertEqual(Signature.objects.filter(statement=self.statement).count(), stored)
        self.assertEqual(second.added, 0)  # type: ignore[attr-defined]
        outcomes = self.outcomes(second)
        for line in ADDED:
            self.assertEqual(outcomes[line], ("duplicate", "already signed"))

    def test_a_dry_run_reports_the_same_and_writes_nothing(self) -> None:
        audit_before = AuditEntry.objects.count()
        dry = self.run_import(dry_run=True)
        self.assertEqual(Signature.objects.filter(statement=self.statement).count(), 0)
        self.assertEqual(AuditEntry.objects.count(), audit_before)
        self.run_worker()
        self.assertEqual(self.smtp.messages, [])  # no confirmation email either
        real = self.run_import()
        self.assertEqual(self.outcomes(dry), self.outcomes(real))

    def test_approved_imports_are_counted_and_listed(self) -> None:
        self.run_import(approve=True)
        counts = statement_counts(self.statement)
        self.assertEqual(counts, {"organizations": 8, "individuals": 7, "total": 15})
        listed = Signature.objects.filter(statement=self.statement, listed=True)
        self.assertEqual(listed.count(), 14)  # 최 현우 asked not to be listed

    def test_it_does_not_bring_back_a_signer_who_withdrew(self) -> None:
        person = signed(
            self.statement,
            {"kind": "individual", "name": "Tom O'Neil", "email": "tom@example.com"},
        )
        signature_withdraw(signature_id=person.pk, nonce=person.nonce)
        outcomes = self.outcomes(self.run_import())
        self.assertEqual(outcomes[19][0], "duplicate")
        self.assertIn("withdrew", outcomes[19][1])
        self.assertEqual(Signature.objects.get(pk=person.pk).status, Status.WITHDRAWN)

    def test_with_confirmation_emails_each_signer_in_their_language(self) -> None:
        self.run_import(send_confirmation=True)
        stored = Signature.objects.filter(statement=self.statement)
        self.assertEqual(set(stored.values_list("status", flat=True)), {Status.PENDING})
        self.run_worker()
        emailed = {str(m["To"]) for m in self.smtp.messages}
        self.assertEqual(set(stored.values_list("email", flat=True)) - emailed, set())
        (korean,) = self.mail_to("m.kim@example.net")
        self.assertEqual(korean["Content-Language"], "ko")
        self.client.post(self.link(korean, "confirm"))
        self.assertEqual(stored.get(email="m.kim@example.net").status, Status.CONFIRMED)

    def test_a_korean_sheet_saved_by_excel(self) -> None:
        """Korean headers, Korean answers, a country column, an updates question, and the
        CP949 encoding Excel uses on Korean Windows."""
        sheet = (
            "타임스탬프,이메일 주소,서명 유형,단체명,성명,직함 또는 소속,도시,국가,소식 받기\r\n"
            "2018. 11. 2 오후 9:14:03,peace@hanbit.example,단체,한빛평화연대,이영희,사무국장,"
            "서울,대한민국,예\r\n"
            "2018. 11. 3 오전 8:00:00,minsu@example.kr,개인,,박민수,교사,부산,한국,아니요\r\n"
        )
        with TemporaryDirectory() as tmp:
            path = Path(tmp) / "sheet.csv"
            path.write_bytes(sheet.encode("cp949"))
            report = signatures_import(statement=self.statement, file=path, stream=io.StringIO())
        self.assertEqual([(r.line, r.outcome) for r in report.rows], [(2, "added"), (3, "added")])
        org = Signature.objects.get(email="peace@hanbit.example")
        self.assertEqual(
            (org.kind, org.name, org.contact_name, org.contact_title, org.country, org.language),
            ("organization", "한빛평화연대", "이영희", "사무국장", "KR", "ko"),
        )
        self.assertTrue(org.wants_updates)
        self.assertEqual(
            org.created_at, datetime.datetime(2018, 11, 2, 21, 14, 3, tzinfo=datetime.UTC)
        )
        person = Signature.objects.get(email="minsu@example.kr")
        self.assertEqual((person.affiliation, person.wants_updates), ("교사", False))

    def test_the_mapping_can_be_overridden_and_is_checked(self) -> None:
        headers = ["When", "Mail", "Who", "Org"]
        with self.assertRaisesRegex(ImportFileError, "email address"):
            resolve_mapping(headers)
        mapping = resolve_mapping(headers, ["Mail=email", "3=person", "org=organization"])
        self.assertEqual(mapping, {1: "email", 2: "person", 3: "organization"})
        with self.assertRaisesRegex(ImportFileError, "unknown field 'colour'"):
            resolve_mapping(headers, ["Mail=colour"])
        with self.assertRaisesRegex(ImportFileError, "no column 'Phone'"):
            resolve_mapping(headers, ["Phone=phone"])
        sample = SAMPLE_CSV.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
        with self.assertRaisesRegex(ImportFileError, "holds a name"):
            resolve_mapping(sample, ["Your name / 성명=ignore", "4=ignore"])

    def test_the_command_prints_a_report_line_per_problem_row(self) -> None:
        out, err = io.StringIO(), io.StringIO()
        call_command(
            "import_signers",
            self.statement.slug,
            str(SAMPLE_CSV),
            "--dry-run",
            stdout=out,
            stderr=err,
        )
        text = out.getvalue()
        self.assertIn("  2. Email Address -> email", text)
        self.assertIn("line 6: error (Anonymous): Email: This field is required.", text)
        self.assertIn("line 4: duplicate (East Bay Peace Circle): same email as line 2", text)
        self.assertIn("line 3: ok: 뉴저지 한인 평화 포럼", text)
        self.assertIn(
            "dry run, nothing written: 15 would be added, 3 duplicate(s) skipped, 6 error(s), "
            "1 empty row(s)",
            text,
        )
        with self.assertRaisesRegex(CommandError, "No statement with the address 'nope'"):
            call_command("import_signers", "nope", str(SAMPLE_CSV), stdout=out, stderr=err)
        with TemporaryDirectory() as tmp:
            bad = Path(tmp) / "bad.csv"
            bad.write_bytes(b"\xff\xfe\x00garbage\x81\xff")
            with self.assertRaisesRegex(CommandError, "neither UTF-8 nor Korean"):
                call_command(
                    "import_signers", self.statement.slug, str(bad), stdout=out, stderr=err
                )
