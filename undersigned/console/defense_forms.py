"""Forms of the abuse defenses page: the statement's limits and its allow and block lists.
They shape input for moderation.services, which normalises and checks the entries."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from undersigned.console.forms import RecordLine
from undersigned.moderation.models import RuleAction, RuleKind, ScreeningLimits

LIMIT_MAX = 100_000


class LimitsForm(forms.Form):
    per_minute = forms.IntegerField(
        label=_("Sign-ons a minute from one address"),
        required=False,
        min_value=1,
        max_value=LIMIT_MAX,
    )
    per_hour = forms.IntegerField(
        label=_("Sign-ons an hour from one address"),
        required=False,
        min_value=1,
        max_value=LIMIT_MAX,
    )
    min_fill_seconds = forms.IntegerField(
        label=_("Minimum seconds to fill in the form"), required=False, min_value=0, max_value=3600
    )

    def __init__(self, *args: Any, limits: ScreeningLimits | None = None, **kwargs: Any) -> None:
        if limits is not None:
            kwargs.setdefault(
                "initial",
                {
                    "per_minute": limits.per_minute,
                    "per_hour": limits.per_hour,
                    "min_fill_seconds": limits.min_fill_seconds,
                },
            )
        super().__init__(*args, **kwargs)
        defaults = {
            "per_minute": settings.RATE_LIMIT_PER_MINUTE,
            "per_hour": settings.RATE_LIMIT_PER_HOUR,
            "min_fill_seconds": settings.MIN_FILL_SECONDS,
        }
        for name, default in defaults.items():
            self.fields[name].help_text = _("Leave empty for the site's default: %(n)s.") % {
                "n": default
            }


class RuleForm(forms.Form):
    action = forms.ChoiceField(
        label=_("List"),
        choices=RuleAction.choices,
        initial=RuleAction.BLOCK,
        widget=forms.RadioSelect,
    )
    kind = forms.ChoiceField(label=_("What"), choices=RuleKind.choices)
    value = forms.CharField(
        label=_("Entry"),
        max_length=320,
        help_text=_(
            "An IP address or range (203.0.113.0/24, 2001:db8::/32), a domain (spam.example, "
            "which takes in its subdomains too) or a whole email address."
        ),
    )
    note = RecordLine(label=_("Note"), max_length=200, help_text=_("Why, for the team."))
