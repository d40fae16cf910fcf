"""Links in emails: signed with SECRET_KEY, expiring, one purpose each, bound to a sign-on's nonce.

Nothing secret is stored: a token is the HMAC-signed pair (signature id, nonce) with a
timestamp. Rotating the nonce (on withdrawal) kills every link issued before.
"""

from __future__ import annotations

from django.core import signing

PURPOSES = {"confirm", "withdraw", "unsubscribe"}


class InvalidToken(Exception):
    """The link is damaged, for another purpose, or replaced."""


class ExpiredToken(InvalidToken):
    """The link was genuine but is too old."""


def make_token(purpose: str, signature_id: int, nonce: str) -> str:
    assert purpose in PURPOSES
    return signing.dumps([signature_id, nonce], salt=f"undersigned.{purpose}")


def read_token(purpose: str, token: str, max_age: int) -> tuple[int, str]:
    assert purpose in PURPOSES
    try:
        value = signing.loads(token, salt=f"undersigned.{purpose}", max_age=max_age)
    except signing.SignatureExpired:
        raise ExpiredToken from None
    except signing.BadSignature:
        raise InvalidToken from None
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)):
        raise InvalidToken
    return value[0], str(value[1])
