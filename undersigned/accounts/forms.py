"""Log-in and password-reset forms: throttled, and mail through the job queue."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from undersigned.accounts.services import enqueue_on_commit
from undersigned.accounts.throttle import (
    LOGIN_LOCKOUT,
    login_failed,
    login_locked,
    login_throttle_reset,
)
from undersigned.lib.http import client_ip

PASSWORD_RESET_INTERVAL = 5 * 60  # seconds between two reset emails to one account


class ThrottledAuthenticationForm(AuthenticationForm):
    """Refuses every attempt, even with the right password, while the username and address
    are locked out after too many failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("That email address and password do not match an organizer account."),
        "locked": _(
            "Too many failed attempts. For your account's safety, logging in from here is "
            "paused for %(minutes)s minutes; you can also reset your password."
        ),
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Email")

    def _locked_error(self) -> ValidationError:
        return ValidationError(
            self.error_messages["locked"],
            code="locked",
            params={"minutes": LOGIN_LOCKOUT // 60},
        )

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request is not None else ""
        if username and login_locked(username, ip):
            raise self._locked_error()
        try:
            cleaned = super().clean()
        except ValidationError as error:
            if username and getattr(error, "code", "") == "invalid_login":
                if login_failed(username, ip):
                    raise self._locked_error() from None
            raise
        # With an authenticator app the log-in is not over: the failures are forgotten only
        # after the right code (undersigned.accounts.twofactor), or a known password would
        # buy an attacker fresh code guesses.
        from django_otp.plugins.otp_totp.models import TOTPDevice

        user = self.get_user()
        if username and not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            login_throttle_reset(username, ip)
        return cleaned


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the email goes through the job queue: no mail server is
    ever waited on inside a web request."""

    email = forms.EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        from undersigned.accounts.tasks import send_password_reset_email

        user_id = context["user"].pk
        # The form answers the same either way; it just cannot be used to flood an inbox.
        if caches["default"].add(f"password-reset:{user_id}", 1, PASSWORD_RESET_INTERVAL):
            enqueue_on_commit(send_password_reset_email, user_id, get_language() or "en")


class CodeForm(forms.Form):
    """The six digits from the authenticator app, or a recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text=_("The six digits your authenticator app shows, or one of your recovery codes."),
    )


class TwoFactorOffForm(forms.Form):
    code = forms.CharField(
        label=_("Current code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
