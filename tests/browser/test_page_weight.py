"""Fast pages: every public page (the statement with its pictures, the list, the sign-on
confirmation, the tracker), cold (a new browser profile each), weighs under 200 KB in
all and asks nothing of any host but our own (no CDN, no font service, no tracker).
The weights go to test-artifacts/page-weight.json."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from playwright.sync_api import Request

from tests.base import PERSON
from tests.browser.base import ARTIFACTS, LAPTOP, PHONE, BrowserTestCase
from undersigned.lib.tokens import make_token
from undersigned.signatures.services import signature_create
from undersigned.statements.demo import demo_load

BUDGET = 200 * 1024


class PageWeightTests(BrowserTestCase):
    def test_it_keeps_public_pages_small_and_on_our_own_host(self) -> None:
        # The demo campaign: a long statement in two languages, and enough signatories to
        # fill the list's first page.
        demo = demo_load(organizations=60, individuals=60)
        self.assertGreater(120, settings.SIGNATORIES_PAGE_SIZE)
        signature = signature_create(statement=demo, data=dict(PERSON)).signature  # type: ignore[arg-type]
        token = make_token("confirm", signature.pk, signature.nonce)
        pages = {
            "index": ("/", LAPTOP),
            "statement-en": (f"/s/{demo.slug}/", LAPTOP),
            "statement-ko-phone": (f"/ko/s/{demo.slug}/", PHONE),
            "list-en": (f"/s/{demo.slug}/signatories/", LAPTOP),
            "list-ko-phone": (f"/ko/s/{demo.slug}/signatories/", PHONE),
            "thanks-ko-phone": (f"/ko/s/{demo.slug}/thanks/", PHONE),
            "confirm-ko-phone": (f"/ko/s/{demo.slug}/confirm/{token}/", PHONE),
            "ledger": ("/ledger/", LAPTOP),
            "ledger-ko-phone": ("/ko/ledger/", PHONE),
            "agreements": ("/agreements/", LAPTOP),
            "agreement": ("/agreements/PMJ/", LAPTOP),
            "demands-ko-phone": (f"/ko/s/{demo.slug}/demands/", PHONE),
        }
        origin = urlsplit(self.live_server_url).netloc
        weights: dict[str, Any] = {}
        for name, (path, device) in pages.items():
            requests = self.visit(path, device)
            elsewhere = [r.url for r in requests if urlsplit(r.url).netloc != origin]
            self.assertEqual(elsewhere, [], f"{name} asks another host")
            sizes = {r.url.removeprefix(self.live_server_url): r.sizes() for r in requests}
            total = sum(s["responseBodySize"] + s["responseHeadersSize"] for s in sizes.values())
            weights[name] = {
                "bytes": total,
                "requests": {url: s["responseBodySize"] for url, s in sizes.items()},
            }
            self.assertLess(total, BUDGET, f"{name} weighs {total:,} bytes: {weights[name]}")
            self.assertEqual(
                [r.url for r in requests if r.resource_type == "font"], [], f"{name} loads fonts"
            )
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "page-weight.json").write_text(json.dumps(weights, indent=1))

    def visit(self, path: str, device: dict[str, Any]) -> list[Request]:
        """Every request a cold browser makes to show the page at `path`."""
        page = self.new_page(**device)
        requests: list[Request] = []
        # A lambda, not requests.append: Playwright cannot wrap a builtin as a handler.
        page.on("request", lambda request: requests.append(request))
        response = page.goto(path)
        assert response is not None
        self.assertEqual(response.status, 200, path)
        return requests
