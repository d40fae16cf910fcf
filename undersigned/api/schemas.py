"""Shapes of the public JSON API. Explicit field lists: nothing private can slip in."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema


class CountsOut(Schema):
    organizations: int
    individuals: int
    total: int


class TextOut(Schema):
    title: str = ""
    summary: str = ""
    preamble: str = ""
    body: str = ""
    demands: list[str] = []


class StatementDemandOut(Schema):
    number: int
    text: dict[str, str]


class TargetOut(Schema):
    name: str
    name_alt: str
    title: str
    organization: str


class StatementOut(Schema):
    slug: str
    status: str
    url: str
    default_language: str
    languages: list[str]
    version: int | None
    version_hash: str | None
    text: dict[str, TextOut]
    demands: list[StatementDemandOut]
    targets: list[TargetOut]
    opens_at: datetime | None
    release_at: datetime | None
    closes_at: datetime | None
    accepts: list[str]
    goals: dict[str, int | None]
    is_open_for_signing: bool
    is_sample: bool
    counts: CountsOut | None


class SignatoryOut(Schema):
    kind: str
    name: str
    name_alt: str
    affiliation: str
    category: str
    city: str
    region: str
    country: str
    website: str
    is_sample: bool


class SignatoryPageOut(Schema):
    count: int
    page: int
    pages: int
    results: list[SignatoryOut]


class PendingOut(Schema):
    status: str


class ErrorsOut(Schema):
    errors: dict[str, list[str]]


SIGNATURE_BODY_SCHEMA = {
    "type": "object",
    "required": ["kind", "name", "email"],
    "properties": {
        "kind": {"type": "string", "enum": ["organization", "individual"]},
        "name": {"type": "string", "maxLength": 200},
        "email": {"type": "string", "format": "email", "maxLength": 254},
        "name_alt": {"type": "string", "maxLength": 200},
        "affiliation": {"type": "string", "maxLength": 200},
        "category": {
            "type": "string",
            "enum": [
                "national",
                "regional",
                "local",
                "international",
                "faith",
                "labor",
                "academic",
                "other",
            ],
        },
        "city": {"type": "string", "maxLength": 100},
        "region": {"type": "string", "maxLength": 100},
        "country": {
            "type": "string",
            "description": "ISO 3166-1 alpha-2",
            "minLength": 2,
            "maxLength": 2,
        },
        "website": {"type": "string", "maxLength": 300},
        "contact_name": {"type": "string", "maxLength": 200},
        "contact_title": {"type": "string", "maxLength": 200},
        "phone": {"type": "string", "maxLength": 40},
        "display": {"type": "string", "enum": ["full", "name", "initials", "hidden"]},
        "networks": {"type": "array", "items": {"type": "string"}},
        "language": {"type": "string", "enum": ["en", "ko"]},
        "ref": {"type": "string", "maxLength": 64},
        "updates": {"type": "boolean"},
    },
}
