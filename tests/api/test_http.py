"""HTTP around the public API: caching headers a proxy or CDN can act on, conditional GETs,
CORS for partner sites' scripts, and no interactive docs page that our CSP would blank."""

from __future__ import annotations

import json
from typing import Any

from django.core.cache import caches

from tests.base import PERSON, BaseTestCase
from undersigned.signatures.models import Signature
from undersigned.signatures.services import signature_confirm

API = "/api/v1/statements/end-the-war"


class CachingTests(BaseTestCase):
    def get(self, url: str, **headers: Any) -> Any:
        caches["local"].clear()
        return self.client.get(url, headers=headers)

    def test_the_count_is_cacheable_for_five_seconds_with_an_etag(self) -> None:
        response = self.get(f"{API}/count")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Cache-Control"], "public, max-age=5, stale-while-revalidate=30")
        self.assertIn("Accept-Language", response["Vary"])
        self.assertTrue(response["ETag"].startswith('"'))
        self.assertLess(len(response.content), 80)

    def test_a_conditional_get_of_the_same_count_answers_304(self) -> None:
        etag = self.get(f"{API}/count")["ETag"]
        again = self.get(f"{API}/count", if_none_match=etag)
        self.assertEqual(again.status_code, 304)
        self.assertEqual(again.content, b"")
        self.assertEqual(again["ETag"], etag)

    def test_a_new_count_has_a_new_etag(self) -> None:
        etag = self.get(f"{API}/count")["ETag"]
        self.client.post(f"{API}/signatures", json.dumps(PERSON), content_type="application/json")
        signature = Signature.objects.get()
        signature_confirm(signature_id=signature.pk, nonce=signature.nonce)
        response = self.get(f"{API}/count", if_none_match=etag)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["individuals"], 1)
        self.assertNotEqual(response["ETag"], etag)

    def test_statements_and_lists_are_cacheable_for_a_short_while(self) -> None:
        for url in ("/api/v1/statements", API, f"{API}/signatories", f"{API}/demands"):
            with self.subTest(url):
                response = self.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertIn("public", response["Cache-Control"])
                self.assertRegex(response["Cache-Control"], r"max-age=(15|60)\b")
                self.assertIn("stale-while-revalidate", response["Cache-Control"])
                self.assertTrue(response.has_header("ETag"))

    def test_errors_and_sign_ons_are_not_cached(self) -> None:
        for response in (
            self.get("/api/v1/statements/nothing/count"),
            self.client.get(f"{API}/signatories", {"page": "0"}),
            self.client.post(
                f"{API}/signatures", json.dumps(PERSON), content_type="application/json"
            ),
        ):
            with self.subTest(response.status_code):
                self.assertNotIn("public", response.get("Cache-Control", ""))
                self.assertFalse(response.has_header("ETag"))

    def test_the_answer_varies_with_the_language_asked_for(self) -> None:
        english = self.get(f"{API}/signatories")
        korean = self.get(f"{API}/signatories", accept_language="ko")
        self.assertEqual(korean["Content-Language"], "ko")
        self.assertIn("Accept-Language", korean["Vary"])
        self.assertEqual(english["Content-Language"], "en")


class CorsTests(BaseTestCase):
    def test_public_reads_may_be_made_from_any_origin_without_credentials(self) -> None:
        for url in ("/api/v1/statements", f"{API}/count", f"{API}/signatories", "/osdi/v1/"):
            with self.subTest(url):
                response = self.client.get(url, headers={"origin": "https://partner.example"})
                self.assertEqual(response["Access-Control-Allow-Origin"], "*")
                self.assertFalse(response.has_header("Access-Control-Allow-Credentials"))

    def test_a_sign_on_may_be_posted_from_any_origin_after_a_preflight(self) -> None:
        preflight = self.client.options(
            f"{API}/signatures",
            headers={
                "origin": "https://partner.example",
                "access-control-request-method": "POST",
                "access-control-request-headers": "content-type",
            },
        )
        self.assertEqual(preflight.status_code, 204)
        self.assertEqual(preflight["Access-Control-Allow-Origin"], "*")
        self.assertIn("POST", preflight["Access-Control-Allow-Methods"])
        self.assertIn("Content-Type", preflight["Access-Control-Allow-Headers"])
        self.assertFalse(preflight.has_header("Access-Control-Allow-Credentials"))
        response = self.client.post(
            f"{API}/signatures",
            json.dumps(PERSON),
            content_type="application/json",
            headers={"origin": "https://partner.example"},
        )
        self.assertEqual(response.status_code, 202)
        self.assertEqual(response["Access-Control-Allow-Origin"], "*")

    def test_a_page_on_another_origin_cannot_send_an_osdi_token(self) -> None:
        preflight = self.client.options(
            "/osdi/v1/petitions/end-the-war/record_signature_helper",
            headers={
                "origin": "https://partner.example",
                "access-control-request-method": "POST",
                "access-control-request-headers": "osdi-api-token",
            },
        )
        self.assertFalse(preflight.has_header("Access-Control-Allow-Origin"))
        read = self.client.options(
            "/osdi/v1/petitions",
            headers={
                "origin": "https://partner.example",
                "access-control-request-method": "GET",
                "access-control-request-headers": "authorization",
            },
        )
        self.assertNotIn("uthorization", read.get("Access-Control-Allow-Headers", ""))

    def test_pages_are_not_opened_to_other_origins(self) -> None:
        response = self.client.get("/s/end-the-war/", headers={"origin": "https://x.example"})
        self.assertFalse(response.has_header("Access-Control-Allow-Origin"))


class DocsTests(BaseTestCase):
    def test_there_is_no_docs_page_that_would_load_from_a_cdn(self) -> None:
        self.assertEqual(self.client.get("/api/v1/docs").status_code, 404)
        self.assertEqual(self.client.get("/api/v1/openapi.json").status_code, 200)
