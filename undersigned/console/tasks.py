"""The console's background job: a CSV import (its dry run too) run from the import screen.
Validating a row takes milliseconds (the sign-on form's own checks), so a file of thousands
of rows takes a minute or more: too long for a web request. The page shows the job's
progress, read from the shared cache, and then its report."""

from __future__ import annotations

import io
import logging
import re
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.utils import translation
from django_tasks import task

from undersigned.signatures.imports import ImportFileError, signatures_import
from undersigned.statements.models import Statement

logger = logging.getLogger(__name__)

RUN_TIMEOUT = 3600
# The report keeps this many duplicate and bad rows; the counts cover them all.
REPORT_ROWS = 500
_PROGRESS = re.compile(r"import: (\d+)/(\d+)")


def upload_key(statement_id: int, token: str) -> str:
    return f"console-import:{statement_id}:{token}"


def run_key(statement_id: int, token: str) -> str:
    return f"console-import-run:{statement_id}:{token}"


def run_state(statement_id: int, token: str) -> dict[str, Any] | None:
    state: dict[str, Any] | None = caches["default"].get(run_key(statement_id, token))
    return state


def set_run_state(statement_id: int, token: str, **state: Any) -> None:
    caches["default"].set(run_key(statement_id, token), state, RUN_TIMEOUT)


class _Progress:
    """Where signatures_import writes its progress lines ("import: 500/4000"): into the run's
    state, for the page to show."""

    def __init__(self, statement_id: int, token: str, base: dict[str, Any]) -> None:
        self.statement_id, self.token, self.base = statement_id, token, base

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if match := _PROGRESS.search(text):
            done, total = int(match[1]), int(match[2])
            set_run_state(
                self.statement_id, self.token, **self.base, state="running", done=done, total=total
            )
        return len(text)

    def flush(self) -> None:
        pass


@task()
def import_run(
    statement_id: int,
    token: str,
    mapping: list[str],
    dry_run: bool,
    send_confirmation: bool,
    actor_id: int | None,
    language: str,
) -> str:
    base = {"dry_run": dry_run, "mapping": mapping, "send_confirmation": send_confirmation}
    statement = Statement.objects.select_related("current_version").filter(pk=statement_id).first()
    stored = caches["default"].get(upload_key(statement_id, token))
    if statement is None or stored is None:
        set_run_state(statement_id, token, **base, state="failed", error="expired")
        return "the upload expired"
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    set_run_state(statement_id, token, **base, state="running", done=0, total=0)
    buffer = io.BytesIO(stored["raw"])
    buffer.name = stored["name"]  # the report and the audit log name the file
    with translation.override(language):
        try:
            report = signatures_import(
                statement=statement,
                file=buffer,
                mapping=mapping,
                dry_run=dry_run,
                send_confirmation=send_confirmation,
                actor=actor,
                stream=_Progress(statement_id, token, base),
            )
        except ImportFileError as error:
            set_run_state(statement_id, token, **base, state="failed", error=str(error))
            return "failed"
    problems = [
        {"line": r.line, "outcome": r.outcome, "name": r.name, "reason": r.reason}
        for r in report.rows
        if r.outcome in {"error", "duplicate"}
    ]
    set_run_state(
        statement_id,
        token,
        **base,
        state="done",
        name=stored["name"],
        added=report.added,
        duplicates=report.duplicates,
        errors=report.errors,
        empty=report.empty,
        problems=problems[:REPORT_ROWS],
        more_problems=max(0, len(problems) - REPORT_ROWS),
    )
    if not dry_run:
        # Imported: the file is not needed any more (and not kept, with its emails).
        caches["default"].delete(upload_key(statement_id, token))
    logger.info("import into %s: %s added (dry run: %s)", statement_id, report.added, dry_run)
    return f"{report.added} added"
