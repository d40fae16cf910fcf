"""/api/v1 tracker endpoints: each public statement's demands with their status history, the
agreements with their provisions (keeping PA-X ids), and the dated actions of each party.
The data comes from undersigned.tracker.exports, the same code as the CSV/JSON exports."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.decorators import decorate_view

from undersigned.api.caching import public_cache
from undersigned.api.schemas import ErrorsOut
from undersigned.tracker.exports import actions_data, agreements_data, statement_demands
from undersigned.tracker.selectors import KEY, actions_for_api, statement_for_tracker

router = Router(tags=["tracker"])

_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,80}")
# The tracker changes when an organizer records something, a few times a week at most.
TRACKER_MAX_AGE = 60


class SourceOut(Schema):
    key: str
    url: str
    title: str
    publisher: str
    type: str
    language: str


class EvidenceOut(SourceOut):
    evidence: str


class AssessmentOut(Schema):
    id: int
    status: str
    status_text: str
    as_of: date
    as_of_precision: str
    event: str
    event_ko: str
    rationale: str
    review_state: str
    action: str | None
    supersedes: int | None
    unverified: bool
    unverified_note: str
    sources: list[EvidenceOut]
    recorded_at: datetime


class ProvisionRefOut(Schema):
    key: str
    agreement: str
    pax_agt_id: int | None


class DemandOut(Schema):
    number: int
    title: str
    title_ko: str
    text: dict[str, str]
    addressees: list[str]
    cited_provisions: list[ProvisionRefOut]
    success_criteria: str
    success_criteria_ko: str
    vehicles: list[str]
    status: str
    status_as_of: date | None
    url: str
    history: list[AssessmentOut]


class PartyOut(Schema):
    actor: str
    role: str


class AgreementLinkOut(Schema):
    relation: str
    agreement: str
    pax_agt_id: int | None
    note: str


class ProvisionOut(Schema):
    key: str
    label: str
    summary: str
    summary_ko: str
    kind: str
    obligors: list[str]
    obligor_note: str
    deadline: date | None
    deadline_text: str
    condition: str
    condition_provision: str | None
    unverified: bool
    unverified_note: str
    status: str
    status_as_of: date | None
    history: list[AssessmentOut]


class AgreementOut(Schema):
    key: str
    pax_agt_id: int | None
    pax_source_version: str
    title: str
    title_ko: str
    short_name: str
    short_name_ko: str
    date_signed: date | None
    place: str
    status: str
    status_note: str
    text_url: str
    url: str
    unverified: bool
    unverified_note: str
    parties: list[PartyOut]
    links: list[AgreementLinkOut]
    sources: list[SourceOut]
    provisions: list[ProvisionOut]


class ActorRefOut(Schema):
    key: str
    name: str
    name_ko: str
    party: str


class DemandRefOut(Schema):
    statement: str
    number: int


class ActionLinkOut(Schema):
    effect: str
    note: str
    agreement: str | None
    pax_agt_id: int | None
    provision: str | None
    demand: DemandRefOut | None


class ActionOut(Schema):
    key: str
    date: date
    date_precision: str
    date_text: str
    kind: str
    actors: list[ActorRefOut]
    counterparts: list[ActorRefOut]
    description: str
    description_ko: str
    links: list[ActionLinkOut]
    in_response_to: str | None
    reverses: str | None
    reversed_by: list[str]
    unverified: bool
    unverified_note: str
    note: str
    sources: list[SourceOut]
    url: str


@router.get("/statements/{slug}/demands", response={200: list[DemandOut], 404: ErrorsOut})
@decorate_view(public_cache(TRACKER_MAX_AGE, stale=300))
def get_demands(request: HttpRequest, slug: str) -> Any:
    """The statement's demands, each with its current status and its full public status
    history (oldest first), every entry with its sources. 404 until the statement is public."""
    if not _SLUG.fullmatch(slug):
        raise Http404
    return statement_demands(statement_for_tracker(slug))


@router.get("/agreements", response=list[AgreementOut])
@decorate_view(public_cache(TRACKER_MAX_AGE, stale=300))
def get_agreements(request: HttpRequest) -> Any:
    """The agreements on record with their PA-X ids, parties, links to other agreements, and
    provisions with their current status."""
    return agreements_data()


@router.get("/actions", response={200: list[ActionOut], 400: ErrorsOut})
@decorate_view(public_cache(TRACKER_MAX_AGE, stale=300))
def get_actions(
    request: HttpRequest,
    actor: str = Query("", max_length=40, description="An actor's key; includes its bodies"),
    agreement: str = Query("", max_length=40, description="An agreement's key, e.g. PMJ"),
    provision: str = Query("", max_length=40, description="A provision's key, e.g. PMJ-1.3"),
) -> Any:
    """Every recorded step by every party, oldest first, with what it did to which agreement,
    provision or demand, what it answered or undid, and its sources."""
    for name, value in (("actor", actor), ("agreement", agreement), ("provision", provision)):
        if value and not KEY.fullmatch(value):
            return Status(400, {"errors": {name: [_("Unknown key.")]}})
    return actions_data(actions_for_api(actor=actor, agreement=agreement, provision=provision))
