"""Organizer accounts: invitation by email over real SMTP, choosing a password, logging in,
password reset, and the log-in throttle."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage

import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.utils import timezone

from tests.console.base import ConsoleTestCase
from undersigned.accounts.models import Role, StatementRole
from undersigned.accounts.throttle import login_throttle_reset
from undersigned.audit.models import AuditEntry

INVITE_LINK = re.compile(r"https?://\S+?(/(?:ko/)?console/invitation/\S+?/\S+?/)")
RESET_LINK = re.compile(r"https?://\S+?(/(?:ko/)?console/password-reset/\S+?/\S+?/)")
NEW_PASSWORD = "correct horse battery staple"


class AccountTests(ConsoleTestCase):
    def setUp(self) -> None:
        super().setUp()
        caches["default"].delete(f"password-reset:{self.owner.pk}")

    def tearDown(self) -> None:
        caches["default"].delete(f"password-reset:{self.owner.pk}")
        # The throttle lives in the shared cache (Redis outlives the test's transaction).
        for username in ("owner@coalition.example", "new@partner.example"):
            for ip in ("127.0.0.1", "192.0.2.9"):
                login_throttle_reset(username, ip)
        super().tearDown()

    def body(self, message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    def login(self, username: str, password: str, **extra: str) -> object:
        return self.client.post(
            "/console/login/", {"username": username, "password": password}, **extra
        )

    def test_it_invites_by_email_then_the_invitee_sets_a_password_and_logs_in(self) -> None:
        self.client.force_login(self.owner)
        response = self.client.post(
            self.url("team"),
            {"email": "new@partner.example", "role": "editor", "organization": "Partner Org"},
        )
        self.assertRedirects(response, self.url("team"))
        self.assertEqual(self.run_worker(), 1)
        (message,) = self.mail_to("new@partner.example")
        self.assertIn("End the Korean War", message["Subject"])
        self.assertIn("Editor", self.body(message))
        link = INVITE_LINK.search(self.body(message))
        assert link is not None
        self.client.logout()

        page = self.client.get(link.group(1), follow=True)
        self.assertContains(page, "choose your password")
        set_password = page.redirect_chain[-1][0]
        done = self.client.post(
            set_password, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        )
        self.assertRedirects(done, "/console/login/")
        # The link dies once used.
        self.assertContains(self.client.get(link.group(1), follow=True), "no longer works")

        logged_in = self.login("new@partner.example", NEW_PASSWORD)
        self.assertRedirects(logged_in, "/console/", fetch_redirect_response=False)
        home = self.client.get("/console/")
        self.assertContains(home, "/console/s/end-the-war/")
        self.assertEqual(self.client.get(self.url("text")).status_code, 200)
        self.assertEqual(self.client.get(self.url("moderation")).status_code, 403)
        user = get_user_model().objects.get(username="new@partner.example")
        self.assertFalse(user.is_staff)
        grant = StatementRole.objects.get(user=user)
        self.assertEqual((grant.role, grant.organization), (Role.EDITOR, "Partner Org"))
        self.assertTrue(AuditEntry.objects.filter(action="organizer.invited").exists())
        self.assertNoEmailInAudit()

    def test_it_sends_the_invitation_in_the_language_of_the_console(self) -> None:
        self.client.force_login(self.owner)
        self.client.post(
            f"/ko{self.url('team')}", {"email": "new@partner.example", "role": "moderator"}
        )
        self.run_worker()
        (message,) = self.mail_to("new@partner.example")
        self.assertEqual(message["Content-Language"], "ko")
        self.assertIn("/ko/console/invitation/", self.body(message))

    def test_an_existing_organizer_is_told_to_log_in(self) -> None:
        self.client.force_login(self.owner)
        self.client.post(
            self.url("team"), {"email": "OUTSIDER@elsewhere.example", "role": "moderator"}
        )
        self.run_worker()
        (message,) = self.mail_to("outsider@elsewhere.example")
        self.assertIn("/console/login/", self.body(message))
        self.assertIsNone(INVITE_LINK.search(self.body(message)))
        self.assertTrue(
            StatementRole.objects.filter(user=self.outsider, role=Role.MODERATOR).exists()
        )

    def test_the_last_owner_stays(self) -> None:
        self.client.force_login(self.owner)
        own = StatementRole.objects.get(user=self.owner, statement=self.statement)
        response = self.client.post(self.url("team_remove", pk=own.pk), follow=True)
        self.assertContains(response, "at least one owner")
        self.assertTrue(StatementRole.objects.filter(pk=own.pk).exists())
        response = self.client.post(
            self.url("team"), {"email": "owner@coalition.example", "role": "editor"}
        )
        self.assertContains(response, "at least one owner", status_code=400)
        moderator = StatementRole.objects.get(user=self.moderator)
        self.client.post(self.url("team_remove", pk=moderator.pk))
        self.assertFalse(StatementRole.objects.filter(pk=moderator.pk).exists())
        self.assertTrue(AuditEntry.objects.filter(action="organizer.role_removed").exists())

    def test_it_locks_logging_in_after_five_failures(self) -> None:
        for attempt in range(1, 5):
            response = self.login("owner@coalition.example", f"wrong {attempt}")
            self.assertContains(response, "do not match")
        fifth = self.login("owner@coalition.example", "wrong 5")
        self.assertContains(fifth, "Too many failed attempts", status_code=429)
        self.assertContains(fifth, "15 minutes", status_code=429)
        # Even the right password is refused while locked, whatever the case of the name.
        right = self.login("OWNER@coalition.example", "x" * 12)
        self.assertContains(right, "Too many failed attempts", status_code=429)
        self.assertNotIn("_auth_user_id", self.client.session)
        # Another address is not locked out by this one's failures.
        elsewhere = self.login("owner@coalition.example", "x" * 12, REMOTE_ADDR="192.0.2.9")
        self.assertEqual(elsewhere.status_code, 302)
        if not settings.REDIS_URL:
            # Redis expires keys on its own clock; the database cache reads the (frozen) time.
            self.client.logout()
            with time_machine.travel(timezone.now() + timedelta(minutes=16)):
                later = self.login("owner@coalition.example", "x" * 12)
            self.assertEqual(later.status_code, 302)

    def test_a_successful_login_forgets_earlier_failures(self) -> None:
        for attempt in range(4):
            self.login("owner@coalition.example", f"wrong {attempt}")
        self.assertEqual(self.login("owner@coalition.example", "x" * 12).status_code, 302)
        self.client.logout()
        for attempt in range(4):
            self.assertEqual(
                self.login("owner@coalition.example", f"wrong again {attempt}").status_code, 200
            )

    def test_it_resets_a_password_through_an_emailed_link(self) -> None:
        sent = self.client.post("/console/password-reset/", {"email": "owner@coalition.example"})
        self.assertRedirects(sent, "/console/password-reset/sent/")
        # An unknown address gets the same answer, and no email.
        same = self.client.post("/console/password-reset/", {"email": "nobody@nowhere.example"})
        self.assertRedirects(same, "/console/password-reset/sent/")
        self.assertEqual(self.run_worker(), 1)
        (message,) = self.mail_to("owner@coalition.example")
        link = RESET_LINK.search(self.body(message))
        assert link is not None
        page = self.client.get(link.group(1), follow=True)
        self.assertContains(page, "Choose a new password")
        done = self.client.post(
            page.redirect_chain[-1][0],
            {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
        self.assertRedirects(done, "/console/password-reset/done/")
        self.assertEqual(self.login("owner@coalition.example", NEW_PASSWORD).status_code, 302)

    def test_password_reset_cannot_flood_an_inbox(self) -> None:
        for _ in range(3):
            response = self.client.post(
                "/console/password-reset/", {"email": "owner@coalition.example"}
            )
            self.assertRedirects(response, "/console/password-reset/sent/")
        self.assertEqual(self.run_worker(), 1)
        self.assertEqual(len(self.mail_to("owner@coalition.example")), 1)

    def test_the_login_page_renders_in_korean(self) -> None:
        page = self.client.get("/ko/console/login/")
        self.assertContains(page, 'lang="ko"')
        self.assertContains(page, "/ko/console/password-reset/")
        response = self.client.get("/ko/console/")
        self.assertTrue(response["Location"].startswith("/ko/console/login/?next=/ko/console/"))
