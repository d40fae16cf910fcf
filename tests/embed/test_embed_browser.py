"""The embedded form in Debian's Chromium, framed by a partner's page on another site: it
shows, signs and thanks inside the frame, and no cookie is set on the way."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.base import PERSON
from tests.browser.base import LAPTOP, BrowserTestCase
from undersigned.signatures.embed import embed_snippets
from undersigned.signatures.models import Source, Status


def serve_partner_page(html: str) -> ThreadingHTTPServer:
    """A partner's web server with one page, on this machine's loopback (Chromium refuses to
    let a page from elsewhere frame a loopback address, as the live server is)."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.usefixtures("class_chromium")
class EmbedBrowserTests(BrowserTestCase):
    def test_it_signs_inside_a_partners_frame_without_cookies(self) -> None:
        snippets = embed_snippets(self.statement)
        base = "http://127.0.0.1:8000"  # BASE_URL in tests; the live server has its own port
        server = serve_partner_page(
            "<!doctype html><html lang='en'><title>Partner</title><h1>A partner's page</h1>"
            + snippets["counter"].replace(base, self.live_server_url)
            + snippets["sign"].replace(base, self.live_server_url)
        )
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        context = self.new_context(**LAPTOP)
        page = context.new_page()
        # localhost and 127.0.0.1 are different sites: the embed is framed by another site.
        page.goto(f"http://localhost:{server.server_address[1]}/")
        counter = page.frame_locator("iframe[src*='/counter/']")
        expect(counter.get_by_text("0 individuals")).to_be_visible()
        form = page.frame_locator("iframe[src*='/sign/']")
        expect(form.get_by_role("heading", level=1)).to_have_text("End the Korean War")
        form.get_by_role("textbox", name="Your name").fill(PERSON["name"])
        form.get_by_role("textbox", name="Email").fill(PERSON["email"])
        self.shot(page, "partner-page")
        form.get_by_role("button", name="Sign").click()
        expect(form.get_by_role("heading", level=1)).to_have_text("Check your inbox")
        self.shot(page, "thanks-in-frame")
        self.assertEqual(context.cookies(), [])
        signature = self.statement.signatures.get()
        self.assertEqual((signature.status, signature.source), (Status.PENDING, Source.EMBED))
        # Not emailed_link(): it counts the queue's finished jobs, which late in a long run on
        # Redis can drop as old entries expire; the email itself is the proof.
        self.run_worker()
        (message,) = self.mail_to(PERSON["email"])
        self.assertIn("/confirm/", self.link(message, "confirm"))
