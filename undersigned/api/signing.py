"""Sign-ons sent as JSON (the /api/v1 POST and OSDI's record_signature_helper): the body read
as form data, validated by the sign-on form and stored by the same service as the HTML page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from undersigned.lib.http import client_ip
from undersigned.signatures.forms import SignatureForm, clean_referral, is_text
from undersigned.signatures.services import SigningClosed, SignResult, signature_create
from undersigned.statements.models import Statement

# The sign-on fields sent as JSON strings; `updates` and `networks` have their own types.
TEXT_FIELDS = (
    "kind",
    "name",
    "name_alt",
    "affiliation",
    "category",
    "city",
    "region",
    "country",
    "website",
    "contact_name",
    "contact_title",
    "phone",
    "email",
    "display",
)


class SignOnRefused(Exception):
    """The sign-on was not stored: `status` (400 bad input, 409 not open) and field errors."""

    def __init__(self, status: int, errors: dict[str, list[str]]) -> None:
        super().__init__(status, errors)
        self.status = status
        self.errors = errors


def language_of(value: Any, statement: Statement) -> str:
    """The signer's language (emails go out in it): a supported code, "ko-KR" read as "ko"."""
    if value is None:
        return translation.get_language() or statement.default_language
    if isinstance(value, str):
        try:
            return translation.get_supported_language_variant(value, strict=False)
        except LookupError:
            pass
    codes = ", ".join(code for code, _name in settings.LANGUAGES)
    raise SignOnRefused(400, {"language": [_("Choose one of: %(codes)s.") % {"codes": codes}]})


def form_data(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The JSON body as form data. Each field must have its JSON type: a number is not a name,
    nor "yes" a boolean. null stands for a field left out; unknown fields are ignored.
    A field refused here does not reach the form."""
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key in (*TEXT_FIELDS, "ref"):
        value = body.get(key)
        if isinstance(value, str):
            data[key] = value
        elif value is not None:
            errors[key] = [_("Send this field as a string.")]
    updates = body.get("updates")
    if isinstance(updates, bool):
        data["wants_updates"] = "on" if updates else ""
    elif updates is not None:
        errors["updates"] = [_("Send true or false.")]
    networks = body.get("networks")
    if isinstance(networks, list) and all(isinstance(n, str) for n in networks):
        data["networks"] = networks
    elif networks is not None:
        errors["networks"] = [_("Send a list of network codes.")]
    # Text that is not Unicode (JSON's lone surrogate escapes) cannot reach the database.
    for key, value in list(data.items()):
        if not all(is_text(t) for t in (value if isinstance(value, list) else [value])):
            errors[key] = [_("Remove the invisible or control characters from this field.")]
            del data[key]
    return data, errors


def sign_on(
    *,
    request: HttpRequest,
    statement: Statement,
    body: dict[str, Any],
    language: str,
    source: str,
    from_signer: bool = True,
) -> SignResult:
    """Validate and store one sign-on, in the signer's language (its messages and email).
    Raises SignOnRefused.

    `from_signer` is false when an organizer's tool sends sign-ons it collected (OSDI): the
    request's address is then the tool's, not the signer's, so it is neither kept nor counted
    against the per-address limits."""
    with translation.override(language):
        data, errors = form_data(body)
        form = SignatureForm(_QueryDict(data), statement=statement, render=False)
        if not form.is_valid() or errors:
            for name, messages in form.errors.items():
                errors.setdefault(name, [str(m) for m in messages])
            raise SignOnRefused(400, errors)
        try:
            return signature_create(
                statement=statement,
                data=form.cleaned_data,  # type: ignore[arg-type]
                ip=client_ip(request) if from_signer else "",
                source=source,
                language=language,
                referral=clean_referral(data.get("ref", "")),
            )
        except SigningClosed as exc:
            raise SignOnRefused(409, {"__all__": [exc.message]}) from None


class _QueryDict(dict):  # type: ignore[type-arg]
    """Just enough of QueryDict for a form fed from JSON (multi-valued `networks`)."""

    def getlist(self, key: str, default: Any = None) -> list[Any]:
        value = self.get(key, default)
        if value is None:
            return []
        return value if isinstance(value, list) else [value]
