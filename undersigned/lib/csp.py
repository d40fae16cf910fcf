"""django-csp's middleware, with the policy string built once per process.

django-csp rebuilds the header from settings on every response (copying and sorting each
directive), which was a tenth of the CPU of a count request. Responses that change nothing
(no csp_update/replace/exempt decorator, no nonce used, not DEBUG) get the same string every
time, so it is built once for the settings in force; anything else goes through django-csp.
"""

from __future__ import annotations

from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)


class CSPMiddleware(BaseCSPMiddleware):
    _built: tuple[Any, Any, str, str] | None = None

    def _policies(self) -> tuple[str, str]:
        """The header values for the settings in force (rebuilt when tests override them)."""
        key = (
            settings.CONTENT_SECURITY_POLICY,
            getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None),
        )
        built = self._built
        if built is None or built[0] is not key[0] or built[1] is not key[1]:
            built = (*key, build_policy(), build_policy(report_only=True))
            self._built = built
        return built[2], built[3]

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            settings.DEBUG
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _PER_RESPONSE)
        ):
            return super().process_response(request, response)
        policy, report_only = self._policies()
        if policy and HEADER not in response:
            response[HEADER] = policy
        if report_only and HEADER_REPORT_ONLY not in response:
            response[HEADER_REPORT_ONLY] = report_only
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
