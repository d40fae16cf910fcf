"""Email plumbing: the demo outbox backend, address normalisation and rendered messages."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Sequence
from email import policy
from email.message import EmailMessage as StdEmailMessage
from email.parser import BytesParser
from email.policy import Compat32
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.utils import translation

# Providers that ignore dots in the local part (and all of which ignore +tags).
_DOTLESS_DOMAINS = {"gmail.com", "googlemail.com"}
_DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}


def email_key(address: str) -> str:
    """The form of an address used to find repeat sign-ons: J.Park+x@GMail.com -> jpark@gmail.com.

    Case is folded everywhere (practically no provider is case-sensitive); +tags are dropped;
    dots are dropped only where the provider is known to ignore them.
    """
    local, _, domain = address.strip().rpartition("@")
    domain = domain.lower().rstrip(".")
    domain = _DOMAIN_ALIASES.get(domain, domain)
    local = local.lower().split("+", 1)[0]
    if domain in _DOTLESS_DOMAINS:
        local = local.replace(".", "")
    return f"{local}@{domain}"


def email_domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


class _Policy(Compat32):
    """The standard library's compat32 policy, which Django's messages use, writing a header
    that needs no folding or encoding as it is. compat32 passes every header of every part
    through `email.header.Header` to fold it, even a short ASCII one it leaves unchanged:
    14% of the CPU it takes to render and write out a confirmation email (0.88 -> 0.76 ms,
    in process; notes on #8).
    Anything else (longer than a line, not printable ASCII) is folded as before."""

    def _fold(self, name: str, value: Any, sanitize: bool) -> str:
        if (
            isinstance(value, str)
            and value.isascii()
            and value.isprintable()
            and len(name) + 2 + len(value) <= (self.max_line_length or 0)
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)  # type: ignore[misc]


_POLICY = _Policy()


class Message(EmailMultiAlternatives):
    """Django's message, with the boundary of each multipart part chosen when it is built.

    Left unset, the standard library picks one while writing the message out and compiles a
    regular expression, a new one each time, to check that the body does not contain it:
    a tenth of the CPU it takes to render and write out a confirmation email (0.55 ms ->
    0.50, measured; notes on #8). The boundary here holds 128 random bits, made after the
    body, so the body cannot contain it. It is written out with `_Policy`."""

    def message(self, *args: Any, **kwargs: Any) -> Any:
        msg = super().message(*args, **kwargs)
        for part in msg.walk():
            if part.is_multipart() and part.get_boundary() is None:
                part.set_boundary(f"=_{secrets.token_hex(16)}")
        msg.policy = _POLICY  # the generator writing it out uses the top part's policy
        return msg


def render_email(
    template: str,
    context: dict[str, Any],
    *,
    to: Sequence[str],
    language: str,
    folder: str = "emails",
) -> EmailMultiAlternatives:
    """Render `<folder>/<template>.subject.txt`, `.txt` and `.html` in the given language."""
    with translation.override(language):
        subject = " ".join(render_to_string(f"{folder}/{template}.subject.txt", context).split())
        text = render_to_string(f"{folder}/{template}.txt", context)
        html = render_to_string(f"{folder}/{template}.html", context)
    message = Message(subject=subject, body=text, to=list(to))
    message.attach_alternative(html, "text/html")
    message.extra_headers["Content-Language"] = language
    return message


class OutboxBackend(BaseEmailBackend):
    """Writes each message to its own .eml file in a folder, for the demo's outbox page."""

    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently)
        self.path = Path(str(kwargs.get("file_path") or getattr(settings, "EMAIL_FILE_PATH", "")))

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        self.path.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
            tmp = self.path / f".{name}.tmp"
            tmp.write_bytes(message.message().as_bytes())
            tmp.replace(self.path / name)  # readers never see half a message
        return len(email_messages)


def outbox_messages(limit: int = 50) -> list[StdEmailMessage]:
    """The newest messages in the outbox folder, newest first."""
    folder = Path(getattr(settings, "EMAIL_FILE_PATH", ""))
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.eml"), reverse=True)[:limit]
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(f.read_bytes()) for f in files]  # type: ignore[misc]
