"""Public reads of the tracker. The visibility rules live here and nowhere else:

- draft assessments are never public; the current status is the latest public entry;
- a demand is shown only when its statement is public (released or later), and links from
  actions to the demands of a statement still collecting privately are left out.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from undersigned.statements.models import Demand, Statement
from undersigned.statements.selectors import PUBLIC_STATUSES
from undersigned.tracker.models import (
    Action,
    ActionLink,
    Actor,
    Agreement,
    AgreementLink,
    Assessment,
    Effect,
    Evidence,
    Provision,
    ReviewState,
    Status,
)

# The ledger's columns: the parties whose steps are set side by side; everyone else (the
# UN, China, Russia, civil society) shares the last column.
LEDGER_PARTIES = ("US", "DPRK", "ROK")
OTHERS = "other"


def public_assessments() -> QuerySet[Assessment]:
    return (
        Assessment.objects.exclude(review_state=ReviewState.DRAFT)
        .select_related("action")
        .prefetch_related(Prefetch("evidence", queryset=Evidence.objects.select_related("source")))
        .order_by("as_of", "id")
    )


def public_link_filter(prefix: str = "") -> Q:
    """Links that may be shown: not to a demand of a statement that is not public."""
    return Q(**{f"{prefix}demand__isnull": True}) | Q(
        **{f"{prefix}demand__statement__status__in": PUBLIC_STATUSES}
    )


def public_actions() -> QuerySet[Action]:
    links = (
        ActionLink.objects.filter(public_link_filter())
        .select_related("agreement", "provision__agreement", "demand__statement")
        .order_by("id")
    )
    return Action.objects.prefetch_related(
        "actors",
        "counterparts",
        "sources",
        Prefetch("links", queryset=links),
        "reversed_by",
        "responses",
    ).select_related("in_response_to", "reverses")


# Demands ------------------------------------------------------------------------------------
@dataclass
class DemandView:
    demand: Demand
    text: str
    history: list[Assessment]
    actions: list[Action]
    cited_provisions: list[Provision] = field(default_factory=list)

    @property
    def tracking(self) -> Any:
        return getattr(self.demand, "tracking", None)

    @property
    def current(self) -> Assessment | None:
        return self.history[-1] if self.history else None

    @property
    def status(self) -> str:
        return self.current.status if self.current else Status.NOT_ASSESSED


def statement_for_tracker(slug: str) -> Statement:
    """A public statement, or 404: what a statement asks of governments is tracked in the open
    only once the statement itself is."""
    statement = (
        Statement.objects.select_related("current_version")
        .filter(slug=slug, status__in=PUBLIC_STATUSES)
        .first()
    )
    if statement is None:
        raise Http404("No such statement")
    return statement


def demand_views(statement: Statement, language: str | None = None) -> list[DemandView]:
    """Each demand of a public statement with its public status history and related steps."""
    demands = list(
        Demand.objects.filter(statement=statement)
        .select_related("tracking")
        .prefetch_related(
            Prefetch("assessments", queryset=public_assessments(), to_attr="public_history"),
            "tracking__addressees",
            Prefetch(
                "tracking__cited_provisions",
                queryset=Provision.objects.select_related("agreement").order_by(
                    "agreement__date_signed", "position"
                ),
            ),
        )
        .order_by("number")
    )
    demands_actions: dict[int, list[Action]] = defaultdict(list)
    for action in (
        public_actions().filter(links__demand__in=demands).distinct().order_by("date", "id")
    ):
        for link in action.links.all():
            if link.demand_id is not None:
                demands_actions[link.demand_id].append(action)
    views = []
    for demand in demands:
        demand.statement = statement  # already loaded, with its current version
        tracking = getattr(demand, "tracking", None)
        views.append(
            DemandView(
                demand=demand,
                text=demand.text(language),
                history=list(getattr(demand, "public_history", [])),
                actions=list(dict.fromkeys(demands_actions[demand.pk])),
                cited_provisions=list(tracking.cited_provisions.all()) if tracking else [],
            )
        )
    return views


# Agreements ---------------------------------------------------------------------------------
@dataclass
class ProvisionView:
    provision: Provision
    history: list[Assessment]
    steps: list[tuple[Action, ActionLink]]

    @property
    def current(self) -> Assessment | None:
        return self.history[-1] if self.history else None

    @property
    def last_step(self) -> tuple[Action, ActionLink] | None:
        """The latest step that did something to the provision (context is left out)."""
        moving = [s for s in self.steps if s[1].effect != Effect.CONTEXT]
        return moving[-1] if moving else None


def agreements() -> QuerySet[Agreement]:
    return Agreement.objects.prefetch_related(
        "party_roles__actor",
        "sources",
        Prefetch("links_out", queryset=AgreementLink.objects.select_related("target")),
        Prefetch("links_in", queryset=AgreementLink.objects.select_related("source")),
    ).order_by("date_signed", "key")


# Keys as the data writes them; anything else names nothing (and a NUL must not reach
# PostgreSQL, which refuses it with an exception rather than an empty result).
KEY = re.compile(r"[-A-Za-z0-9_./]{1,40}")


def agreement_by_key(key: str) -> Agreement:
    if not KEY.fullmatch(key):
        raise Http404("No such agreement")
    agreement = agreements().filter(key=key).first()
    if agreement is None:
        raise Http404("No such agreement")
    return agreement


def provisions_with_status(agreements: Iterable[Agreement]) -> QuerySet[Provision]:
    return (
        Provision.objects.filter(agreement__in=list(agreements))
        .select_related("agreement", "condition_provision")
        .prefetch_related(
            "obligors",
            Prefetch("assessments", queryset=public_assessments(), to_attr="public_history"),
        )
        .order_by("agreement__date_signed", "position", "id")
    )


def provision_views(agreement: Agreement) -> list[ProvisionView]:
    provisions = list(provisions_with_status([agreement]))
    steps: dict[int, list[tuple[Action, ActionLink]]] = defaultdict(list)
    for action in (
        public_actions()
        .filter(links__provision__agreement=agreement)
        .distinct()
        .order_by("date", "id")
    ):
        for link in action.links.all():
            if link.provision_id is not None:
                steps[link.provision_id].append((action, link))
    return [
        ProvisionView(
            provision=p, history=list(getattr(p, "public_history", [])), steps=steps[p.pk]
        )
        for p in provisions
    ]


def agreement_steps(agreement: Agreement) -> list[tuple[Action, ActionLink]]:
    """Steps recorded against the agreement as a whole (signature, suspension, repudiation)."""
    result = []
    for action in (
        public_actions().filter(links__agreement=agreement).distinct().order_by("date", "id")
    ):
        for link in action.links.all():
            if link.agreement_id == agreement.pk:
                result.append((action, link))
    return result


# The reciprocity ledger ---------------------------------------------------------------------
def actor_parties() -> dict[int, str]:
    """Each actor's party: the ledger party it belongs to (Trump → US presidency → US), or
    OTHERS. One query over the (small) actor table instead of a walk per action."""
    actors = {a.pk: a for a in Actor.objects.only("pk", "key", "parent_id")}
    parties: dict[int, str] = {}
    for pk, actor in actors.items():
        node: Actor | None = actor
        for _depth in range(10):
            if node is None or node.key in LEDGER_PARTIES:
                break
            node = actors.get(node.parent_id) if node.parent_id else None
        parties[pk] = node.key if node is not None and node.key in LEDGER_PARTIES else OTHERS
    return parties


def actor_family(key: str) -> list[int]:
    """The actor with this key and every body and person under it."""
    children: dict[int | None, list[int]] = defaultdict(list)
    root = None
    for pk, actor_key, parent_id in Actor.objects.values_list("pk", "key", "parent_id"):
        children[parent_id].append(pk)
        if actor_key == key:
            root = pk
    family, todo = [], [root] if root is not None else []
    while todo:
        pk = todo.pop()
        family.append(pk)
        todo.extend(children[pk])
    return family


@dataclass
class LedgerColumn:
    key: str
    actor: Actor | None
    steps: int = 0


@dataclass
class LedgerRow:
    action: Action
    parties: list[str]
    cells: list[tuple[LedgerColumn, bool]]

    @property
    def joint(self) -> bool:
        return len(self.parties) > 1

    @property
    def reversed_links(self) -> list[ActionLink]:
        return [link for link in self.action.links.all() if link.effect == Effect.REVERSES]

    @property
    def is_reversal(self) -> bool:
        return self.action.reverses_id is not None or bool(self.reversed_links)

    @property
    def effect(self) -> str:
        """For the timeline: "back" (reverses or contradicts), "forward" (advances, fulfils,
        partly advances) or "context"."""
        effects = {link.effect for link in self.action.links.all()}
        if self.is_reversal or effects & {Effect.REVERSES, Effect.CONTRADICTS}:
            return "back"
        if effects & {Effect.ADVANCES, Effect.FULFILS, Effect.PARTIAL}:
            return "forward"
        return "context"


@dataclass
class Ledger:
    columns: list[LedgerColumn]
    rows: list[LedgerRow]

    @property
    def reversals(self) -> list[LedgerRow]:
        return [row for row in self.rows if row.is_reversal]


def ledger(*, agreement: Agreement | None = None) -> Ledger:
    """Every step in time order, each in the column of the party (or parties) that took it."""
    actions = public_actions().order_by("date", "id")
    if agreement is not None:
        actions = actions.filter(
            Q(links__agreement=agreement) | Q(links__provision__agreement=agreement)
        ).distinct()
    named = {a.key: a for a in Actor.objects.filter(key__in=LEDGER_PARTIES)}
    columns = [LedgerColumn(key, named.get(key)) for key in (*LEDGER_PARTIES, OTHERS)]
    order = [c.key for c in columns]
    by_key = {c.key: c for c in columns}
    party = actor_parties()
    rows = []
    for action in actions:
        parties = sorted({party[a.pk] for a in action.actors.all()}, key=order.index)
        for key in parties:
            by_key[key].steps += 1
        rows.append(
            LedgerRow(
                action=action, parties=parties, cells=[(by_key[k], k in parties) for k in order]
            )
        )
    return Ledger(columns=columns, rows=rows)


def actions_for_api(
    *, actor: str = "", agreement: str = "", provision: str = ""
) -> QuerySet[Action]:
    actions = public_actions().order_by("date", "id")
    if actor:
        actions = actions.filter(actors__in=actor_family(actor))
    if agreement:
        actions = actions.filter(
            Q(links__agreement__key=agreement) | Q(links__provision__agreement__key=agreement)
        )
    if provision:
        actions = actions.filter(links__provision__key=provision)
    return actions.distinct()
