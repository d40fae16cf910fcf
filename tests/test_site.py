"""Site-wide plumbing: health check, SQLite settings, the demo outbox, static files."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

from django.db import connection
from django.test import SimpleTestCase, override_settings

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
        with (
            tempfile.TemporaryDirectory() as folder,
            override_settings(
                DEMO=True,
                EMAIL_BACKEND="undersigned.lib.emails.OutboxBackend",
                EMAIL_FILE_PATH=folder,
            ),
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


class ErrorAnswerTests(BaseTestCase):
    """400 and 404: JSON under /api/ and /osdi/ (programs read them), pages elsewhere, with
    the reason when there is one (undersigned.lib.errors)."""

    def test_an_unknown_api_address_answers_json(self) -> None:
        for path in ("/api/v1/nothing-here", "/api/v2/statements", "/api/"):
            response = self.client.get(path)
            self.assertEqual(response.status_code, 404, path)
            self.assertEqual(response["Content-Type"], "application/json")
            self.assertEqual(response.json(), {"errors": {"__all__": ["Not found."]}})
        osdi = self.client.get("/osdi/v1/nothing-here")
        self.assertEqual(osdi.status_code, 404)
        self.assertEqual(osdi["Content-Type"], "application/hal+json")
        self.assertEqual(osdi.json()["error"], "Not found.")

    def test_the_api_404_is_translated(self) -> None:
        response = self.client.get("/api/v1/nothing-here", HTTP_ACCEPT_LANGUAGE="ko")
        self.assertEqual(response.json(), {"errors": {"__all__": ["찾을 수 없습니다."]}})

    def test_a_foreign_host_gets_json_from_the_api_and_a_page_elsewhere(self) -> None:
        api = self.client.get(f"/api/v1/statements/{self.statement.slug}", HTTP_HOST="evil.example")
        self.assertEqual(api.status_code, 400)
        self.assertIn("__all__", api.json()["errors"])
        page = self.client.get(f"/s/{self.statement.slug}/", HTTP_HOST="evil.example")
        self.assertEqual(page.status_code, 400)
        self.assertContains(page, 'role="alert"', status_code=400)

    def test_a_page_404_is_the_site_page(self) -> None:
        response = self.client.get("/no-such-page/")
        self.assertContains(response, "Page not found", status_code=404)

    def test_a_form_in_a_foreign_charset_is_refused_with_a_message(self) -> None:
        body = b"ind-kind=individual&ind-name=A"
        page = self.client.post(
            f"/ko/s/{self.statement.slug}/sign/",
            body,
            content_type="application/x-www-form-urlencoded; charset=iso-8859-1",
        )
        self.assertEqual(page.status_code, 400)
        self.assertIn('role="alert"', page.content.decode())
        self.assertIn("UTF-8", page.content.decode())
        self.assertIn('lang="ko"', page.content.decode())
        api = self.client.post(
            "/api/v1/statements/x/signatures",
            body,
            content_type="multipart/form-data; boundary=x; charset=utf-16",
        )
        self.assertEqual(api.status_code, 400)
        self.assertEqual(api.json(), {"errors": {"__all__": ["Send forms encoded as UTF-8."]}})


class SecurityHeaderTests(BaseTestCase):
    def test_public_pages_send_a_strict_content_security_policy(self) -> None:
        response = self.client.get(f"/s/{self.statement.slug}/")
        policy = response["Content-Security-Policy"]
        self.assertIn("default-src 'self'", policy)
        self.assertIn("frame-ancestors 'none'", policy)
        self.assertNotIn("unsafe-inline", policy)
        self.assertEqual(response["X-Frame-Options"], "DENY")
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        self.assertEqual(response["Referrer-Policy"], "same-origin")

    def test_the_policy_built_once_still_follows_the_settings_in_force(self) -> None:
        page = f"/s/{self.statement.slug}/"
        self.assertIn("default-src 'self'", self.client.get(page)["Content-Security-Policy"])
        policy = {"DIRECTIVES": {"default-src": ["'self'", "https://cdn.example.org"]}}
        with override_settings(
            CONTENT_SECURITY_POLICY=policy, CONTENT_SECURITY_POLICY_REPORT_ONLY=policy
        ):
            response = self.client.get(page)
            self.assertIn("https://cdn.example.org", response["Content-Security-Policy"])
            self.assertIn(
                "https://cdn.example.org", response["Content-Security-Policy-Report-Only"]
            )
        response = self.client.get(page)
        self.assertNotIn("cdn.example.org", response["Content-Security-Policy"])
        self.assertNotIn("Content-Security-Policy-Report-Only", response)


def deploy_check(**environment: str) -> subprocess.CompletedProcess[str]:
    """`undersigned manage check --deploy --fail-level WARNING` in a fresh data folder."""
    with tempfile.TemporaryDirectory() as data:
        keep = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", *environment}
        }
        return subprocess.run(
            [
                str(Path(sys.executable).with_name("undersigned")),
                "manage",
                "check",
                "--deploy",
                "--fail-level",
                "WARNING",
            ],
            env={**keep, "UNDERSIGNED_DATA_DIR": data, **environment},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


class DeployCheckTests(SimpleTestCase):
    def test_production_settings_pass_the_deploy_check_at_warning_level(self) -> None:
        result = deploy_check(
            SECRET_KEY=secrets.token_urlsafe(60),
            BASE_URL="https://sign.example.org",
            ALLOWED_HOSTS="sign.example.org",
            EMAIL_URL="smtp+tls://user:secret@mail.example.org:587",
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("no issues", result.stdout)

    def test_a_default_install_is_warned_about_its_production_gaps(self) -> None:
        result = deploy_check(SECRET_KEY="", EMAIL_URL="", BASE_URL="")
        self.assertNotEqual(result.returncode, 0)
        for check in ("undersigned.W001", "undersigned.W002", "undersigned.W003"):
            self.assertIn(check, result.stderr + result.stdout)
