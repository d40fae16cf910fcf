"""Organizer API tokens: the key is shown once and stored only as a hash; creation and
revocation are audited; only owners and editors may hold one; the management command."""

from __future__ import annotations

import hashlib
from io import StringIO

from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from tests.base import BaseTestCase
from undersigned.api.models import ApiToken
from undersigned.api.selectors import api_token_for_key
from undersigned.api.services import api_token_create, api_token_revoke
from undersigned.audit.models import AuditEntry


class TokenServiceTests(BaseTestCase):
    def test_it_returns_the_key_once_and_keeps_only_its_hash(self) -> None:
        token, key = api_token_create(statement=self.statement, user=self.owner, label="AN")
        self.assertTrue(key.startswith("usk_"))
        self.assertGreater(len(key), 40)
        token.refresh_from_db()
        self.assertEqual(token.key_hash, hashlib.sha256(key.encode()).hexdigest())
        self.assertTrue(key.startswith(token.prefix))
        self.assertLess(len(token.prefix), 16)
        row = " ".join(str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields)
        self.assertNotIn(key, row)
        self.assertEqual(api_token_for_key(key), token)
        entry = AuditEntry.objects.get(action="api_token.created")
        self.assertEqual((entry.actor, entry.statement), (self.owner, self.statement))
        self.assertNotIn(key, str(entry.data))

    def test_a_revoked_token_stops_working(self) -> None:
        token, key = api_token_create(statement=self.statement, user=self.owner)
        self.assertTrue(api_token_revoke(token=token, actor=self.owner))
        self.assertFalse(api_token_revoke(token=token, actor=self.owner))
        self.assertIsNone(api_token_for_key(key))
        self.assertEqual(AuditEntry.objects.filter(action="api_token.revoked").count(), 1)

    def test_only_owners_and_editors_may_hold_one(self) -> None:
        for user in (self.moderator, self.outsider):
            with self.subTest(user.email), self.assertRaises(PermissionDenied):
                api_token_create(statement=self.statement, user=user)
        self.assertFalse(ApiToken.objects.exists())

    def test_it_notes_when_a_token_was_last_used(self) -> None:
        token, key = api_token_create(statement=self.statement, user=self.owner)
        self.assertIsNone(token.last_used_at)
        api_token_for_key(key)
        token.refresh_from_db()
        self.assertIsNotNone(token.last_used_at)


class CommandTests(BaseTestCase):
    def call(self, *args: str) -> str:
        out = StringIO()
        call_command("apitoken", *args, stdout=out)
        return out.getvalue()

    def test_it_creates_lists_and_revokes(self) -> None:
        out = self.call("create", "end-the-war", "owner@coalition.example", "--label", "AN")
        key = out.strip().splitlines()[-1]
        self.assertIsNotNone(api_token_for_key(key))
        token = ApiToken.objects.get()
        listing = self.call("list", "end-the-war")
        self.assertIn(token.prefix, listing)
        self.assertIn("active", listing)
        self.assertNotIn(key, listing)
        self.assertIn("Revoked", self.call("revoke", token.prefix))
        self.assertIn("already", self.call("revoke", str(token.pk)))
        self.assertIsNone(api_token_for_key(key))

    def test_it_explains_mistakes_in_one_line(self) -> None:
        for args, message in (
            (("create", "nothing", "owner@coalition.example"), "no statement"),
            (("create", "end-the-war", "nobody@x.example"), "no organizer"),
            (("create", "end-the-war", "mod@coalition.example"), "owners and editors"),
            (("revoke", "usk_nothing"), "no single token"),
        ):
            with self.subTest(args), self.assertRaisesMessage(CommandError, message):
                self.call(*args)
