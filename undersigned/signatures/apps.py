from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.utils.translation import gettext_lazy as _


class SignaturesConfig(AppConfig):
    name = "undersigned.signatures"
    label = "signatures"
    verbose_name = _("Signatures")

    def ready(self) -> None:
        checks.register(check_configuration, checks.Tags.security, deploy=False)


def check_configuration(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Misconfiguration that would lose sign-ons or email, or expose a production site."""
    errors: list[checks.CheckMessage] = []
    demo = settings.DEMO or settings.DEBUG
    if not settings.SECRET_KEY_FROM_ENV and not demo:
        errors.append(
            checks.Warning(
                "SECRET_KEY is not set; using a key generated in the data folder.",
                hint="Set SECRET_KEY to the same long random value on every app server.",
                id="undersigned.W001",
            )
        )
    if settings.EMAIL_BACKEND == "undersigned.lib.emails.OutboxBackend" and not demo:
        errors.append(
            checks.Warning(
                "EMAIL_URL is not set: confirmation emails go to the outbox folder, "
                "not to signers.",
                hint="Set EMAIL_URL=smtp+tls://user:password@mail.example.org:587",
                id="undersigned.W002",
            )
        )
    if settings.BASE_URL.startswith("http://") and not demo and not settings.DEBUG:
        errors.append(
            checks.Warning(
                "BASE_URL is not https: links in emails will be sent in the clear.",
                hint="Set BASE_URL=https://your.domain",
                id="undersigned.W003",
            )
        )
    engine = settings.DATABASES["default"]["ENGINE"]
    if settings.REDIS_URL and "sqlite" in engine:
        errors.append(
            checks.Info(
                "REDIS_URL is set with SQLite: fine on one machine; "
                "several app servers need PostgreSQL.",
                id="undersigned.I001",
            )
        )
    return errors
