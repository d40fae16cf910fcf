"""`undersigned manage apitoken create|revoke|list`: organizer API tokens for OSDI, until the
organizer console has a page for them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from undersigned.api.models import ApiToken
from undersigned.api.selectors import api_tokens_for
from undersigned.api.services import api_token_create, api_token_revoke
from undersigned.statements.models import Statement


class Command(BaseCommand):
    help = "Create, revoke or list the OSDI API tokens of organizers."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser(
            "create", help="Create a token; its key is printed once and never shown again."
        )
        create.add_argument("slug", help="the statement the token may write to and read")
        create.add_argument("email", help="the organizer (an owner or editor of the statement)")
        create.add_argument(
            "--label", default="", help="what the token is for, e.g. 'Action Network'"
        )
        revoke = actions.add_parser("revoke", help="Revoke a token, by its prefix or number.")
        revoke.add_argument("token", help="the key's prefix (usk_…) as listed, or its number")
        listing = actions.add_parser("list", help="List a statement's tokens.")
        listing.add_argument("slug")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"handle_{options['action']}")(**options)

    def handle_create(self, *, slug: str, email: str, label: str, **_: Any) -> None:
        statement = _statement(slug)
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"no organizer with the email {email}")
        try:
            token, key = api_token_create(statement=statement, user=user, label=label)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Token #{token.pk} for {email} on {slug}. Its key (shown only now):")
        self.stdout.write(key)

    def handle_revoke(self, *, token: str, **_: Any) -> None:
        found = ApiToken.objects.filter(prefix=token) if not token.isdigit() else None
        if found is None:
            found = ApiToken.objects.filter(pk=int(token))
        if found.count() != 1:
            raise CommandError(f"no single token matches {token!r}; see `apitoken list SLUG`")
        row = found.get()
        if api_token_revoke(token=row):
            self.stdout.write(f"Revoked token #{row.pk} ({row.prefix}…).")
        else:
            self.stdout.write(f"Token #{row.pk} ({row.prefix}…) was already revoked.")

    def handle_list(self, *, slug: str, **_: Any) -> None:
        tokens = api_tokens_for(_statement(slug))
        if not tokens:
            self.stdout.write("No tokens.")
        for t in tokens:
            state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
            used = f"last used {t.last_used_at:%Y-%m-%d}" if t.last_used_at else "never used"
            self.stdout.write(
                f"#{t.pk}  {t.prefix}…  {t.user.email}  {t.label or '-'}  "
                f"created {t.created_at:%Y-%m-%d}  {used}  {state}"
            )


def _statement(slug: str) -> Statement:
    statement = Statement.objects.filter(slug=slug).first()
    if statement is None:
        raise CommandError(f"no statement with the address {slug!r}")
    return statement
