"""Emails to organizers: the invitation and the password reset. The links are made when the
job runs, from the account as it is then, so nothing secret waits in the queue, and a job run
twice sends a second working link, nothing worse."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import task

from undersigned.accounts.models import StatementRole
from undersigned.accounts.tokens import invitation_token
from undersigned.lib.emails import render_email


def render_account_email(
    template: str, context: dict[str, Any], *, to: Sequence[str], language: str
) -> EmailMultiAlternatives:
    """undersigned.lib.emails.render_email, from templates/registration/emails/."""
    return render_email(template, context, to=to, language=language, folder="registration/emails")


def _absolute(name: str, language: str, **kwargs: Any) -> str:
    with translation.override(language):
        return settings.BASE_URL + reverse(name, kwargs=kwargs or None)


@task()
def send_invitation_email(role_id: int, language: str) -> str:
    grant = (
        StatementRole.objects.select_related("user", "statement__current_version")
        .filter(pk=role_id)
        .first()
    )
    if grant is None or not grant.user.is_active:
        return "nothing to send"
    user = grant.user
    if user.has_usable_password():
        link = _absolute("accounts:login", language)
    else:
        link = _absolute(
            "accounts:invite_accept",
            language,
            uidb64=urlsafe_base64_encode(force_bytes(user.pk)),
            token=invitation_token.make_token(user),
        )
    with translation.override(language):
        role = grant.get_role_display()
    context = {
        "statement_title": grant.statement.title(language),
        "role": role,
        "organization": grant.organization,
        "link": link,
        "set_password": not user.has_usable_password(),
        "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    render_account_email("invitation", context, to=[user.email], language=language).send()
    return "sent invitation"


@task()
def send_password_reset_email(user_id: int, language: str) -> str:
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password():
        return "nothing to send"
    link = _absolute(
        "accounts:password_reset_confirm",
        language,
        uidb64=urlsafe_base64_encode(force_bytes(user.pk)),
        token=default_token_generator.make_token(user),
    )
    context = {"link": link, "days": settings.PASSWORD_RESET_TIMEOUT // 86400}
    render_account_email("password_reset", context, to=[user.email], language=language).send()
    return "sent password reset"
