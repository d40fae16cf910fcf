"""The tracker as plain data, for the JSON API and the CSV/JSON exports. Both read through
the public selectors, so they carry exactly what the public pages show; every agreement keeps
its PA-X id (`pax_agt_id`), and every record its own key, so the data joins with PA-X and
with earlier exports."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from undersigned.signatures.exports import safe_cell
from undersigned.statements.models import Statement
from undersigned.statements.selectors import public_statements
from undersigned.tracker.models import (
    Action,
    ActionLink,
    Actor,
    Assessment,
    Provision,
    Source,
    Status,
)
from undersigned.tracker.selectors import (
    DemandView,
    actor_parties,
    agreements,
    demand_views,
    provisions_with_status,
    public_actions,
)


def _url(name: str, **kwargs: Any) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return settings.BASE_URL + reverse(name, kwargs=kwargs)


def source_data(source: Source) -> dict[str, Any]:
    return {
        "key": source.key,
        "url": source.url,
        "title": source.title,
        "publisher": source.publisher,
        "type": source.type,
        "language": source.language,
    }


def assessment_data(entry: Assessment) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "status": entry.status,
        "status_text": entry.status_text,
        "as_of": entry.as_of,
        "as_of_precision": entry.as_of_precision,
        "event": entry.event,
        "event_ko": entry.event_ko,
        "rationale": entry.rationale,
        "review_state": entry.review_state,
        "action": entry.action.key if entry.action else None,
        "supersedes": entry.supersedes_id,
        "unverified": entry.unverified,
        "unverified_note": entry.unverified_note,
        "sources": [
            {**source_data(item.source), "evidence": item.kind} for item in entry.evidence.all()
        ],
        "recorded_at": entry.created_at,
    }


def _current(history: list[Assessment]) -> tuple[str, Any]:
    return (history[-1].status, history[-1].as_of) if history else (Status.NOT_ASSESSED, None)


def demand_data(view: DemandView) -> dict[str, Any]:
    demand, tracking = view.demand, view.tracking
    version = demand.statement.current_version
    content: dict[str, Any] = version.content if version else {}
    status, as_of = _current(view.history)
    return {
        "number": demand.number,
        "title": tracking.title if tracking else "",
        "title_ko": tracking.title_ko if tracking else "",
        "text": {
            language: (text.get("demands") or [])[demand.number - 1]
            for language, text in content.items()
            if len(text.get("demands") or []) >= demand.number
        },
        "addressees": [a.key for a in tracking.addressees.all()] if tracking else [],
        "cited_provisions": [
            {
                "key": p.key,
                "agreement": p.agreement.key,
                "pax_agt_id": p.agreement.pax_agt_id,
            }
            for p in view.cited_provisions
        ],
        "success_criteria": tracking.success_criteria if tracking else "",
        "success_criteria_ko": tracking.success_criteria_ko if tracking else "",
        "vehicles": list(tracking.vehicles) if tracking else [],
        "status": status,
        "status_as_of": as_of,
        "url": _url("tracker:demands", slug=demand.statement.slug) + f"#demand-{demand.number}",
        "history": [assessment_data(entry) for entry in view.history],
    }


def statement_demands(statement: Statement) -> list[dict[str, Any]]:
    return [demand_data(view) for view in demand_views(statement)]


def provision_data(provision: Provision) -> dict[str, Any]:
    history: list[Assessment] = list(getattr(provision, "public_history", []))
    status, as_of = _current(history)
    return {
        "key": provision.key,
        "label": provision.label,
        "summary": provision.summary,
        "summary_ko": provision.summary_ko,
        "kind": provision.kind,
        "obligors": [a.key for a in provision.obligors.all()],
        "obligor_note": provision.obligor_note,
        "deadline": provision.deadline,
        "deadline_text": provision.deadline_text,
        "condition": provision.condition,
        "condition_provision": (
            provision.condition_provision.key if provision.condition_provision else None
        ),
        "unverified": provision.unverified,
        "unverified_note": provision.unverified_note,
        "status": status,
        "status_as_of": as_of,
        "history": [assessment_data(entry) for entry in history],
    }


def agreements_data() -> list[dict[str, Any]]:
    items = list(agreements())
    provisions: dict[int, list[Provision]] = {a.pk: [] for a in items}
    for provision in provisions_with_status(items):
        provisions[provision.agreement_id].append(provision)
    return [
        {
            "key": a.key,
            "pax_agt_id": a.pax_agt_id,
            "pax_source_version": a.pax_source_version,
            "title": a.title,
            "title_ko": a.title_ko,
            "short_name": a.short_name,
            "short_name_ko": a.short_name_ko,
            "date_signed": a.date_signed,
            "place": a.place,
            "status": a.status,
            "status_note": a.status_note,
            "text_url": a.text_url,
            "url": _url("tracker:agreement", key=a.key),
            "unverified": a.unverified,
            "unverified_note": a.unverified_note,
            "parties": [{"actor": r.actor.key, "role": r.role} for r in a.party_roles.all()],
            "links": [
                {
                    "relation": link.relation,
                    "agreement": link.target.key,
                    "pax_agt_id": link.target.pax_agt_id,
                    "note": link.note,
                }
                for link in a.links_out.all()
            ],
            "sources": [source_data(s) for s in a.sources.all()],
            "provisions": [provision_data(p) for p in provisions[a.pk]],
        }
        for a in items
    ]


def _actor(actor: Actor, parties: dict[int, str]) -> dict[str, Any]:
    return {
        "key": actor.key,
        "name": actor.name,
        "name_ko": actor.name_ko,
        "party": parties[actor.pk],
    }


def link_data(link: ActionLink) -> dict[str, Any]:
    agreement = link.agreement or (link.provision.agreement if link.provision else None)
    return {
        "effect": link.effect,
        "note": link.note,
        "agreement": agreement.key if agreement else None,
        "pax_agt_id": agreement.pax_agt_id if agreement else None,
        "provision": link.provision.key if link.provision else None,
        "demand": (
            {"statement": link.demand.statement.slug, "number": link.demand.number}
            if link.demand
            else None
        ),
    }


def action_data(action: Action, parties: dict[int, str]) -> dict[str, Any]:
    return {
        "key": action.key,
        "date": action.date,
        "date_precision": action.date_precision,
        "date_text": action.date_text,
        "kind": action.kind,
        "actors": [_actor(a, parties) for a in action.actors.all()],
        "counterparts": [_actor(a, parties) for a in action.counterparts.all()],
        "description": action.description,
        "description_ko": action.description_ko,
        "links": [link_data(link) for link in action.links.all()],
        "in_response_to": action.in_response_to.key if action.in_response_to else None,
        "reverses": action.reverses.key if action.reverses else None,
        "reversed_by": [a.key for a in action.reversed_by.all()],
        "unverified": action.unverified,
        "unverified_note": action.unverified_note,
        "note": action.note,
        "sources": [source_data(s) for s in action.sources.all()],
        "url": _url("tracker:ledger") + f"#{action.key}",
    }


def actions_data(actions: Iterable[Action] | None = None) -> list[dict[str, Any]]:
    parties = actor_parties()
    items = public_actions().order_by("date", "id") if actions is None else actions
    return [action_data(action, parties) for action in items]


def document() -> dict[str, Any]:
    """Everything public, in one JSON document."""
    return {
        "agreements": agreements_data(),
        "actions": actions_data(),
        "statements": [
            {"slug": s.slug, "demands": statement_demands(s)} for s in public_statements()
        ],
    }


# CSV ------------------------------------------------------------------------------------------
def _join(values: Iterable[str]) -> str:
    return " ; ".join(v for v in values if v)


def actions_rows() -> Iterator[dict[str, Any]]:
    """One row per action and what it did to one agreement, provision or demand."""
    for item in actions_data():
        base = {
            "action": item["key"],
            "date": item["date"].isoformat(),
            "date_precision": item["date_precision"],
            "date_text": item["date_text"],
            "kind": item["kind"],
            "actors": _join(a["key"] for a in item["actors"]),
            "parties": _join(dict.fromkeys(a["party"] for a in item["actors"])),
            "counterparts": _join(a["key"] for a in item["counterparts"]),
            "description": item["description"],
            "description_ko": item["description_ko"],
            "in_response_to": item["in_response_to"],
            "reverses": item["reverses"],
            "unverified": item["unverified"],
            "unverified_note": item["unverified_note"],
            "sources": _join(s["url"] for s in item["sources"]),
        }
        for link in item["links"] or [None]:
            demand = (link or {}).get("demand") or {}
            yield {
                **base,
                "effect": link["effect"] if link else "",
                "agreement": link["agreement"] if link else "",
                "pax_agt_id": link["pax_agt_id"] if link else "",
                "provision": link["provision"] if link else "",
                "demand_statement": demand.get("statement", ""),
                "demand_number": demand.get("number", ""),
                "link_note": link["note"] if link else "",
            }


def provisions_rows() -> Iterator[dict[str, Any]]:
    for agreement in agreements_data():
        for p in agreement["provisions"]:
            yield {
                "provision": p["key"],
                "agreement": agreement["key"],
                "pax_agt_id": agreement["pax_agt_id"],
                "label": p["label"],
                "summary": p["summary"],
                "summary_ko": p["summary_ko"],
                "kind": p["kind"],
                "obligors": _join(p["obligors"]),
                "deadline": p["deadline"].isoformat() if p["deadline"] else "",
                "deadline_text": p["deadline_text"],
                "condition": p["condition"],
                "status": p["status"],
                "status_as_of": p["status_as_of"].isoformat() if p["status_as_of"] else "",
                "unverified": p["unverified"],
                "unverified_note": p["unverified_note"],
            }


def agreements_rows() -> Iterator[dict[str, Any]]:
    for a in agreements_data():
        yield {
            "agreement": a["key"],
            "pax_agt_id": a["pax_agt_id"],
            "pax_source_version": a["pax_source_version"],
            "short_name": a["short_name"],
            "title": a["title"],
            "title_ko": a["title_ko"],
            "date_signed": a["date_signed"].isoformat() if a["date_signed"] else "",
            "place": a["place"],
            "status": a["status"],
            "parties": _join(f"{p['actor']}:{p['role']}" for p in a["parties"]),
            "links": _join(f"{link['relation']}:{link['agreement']}" for link in a["links"]),
            "text_url": a["text_url"],
            "unverified": a["unverified"],
            "sources": _join(s["url"] for s in a["sources"]),
        }


def assessments_rows() -> Iterator[dict[str, Any]]:
    def rows(
        subject: str, pax_agt_id: Any, history: list[dict[str, Any]]
    ) -> Iterator[dict[str, Any]]:
        for entry in history:
            yield {
                "id": entry["id"],
                "subject": subject,
                "pax_agt_id": pax_agt_id,
                "status": entry["status"],
                "as_of": entry["as_of"].isoformat(),
                "as_of_precision": entry["as_of_precision"],
                "event": entry["event"],
                "event_ko": entry["event_ko"],
                "review_state": entry["review_state"],
                "action": entry["action"],
                "supersedes": entry["supersedes"],
                "unverified": entry["unverified"],
                "sources": _join(s["url"] for s in entry["sources"]),
            }

    for statement in public_statements():
        for demand in statement_demands(statement):
            yield from rows(f"{statement.slug}#{demand['number']}", "", demand["history"])
    for agreement in agreements_data():
        for p in agreement["provisions"]:
            yield from rows(p["key"], agreement["pax_agt_id"], p["history"])


TABLES = {
    "actions": (
        actions_rows,
        [
            "action", "date", "date_precision", "date_text", "kind", "actors", "parties",
            "counterparts", "description", "description_ko", "in_response_to", "reverses",
            "unverified", "unverified_note", "sources", "effect", "agreement", "pax_agt_id",
            "provision", "demand_statement", "demand_number", "link_note",
        ],
    ),
    "provisions": (
        provisions_rows,
        [
            "provision", "agreement", "pax_agt_id", "label", "summary", "summary_ko", "kind",
            "obligors", "deadline", "deadline_text", "condition", "status", "status_as_of",
            "unverified", "unverified_note",
        ],
    ),
    "agreements": (
        agreements_rows,
        [
            "agreement", "pax_agt_id", "pax_source_version", "short_name", "title", "title_ko",
            "date_signed", "place", "status", "parties", "links", "text_url", "unverified",
            "sources",
        ],
    ),
    "assessments": (
        assessments_rows,
        [
            "id", "subject", "pax_agt_id", "status", "as_of", "as_of_precision", "event",
            "event_ko", "review_state", "action", "supersedes", "unverified", "sources",
        ],
    ),
}  # fmt: skip


def write_csv(table: str, out: Any) -> int:
    """Write one table as CSV to a text stream; returns the number of rows."""
    rows, fields = TABLES[table]
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows():
        writer.writerow({k: safe_cell(v) for k, v in row.items()})
        count += 1
    return count
