"""The delivery, update, export, import, API token and embed screens in Korean: no English UI
text from the catalog on any of them (the check of tests/test_korean.py)."""

from __future__ import annotations

import csv
import datetime
import io

from django.core.cache import caches
from django.http import HttpResponse

from tests import test_korean
from tests.console.base import ConsoleTestCase, org, person
from tests.delivery.common import SAMPLE_CSV
from undersigned.delivery.services import delivery_record, snapshot_freeze, update_post


class KoreanScreenTests(ConsoleTestCase):
    page = test_korean.KoreanPagesTests.page
    assertKorean = test_korean.KoreanPagesTests.assertKorean

    def ko(self, name: str, **kwargs: object) -> str:
        return "/ko" + self.url(name, **kwargs)

    def test_every_new_screen_reads_in_korean(self) -> None:
        caches["default"].clear()
        self.signon(org(1), approve=True)
        self.signon(person(2, wants_updates=True))
        snapshot = snapshot_freeze(statement=self.statement)
        delivery_record(
            snapshot=snapshot,
            delivered_on=datetime.date(2026, 1, 5),
            method="post",
            recipients="백악관",
            files=[("receipt.txt", b"x")],
        )
        update_post(
            statement=self.statement, content={"ko": {"title": "전달 완료", "body": "본문"}}
        )
        self.client.force_login(self.owner)
        self.page(self.ko("delivery"))
        self.page(self.ko("freeze"))
        self.page(self.ko("freeze"), addendum="on")
        self.page(self.ko("delivery_new"))
        self.page(self.ko("delivery_new"), method="post", status=400, recipients="")
        self.page(self.ko("updates"))
        self.page(
            self.ko("updates"),
            method="post",
            **{"ko-title": "제목", "ko-body": "본문"},
            preview="1",
        )
        self.page(self.ko("updates"), method="post", status=400, post="1")
        self.page(self.ko("exports"))
        self.page(self.ko("import"))
        self.page(self.ko("import"), method="post", status=400)
        response = self.client.post(self.ko("import"), {"file": _file(SAMPLE_CSV.read_bytes())})
        mapping_page = response["Location"]
        form = self.client.get(mapping_page).context["form"]
        columns = {n: form[n].value() for n in form.fields if n.startswith("col-")}
        # The file's own headers and values are data, not UI.
        text = self.uploaded_page(self.client.get(mapping_page))
        self.assertIn("이메일", text)
        self.client.post(mapping_page, {**columns, "dry_run": "1"})
        self.assertIn("대기 중", self.uploaded_page(self.client.get(mapping_page)))
        self.run_worker()
        report = self.uploaded_page(self.client.get(mapping_page))
        self.assertIn("시험 실행", report)
        self.page(self.ko("api_tokens"))
        self.page(self.ko("api_tokens"), method="post", label="동기화")
        self.page(self.ko("embed"))

    def uploaded_page(self, response: HttpResponse) -> str:
        self.assertEqual(response.status_code, 200)
        text = test_korean.VisibleText.of(response.content.decode())
        rows = csv.reader(io.StringIO(SAMPLE_CSV.read_text(encoding="utf-8-sig")))
        data = sorted({cell for row in rows for cell in row if cell}, key=len, reverse=True)
        for value in data:
            text = text.replace(value, " ")
            text = text.replace(value[:37] + "…", " ")  # as |truncatechars:40 shows it
        return self.assertKorean(text, "import page")


def _file(content: bytes) -> io.BytesIO:
    buffer = io.BytesIO(content)
    buffer.name = "responses.csv"
    return buffer
