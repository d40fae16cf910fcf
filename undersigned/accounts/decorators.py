"""Who may open which console page. Anonymous visitors are sent to the console's login page;
a signed-in user without the right role gets a 403, on every console URL."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control

from undersigned.accounts.selectors import (
    ANY_ROLE,
    Access,
    has_console_access,
    may_start_statements,
    statement_for_organizer,
    statement_role,
)

View = Callable[..., HttpResponse]


def forbidden(request: HttpRequest) -> HttpResponse:
    return private(render(request, "console/forbidden.html", status=403))


def private(response: HttpResponse) -> HttpResponse:
    """Console pages show private details (contacts, addresses): no cache keeps them."""
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    return response


def second_factor_gate(request: HttpRequest) -> HttpResponse | None:
    """None when the signed-in organizer may go on. An organizer with an authenticator app
    whose session never gave a code (it predates the app, or was made some other way) logs in
    again; with REQUIRE_ORGANIZER_2FA, one without an app sets one up first."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    has_device = TOTPDevice.objects.filter(user_id=request.user.pk, confirmed=True).exists()
    if has_device and not getattr(request.user, "is_verified", lambda: False)():
        logout(request)
        return redirect_to_login(request.get_full_path())
    if settings.REQUIRE_ORGANIZER_2FA and not has_device:
        return private(HttpResponseRedirect(reverse("accounts:two_factor")))
    return None


def statement_role_required(*roles: str) -> Callable[[View], View]:
    """Load the statement named by the URL's `slug` and check the user's role on it (any
    role when none is named; superusers pass). The view is called with an Access (the
    statement and the role) in place of the slug."""
    allowed = set(roles or ANY_ROLE)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if (gate := second_factor_gate(request)) is not None:
                return gate
            statement = statement_for_organizer(slug)
            if statement is None:
                # Only the operator learns that a statement does not exist.
                if request.user.is_superuser:
                    raise Http404("No such statement")
                return forbidden(request)
            role = statement_role(request.user, statement)
            if role is None or role not in allowed:
                return forbidden(request)
            return private(view(request, Access(statement, role), *args, **kwargs))

        return wrapper

    return decorator


def console_access_required(view: View) -> View:
    """The console's home: organizers with a role on some statement, or who may start one."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if (gate := second_factor_gate(request)) is not None:
            return gate
        if not has_console_access(request.user):
            return forbidden(request)
        return private(view(request, *args, **kwargs))

    return wrapper


def statement_starter_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if (gate := second_factor_gate(request)) is not None:
            return gate
        if not may_start_statements(request.user):
            return forbidden(request)
        return private(view(request, *args, **kwargs))

    return wrapper
