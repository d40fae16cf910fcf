"""Korean is complete: the catalogs pass `msgfmt --check`, the Korean catalog holds every marked
string, translated, and no English UI text from the catalog shows on a Korean page or in an
email sent to someone who signed in Korean."""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client, override_settings
from django.utils import timezone, translation
from django.utils.translation import templatize

from tests.base import CONTENT, ORG, PERSON, BaseTestCase
from undersigned.signatures.selectors import count_phrase
from undersigned.signatures.services import signature_approve
from undersigned.statements.models import Kind
from undersigned.statements.services import statement_create, statement_open

LOCALE = Path(settings.LOCALE_PATHS[0])
PACKAGE = LOCALE.parent
KOREAN_PO = LOCALE / "ko" / "LC_MESSAGES" / "django.po"
KOREAN_MO = KOREAN_PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")
HANGUL = re.compile("[\uac00-\ud7a3]")
URL = re.compile(r"https?://\S+")
# The keywords Django's makemessages gives xgettext for the "django" domain.
XGETTEXT_KEYWORDS = [
    "--keyword=gettext_noop",
    "--keyword=gettext_lazy",
    "--keyword=ngettext_lazy:1,2",
    "--keyword=pgettext:1c,2",
    "--keyword=npgettext:1c,2,3",
    "--keyword=pgettext_lazy:1c,2",
    "--keyword=npgettext_lazy:1c,2,3",
]
MAKEMESSAGES = (
    "cd undersigned && django-admin makemessages -l ko --settings=undersigned.settings "
    "--ignore='tests/*', translate the new entries, then msgfmt --check -o "
    "undersigned/locale/ko/LC_MESSAGES/django.mo undersigned/locale/ko/LC_MESSAGES/django.po"
)


def need_tool(name: str) -> str:
    """Skip (outside CI) or fail (in CI) when a GNU gettext program is missing."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} (GNU gettext) is not installed"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}, and CI must run every test", pytrace=False)
    pytest.skip(f"{message}; install gettext (apt-get install gettext) to run this test")


# Reading catalogs ----------------------------------------------------------------------------
@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str = ""
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)


def read_po(text: str) -> list[Entry]:
    """The live entries of a .po or .pot file (obsolete `#~` entries are left out)."""
    entries: list[Entry] = []
    entry, key = Entry(), ""

    def store(value: str) -> None:
        if key.startswith("msgstr"):
            index = int(key[7:-1]) if "[" in key else 0
            entry.msgstr[index] = entry.msgstr.get(index, "") + value
        else:
            setattr(entry, key, getattr(entry, key) + value)

    for line in [*text.splitlines(), ""]:
        line = line.strip()
        ends_entry = (
            not line
            or line.startswith(("#", "msgctxt"))
            or (line.startswith("msgid ") and key.startswith("msgstr"))
        )
        if ends_entry and key.startswith("msgstr"):
            entries.append(entry)
        if not line or (ends_entry and key.startswith("msgstr")):
            entry, key = Entry(), ""
        if line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith('"'):
            store(ast.literal_eval(line))
        elif line and not line.startswith("#"):
            key, quoted = line.split(" ", 1)
            store(ast.literal_eval(quoted))
    return entries


@cache
def korean_entries() -> tuple[Entry, ...]:
    return tuple(read_po(KOREAN_PO.read_text(encoding="utf-8")))


@cache
def english_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """One pattern per English msgid (and plural) of two or more words; a placeholder matches
    whatever filled it, within one line."""
    patterns = []
    for entry in korean_entries():
        for english in (entry.msgid, entry.msgid_plural):
            text = " ".join(english.split())
            if len(text.split()) < 2:
                continue
            # Strings with no words of their own ("%(title)s — %(statement_title)s") read the
            # same in every language: nothing to find.
            if not re.search(r"[A-Za-z]", PLACEHOLDER.sub("", text)):
                continue
            pieces = [re.escape(piece) for piece in PLACEHOLDER.split(text)]
            patterns.append((text, re.compile(".{1,200}?".join(pieces), re.IGNORECASE)))
    return tuple(patterns)


# Reading pages and emails --------------------------------------------------------------------
class VisibleText(HTMLParser):
    """What a reader meets: text, and the attributes shown or read aloud; without scripts,
    styles, form values (typed by the signer) and anything marked lang="en" (the language
    switcher's "English"; the page's own language is checked on <html>)."""

    SHOWN = ("alt", "title", "placeholder", "aria-label")
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if self.hidden and tag == self.hidden[0]:
            self.hidden.append(tag)
        elif not self.hidden and tag not in self.VOID:
            english = tag != "html" and (values.get("lang") or "").startswith("en")
            if tag in ("script", "style") or english:
                self.hidden.append(tag)
        if not self.hidden:
            self.parts.extend(v for k, v in attrs if k in self.SHOWN and v)

    def handle_endtag(self, tag: str) -> None:
        if self.hidden and tag == self.hidden[-1]:
            self.hidden.pop()

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)

    @classmethod
    def of(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        parser.close()
        return "\n".join(" ".join(part.split()) for part in parser.parts if part.strip())


# What signers type and see again as typed (not codes such as kind, category or country,
# whose words would blank out English UI text like "Sign as an individual").
TYPED = (
    "name",
    "name_alt",
    "affiliation",
    "city",
    "website",
    "contact_name",
    "contact_title",
    "email",
    "phone",
)


@cache
def not_ui() -> list[str]:
    """Statement text and what signers typed: shown as given, so not the catalog's business."""
    strings: list[str] = []
    for text in CONTENT.values():
        for value in text.values():
            strings.extend(value.split("\n\n") if isinstance(value, str) else value)
    for fields in (ORG, PERSON):
        strings.extend(str(fields[key]) for key in TYPED if key in fields)
    return sorted({s for s in strings if s}, key=len, reverse=True)


def email_parts(message: EmailMessage) -> Iterator[tuple[str, str]]:
    yield "subject", str(message["Subject"])
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None, "the email needs a text and an HTML part"
    yield "text part", plain.get_content()
    assert '<html lang="ko">' in html.get_content(), "the HTML part is not marked as Korean"
    yield "HTML part", VisibleText.of(html.get_content())


class KoreanCatalogTests(BaseTestCase):
    def test_every_catalog_passes_msgfmt_check(self) -> None:
        msgfmt = need_tool("msgfmt")
        catalogs = sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))
        self.assertIn(KOREAN_PO, catalogs)
        for po in catalogs:
            with self.subTest(catalog=str(po.relative_to(LOCALE))):
                done = subprocess.run(
                    [msgfmt, "--check", "-o", os.devnull, str(po)],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                self.assertEqual(done.returncode, 0, done.stderr)

    def test_the_korean_catalog_is_whole_and_has_one_plural_form(self) -> None:
        header = next(e for e in korean_entries() if e.msgid == "").msgstr[0]
        self.assertIn("Language: ko\n", header)
        self.assertIn("Plural-Forms: nplurals=1; plural=0;\n", header)
        entries = [e for e in korean_entries() if e.msgid]
        self.assertGreater(len(entries), 100)
        for entry in entries:
            with self.subTest(msgid=entry.msgid):
                self.assertNotIn("fuzzy", entry.flags)
                # Korean has one form: a second slot is never used and hides mistakes.
                self.assertEqual(list(entry.msgstr), [0])
                korean = entry.msgstr[0]
                self.assertTrue(korean.strip(), "not translated")
                self.assertEqual(
                    sorted(PLACEHOLDER.findall(korean)), sorted(PLACEHOLDER.findall(entry.msgid))
                )

    def test_the_committed_mo_matches_the_po(self) -> None:
        """The .mo is what runs; a .po edited without recompiling changes nothing on the site."""
        with KOREAN_MO.open("rb") as mo:
            compiled = gettext.GNUTranslations(mo)
        for entry in korean_entries():
            if not entry.msgid:
                continue
            with self.subTest(msgid=entry.msgid):
                if entry.msgid_plural:
                    self.assertEqual(
                        compiled.ngettext(entry.msgid, entry.msgid_plural, 2),
                        entry.msgstr[0],
                        f"recompile: {MAKEMESSAGES}",
                    )
                else:
                    self.assertEqual(
                        compiled.gettext(entry.msgid), entry.msgstr[0], f"recompile: {MAKEMESSAGES}"
                    )

    def test_the_korean_catalog_holds_every_marked_string(self) -> None:
        """What makemessages would extract now: a string marked in code or a template since
        the catalog was last updated would show in English on Korean pages."""
        xgettext = need_tool("xgettext")
        with tempfile.TemporaryDirectory() as tmp:
            inputs = []
            for path in sorted(PACKAGE.rglob("*")):
                if path.suffix == ".py":
                    inputs.append(str(path))
                elif path.suffix in (".html", ".txt") and "templates" in path.parts:
                    source = path.read_text(encoding="utf-8")
                    work = Path(tmp) / f"{len(inputs)}.py"
                    work.write_text(templatize(source, origin=str(path)), encoding="utf-8")
                    inputs.append(str(work))
            done = subprocess.run(
                [
                    xgettext,
                    "--language=Python",
                    "--from-code=UTF-8",
                    "--output=-",
                    *XGETTEXT_KEYWORDS,
                    *inputs,
                ],
                capture_output=True,
                text=True,
                check=False,
            )
        self.assertEqual(done.returncode, 0, done.stderr)
        marked = {(e.msgctxt, e.msgid) for e in read_po(done.stdout) if e.msgid}
        catalog = {(e.msgctxt, e.msgid) for e in korean_entries() if e.msgid}
        missing = sorted(msgid for _ctxt, msgid in marked - catalog)
        self.assertEqual(missing, [], f"not in the Korean catalog; run {MAKEMESSAGES}")


class KoreanPagesTests(BaseTestCase):
    """Every public page and email, in Korean, with no English UI text from the catalog."""

    slug: str

    def setUp(self) -> None:
        super().setUp()
        self.slug = self.statement.slug

    def assertKorean(self, text: str, where: str) -> str:
        text = URL.sub(" ", text)
        for data in not_ui():
            text = text.replace(data, " ")
        leaks = [english for english, pattern in english_patterns() if pattern.search(text)]
        self.assertEqual(leaks, [], f"English UI text in the Korean {where}:\n{text}")
        self.assertRegex(text, HANGUL, f"no Korean at all in the {where}")
        return text

    def page(
        self,
        url: str,
        *,
        status: int = 200,
        method: str = "get",
        client: Client | None = None,
        **data: Any,
    ) -> str:
        self.assertTrue(url.startswith("/ko/"), url)
        response = getattr(client or self.client, method)(url, data)
        self.assertEqual(response.status_code, status, url)
        html = response.content.decode()
        self.assertIn('<html lang="ko">', html, url)
        return self.assertKorean(VisibleText.of(html), f"page {method.upper()} {url}")

    def emails(self, address: str) -> list[str]:
        texts = []
        for message in self.mail_to(address):
            self.assertEqual(message["Content-Language"], "ko")
            for part, text in email_parts(message):
                texts.append(self.assertKorean(text, f"email {part} ({message['Subject']})"))
        return texts

    def sign_and_confirm(self, fields: dict[str, Any]) -> EmailMessage:
        response = self.sign(fields, language="ko")
        self.assertRedirects(response, f"/ko/s/{self.slug}/thanks/", fetch_redirect_response=False)
        self.run_worker()
        (message,) = self.mail_to(fields["email"])
        self.client.post(self.link(message, "confirm"))
        return message

    # ------------------------------------------------------------------------------------------
    def test_the_index_and_statement_pages(self) -> None:
        index = self.page("/ko/")
        self.assertIn("공동성명", index)
        self.assertIn("0개 단체 · 0명", index)

        detail = self.page(f"/ko/s/{self.slug}/")
        for korean in (
            "성명에 서명하기",
            "단체로 서명하기",
            "개인으로 서명하기",
            "서명하기",
            "우리의 요구 사항",
            "서명자 명단 보기",
            "목표: 100",
        ):
            self.assertIn(korean, detail)
        self.assertContains(self.client.get(f"/ko/s/{self.slug}/"), "한국전쟁을 끝내라")

    def test_the_counts_read_as_a_korean_press_release_would(self) -> None:
        with translation.override("ko"):
            self.assertEqual(count_phrase(137, Kind.ORGANIZATION), "130여 개 단체")
            self.assertEqual(count_phrase(1, Kind.ORGANIZATION), "1개 단체")
            self.assertEqual(count_phrase(1234, Kind.INDIVIDUAL), "1,200여 명")
            self.assertEqual(count_phrase(12, Kind.INDIVIDUAL), "12명")

    def test_sign_confirm_and_withdraw_pages_and_the_confirmation_email(self) -> None:
        response = self.sign(PERSON, language="ko")
        self.assertRedirects(response, f"/ko/s/{self.slug}/thanks/", fetch_redirect_response=False)
        self.assertIn("받은편지함을 확인해 주십시오", self.page(f"/ko/s/{self.slug}/thanks/"))

        self.run_worker()
        (message,) = self.mail_to(PERSON["email"])
        _subject, text, html = self.emails(PERSON["email"])
        self.assertIn("서명을 확인해 주십시오: 한국전쟁을 끝내라", str(message["Subject"]))
        self.assertIn("안녕하세요", text)
        self.assertIn("서명 확인하기", html)

        confirm, withdraw = self.link(message, "confirm"), self.link(message, "withdraw")
        self.assertTrue(confirm.startswith("/ko/"), confirm)
        self.assertIn("서명 확인하기", self.page(confirm))
        self.assertIn("서명이 확인되었습니다", self.page(confirm, method="post"))
        self.assertIn("이미 확인된 서명입니다", self.page(confirm, method="post"))
        self.assertIn("서명 철회하기", self.page(withdraw))
        self.assertIn("서명이 철회되었습니다", self.page(withdraw, method="post"))
        self.assertIn("이미 철회된 서명입니다", self.page(withdraw, method="post"))
        # The confirmation link of a withdrawn sign-on, a damaged link, an expired one.
        self.assertIn("철회된 서명입니다", self.page(confirm, method="post", status=410))
        damaged = confirm.replace("/confirm/", "/confirm/x")
        self.assertIn("유효하지 않은 링크입니다", self.page(damaged, method="post", status=400))
        with override_settings(CONFIRM_TOKEN_MAX_AGE=-1):
            self.assertIn("유효 기간이 지났습니다", self.page(confirm, status=400))

    def test_an_organization_awaiting_approval_and_the_signatories_list(self) -> None:
        self.sign_and_confirm(PERSON)
        self.smtp.clear()
        self.sign(ORG, language="ko")
        self.run_worker()
        self.emails(ORG["email"])
        confirmed = self.page(self.link(self.mail_to(ORG["email"])[0], "confirm"), method="post")
        self.assertIn("확인이 끝나는 대로", confirmed)
        signature_approve(signature_ids=[self.signature(ORG["email"]).pk], actor=self.moderator)

        listing = self.page(f"/ko/s/{self.slug}/signatories/")
        for korean in ("서명자 명단", "이름, 소속, 도시로 검색", "단체 — 지역", "개인"):
            self.assertIn(korean, listing)
        # The organization's Hangul name is the one shown on the Korean list.
        self.assertContains(
            self.client.get(f"/ko/s/{self.slug}/signatories/"), "이스트베이 평화모임"
        )
        with override_settings(SIGNATORIES_PAGE_SIZE=1):
            self.assertIn("1 / 2쪽", self.page(f"/ko/s/{self.slug}/signatories/"))
        self.assertIn("검색 결과", self.page(f"/ko/s/{self.slug}/signatories/", q="Park"))
        nobody = self.page(f"/ko/s/{self.slug}/signatories/", q="nobody", kind="individual")
        self.assertIn("아직 명단에 오른 서명이 없습니다", nobody)

    def test_a_repeat_sign_on_gets_a_korean_email(self) -> None:
        self.sign_and_confirm(PERSON)
        self.smtp.clear()
        with time_machine.travel(timezone.now() + timedelta(minutes=20)):
            self.sign(PERSON, language="ko")
        self.run_worker()
        (message,) = self.mail_to(PERSON["email"])
        self.assertIn("이미 서명하셨습니다", str(message["Subject"]))
        self.emails(PERSON["email"])

    def test_forms_sent_back_with_errors(self) -> None:
        bad_person = {**PERSON, "name": "", "email": "not an address", "city": "=SUM(A1)"}
        page = self.page(
            f"/ko/s/{self.slug}/sign/", method="post", status=400, **self.form_data(bad_person)
        )
        self.assertIn("아래 표시된 항목을 고쳐 주십시오.", page)
        self.assertIn("필수 항목입니다.", page)  # Django's own message, from Django's catalog
        self.assertIn("올바른 이메일 주소를 입력해 주십시오", page)
        self.assertIn("기호로 시작할 수 없습니다", page)

        bad_org = {**ORG, "category": "", "contact_name": "", "phone": "call me"}
        page = self.page(
            f"/ko/s/{self.slug}/sign/", method="post", status=400, **self.form_data(bad_org)
        )
        for korean in (
            "단체 유형을 선택해 주십시오.",
            "단체를 대표해 서명하는 분의 이름",
            "전화번호는 숫자",
        ):
            self.assertIn(korean, page)

        # A form another website sent comes back filled in, with a Korean explanation.
        page = self.page(
            f"/ko/s/{self.slug}/sign/",
            method="post",
            status=403,
            client=Client(headers={"Sec-Fetch-Site": "cross-site"}),
            **self.form_data(PERSON),
        )
        self.assertIn("이 페이지에서 다시 보내 주십시오", page)
        strict = Client(enforce_csrf_checks=True)
        self.page(f"/ko/s/{self.slug}/confirm/x/", method="post", status=403, client=strict)

    def test_statements_not_public_not_translated_or_closed(self) -> None:
        english_only = statement_create(slug="english-only", content={"en": CONTENT["en"]})
        statement_open(statement=english_only)
        page = self.page("/ko/s/english-only/")
        self.assertIn("한국어로 제공되지 않아", page)
        self.assertIn("아직 공개되지 않았습니다", page)
        self.assertIn(
            "명단은 아직 공개되지 않았습니다",
            self.page("/ko/s/english-only/signatories/", status=403),
        )

        closed = statement_create(
            slug="closed", content=CONTENT, closes_at=timezone.now() - timedelta(days=1)
        )
        statement_open(statement=closed, public=True)
        self.assertIn("현재 서명을 받지 않습니다", self.page("/ko/s/closed/"))
        self.page("/ko/s/closed/sign/", method="post", status=409, **self.form_data(PERSON))

        self.assertIn(
            "페이지를 찾을 수 없습니다", self.page("/ko/s/no-such-statement/", status=404)
        )

    def test_pages_outside_the_sign_on_flow(self) -> None:
        with translation.override("ko"):
            for template, context in (
                ("400.html", {}),
                ("500.html", {}),
                ("403_csrf.html", {}),
                ("signatures/outbox.html", {"DEMO": True, "messages": []}),
            ):
                html = render_to_string(template, context)
                self.assertKorean(VisibleText.of(html), template)
