"""The API tokens screen (owners only: the key shown once, then only its prefix; revoking
stops it working on /osdi/v1) and the embed snippets screen."""

from __future__ import annotations

import html
import re

from tests.console.base import ConsoleTestCase
from undersigned.api.models import ApiToken
from undersigned.api.services import api_token_create, hash_key
from undersigned.audit.models import AuditEntry

KEY = re.compile(r"usk_[\w-]{20,}")


class ApiTokenScreenTests(ConsoleTestCase):
    def osdi_status(self, key: str) -> int:
        return self.client.get(
            f"/osdi/v1/petitions/{self.statement.slug}/signatures",
            headers={"authorization": f"Token {key}"},
        ).status_code

    def test_the_key_is_shown_once_and_works_until_revoked(self) -> None:
        self.client.force_login(self.owner)
        response = self.client.post(self.url("api_tokens"), {"label": "CRM sync"})
        self.assertEqual(response.status_code, 200)
        self.assertIn("no-store", response["Cache-Control"])
        match = KEY.search(response.content.decode())
        assert match is not None
        key = match.group(0)
        token = ApiToken.objects.get()
        self.assertEqual((token.label, token.user), ("CRM sync", self.owner))
        self.assertEqual(token.key_hash, hash_key(key))
        self.assertNotIn(key, str(ApiToken.objects.values().get()))

        page = self.client.get(self.url("api_tokens"))
        self.assertNotContains(page, key)
        self.assertContains(page, f"{token.prefix}…")
        self.assertContains(page, "CRM sync")
        self.assertEqual(self.osdi_status(key), 200)
        token.refresh_from_db()
        self.assertIsNotNone(token.last_used_at)

        response = self.client.post(self.url("api_token_revoke", pk=token.pk))
        self.assertRedirects(response, self.url("api_tokens"))
        self.assertEqual(self.osdi_status(key), 401)
        self.assertContains(self.client.get(self.url("api_tokens")), "revoked")
        actions = list(
            AuditEntry.objects.filter(action__startswith="api_token").values_list("action", "actor")
        )
        self.assertEqual(
            sorted(actions),
            [("api_token.created", self.owner.pk), ("api_token.revoked", self.owner.pk)],
        )

    def test_only_owners_manage_tokens(self) -> None:
        token, key = api_token_create(statement=self.statement, user=self.owner)
        for user in (self.editor, self.moderator, self.other_editor, self.outsider):
            self.client.force_login(user)
            with self.subTest(user=user.get_username()):
                self.assertEqual(self.client.get(self.url("api_tokens")).status_code, 403)
                self.assertEqual(
                    self.client.post(self.url("api_tokens"), {"label": "x"}).status_code, 403
                )
                revoke = self.client.post(self.url("api_token_revoke", pk=token.pk))
                self.assertEqual(revoke.status_code, 403)
        self.assertEqual(ApiToken.objects.count(), 1)
        self.assertEqual(self.osdi_status(key), 200)
        self.client.force_login(self.editor)
        self.assertNotContains(self.client.get(self.url("dashboard")), self.url("api_tokens"))

    def test_a_token_of_another_statement_cannot_be_revoked_from_here(self) -> None:
        foreign, _key = api_token_create(statement=self.other, user=self.other_editor)
        self.client.force_login(self.owner)
        response = self.client.post(self.url("api_token_revoke", pk=foreign.pk))
        self.assertEqual(response.status_code, 404)
        foreign.refresh_from_db()
        self.assertIsNone(foreign.revoked_at)


class EmbedScreenTests(ConsoleTestCase):
    def test_it_shows_the_snippets_to_copy_and_a_live_preview(self) -> None:
        self.client.force_login(self.moderator)
        page = self.client.get(self.url("embed"))
        self.assertEqual(page.status_code, 200)
        text = page.content.decode()
        sign_src = f"/embed/s/{self.statement.slug}/sign/"
        counter_src = f"/embed/s/{self.statement.slug}/counter/"
        # In a read-only text box (copyable without JavaScript), escaped ...
        boxes = re.findall(r"<textarea[^>]*readonly[^>]*>(.*?)</textarea>", text, re.S)
        self.assertEqual(len(boxes), 2)
        snippets = [html.unescape(b) for b in boxes]
        self.assertTrue(any(sign_src in s and s.startswith("<iframe") for s in snippets))
        self.assertTrue(any(counter_src in s for s in snippets))
        # ... and as the live embeds, which answer and may be framed.
        self.assertEqual(len(re.findall(r"<iframe src=", text)), 2)
        for src in (sign_src, counter_src):
            embedded = self.client.get(src)
            self.assertEqual(embedded.status_code, 200)
            self.assertNotIn("X-Frame-Options", embedded)
        self.assertContains(page, "console/copy.js")

    def test_a_language_can_be_pinned(self) -> None:
        self.client.force_login(self.editor)
        page = self.client.get(self.url("embed"), {"language": "ko"})
        self.assertContains(page, "/counter/?lang=ko")
        page = self.client.get(self.url("embed"), {"language": "xx"})
        self.assertNotContains(page, "/counter/?lang=")
