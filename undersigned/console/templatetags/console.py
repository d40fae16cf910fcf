from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import translation

register = template.Library()


@register.filter
def in_language(request: HttpRequest, language: str) -> str:
    """The current page's path in another language (/console/… -> /ko/console/…)."""
    match = request.resolver_match
    if match is None:
        return request.path
    try:
        with translation.override(language):
            return reverse(match.view_name, args=match.args, kwargs=match.kwargs)
    except NoReverseMatch:
        return request.path


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key)
