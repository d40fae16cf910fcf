"""Paths reversed once per process: `reverse()` walks the URL patterns on every call, which on
the hot paths (the form's redirect, each email's links) cost more than the rest of building
the answer around them. A path depends only on the view, its arguments, the language (the
`/ko/` prefix) and the script prefix, so it is kept under those."""

from __future__ import annotations

import functools

from django.urls import get_script_prefix, reverse
from django.utils import translation


@functools.lru_cache(maxsize=1024)
def _kept(prefix: str, language: str | None, view: str, kwargs: tuple[tuple[str, str], ...]) -> str:
    # `prefix` is only part of the key: reverse() reads the script prefix from the thread.
    with translation.override(language):
        return reverse(view, kwargs=dict(kwargs))


def kept_path(view: str, *, language: str | None = None, **kwargs: str) -> str:
    """`reverse(view, kwargs=kwargs)` in `language` (by default the active one)."""
    if language is None:
        language = translation.get_language()
    return _kept(get_script_prefix(), language, view, tuple(kwargs.items()))
