"""The demo campaign: the 2018 Korea peace statement, in English and Korean, with fictional
sample signatories (marked as sample data wherever shown)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from undersigned.lib.emails import email_key
from undersigned.lib.progress import progress
from undersigned.signatures import samples
from undersigned.signatures.models import EmailOwed, Network, Signature, Source, Status
from undersigned.signatures.services import _derive, statement_recount
from undersigned.statements.models import Statement
from undersigned.statements.services import statement_create, statement_open
from undersigned.tracker.demo import tracker_load_demo

# Sample sign-ons were confirmed over the last six weeks (more of them lately), so the
# statement page's chart of sign-ons over time has a shape.
_DEMO_SPREAD = timedelta(days=42)
DATA = Path(__file__).parent / "data" / "korea-peace-2018.json"


def demo_load(*, organizations: int = 150, individuals: int = 300, stream: Any = None) -> Statement:
    """Create the demo statement and its sample signatories; a second call changes nothing."""
    data = json.loads(DATA.read_text())
    existing = Statement.objects.filter(slug=data["slug"]).first()
    if existing:
        return existing
    with transaction.atomic():
        networks = {
            n["slug"]: Network.objects.get_or_create(
                slug=n["slug"], defaults={k: v for k, v in n.items() if k != "slug"}
            )[0]
            for n in data["networks"]
        }
        statement = statement_create(
            slug=data["slug"],
            content=data["content"],
            default_language=data["default_language"],
            targets=data["targets"],
            goal_organizations=data.get("goal_organizations"),
            goal_individuals=data.get("goal_individuals"),
            is_sample=True,
        )
        statement_open(statement=statement, public=True)
        version = statement.current_version
        assert version is not None
        records = samples.sample_organizations(count=organizations) + samples.sample_individuals(
            count=individuals
        )
        now = timezone.now()
        for i, record in enumerate(
            progress(records, total=len(records), label="sample signatories", stream=stream)
        ):
            record = dict(record)
            slugs = cast(list[str], record.pop("networks", None) or [])
            signature = Signature(
                statement=statement,
                version=version,
                version_hash=version.content_hash,
                status=Status.APPROVED if record["kind"] == "organization" else Status.CONFIRMED,
                email_key=email_key(str(record["email"])),
                source=Source.IMPORT,
                is_sample=True,
                email_owed=EmailOwed.NONE,
                confirmed_at=now - _DEMO_SPREAD * ((i * 7919) % len(records) / len(records)) ** 2,
                **record,
            )
            _derive(signature, statement)
            signature.save(force_insert=True)
            if slugs:
                signature.networks.set([networks[s] for s in slugs if s in networks])
        statement_recount(statement=statement)
        tracker_load_demo(statement=statement)
    return statement
