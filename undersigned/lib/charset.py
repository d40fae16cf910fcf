"""Form posts in a character set other than UTF-8.

Django refuses them with BadRequest when request.POST is first read (in the CSRF check),
and its own error handlers read request.POST again and raise again, so the client got a 500.
This middleware runs first: it reads the common spellings of UTF-8 as UTF-8 and answers any
other declared charset with a 400 that says so: the site's error page, or a JSON error under
/api/ and /osdi/ (undersigned.lib.errors)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from undersigned.lib.errors import refuse

_UTF8 = {"utf-8", "utf8", "utf_8", "unicode-1-1-utf-8"}


class RequestCharsetMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        charset = (
            (request.content_params or {}).get("charset") if request.method == "POST" else None
        )
        if charset is not None and request.content_type in {
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        }:
            if charset.strip().lower() not in _UTF8:
                return refuse(request, 400, _("Send forms encoded as UTF-8."))
            request.encoding = "utf-8"
        return self.get_response(request)
