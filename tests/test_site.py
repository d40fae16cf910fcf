"""Site-wide plumbing: health check, SQLite settings, the demo outbox, static files."""

from __future__ import annotations

import tempfile

from django.db import connection
from django.test import override_settings

from tests.base import PERSON, BaseTestCase
from undersigned.lib.emails import OutboxBackend


class SiteTests(BaseTestCase):
    def test_it_answers_the_health_check(self) -> None:
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"ok")

    def test_sqlite_runs_in_wal_mode_with_normal_sync(self) -> None:
        if connection.vendor != "sqlite":
            self.skipTest("SQLite settings only")
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            self.assertEqual(cursor.fetchone()[0], "wal")
            cursor.execute("PRAGMA synchronous")
            self.assertEqual(cursor.fetchone()[0], 1)  # NORMAL

    def test_it_serves_its_stylesheet_without_any_external_request(self) -> None:
        page = self.client.get(f"/s/{self.statement.slug}/").content.decode()
        self.assertIn('href="/static/undersigned/site.css"', page)
        self.assertNotIn("https://", page.split("<body", 1)[0])

    def test_the_demo_outbox_shows_sent_email_with_a_working_link(self) -> None:
        with tempfile.TemporaryDirectory() as folder, override_settings(
            DEMO=True, EMAIL_BACKEND="undersigned.lib.emails.OutboxBackend", EMAIL_FILE_PATH=folder
        ):
            self.sign(PERSON)
            self.run_worker()
            page = self.client.get("/outbox/")
            self.assertContains(page, "Confirm your signature")
            self.assertContains(page, f"/s/{self.statement.slug}/confirm/")
            self.assertEqual(len(list(OutboxBackend(file_path=folder).path.glob("*.eml"))), 1)

    def test_the_outbox_does_not_exist_outside_the_demo(self) -> None:
        with override_settings(DEMO=False):
            self.assertEqual(self.client.get("/outbox/").status_code, 404)
