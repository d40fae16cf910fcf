"""The console's test base: the standing personas plus an editor, a second statement with
its own editor, and quick ways to make sign-ons in any state through the real services."""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.cache import caches
from django.urls import reverse
from django.utils import translation

from tests.base import CONTENT, BaseTestCase
from undersigned.accounts.models import Role, StatementRole
from undersigned.audit.models import AuditEntry
from undersigned.lib.http import ip_hash
from undersigned.signatures.models import Network, Signature
from undersigned.signatures.services import signature_approve, signature_confirm, signature_create
from undersigned.statements.models import Statement
from undersigned.statements.services import statement_create, statement_open

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


class ConsoleTestCase(BaseTestCase):
    editor: ClassVar[AbstractUser]
    other: ClassVar[Statement]
    other_editor: ClassVar[AbstractUser]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        User = get_user_model()
        cls.editor = User.objects.create_user(
            "editor@coalition.example", "editor@coalition.example", "x" * 12
        )
        StatementRole.objects.create(statement=cls.statement, user=cls.editor, role=Role.EDITOR)
        cls.other = statement_create(slug="another-statement", content=CONTENT)
        statement_open(statement=cls.other, public=True)
        cls.other_editor = User.objects.create_user(
            "editor@other.example", "editor@other.example", "x" * 12
        )
        StatementRole.objects.create(statement=cls.other, user=cls.other_editor, role=Role.OWNER)
        cls.network = Network.objects.create(slug="peace-network", name="Peace Network")

    def setUp(self) -> None:
        super().setUp()
        caches["local"].clear()

    def url(self, name: str, statement: Statement | None = None, **kwargs: Any) -> str:
        """The console URL, in English (the language a request left active does not count)."""
        slug = (statement or self.statement).slug
        with translation.override("en"):
            return reverse(f"console:{name}", kwargs={"slug": slug, **kwargs})

    def signon(
        self,
        fields: dict[str, Any],
        *,
        statement: Statement | None = None,
        confirm: bool = True,
        approve: bool = False,
        ip: str = "203.0.113.7",
        hold: str = "",
        referral: str = "",
        networks: list[Network] | None = None,
    ) -> Signature:
        """A sign-on through the services, as the sign-on path makes it; `hold` is a reason the
        abuse screening would give for holding it quietly."""
        statement = statement or self.statement
        data: dict[str, Any] = {"display": "full", **fields}
        if networks:
            data["networks"] = networks
        signature = signature_create(
            statement=statement,
            data=data,  # type: ignore[arg-type]
            ip_hash=ip_hash(ip),
            referral=referral,
            suspicion=hold,
        ).signature
        if confirm:
            signature_confirm(signature_id=signature.pk, nonce=signature.nonce)
        if approve:
            signature_approve(signature_ids=[signature.pk], actor=self.moderator)
        caches["local"].clear()
        return Signature.objects.get(pk=signature.pk)

    def assertNoEmailInAudit(self) -> None:
        for entry in AuditEntry.objects.all():
            text = json.dumps(entry.data, ensure_ascii=False)
            self.assertIsNone(EMAIL.search(text), f"{entry.action}: {text}")


def org(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "organization",
        "name": f"Peace Group {n}",
        "category": "local",
        "city": "Oakland",
        "region": "CA",
        "country": "US",
        "website": f"https://group{n}.example",
        "contact_name": f"Contact {n}",
        "email": f"info@group{n}.example",
        **extra,
    }


def person(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "individual",
        "name": f"Person {n}",
        "city": "Seattle",
        "region": "WA",
        "country": "US",
        "email": f"person{n}@mail.example",
        **extra,
    }
