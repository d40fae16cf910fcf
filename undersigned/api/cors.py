"""Cross-origin reads (and the JSON sign-on) for partner sites' scripts.

A few lines instead of django-cors-headers: the whole policy is `Access-Control-Allow-Origin: *`
without credentials on two path prefixes. No cookie or session gives any of these requests
authority, so any origin may read what anyone may read. OSDI writes need a token, which
belongs on a server, not in a web page: a preflight allows only Content-Type and
Accept-Language, so browsers do not send a token header from another origin."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# Prefix: the methods a page on another origin may use.
_POLICY = {
    "/api/v1/": ("GET", "POST"),
    "/osdi/v1/": ("GET",),
}
PREFLIGHT_MAX_AGE = 24 * 3600


class CorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        methods = next(
            (m for prefix, m in _POLICY.items() if request.path_info.startswith(prefix)), None
        )
        if methods is None:
            return self.get_response(request)
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            return self.preflight(request, methods)
        response = self.get_response(request)
        if request.method in {*methods, "HEAD"}:
            response["Access-Control-Allow-Origin"] = "*"
            response["Access-Control-Expose-Headers"] = "ETag, Content-Language"
        return response

    def preflight(self, request: HttpRequest, methods: tuple[str, ...]) -> HttpResponse:
        response = HttpResponse(status=204)
        if request.headers["Access-Control-Request-Method"] in methods:
            response["Access-Control-Allow-Origin"] = "*"
            response["Access-Control-Allow-Methods"] = ", ".join((*methods, "OPTIONS"))
            response["Access-Control-Allow-Headers"] = "Content-Type, Accept-Language"
            response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        return response
