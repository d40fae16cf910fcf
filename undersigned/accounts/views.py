"""Organizer log-in, log-out, password reset and invitation pages: Django's own auth views,
with our templates, a throttled log-in form and reset mail sent through the job queue."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpResponse
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from undersigned.accounts.forms import QueuedPasswordResetForm, ThrottledAuthenticationForm
from undersigned.accounts.tokens import invitation_token


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True
    next_page = "console:index"

    def form_valid(self, form: Any) -> HttpResponse:
        from undersigned.accounts.twofactor import has_device, start_second_step

        user = form.get_user()
        if has_device(user):
            # Not logged in yet: the code page finishes the job (undersigned.accounts.twofactor).
            return start_second_step(self.request, user, self.get_redirect_url())
        return super().form_valid(form)

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, "locked"):
            response.status_code = 429
        return response


class LogoutView(auth_views.LogoutView):
    next_page = "accounts:login"


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/password_reset_form.html"
    form_class = QueuedPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


class InviteAcceptView(auth_views.PasswordResetConfirmView):
    """The link in an invitation: the invitee chooses a password, then logs in."""

    template_name = "registration/invite_accept.html"
    token_generator = invitation_token
    success_url = reverse_lazy("accounts:login")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set. Log in to start."))
        return response
