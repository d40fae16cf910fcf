"""A copy, kept for a second in each process, of the few public answers a surge reads: the
statement page, its count and its list's pages, as sent to a visitor without cookies.

A shared link going viral brings mostly first-time visitors: no cookie, no session, the same
page for all who ask in the same language. The views already keep their rendered parts for a
second or two; what was left per request was Django's middleware stack and URL routing. This
middleware sits first in the stack and, for a GET that a view marked with `keep_copy`, keeps
the finished answer (body, status and every header the stack added: CSP, frame and content
type options, Content-Language, Vary) and hands it to the next cookieless visitor asking for
the same scheme, host, address and Accept-Language within MICRO_CACHE_SECONDS.

What it never keeps: anything but a 200 to a GET; an answer to a request with a cookie, an
Authorization header or a conditional header (those go through the stack, which answers 304s
and knows who is asking); an answer that sets a cookie other than the language choice (the
same for everyone who opens that address), or that varies on a header the key does not hold.
A change made in this process drops the copies of its statement at once (`forget`, called by
statements.selectors.forget_cached_pages); other processes serve theirs for at most
MICRO_CACHE_SECONDS more, as the views' own caches do.
MICRO_CACHE_SECONDS=0 turns it off.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import TypeVar

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase

# Request headers that make an answer someone's own, or ask for a conditional answer.
_PERSONAL = ("HTTP_COOKIE", "HTTP_AUTHORIZATION", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")
MAX_ENTRIES = 256  # ~55 KB per statement page: a few MB at most per process
_MARK = "_microcache_tag"

Key = tuple[str, str, str, str, str]
# What an answer may vary on and still be kept: the key holds the language asked for, and a
# request with a cookie never gets a copy.
_KEYED = {"accept-language", "cookie"}


@dataclass(frozen=True, slots=True)
class _Copy:
    expires: float
    tag: str
    headers: tuple[tuple[str, str], ...]
    cookies: SimpleCookie | None  # only the language choice (see _shareable)
    body: bytes


class _Store:
    def __init__(self) -> None:
        self.entries: OrderedDict[Key, _Copy] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Key, now: float) -> _Copy | None:
        copy = self.entries.get(key)
        if copy is None or copy.expires <= now:
            return None
        return copy

    def put(self, key: Key, copy: _Copy) -> None:
        with self.lock:
            self.entries[key] = copy
            self.entries.move_to_end(key)
            while len(self.entries) > MAX_ENTRIES:
                self.entries.popitem(last=False)

    def forget(self, tag: str) -> None:
        with self.lock:
            for key in [k for k, c in self.entries.items() if c.tag == tag]:
                del self.entries[key]

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


_store = _Store()
forget = _store.forget
clear = _store.clear


@receiver(setting_changed)
def _settings_changed(**kwargs: object) -> None:
    """A copy holds headers built from the settings (CSP, frame options): one made before
    a test changed them is not an answer under the new ones."""
    clear()


R = TypeVar("R", bound=HttpResponseBase)


def keep_copy(response: R, tag: str) -> R:
    """Let MicroCacheMiddleware keep this answer for cookieless visitors; `tag` names what a
    change must drop it with (`forget`)."""
    setattr(response, _MARK, tag)
    return response


def _key(request: HttpRequest) -> Key:
    meta = request.META
    return (
        request.scheme or "",  # an http request gets the stack's redirect, never the https copy
        meta.get("HTTP_HOST", ""),
        request.path,
        meta.get("QUERY_STRING", ""),
        meta.get("HTTP_ACCEPT_LANGUAGE", ""),
    )


def _shareable(response: HttpResponseBase) -> bool:
    """Whether every cookie the answer sets is one anyone opening this address gets, and the
    answer varies on nothing the key does not hold."""
    vary = {h.strip().lower() for h in response.headers.get("Vary", "").split(",") if h.strip()}
    return not vary - _KEYED and not set(response.cookies) - {settings.LANGUAGE_COOKIE_NAME}


class MicroCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        seconds = settings.MICRO_CACHE_SECONDS
        meta = request.META
        if not seconds or request.method != "GET" or any(meta.get(h) for h in _PERSONAL):
            return self.get_response(request)
        key = _key(request)
        now = time.monotonic()
        copy = _store.get(key, now)
        if copy is not None:
            return _answer(copy)
        response = self.get_response(request)
        tag = getattr(response, _MARK, None)
        if tag is None or response.status_code != 200 or response.streaming:
            return response
        if not _shareable(response):
            return response
        assert isinstance(response, HttpResponse)
        _store.put(
            key,
            _Copy(
                expires=now + seconds,
                tag=tag,
                headers=tuple(response.headers.items()),
                cookies=response.cookies or None,
                body=response.content,
            ),
        )
        return response


def _answer(copy: _Copy) -> HttpResponse:
    response = HttpResponse(copy.body, headers=dict(copy.headers))  # only 200s are kept
    if copy.cookies is not None:
        # Only read when the answer is written out, so every copy may share the morsels.
        response.cookies = copy.cookies
    return response
