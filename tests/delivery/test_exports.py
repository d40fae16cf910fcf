"""Exports: the public one carries exactly what the public list shows; the private one adds
contacts for organizers; every format is safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import datetime
import io
import json
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import load_workbook

from tests.base import ORG, PERSON, BaseTestCase
from tests.delivery.common import signed
from undersigned.lib.xlsx import column_letter
from undersigned.signatures.exports import (
    PRIVATE_EXPORT_COLUMNS,
    PUBLIC_EXPORT_COLUMNS,
    csv_lines,
    private_table,
    public_table,
    safe_cell,
    write_json,
    write_xlsx,
)
from undersigned.signatures.models import Signature
from undersigned.signatures.services import _derive, statement_recount

INITIALS = {**PERSON, "name": "Minji Kim", "email": "minji@example.org", "display": "initials"}
NAME_ONLY = {
    **PERSON,
    "name": "Name Only",
    "name_alt": "",
    "email": "nameonly@example.org",
    "affiliation": "Secret Affiliation",
    "display": "name",
}
HIDDEN = {**PERSON, "name": "Hidden Person", "email": "hidden@example.org", "display": "hidden"}
PENDING = {**PERSON, "name": "Pending Person", "email": "pending@example.org"}
# What never leaves through a public export.
PRIVATE_VALUES = (
    ORG["email"],
    ORG["phone"],
    ORG["contact_name"],
    ORG["contact_title"],
    PERSON["email"],
    "Secret Affiliation",
    "Hidden Person",
    "Pending Person",
)


def legacy_row(statement: Any, **fields: Any) -> Signature:
    """A sign-on stored before the form refused formulas (or by an admin): exports must
    neutralise it all the same."""
    version = statement.current_version
    assert version is not None
    signature = Signature(
        statement=statement,
        version=version,
        version_hash=version.content_hash,
        kind="individual",
        status="confirmed",
        email_key=fields["email"],
        **fields,
    )
    _derive(signature, statement)
    signature.save()
    statement_recount(statement=statement)
    return signature


class ExportTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        signed(self.statement, ORG)
        signed(self.statement, PERSON)
        signed(self.statement, INITIALS)
        signed(self.statement, NAME_ONLY)
        signed(self.statement, HIDDEN)
        signed(self.statement, PENDING, confirm=False)

    def legacy_row(self, **fields: Any) -> Signature:
        return legacy_row(self.statement, **fields)

    def public_csv(self, language: str = "en") -> list[dict[str, str]]:
        text = "".join(csv_lines(public_table(self.statement, language=language)))
        return list(csv.DictReader(io.StringIO(text)))

    def test_the_public_export_is_the_public_list(self) -> None:
        rows = self.public_csv()
        self.assertEqual(tuple(rows[0].keys()), PUBLIC_EXPORT_COLUMNS)
        self.assertEqual(
            [(r["group"], r["name"], r["name_alt"], r["affiliation"]) for r in rows],
            [
                ("Local", "East Bay Peace Circle", "이스트베이 평화모임", ""),
                ("Individuals", "Jiyoung Park", "박지영", "Example State University"),
                ("Individuals", "M. K.", "", ""),  # initials and city
                ("Individuals", "Name Only", "", ""),  # name only
            ],
        )
        self.assertEqual(rows[2]["city"], "Seattle")
        korean = self.public_csv("ko")
        self.assertEqual(korean[0]["group"], "지역")
        self.assertEqual(korean[0]["name"], "이스트베이 평화모임")  # the name in Hangul first

    def test_private_fields_never_appear_in_a_public_export(self) -> None:
        with TemporaryDirectory() as tmp:
            for fmt in ("csv", "json", "xlsx", "pdf"):
                out = Path(tmp) / f"public.{fmt}"
                call_command(
                    "export", self.statement.slug, "--format", fmt, "--out", str(out),
                    stdout=io.StringIO(), stderr=io.StringIO(),
                )  # fmt: skip
                if fmt == "xlsx":
                    sheet = load_workbook(out).active
                    assert sheet is not None
                    text = "\n".join(
                        str(c.value) for row in sheet.iter_rows() for c in row if c.value
                    )
                elif fmt == "pdf":
                    from tests.delivery.common import pdf_text

                    text = pdf_text(out.read_bytes())
                    self.assertIn("East Bay Peace Circle", text)
                else:
                    text = out.read_text(encoding="utf-8-sig")
                for value in PRIVATE_VALUES:
                    self.assertNotIn(value, text, f"{value!r} in the public {fmt}")
                self.assertIn("Jiyoung Park", text)

    def test_the_private_export_has_contacts_and_every_status(self) -> None:
        text = "".join(csv_lines(private_table(self.statement)))
        rows = list(csv.DictReader(io.StringIO(text)))
        self.assertEqual(tuple(rows[0].keys()), PRIVATE_EXPORT_COLUMNS)
        by_email = {r["email"]: r for r in rows}
        org = by_email[ORG["email"]]
        self.assertEqual(
            (org["contact_name"], org["phone"], org["status"]),
            ("Grace Lim", "510-555-0134", "approved"),
        )
        self.assertEqual(by_email["pending@example.org"]["status"], "pending")
        self.assertEqual(by_email["hidden@example.org"]["display"], "hidden")
        self.assertNotIn("ip_hash", text)
        self.assertNotIn("email_key", text)
        only = private_table(self.statement, statuses=["pending"])
        self.assertEqual(only.total, 1)

    def test_every_format_is_formula_safe(self) -> None:
        self.legacy_row(
            name='=HYPERLINK("http://evil.example","click")',
            name_alt="@SUM(A1:A9)",
            affiliation="-2+3",
            city="+82 Seoul",
            region="\tTab",
            email="legacy@example.org",
        )
        self.assertEqual(safe_cell("=1+1"), "'=1+1")
        self.assertEqual(safe_cell("\rX"), "'\rX")
        self.assertEqual(safe_cell("Peace = justice"), "Peace = justice")

        rows = self.public_csv()
        (legacy,) = [r for r in rows if "HYPERLINK" in r["name"]]
        self.assertEqual(legacy["name"], '\'=HYPERLINK("http://evil.example","click")')
        self.assertEqual(legacy["name_alt"], "'@SUM(A1:A9)")
        self.assertEqual(legacy["affiliation"], "'-2+3")
        self.assertEqual(legacy["city"], "'+82 Seoul")
        self.assertEqual(legacy["region"], "'\tTab")

        buffer = io.BytesIO()
        write_xlsx(public_table(self.statement, language="en"), buffer)
        sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
        assert sheet is not None
        cells = [c for row in sheet.iter_rows() for c in row]
        self.assertFalse([c.coordinate for c in cells if c.data_type == "f"], "a formula cell")
        self.assertIn('\'=HYPERLINK("http://evil.example","click")', [c.value for c in cells])

        # The private export too: a phone number starting with + is text, not a sum.
        self.legacy_row(name="Phone Person", phone="+1 206 555 0100", email="phone@example.org")
        private = list(
            csv.DictReader(io.StringIO("".join(csv_lines(private_table(self.statement)))))
        )
        (phone,) = [r for r in private if r["email"] == "phone@example.org"]
        self.assertEqual(phone["phone"], "'+1 206 555 0100")

    def test_json_keeps_values_as_stored_and_counts_rows(self) -> None:
        out = io.StringIO()
        table = public_table(self.statement, language="en")
        table.meta = {"statement": self.statement.slug}
        self.assertEqual(write_json(table, out), 4)
        data = json.loads(out.getvalue())
        self.assertEqual(data["meta"], {"statement": self.statement.slug})
        self.assertEqual(len(data["signatories"]), 4)
        self.assertEqual(set(data["signatories"][0]), set(PUBLIC_EXPORT_COLUMNS))

    def test_the_command_explains_mistakes_in_one_line(self) -> None:
        quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
        with self.assertRaisesRegex(CommandError, "No statement with the address 'nope'"):
            call_command("export", "nope", "--format", "csv", **quiet)
        with self.assertRaisesRegex(CommandError, "has no snapshot 3"):
            call_command(
                "export", self.statement.slug, "--format", "csv", "--snapshot", "3", **quiet
            )
        with self.assertRaisesRegex(CommandError, "Cannot write"):
            call_command(
                "export", self.statement.slug, "--format", "csv", "--out", "/nonexistent/x.csv",
                **quiet,
            )  # fmt: skip
        out = io.StringIO()
        call_command(
            "export",
            self.statement.slug,
            "--format",
            "csv",
            "--private",
            stdout=out,
            stderr=io.StringIO(),
        )
        self.assertIn(ORG["email"], out.getvalue())


class ExportFormatTests(BaseTestCase):
    """What each writer makes of the cells: times in the current zone, numbers as numbers,
    a bold XLSX header, long lists over several sheets."""

    def setUp(self) -> None:
        super().setUp()
        self.org = signed(self.statement, ORG)
        self.person = signed(self.statement, PERSON)
        self.pending = signed(self.statement, PENDING, confirm=False)

    def test_private_csv_times_are_in_the_current_zone(self) -> None:
        with timezone.override(ZoneInfo("Asia/Seoul")):
            text = "".join(csv_lines(private_table(self.statement)))
        rows = {r["email"]: r for r in csv.DictReader(io.StringIO(text))}
        person = rows[PERSON["email"]]
        assert self.person.confirmed_at is not None
        seoul = self.person.confirmed_at.astimezone(ZoneInfo("Asia/Seoul"))
        self.assertEqual(person["confirmed_at"], seoul.isoformat())
        self.assertTrue(person["created_at"].endswith("+09:00"))
        self.assertEqual(person["withdrawn_at"], "")
        self.assertEqual(rows[PENDING["email"]]["confirmed_at"], "")
        self.assertEqual((person["id"], person["wants_updates"]), (str(self.person.pk), "no"))
        self.assertEqual(rows[ORG["email"]]["networks"], "")

    def test_private_json_keeps_types(self) -> None:
        out = io.StringIO()
        self.assertEqual(write_json(private_table(self.statement), out), 3)
        rows = {r["email"]: r for r in json.loads(out.getvalue())["signatories"]}
        person = rows[PERSON["email"]]
        self.assertEqual(person["id"], self.person.pk)
        self.assertIs(person["sample"], False)
        self.assertIsNone(person["withdrawn_at"])
        assert self.person.confirmed_at is not None
        self.assertEqual(
            datetime.datetime.fromisoformat(person["confirmed_at"]),
            self.person.confirmed_at.replace(
                microsecond=self.person.confirmed_at.microsecond // 1000 * 1000
            ),
        )

    def test_xlsx_cells(self) -> None:
        legacy = legacy_row(
            self.statement,
            name="A & B <Co> 박지영",
            affiliation="line one\r\nline two",
            city="  spaced  ",
            region="bell\x07",
            email="cells@example.org",
        )
        buffer = io.BytesIO()
        with timezone.override(ZoneInfo("Asia/Seoul")):
            self.assertEqual(write_xlsx(private_table(self.statement), buffer), 4)
        book = load_workbook(io.BytesIO(buffer.getvalue()))
        sheet = book.active
        assert sheet is not None
        rows = list(sheet.iter_rows())
        self.assertEqual([c.value for c in rows[0]], list(PRIVATE_EXPORT_COLUMNS))
        self.assertTrue(all(c.font.b for c in rows[0]))
        self.assertFalse(any(c.font.b for c in rows[1]))
        by_email = {r[PRIVATE_EXPORT_COLUMNS.index("email")].value: r for r in rows[1:]}
        cells = dict(zip(PRIVATE_EXPORT_COLUMNS, by_email["cells@example.org"], strict=True))
        self.assertEqual(cells["name"].value, "A & B <Co> 박지영")
        self.assertEqual(cells["affiliation"].value, "line one\r\nline two")
        self.assertEqual(cells["city"].value, "  spaced  ")
        self.assertEqual(cells["region"].value, "bell")  # XML cannot carry the bell
        self.assertEqual(cells["sample"].value, "no")
        self.assertEqual(cells["id"].value, legacy.pk)
        self.assertEqual(cells["id"].data_type, "n")
        person = dict(zip(PRIVATE_EXPORT_COLUMNS, by_email[PERSON["email"]], strict=True))
        assert self.person.confirmed_at is not None
        local = self.person.confirmed_at.astimezone(ZoneInfo("Asia/Seoul")).replace(tzinfo=None)
        self.assertEqual(person["confirmed_at"].number_format, "yyyy-mm-dd h:mm:ss")
        self.assertLess(abs(person["confirmed_at"].value - local), datetime.timedelta(seconds=1))
        self.assertIsNone(person["withdrawn_at"].value)
        self.assertIsNone(person["contact_title"].value)  # an empty text is a blank cell

    def test_a_long_xlsx_list_goes_on_over_sheets(self) -> None:
        buffer = io.BytesIO()
        with mock.patch("undersigned.signatures.exports.XLSX_SHEET_ROWS", 2):
            self.assertEqual(write_xlsx(private_table(self.statement), buffer), 3)
        book = load_workbook(io.BytesIO(buffer.getvalue()))
        self.assertEqual(book.sheetnames, ["Signatories", "2"])
        self.assertEqual([book[name].max_row for name in book.sheetnames], [3, 2])
        self.assertEqual(book["2"]["A1"].value, "id")

    def test_an_empty_list_is_a_workbook_with_its_header(self) -> None:
        buffer = io.BytesIO()
        self.assertEqual(
            write_xlsx(private_table(self.statement, statuses=["withdrawn"]), buffer), 0
        )
        sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
        assert sheet is not None
        self.assertEqual([c.value for c in next(sheet.iter_rows())], list(PRIVATE_EXPORT_COLUMNS))

    def test_column_letters(self) -> None:
        self.assertEqual(
            [column_letter(i) for i in (0, 25, 26, 27, 701, 702)],
            ["A", "Z", "AA", "AB", "ZZ", "AAA"],
        )
