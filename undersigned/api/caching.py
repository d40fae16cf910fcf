"""HTTP caching for public reads: a reverse proxy or CDN in front of the app servers can
answer a surge of readers from its copy, and a browser or script that polls gets a 304 when
nothing changed.

Only for answers that are the same for everyone who asks in the same language: never for a
POST, an error, or anything that depends on who asks (an OSDI read with a token)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.cache import (
    get_conditional_response,
    patch_cache_control,
    patch_vary_headers,
    set_response_etag,
)

View = Callable[..., HttpResponse]


def public_cache(max_age: int, stale: int = 30) -> Callable[[View], View]:
    """Mark a successful GET as cacheable by anyone for `max_age` seconds (and served stale
    for `stale` more while a fresh copy is fetched), with an ETag; answer 304 to a request
    whose If-None-Match already holds the current copy.

    The answer is in the language the request's Accept-Language asked for, so caches keep a
    copy per language."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = view(request, *args, **kwargs)
            if request.method not in {"GET", "HEAD"} or response.status_code != 200:
                return response
            if response.cookies:
                # A response that sets a cookie is someone's own: a shared cache must not keep it.
                return response
            patch_cache_control(
                response, public=True, max_age=max_age, stale_while_revalidate=stale
            )
            patch_vary_headers(response, ["Accept-Language"])
            if not response.has_header("ETag"):
                set_response_etag(response)
            conditional = get_conditional_response(
                request, etag=response["ETag"], response=response
            )
            return conditional or response

        return wrapper

    return decorator


def private_answer(response: HttpResponse) -> HttpResponse:
    """An answer for one caller (an organizer's token): no cache may keep it."""
    patch_cache_control(response, private=True, no_store=True)
    return response
