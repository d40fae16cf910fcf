"""Helpers for the delivery tests: sign-ons stored through the services, as the site stores
them, without going through email for each one."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from undersigned.signatures.forms import SignatureForm
from undersigned.signatures.models import Signature
from undersigned.signatures.services import (
    signature_approve,
    signature_confirm,
    signature_create,
)
from undersigned.statements.models import Statement

DATA = Path(__file__).parent / "data"
SAMPLE_CSV = DATA / "google-forms-sample.csv"


def signed(
    statement: Statement,
    fields: dict[str, Any],
    *,
    language: str = "en",
    confirm: bool = True,
    approve: bool = True,
) -> Signature:
    """A sign-on validated by the sign-on form and stored by the services: confirmed, and
    approved where the statement moderates its kind."""
    form = SignatureForm(fields, statement=statement)
    assert form.is_valid(), form.errors
    result = signature_create(
        statement=statement,
        data=form.cleaned_data,  # type: ignore[arg-type]
        language=language,
    )
    signature = result.signature
    if confirm:
        signature_confirm(signature_id=signature.pk, nonce=signature.nonce)
        if approve and statement.is_moderated(signature.kind):
            signature_approve(signature_ids=[signature.pk], actor=None)
    return Signature.objects.get(pk=signature.pk)


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)
