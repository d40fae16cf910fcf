"""The demo's tracker data: the agreements the 2018 statement cites, their provisions, the
dated log of what each party did, and the status history of each demand, from
data/korea-peace-2018.json (own-words summaries of real events, each with its sources).

Loading twice changes nothing: rows are found by their key and never overwritten (an
organizer may have corrected them since), and a demand's history is loaded only when the
demand has none (history is append-only).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from undersigned.audit.services import audit_log
from undersigned.statements.models import Demand, Statement
from undersigned.tracker.models import (
    Action,
    Actor,
    Agreement,
    AgreementLink,
    AgreementParty,
    Assessment,
    Provision,
    Source,
    TrackedDemand,
)
from undersigned.tracker.services import LinkData, action_record, assessment_add

DATA = Path(__file__).parent / "data" / "korea-peace-2018.json"
ASSESSOR = "demo data (korea-peace-2018.json)"


@dataclass
class DemoReport:
    sources: int = 0
    actors: int = 0
    agreements: int = 0
    provisions: int = 0
    actions: int = 0
    assessments: int = 0


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _role(value: str) -> str:
    return value.replace(" ", "_")


def tracker_load_demo(*, statement: Statement, data: dict[str, Any] | None = None) -> DemoReport:
    """Load the tracker data of the demo campaign and link it to `statement`'s demands."""
    data = data or json.loads(DATA.read_text(encoding="utf-8"))
    report = DemoReport()
    with transaction.atomic():
        sources = _load_sources(data, report)
        actors = _load_actors(data, report)
        agreements = _load_agreements(data, report, actors, sources)
        provisions = _load_provisions(data, report, agreements, actors)
        demands = {d.number: d for d in Demand.objects.filter(statement=statement)}
        _load_demand_tracking(data, demands, actors, provisions)
        actions = _load_actions(data, report, sources, actors, agreements, provisions, demands)
        _load_histories(data, report, demands, sources, actions)
        if any(vars(report).values()):
            audit_log(
                action="tracker.demo_loaded",
                obj=statement,
                statement_id=statement.pk,
                data=vars(report),
            )
    return report


def _load_sources(data: dict[str, Any], report: DemoReport) -> dict[str, Source]:
    sources = {s.key: s for s in Source.objects.filter(key__in=[s["id"] for s in data["sources"]])}
    for row in data["sources"]:
        if row["id"] in sources:
            continue
        sources[row["id"]] = Source.objects.create(
            key=row["id"],
            url=row["url"],
            title=row["title"],
            publisher=row.get("publisher") or "",
            type=row.get("type") or "other",
            language=row.get("language") or "en",
            note=row.get("note") or "",
        )
        report.sources += 1
    return sources


def _load_actors(data: dict[str, Any], report: DemoReport) -> dict[str, Actor]:
    actors = {a.key: a for a in Actor.objects.filter(key__in=[a["id"] for a in data["actors"]])}
    for row in data["actors"]:  # parents come before their children in the file
        if row["id"] in actors:
            continue
        actors[row["id"]] = Actor.objects.create(
            key=row["id"],
            name=row["name"],
            name_ko=row.get("name_ko") or "",
            kind=row["kind"],
            iso3=row.get("iso3") or "",
            parent=actors[row["parent"]] if row.get("parent") else None,
            note=row.get("note") or "",
        )
        report.actors += 1
    return actors


def _load_agreements(
    data: dict[str, Any],
    report: DemoReport,
    actors: dict[str, Actor],
    sources: dict[str, Source],
) -> dict[str, Agreement]:
    keys = [a["id"] for a in data["agreements"]]
    agreements = {a.key: a for a in Agreement.objects.filter(key__in=keys)}
    for row in data["agreements"]:
        if row["id"] in agreements:
            continue
        agreement = Agreement.objects.create(
            key=row["id"],
            title=row["title"],
            title_ko=row.get("title_ko") or "",
            short_name=row["short_name"],
            short_name_ko=row.get("short_name_ko") or "",
            date_signed=_date(row.get("date_signed")),
            place=row.get("place") or "",
            status=row["status"],
            status_note=row.get("status_note") or "",
            text_url=row.get("text_url") or "",
            pax_agt_id=row.get("pax_agt_id"),
            pax_source_version=row.get("pax_source_version") or "",
            unverified=bool(row.get("unverified")),
            unverified_note=row.get("unverified_note") or "",
        )
        AgreementParty.objects.bulk_create(
            AgreementParty(
                agreement=agreement, actor=actors[p["actor"]], role=_role(p["role"]), position=i
            )
            for i, p in enumerate(row.get("parties") or [])
        )
        agreement.sources.set([sources[s] for s in row.get("sources") or []])
        agreements[row["id"]] = agreement
        report.agreements += 1
    for link in data.get("agreement_links") or []:
        AgreementLink.objects.get_or_create(
            source=agreements[link["from"]],
            target=agreements[link["to"]],
            relation=link["relation"],
            defaults={"note": link.get("note") or ""},
        )
    return agreements


def _load_provisions(
    data: dict[str, Any],
    report: DemoReport,
    agreements: dict[str, Agreement],
    actors: dict[str, Actor],
) -> dict[str, Provision]:
    keys = [p["id"] for p in data["provisions"]]
    provisions = {p.key: p for p in Provision.objects.filter(key__in=keys)}
    for position, row in enumerate(data["provisions"]):
        if row["id"] in provisions:
            continue
        condition = row.get("condition") or ""
        provision = Provision.objects.create(
            key=row["id"],
            agreement=agreements[row["agreement"]],
            position=position,
            label=row["label"],
            summary=row["summary"],
            summary_ko=row.get("summary_ko") or "",
            kind=row["kind"],
            obligor_note=row.get("obligor_note") or "",
            deadline=_date(row.get("deadline")),
            deadline_text=row.get("deadline_text") or "",
            # The file names a condition either by provision id or in words.
            condition="" if condition in keys else condition,
            condition_provision=provisions.get(condition),
            unverified=bool(row.get("unverified")),
            unverified_note=row.get("unverified_note") or "",
        )
        provision.obligors.set([actors[a] for a in row.get("obligors") or []])
        provisions[row["id"]] = provision
        report.provisions += 1
    return provisions


def _load_demand_tracking(
    data: dict[str, Any],
    demands: dict[int, Demand],
    actors: dict[str, Actor],
    provisions: dict[str, Provision],
) -> None:
    for row in data["demands"]:
        demand = demands.get(row["number"])
        if demand is None or TrackedDemand.objects.filter(demand=demand).exists():
            continue
        tracking = TrackedDemand.objects.create(
            demand=demand,
            title=row["title"],
            title_ko=row.get("title_ko") or "",
            cited_note=row.get("cited_note") or "",
            success_criteria=row.get("success_criteria") or "",
            success_criteria_ko=row.get("success_criteria_ko") or "",
            vehicles=row.get("vehicles") or [],
        )
        tracking.addressees.set([actors[a] for a in row.get("addressees") or []])
        tracking.cited_provisions.set([provisions[p] for p in row.get("cited_provisions") or []])


def _load_actions(
    data: dict[str, Any],
    report: DemoReport,
    sources: dict[str, Source],
    actors: dict[str, Actor],
    agreements: dict[str, Agreement],
    provisions: dict[str, Provision],
    demands: dict[int, Demand],
) -> dict[str, Action]:
    keys = [a["id"] for a in data["actions"]]
    actions = {a.key: a for a in Action.objects.filter(key__in=keys)}
    # Answers and reversals point back in time, so the earlier action exists when needed.
    for row in sorted(data["actions"], key=lambda r: (r["date"], r["log_row"])):
        if row["id"] in actions:
            continue
        links: list[LinkData] = []
        for link in row.get("links") or []:
            data_link: LinkData = {"effect": link["effect"], "note": link.get("note") or ""}
            if "provision" in link:
                data_link["provision"] = provisions[link["provision"]]
            elif "agreement" in link:
                data_link["agreement"] = agreements[link["agreement"]]
            elif link.get("demand") in demands:
                data_link["demand"] = demands[link["demand"]]
            else:
                continue
            links.append(data_link)
        actions[row["id"]] = action_record(
            key=row["id"],
            date=datetime.date.fromisoformat(row["date"]),
            date_precision=row["date_precision"],
            date_text=row.get("date_text") or "",
            description=row["description"],
            description_ko=row.get("description_ko") or "",
            kind=row["kind"],
            actors=[actors[a] for a in row["actors"]],
            counterparts=[actors[a] for a in row.get("counterparts") or []],
            sources=[sources[s] for s in row["sources"]],
            links=links,
            in_response_to=actions[row["in_response_to"]] if row.get("in_response_to") else None,
            reverses=actions[row["reverses"]] if row.get("reverses") else None,
            unverified=bool(row.get("unverified")),
            unverified_note=row.get("unverified_note") or "",
            note=row.get("note") or "",
            effect_text=row.get("effect_text") or "",
        )
        report.actions += 1
    return actions


def _load_histories(
    data: dict[str, Any],
    report: DemoReport,
    demands: dict[int, Demand],
    sources: dict[str, Source],
    actions: dict[str, Action],
) -> None:
    for row in data["demands"]:
        demand = demands.get(row["number"])
        if demand is None or Assessment.objects.filter(demand=demand).exists():
            continue
        for entry in row["history"]:
            assessment_add(
                subject=demand,
                status=entry["status"],
                status_text=entry.get("status_text") or "",
                as_of=datetime.date.fromisoformat(entry["date"]),
                as_of_precision=entry.get("date_precision") or "day",
                event=entry["event"],
                event_ko=entry.get("event_ko") or "",
                rationale=entry.get("note") or "",
                sources=[sources[s] for s in entry["sources"]],
                action=actions.get(entry["action"]) if entry.get("action") else None,
                review_state=entry.get("review_state") or "provisional",
                unverified=bool(entry.get("unverified")),
                unverified_note=entry.get("unverified_note") or "",
                assessor_label=ASSESSOR,
                notify=False,
            )
            report.assessments += 1
