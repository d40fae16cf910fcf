"""Organizer two-factor authentication with real TOTP codes, computed here (RFC 6238) from the
secret the set-up page shows, the way an authenticator app computes them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import time
from typing import Any

import time_machine
from django.test import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.console.base import ConsoleTestCase
from undersigned.accounts.models import RecoveryCode
from undersigned.accounts.throttle import LOGIN_FAILURES_ALLOWED, login_throttle_reset
from undersigned.audit.models import AuditEntry

PASSWORD = "x" * 12
SECRET = re.compile(r'<code class="secret">([A-Z2-7 ]+)</code>')
CODES = re.compile(r"<code>([A-Z2-9]{5}-[A-Z2-9]{5})</code>")


def totp(secret: str, at: float | None = None) -> str:
    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


class TwoFactorTests(ConsoleTestCase):
    def tearDown(self) -> None:
        login_throttle_reset(self.owner.get_username(), "127.0.0.1")
        super().tearDown()

    def enable(self) -> tuple[str, list[str]]:
        """Set up the app as the owner would: read the key off the page, type a code."""
        self.client.force_login(self.owner)
        page = self.client.get("/console/two-factor/")
        self.assertEqual(page.status_code, 200)
        html = page.content.decode()
        self.assertIn("<svg", html)  # the QR code, inline
        self.assertIn("otpauth://totp/", html)
        secret = SECRET.search(html).group(1)  # type: ignore[union-attr]
        done = self.client.post("/console/two-factor/", {"action": "enable", "code": totp(secret)})
        self.assertEqual(done.status_code, 200)
        codes = CODES.findall(done.content.decode())
        self.assertEqual(len(codes), 10)
        self.client.logout()
        return secret, codes

    def password_step(self) -> Any:
        return self.client.post(
            "/console/login/", {"username": self.owner.get_username(), "password": PASSWORD}
        )

    def test_setup_needs_a_right_code_and_keeps_only_hashes_of_recovery_codes(self) -> None:
        self.client.force_login(self.owner)
        html = self.client.get("/console/two-factor/").content.decode()
        wrong = self.client.post("/console/two-factor/", {"action": "enable", "code": "000000"})
        self.assertEqual(wrong.status_code, 400)
        self.assertFalse(TOTPDevice.objects.filter(user=self.owner, confirmed=True).exists())
        # Reloading keeps the same key: the QR code already scanned still works.
        self.assertEqual(
            SECRET.search(html).group(1),  # type: ignore[union-attr]
            SECRET.search(self.client.get("/console/two-factor/").content.decode()).group(1),  # type: ignore[union-attr]
        )
        self.client.logout()
        with time_machine.travel(time.time() + 5):  # past django-otp's back-off
            _secret, codes = self.enable()
        self.assertTrue(TOTPDevice.objects.filter(user=self.owner, confirmed=True).exists())
        stored = set(
            RecoveryCode.objects.filter(user=self.owner).values_list("code_hash", flat=True)
        )
        self.assertEqual(len(stored), 10)
        for code in codes:
            self.assertNotIn(code, stored)
            self.assertNotIn(code.replace("-", ""), stored)
        self.assertTrue(AuditEntry.objects.filter(action="organizer.2fa_enabled").exists())

    def test_login_asks_for_the_code_after_the_password(self) -> None:
        secret, _codes = self.enable()
        with time_machine.travel(time.time() + 60, tick=False) as clock:
            response = self.password_step()
            self.assertRedirects(response, "/console/login/code/", fetch_redirect_response=False)
            # The password alone does not log in.
            self.assertEqual(self.client.get("/console/").status_code, 302)
            self.assertNotIn("_auth_user_id", self.client.session)
            wrong = self.client.post("/console/login/code/", {"code": "123456"})
            self.assertEqual(wrong.status_code, 400)
            self.assertIn("That code is not right", wrong.content.decode())
            clock.shift(2)  # django-otp's own back-off after a wrong code: 1 s, then doubling
            ok = self.client.post("/console/login/code/", {"code": totp(secret)})
            self.assertRedirects(ok, "/console/", fetch_redirect_response=False)
            self.assertEqual(self.client.get("/console/").status_code, 200)

    def test_a_code_works_once(self) -> None:
        secret, _codes = self.enable()
        with time_machine.travel(time.time() + 60, tick=False):
            self.password_step()
            code = totp(secret)
            self.client.post("/console/login/code/", {"code": code})
            self.client.logout()
            self.password_step()
            replay = self.client.post("/console/login/code/", {"code": code})
            self.assertEqual(replay.status_code, 400)

    def test_a_recovery_code_logs_in_once(self) -> None:
        _secret, codes = self.enable()
        self.password_step()
        response = self.client.post("/console/login/code/", {"code": codes[0].lower()})
        self.assertRedirects(response, "/console/two-factor/", fetch_redirect_response=False)
        self.assertEqual(RecoveryCode.objects.filter(user=self.owner).count(), 9)
        self.client.logout()
        self.password_step()
        again = self.client.post("/console/login/code/", {"code": codes[0]})
        self.assertEqual(again.status_code, 400)

    def test_wrong_codes_are_throttled_like_passwords(self) -> None:
        secret, _codes = self.enable()
        with time_machine.travel(time.time() + 60, tick=False):
            self.password_step()
            for _i in range(LOGIN_FAILURES_ALLOWED - 1):
                self.assertEqual(
                    self.client.post("/console/login/code/", {"code": "000000"}).status_code, 400
                )
            locked = self.client.post("/console/login/code/", {"code": "000000"})
            self.assertEqual(locked.status_code, 429)
            # Even the right code is refused while locked, and so is the password.
            right = self.client.post("/console/login/code/", {"code": totp(secret)})
            self.assertEqual(right.status_code, 429)
            self.assertEqual(self.password_step().status_code, 429)

    def test_the_right_password_does_not_reset_the_code_failures(self) -> None:
        self.enable()
        with time_machine.travel(time.time() + 60, tick=False) as clock:
            for _i in range(LOGIN_FAILURES_ALLOWED - 1):
                self.password_step()
                self.client.post("/console/login/code/", {"code": "000000"})
                clock.shift(1)
            self.password_step()
            locked = self.client.post("/console/login/code/", {"code": "000000"})
            self.assertEqual(locked.status_code, 429)

    def test_the_password_step_expires(self) -> None:
        secret, _codes = self.enable()
        self.password_step()
        with time_machine.travel(time.time() + 600, tick=False):
            response = self.client.post("/console/login/code/", {"code": totp(secret)})
            self.assertRedirects(response, "/console/login/", fetch_redirect_response=False)

    def test_a_session_without_the_code_is_sent_to_log_in_again(self) -> None:
        self.enable()
        self.client.force_login(self.owner)  # a session that never gave a code
        response = self.client.get(self.url("dashboard"))
        self.assertEqual(response.status_code, 302)
        self.assertIn("/console/login/", response["Location"])

    @override_settings(REQUIRE_ORGANIZER_2FA=True)
    def test_required_sends_organizers_without_an_app_to_set_one_up(self) -> None:
        self.client.force_login(self.editor)
        for url in ("/console/", self.url("dashboard")):
            response = self.client.get(url)
            self.assertRedirects(response, "/console/two-factor/", fetch_redirect_response=False)
        page = self.client.get("/console/two-factor/")
        self.assertContains(page, "requires organizers to use two-factor authentication")
        secret = SECRET.search(page.content.decode()).group(1)  # type: ignore[union-attr]
        self.client.post("/console/two-factor/", {"action": "enable", "code": totp(secret)})
        self.assertEqual(self.client.get(self.url("dashboard")).status_code, 200)
        # And it cannot be turned off.
        with time_machine.travel(time.time() + 60, tick=False):
            off = self.client.post(
                "/console/two-factor/", {"action": "off", "off-code": totp(secret)}
            )
        self.assertEqual(off.status_code, 400)
        self.assertTrue(TOTPDevice.objects.filter(user=self.editor, confirmed=True).exists())

    def test_turning_it_off_needs_a_code(self) -> None:
        secret, _codes = self.enable()
        with time_machine.travel(time.time() + 60, tick=False):
            self.password_step()
            self.client.post("/console/login/code/", {"code": totp(secret)})
        with time_machine.travel(time.time() + 120, tick=False) as clock:
            bad = self.client.post("/console/two-factor/", {"action": "off", "off-code": "1"})
            self.assertEqual(bad.status_code, 400)
            clock.shift(2)
            self.client.post("/console/two-factor/", {"action": "off", "off-code": totp(secret)})
        self.assertFalse(TOTPDevice.objects.filter(user=self.owner).exists())
        self.assertFalse(RecoveryCode.objects.filter(user=self.owner).exists())
        self.client.logout()
        self.assertRedirects(self.password_step(), "/console/", fetch_redirect_response=False)
