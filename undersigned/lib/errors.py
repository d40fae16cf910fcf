"""The site's 400 and 404 answers (handler400, handler404 in undersigned.urls): a JSON error
under /api/ and /osdi/, where the client is a program that reads JSON, and the site's own
error page everywhere else. An address that nothing matches under /api/v1/ never reaches
django-ninja's handlers, and a refused Host header or a form in a foreign charset is refused
before any view runs, so without these the API answered those with an HTML page."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

JSON_PREFIXES = ("/api/", "/osdi/")
OSDI_CONTENT_TYPE = "application/hal+json"


def wants_json(request: HttpRequest) -> bool:
    return request.path_info.startswith(JSON_PREFIXES)


def json_error(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """The API's error shape ({"errors": {"__all__": [...]}}); OSDI answers also carry its
    own "error" member (see undersigned.api.osdi)."""
    body: dict[str, object] = {"errors": {"__all__": [message]}}
    content_type = "application/json"
    if request.path_info.startswith("/osdi/"):
        body = {"error": message, **body}
        content_type = OSDI_CONTENT_TYPE
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=content_type
    )


def error_page(request: HttpRequest, status: int, message: str = "") -> HttpResponse:
    """The site's error page for `status` (400.html, 404.html), with `message` when the
    reason is known."""
    return render(request, f"{status}.html", {"message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return json_error(request, 400, _("The request could not be understood."))
    return error_page(request, 400)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return json_error(request, 404, _("Not found."))
    return error_page(request, 404)


def refuse(request: HttpRequest, status: int, message: str | Promise) -> HttpResponse:
    """A refusal from a middleware that runs before LocaleMiddleware: answered in the
    language the rest of the site would have used (the URL's prefix, the cookie, the
    browser's preference)."""
    language = translation.get_language_from_request(request, check_path=True)
    with translation.override(language):
        if wants_json(request):
            return json_error(request, status, str(message))
        return error_page(request, status, str(message))
