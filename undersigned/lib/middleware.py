"""Language preference for shared links: a link without a language prefix opens in the
language the visitor chose before (a cookie) or their browser prefers; a choice made with
the switcher is remembered."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware as BaseMessageMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware as BaseLocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language_from_path, get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header

# Paths that are not pages for people, or that are not translated.
_SKIP = ("/api/", "/osdi/", "/embed/", "/admin/", "/static/", "/healthz", "/ping", "/i18n/")
# Machine-facing paths, and the embeds in partner sites' frames (where a redirect or a
# cookie would be a third party's), have no language prefix; they answer in the
# Accept-Language asked for.
_NEGOTIATED = ("/api/", "/osdi/", "/embed/")


def _preferred(request: HttpRequest) -> str | None:
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie:
        try:
            return get_supported_language_variant(cookie)
        except LookupError:
            pass
    return _from_header(request)


def _from_header(request: HttpRequest) -> str | None:
    # META, not request.headers, which would build a mapping of every header for this one.
    for code, _quality in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        if code == "*":
            break
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return None


class LanguagePreferenceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(_NEGOTIATED):
            language = _from_header(request) or settings.LANGUAGE_CODE
            translation.activate(language)
            request.LANGUAGE_CODE = language
            answer = self.get_response(request)
            answer.headers["Content-Language"] = language
            return answer
        if request.method not in {"GET", "HEAD"} or request.path_info.startswith(_SKIP):
            return self.get_response(request)
        in_path = get_language_from_path(request.path_info)
        chosen = request.GET.get("lang")
        chosen = chosen if chosen in self.languages else None
        if in_path is None and chosen is None:
            preferred = _preferred(request)
            if preferred and preferred != settings.LANGUAGE_CODE:
                query = request.META.get("QUERY_STRING", "")
                target = f"/{preferred}{request.path}" + (f"?{query}" if query else "")
                response: HttpResponse = HttpResponseRedirect(target)
                response.headers["Vary"] = "Accept-Language, Cookie"
                return response
        response = self.get_response(request)
        remember = chosen or in_path
        if remember and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != remember:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                remember,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        if in_path is None:
            response.headers["Vary"] = ", ".join(
                filter(None, [response.headers.get("Vary"), "Accept-Language"])
            )
        return response


class LocaleMiddleware(BaseLocaleMiddleware):
    """Django's, for pages. On the machine-facing paths LanguagePreferenceMiddleware alone
    chooses the language (from Accept-Language), so Django's choice, which it would replace,
    is not made: about a twentieth of a JSON sign-on's CPU."""

    def process_request(self, request: HttpRequest) -> None:
        if not request.path_info.startswith(_NEGOTIATED):
            super().process_request(request)

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if request.path_info.startswith(_NEGOTIATED):
            patch_vary_headers(response, ("Accept-Language",))
            return response
        return super().process_response(request, response)


class MessageMiddleware(BaseMessageMiddleware):
    """Django's, except on the machine-facing paths, which never show a message: making the
    message storage there cost about a fifth of a /ping."""

    def process_request(self, request: HttpRequest) -> None:
        if not request.path_info.startswith(_NEGOTIATED):
            super().process_request(request)
