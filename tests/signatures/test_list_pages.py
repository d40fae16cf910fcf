"""The public list's pages: found from page starts (a seek per page) or, for a search, by a
deferred join; kept for a moment per process, and still right the moment a listed name
changes."""

from __future__ import annotations

from django.core.cache import caches
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from tests.base import BaseTestCase
from undersigned.signatures.models import Display, Signature
from undersigned.signatures.selectors import _listed, _public, public_signatories
from undersigned.signatures.services import (
    signature_approve,
    signature_confirm,
    signature_create,
    signature_update_display,
    signature_withdraw,
)


class ListPageTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        caches["local"].clear()
        for i, name in enumerate(["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon"] * 3):
            result = signature_create(
                statement=self.statement,
                data={"kind": "individual", "name": f"{name} {i:02d}", "email": f"p{i}@x.example"},
            )
            signature_confirm(signature_id=result.signature.pk, nonce=result.signature.nonce)

    def test_each_page_holds_the_rows_a_plain_slice_would(self) -> None:
        rows = list(_listed(self.statement, None, ""))
        self.assertEqual(len(rows), 24)
        for per_page in (5, 7, 24):
            pages = -(-24 // per_page)
            for number in range(1, pages + 1):
                page = public_signatories(self.statement, page=number, per_page=per_page)
                expected = rows[(number - 1) * per_page : number * per_page]
                self.assertEqual([e["name"] for e in page.entries], [r["name"] for r in expected])
        # Past the end, Django's rule: the last page.
        last = public_signatories(self.statement, page=99, per_page=5)
        self.assertEqual([e["name"] for e in last.entries], [r["name"] for r in rows[20:]])

    @override_settings(SIGNATORIES_PAGE_SIZE=100)
    def test_a_name_changed_to_initials_leaves_the_cached_list_at_once(self) -> None:
        url = f"/s/{self.statement.slug}/signatories/"
        self.assertContains(self.client.get(url), "Park 02")
        signature = Signature.objects.get(statement=self.statement, email="p2@x.example")
        signature_update_display(
            statement=self.statement,
            signature_id=signature.pk,
            actor=self.owner,
            name=signature.name,
            display=Display.INITIALS,
        )
        self.assertNotContains(self.client.get(url), "Park 02")

    @override_settings(SIGNATORIES_PAGE_SIZE=100)
    def test_a_search_is_never_answered_from_the_cache(self) -> None:
        url = f"/s/{self.statement.slug}/signatories/"
        self.client.get(url)
        response = self.client.get(url, {"q": "Yoon"})
        self.assertContains(response, "Yoon 07")
        self.assertNotContains(response, "Kim 00")


class SeekPageTests(BaseTestCase):
    """Pages without a search are found from the page starts of one walk of the list's index
    (a seek per page, not an OFFSET): the same rows as a plain slice, and while the list
    changes after the walk, every listed row still on exactly one page."""

    def setUp(self) -> None:
        super().setUp()
        caches["local"].clear()
        self.n = 0
        # Equal names (equal sort keys, ordered by id) and two categories of organizations.
        for name in ["Kim", "Lee", "Kim", "Park", "Kim", "Lee", "Choi", "Kim", "Yoon", "Kim"]:
            self.add("individual", name)
        for name in ["Alpha", "Beta", "Alpha", "Gamma"]:
            self.add("organization", name, category="labor")
        for name in ["Delta", "Alpha", "Epsilon"]:
            self.add("organization", name, category="national")

    def add(self, kind: str, name: str, category: str = "") -> Signature:
        self.n += 1
        data = {"kind": kind, "name": name, "email": f"s{self.n}@x.example"}
        if kind == "organization":
            data.update(category=category, city=f"City {self.n}")
        else:
            data["affiliation"] = f"Group {self.n}"
        result = signature_create(statement=self.statement, data=data)  # type: ignore[arg-type]
        signature, _outcome = signature_confirm(
            signature_id=result.signature.pk, nonce=result.signature.nonce
        )
        if kind == "organization":
            signature_approve(signature_ids=[signature.pk], actor=self.moderator)
        return signature

    def plain(self, kind: str | None = None) -> list[dict[str, object]]:
        return [_public(row, "en") for row in _listed(self.statement, kind, "")]

    def all_pages(self, per_page: int, kind: str | None = None) -> list[dict[str, object]]:
        first = public_signatories(self.statement, kind=kind, per_page=per_page)
        entries = list(first.entries)
        for number in range(2, first.page.paginator.num_pages + 1):
            page = public_signatories(self.statement, kind=kind, page=number, per_page=per_page)
            entries.extend(page.entries)
        return entries

    def test_every_page_of_every_kind_holds_the_rows_a_plain_slice_would(self) -> None:
        for kind in (None, "organization", "individual"):
            rows = self.plain(kind)
            self.assertTrue(len(rows) >= 7)
            for per_page in (2, 3, 4):
                pages = -(-len(rows) // per_page)
                for number in range(1, pages + 2):
                    with CaptureQueriesContext(connection) as queries:
                        page = public_signatories(
                            self.statement, kind=kind, page=number, per_page=per_page
                        )
                    start = (min(number, pages) - 1) * per_page
                    self.assertEqual(page.entries, rows[start : start + per_page])
                    self.assertEqual(page.page.paginator.num_pages, pages)
                    self.assertFalse(any("OFFSET" in q["sql"] for q in queries.captured_queries))

    def test_the_page_starts_are_walked_once_and_kept(self) -> None:
        public_signatories(self.statement, page=1, per_page=3)
        # The counters, then the page: no second walk.
        with self.assertNumQueries(2):
            page = public_signatories(self.statement, page=5, per_page=3)
        self.assertEqual(page.entries, self.plain()[12:15])

    def test_a_sign_on_after_the_walk_is_on_exactly_one_page(self) -> None:
        self.add("individual", "Choi")  # 18 rows: 6 pages of 3
        before = self.all_pages(3)
        self.assertEqual(before, self.plain())
        self.add("individual", "Kim")  # within a tenth: the walk's pages stay
        with CaptureQueriesContext(connection) as queries:
            after = self.all_pages(3)
        self.assertFalse(any("ROW_NUMBER" in q["sql"] for q in queries.captured_queries))
        self.assertEqual(len(after), 19)
        self.assertEqual(after, self.plain())
        # The pages are still the walk's six (one holds four rows); the count is the counters'.
        page = public_signatories(self.statement, page=7, per_page=3)
        self.assertEqual((page.page.number, page.page.paginator.num_pages), (6, 6))
        self.assertEqual(page.page.paginator.count, 19)
        sizes = [
            len(public_signatories(self.statement, page=n, per_page=3).entries) for n in range(1, 7)
        ]
        self.assertEqual(sorted(sizes), [3, 3, 3, 3, 3, 4])

    def test_a_withdrawal_after_the_walk_leaves_no_gap(self) -> None:
        self.all_pages(4)
        gone = Signature.objects.get(statement=self.statement, email="s4@x.example")
        signature_withdraw(signature_id=gone.pk, nonce=gone.nonce)
        after = self.all_pages(4)
        self.assertEqual(after, self.plain())
        self.assertNotIn("Group 4", [e["affiliation"] for e in after])

    def test_a_page_grown_past_half_again_since_the_walk_is_read_afresh(self) -> None:
        for i in range(5):
            self.add("individual", f"Zed {i}")  # 22 rows: 11 pages of 2
        rows = self.plain()
        last_kim = max(i for i, e in enumerate(rows) if e["name"] == "Kim")
        number = last_kim // 2 + 1
        public_signatories(self.statement, page=1, per_page=2)
        # Two more Kims (within a tenth of the list) land after the last one: that page would
        # hold four rows, more than a seek reads (2 + 1).
        for _ in range(2):
            self.add("individual", "Kim")
        rows = self.plain()
        page = public_signatories(self.statement, page=number, per_page=2)
        self.assertEqual(page.entries, rows[(number - 1) * 2 : number * 2])
        self.assertEqual(page.page.paginator.num_pages, 12)
        # The next read walks the list again: its pages are the plain slices once more.
        self.assertEqual(self.all_pages(2), rows)
        again = public_signatories(self.statement, page=12, per_page=2)
        self.assertEqual(again.page.paginator.num_pages, 12)
        self.assertEqual(again.entries, rows[22:24])

    def test_a_list_grown_by_more_than_a_tenth_is_walked_again(self) -> None:
        def walks(page: int) -> int:
            with CaptureQueriesContext(connection) as queries:
                public_signatories(self.statement, page=page, per_page=4)
            return sum("ROW_NUMBER" in q["sql"] for q in queries.captured_queries)

        self.assertEqual(walks(1), 1)
        self.add("individual", "Ahn")  # 18 of 17: within a tenth
        self.assertEqual(walks(2), 0)
        self.add("individual", "Bae")  # 19 of 17: more
        self.assertEqual(walks(3), 1)
        self.assertEqual(self.all_pages(4), self.plain())

    def test_the_api_pages_through_the_same_rows(self) -> None:
        with override_settings(SIGNATORIES_PAGE_SIZE=3):
            url = f"/api/v1/statements/{self.statement.slug}/signatories"
            names = []
            for number in range(1, 8):
                body = self.client.get(url, {"page": number}).json()
                self.assertEqual(body["pages"], 6)
                names.extend(r["name"] for r in body["results"])
        self.assertEqual(names, [e["name"] for e in self.plain()])
