"""Template helpers for the tracker: Korean twins of text fields, dates to their precision."""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from undersigned.tracker.models import DatePrecision

register = template.Library()


@register.filter
def localized(obj: Any, field: str) -> str:
    """`{{ provision|localized:"summary" }}`: summary_ko on Korean pages when there is one."""
    return str(obj.localized(field)) if obj is not None else ""


def when(day: datetime.date, precision: str) -> str:
    if precision == DatePrecision.YEAR:
        return date_format(day, "Y")
    if precision == DatePrecision.MONTH:
        return date_format(day, "YEAR_MONTH_FORMAT")
    text = date_format(day, "DATE_FORMAT")
    if precision == DatePrecision.APPROX:
        return _("about %(date)s") % {"date": text}
    return text


@register.filter
def fuzzy_date(obj: Any) -> str:
    """An action's or assessment's date, written no more exactly than it is known."""
    if hasattr(obj, "as_of"):
        return when(obj.as_of, obj.as_of_precision)
    return when(obj.date, obj.date_precision)
