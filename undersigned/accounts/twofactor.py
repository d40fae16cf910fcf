"""Organizer two-factor authentication: a TOTP authenticator app (django-otp's TOTPDevice)
and one-time recovery codes (RecoveryCode, stored hashed).

Log-in is two steps when the organizer has a confirmed device: the password form remembers
who passed it in the session (for LOGIN_CODE_MAX_AGE seconds) and sends them to the code
page; only a right code logs them in (django_otp.login marks the session verified). Wrong
codes count against the same per-username-and-address throttle as wrong passwords.

With REQUIRE_ORGANIZER_2FA on, the console's decorators send an organizer without a device
to the set-up page before anything else (undersigned.accounts.decorators)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any

import segno
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from undersigned.accounts.decorators import private
from undersigned.accounts.forms import CodeForm, TwoFactorOffForm
from undersigned.accounts.services import (
    two_factor_disable,
    two_factor_enable,
    two_factor_new_recovery_codes,
    two_factor_recovery_code_use,
)
from undersigned.accounts.throttle import (
    LOGIN_LOCKOUT,
    login_failed,
    login_locked,
    login_throttle_reset,
)
from undersigned.lib.http import client_ip

PENDING_KEY = "undersigned-2fa-pending"
RECOVERY_CODES = 10


# Devices and codes ----------------------------------------------------------------------------
def confirmed_device(user: Any) -> TOTPDevice | None:
    if not getattr(user, "is_authenticated", False) and not getattr(user, "pk", None):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_device(user: Any) -> bool:
    return confirmed_device(user) is not None


def normalize_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def hash_code(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def new_recovery_codes(n: int = RECOVERY_CODES) -> list[str]:
    """Ten codes of ten characters from a 32-letter alphabet without look-alikes (50 bits),
    shown as XXXXX-XXXXX."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    codes = []
    for _i in range(n):
        raw = "".join(secrets.choice(alphabet) for _j in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def qr_svg(uri: str) -> SafeString:
    """The otpauth:// URI as an inline SVG QR code (no image file, nothing the CSP blocks)."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=2, title=_("QR code"))
    return mark_safe(svg)  # noqa: S308 - segno's own markup; the URI inside is XML-escaped


# Log-in, second step --------------------------------------------------------------------------
def start_second_step(request: HttpRequest, user: Any, redirect_to: str) -> HttpResponse:
    """The password was right and the organizer has a device: remember them (not logged
    in yet) and ask for the code."""
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": getattr(user, "backend", "django.contrib.auth.backends.ModelBackend"),
        "next": redirect_to,
        "at": time.time(),
    }
    return HttpResponseRedirect(reverse("accounts:login_code"))


def _pending_user(request: HttpRequest) -> tuple[Any, dict[str, Any]] | None:
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    if time.time() - float(pending.get("at", 0)) > settings.LOGIN_CODE_MAX_AGE:
        del request.session[PENDING_KEY]
        return None
    user_id = pending.get("user")
    if not isinstance(user_id, int):
        return None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    return (user, pending) if user is not None else None


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    found = _pending_user(request)
    if found is None:
        return HttpResponseRedirect(reverse("accounts:login"))
    user, pending = found
    username, ip = user.get_username(), client_ip(request)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if login_locked(username, ip):
            form.add_error(None, _locked_message())
            status = 429
        elif form.is_valid():
            device = confirmed_device(user)
            code = form.cleaned_data["code"]
            used_recovery = False
            ok = device is not None and device.verify_token(normalize_code(code))
            if not ok and device is not None:
                ok = used_recovery = two_factor_recovery_code_use(
                    user=user, code_hash=hash_code(code)
                )
            if ok and device is not None:
                del request.session[PENDING_KEY]
                auth_login(request, user, backend=pending["backend"])
                otp_login(request, device)
                login_throttle_reset(username, ip)
                target = pending.get("next") or ""
                if not url_has_allowed_host_and_scheme(
                    target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
                ):
                    target = reverse("console:index")
                if used_recovery:
                    target = reverse("accounts:two_factor")
                return HttpResponseRedirect(target)
            if login_failed(username, ip):
                form.add_error(None, _locked_message())
                status = 429
            else:
                form.add_error("code", _("That code is not right. Enter the current one."))
                status = 400
        else:
            status = 400
    return render(request, "registration/login_code.html", {"form": form}, status=status)


def _locked_message() -> str:
    return _(
        "Too many failed attempts. For your account's safety, logging in from here is "
        "paused for %(minutes)s minutes; you can also reset your password."
    ) % {"minutes": LOGIN_LOCKOUT // 60}


# The set-up page in the console ---------------------------------------------------------------
@sensitive_post_parameters("code")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up, see and turn off the authenticator app; make new recovery codes."""
    user = request.user
    device = confirmed_device(user)
    context: dict[str, Any] = {"device": device}
    status = 200
    action = request.POST.get("action", "")
    if device is None:
        # One unconfirmed device at a time: its secret stays the same while the page is
        # reloaded, so the QR code scanned a minute ago still works.
        pending = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if pending is None:
            pending = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
        form = CodeForm(request.POST if action == "enable" else None)
        if action == "enable" and form.is_valid():
            if pending.verify_token(normalize_code(form.cleaned_data["code"])):
                codes = new_recovery_codes()
                two_factor_enable(
                    user=user, device=pending, code_hashes=[hash_code(c) for c in codes]
                )
                otp_login(request, pending)
                return private(
                    render(
                        request,
                        "console/two_factor.html",
                        {"device": pending, "recovery_codes": codes, "just_enabled": True},
                    )
                )
            form.add_error("code", _("That code is not right. Enter the current one."))
        if form.errors:
            status = 400
        uri = pending.config_url
        context.update(
            form=form,
            qr=qr_svg(uri),
            uri=uri,
            secret=_spaced(base64.b32encode(pending.bin_key).decode().rstrip("=")),
        )
    else:
        form = CodeForm(request.POST if action == "codes" else None)
        off_form = TwoFactorOffForm(request.POST if action == "off" else None, prefix="off")
        if action == "codes" and form.is_valid():
            if device.verify_token(normalize_code(form.cleaned_data["code"])):
                codes = new_recovery_codes()
                two_factor_new_recovery_codes(user=user, code_hashes=[hash_code(c) for c in codes])
                context["recovery_codes"] = codes
            else:
                form.add_error("code", _("That code is not right. Enter the current one."))
        elif action == "off" and off_form.is_valid():
            if settings.REQUIRE_ORGANIZER_2FA:
                off_form.add_error(None, _("This site requires two-factor authentication."))
            elif device.verify_token(normalize_code(off_form.cleaned_data["code"])):
                two_factor_disable(user=user)
                return HttpResponseRedirect(reverse("accounts:two_factor"))
            else:
                off_form.add_error("code", _("That code is not right. Enter the current one."))
        if form.errors or off_form.errors:
            status = 400
        context.update(
            form=form,
            off_form=off_form,
            codes_left=user.recovery_codes.count(),  # type: ignore[union-attr]
        )
    context["required"] = settings.REQUIRE_ORGANIZER_2FA
    return private(render(request, "console/two_factor.html", context, status=status))


def _spaced(secret: str) -> str:
    """The base32 secret in groups of four, as authenticator apps ask for it."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
