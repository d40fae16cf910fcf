"""The public list's pages: fetched by a deferred join, kept for a moment per process, and
still right the moment a listed name changes."""

from __future__ import annotations

from django.core.cache import caches
from django.test import override_settings

from tests.base import BaseTestCase
from undersigned.signatures.models import Display, Signature
from undersigned.signatures.selectors import _listed, public_signatories
from undersigned.signatures.services import (
    signature_confirm,
    signature_create,
    signature_update_display,
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
