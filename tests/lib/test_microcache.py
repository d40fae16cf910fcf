"""The second-long copies of the statement page and count for cookieless visitors
(undersigned.lib.microcache): served without running the view, with every header the stack
added, never to someone with a cookie, and dropped when the statement changes here."""

from __future__ import annotations

import json

from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from tests.base import PERSON, BaseTestCase
from undersigned.lib import microcache


# A minute, not the default second: on a busy machine a second can pass between two requests.
@override_settings(MICRO_CACHE_SECONDS=60)
class MicroCacheTests(BaseTestCase):
    def page(self) -> str:
        return f"/s/{self.statement.slug}/"

    def count(self) -> str:
        return f"/api/v1/statements/{self.statement.slug}/count"

    def test_a_cookieless_visitor_gets_the_copy_without_a_query(self) -> None:
        first = Client().get(self.page())
        self.assertEqual(first.status_code, 200)
        with self.assertNumQueries(0):
            again = Client().get(self.page())
        self.assertEqual(again.content, first.content)
        for header in (
            "Content-Security-Policy",
            "X-Frame-Options",
            "X-Content-Type-Options",
            "Content-Type",
            "Content-Language",
            "Vary",
        ):
            self.assertEqual(again.headers.get(header), first.headers.get(header), header)
        self.assertIsNotNone(again.headers.get("Content-Security-Policy"))

    def test_the_list_page_without_a_search_is_kept_too(self) -> None:
        listed = f"/s/{self.statement.slug}/signatories/"
        first = Client().get(listed)
        self.assertEqual(first.status_code, 200)
        with self.assertNumQueries(0):
            self.assertEqual(Client().get(listed).content, first.content)
        Client().get(listed, {"q": "park"})
        caches["local"].clear()
        with CaptureQueriesContext(connection) as queries:
            Client().get(listed, {"q": "park"})
        self.assertTrue(queries.captured_queries)  # a search is not kept: the view runs again

    def test_the_korean_page_copy_keeps_the_language_cookie(self) -> None:
        first = Client().get(f"/ko{self.page()}")
        self.assertEqual(first.cookies["undersigned_language"].value, "ko")
        with self.assertNumQueries(0):
            again = Client().get(f"/ko{self.page()}")
        self.assertEqual(again.content, first.content)
        self.assertEqual(again.cookies["undersigned_language"].value, "ko")
        self.assertEqual(again.cookies["undersigned_language"]["samesite"], "Lax")

    def test_each_language_and_query_has_its_own_copy(self) -> None:
        english = Client().get(self.page())
        korean = Client().get(self.page(), headers={"Accept-Language": "ko"})
        self.assertEqual(korean.status_code, 302)  # to /ko/…, never the English copy
        shared = Client().get(self.page(), {"ref": "partner-1"})
        self.assertContains(shared, 'value="partner-1"')
        self.assertNotEqual(shared.content, english.content)

    def test_a_visitor_with_a_cookie_or_a_conditional_request_goes_through_the_stack(
        self,
    ) -> None:
        Client().get(self.count())
        for headers in (
            {"Cookie": "sessionid=abc"},
            {"Authorization": "Bearer x"},
            {"If-None-Match": '"nothing"'},
        ):
            with self.subTest(headers=headers), self.assertNumQueries(1):
                # The statement is cached in the process; the stack still runs the view,
                # which reads the counts (its own copy was dropped for the test).
                caches["local"].delete(f"counts:{self.statement.pk}")
                response = Client().get(self.count(), headers=headers)
            self.assertEqual(response.status_code, 200)

    def test_a_confirmed_sign_on_shows_at_once_in_this_process(self) -> None:
        before = json.loads(Client().get(self.count()).content)
        page_before = Client().get(self.page()).content
        self.sign(PERSON)
        self.run_worker()
        confirm = self.link(self.mail_to(PERSON["email"])[0], "confirm")
        self.assertContains(Client().post(confirm), "your signature is confirmed")
        after = json.loads(Client().get(self.count()).content)
        self.assertEqual(after["total"], before["total"] + 1)
        self.assertNotEqual(Client().get(self.page()).content, page_before)

    def test_posts_errors_and_unmarked_pages_are_not_kept(self) -> None:
        Client().get("/s/no-such-statement/")
        with self.assertNumQueries(1):
            self.assertEqual(Client().get("/s/no-such-statement/").status_code, 404)
        Client().get("/healthz")
        with self.assertNumQueries(1):
            Client().get("/healthz")  # not marked: runs every time
        self.assertEqual(microcache._store.entries, {})

    def test_a_plain_http_request_is_redirected_not_handed_the_https_copy(self) -> None:
        with override_settings(SECURE_SSL_REDIRECT=True):
            self.assertEqual(Client().get(self.page(), secure=True).status_code, 200)
            self.assertEqual(Client().get(self.page()).status_code, 301)

    def test_an_answer_varying_on_another_header_is_not_kept(self) -> None:
        response = microcache.keep_copy(HttpResponse("x"), "t")
        response.headers["Vary"] = "Accept-Language, Origin"
        self.assertFalse(microcache._shareable(response))
        response.headers["Vary"] = "Accept-Language, Cookie"
        self.assertTrue(microcache._shareable(response))

    def test_an_unknown_host_is_refused_every_time(self) -> None:
        for _ in range(2):
            response = Client().get(self.page(), HTTP_HOST="evil.example")
            self.assertEqual(response.status_code, 400)

    def test_it_can_be_turned_off(self) -> None:
        Client().get(self.count())
        with override_settings(MICRO_CACHE_SECONDS=0), self.assertNumQueries(1):
            caches["local"].delete(f"counts:{self.statement.pk}")
            Client().get(self.count())

    def test_it_keeps_a_bounded_number_of_copies(self) -> None:
        for n in range(microcache.MAX_ENTRIES + 20):
            Client().get(self.page(), {"ref": f"r{n}"})
        self.assertEqual(len(microcache._store.entries), microcache.MAX_ENTRIES)
