"""Objects a process keeps between requests without pickling them.

Django's local-memory cache pickles what it stores, and unpickling a statement with its
text on every sign-on cost more than the rest of the lookup. A `Kept` holds the objects in
a plain dict and puts only a token in `caches["local"]`: an object is used while the cache
still holds its token, so the cache's timeout and its `delete` (forget_cached_pages,
forget_screening) still decide how long it lives.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.cache import caches

K = TypeVar("K")
V = TypeVar("V")


class Kept(Generic[K, V]):
    def __init__(self, key: Callable[[K], str], ttl: float) -> None:
        self.key, self.ttl = key, ttl
        self._objects: dict[K, tuple[str, V]] = {}

    def get(self, name: K, load: Callable[[], V | None]) -> V | None:
        """The object kept for `name`, or `load()`'s (kept unless None)."""
        cache = caches["local"]
        token = cache.get(self.key(name))
        kept = self._objects.get(name)
        if token is not None and kept is not None and kept[0] == token:
            return kept[1]
        value = load()
        if value is None:
            self._objects.pop(name, None)
            return None
        token = secrets.token_hex(8)
        self._objects[name] = (token, value)
        cache.set(self.key(name), token, self.ttl)
        return value
