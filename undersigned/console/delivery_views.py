"""The console's delivery screens: freeze a snapshot, download its dossier, record a
delivery, post an update to the signers, download the list, and import sign-ons from a
form tool's CSV.

Owners and editors act; moderators may look (the snapshots, deliveries, updates and the
public list are no secret to them) but not freeze, deliver, post, import or take the private
export. As everywhere in the console, the role is checked by the decorator first."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from functools import partial
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from undersigned.accounts.decorators import forbidden, statement_role_required
from undersigned.accounts.selectors import ANY_ROLE, EDITORS, Access
from undersigned.console.delivery_forms import (
    DeliveryForm,
    FreezeForm,
    ImportUploadForm,
    MappingForm,
    UpdateForm,
)
from undersigned.console.tasks import import_run, run_state, set_run_state, upload_key
from undersigned.delivery.dossier import FORMATS, DossierSource, dossier_files
from undersigned.delivery.models import Snapshot
from undersigned.delivery.selectors import (
    deliveries_for,
    delivery_file_in,
    freeze_preview,
    has_deliveries,
    snapshot_get,
    snapshots_for,
    update_recipients_by_language,
    updates_for_console,
)
from undersigned.delivery.services import (
    delivery_record,
    dossier_pdf_request,
    export_log,
    snapshot_freeze,
    update_post,
)
from undersigned.delivery.tasks import dossier_pdf_state
from undersigned.signatures.exports import csv_lines, private_table, public_table
from undersigned.signatures.imports import (
    ImportFileError,
    guess_mapping,
    read_records,
)
from undersigned.signatures.imports import _decode as decode_csv
from undersigned.statements.models import StatementStatus

R = TypeVar("R", bound=HttpResponseBase)

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
# An uploaded CSV waits in the shared cache between the upload, the dry run and the import.
IMPORT_TIMEOUT = 3600


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    return render(request, f"console/{template}", context, status=status)


def _url(name: str, access: Access, **kwargs: Any) -> str:
    return reverse(f"console:{name}", kwargs={"slug": access.statement.slug, **kwargs})


def _language(access: Access) -> str:
    return access.statement.default_language


def _attachment(response: R, name: str) -> R:
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _csv_download(lines: Iterator[str], language: str, name: str) -> HttpResponse:
    """A CSV written as it is sent. (Typed as an HttpResponse for the console's decorators,
    which only set headers: Django serves either kind the same way.)"""
    response = StreamingHttpResponse(_with_bom(lines, language), content_type=CONTENT_TYPES["csv"])
    return cast(HttpResponse, _attachment(response, name))


def _with_bom(lines: Iterator[str], language: str) -> Iterator[str]:
    """The CSV with Excel's UTF-8 mark, written in `language` (the group labels)."""
    yield "\ufeff"
    with translation.override(language):
        yield from lines


# Snapshots and deliveries -------------------------------------------------------------------
@statement_role_required(*ANY_ROLE)
@require_GET
def delivery(request: HttpRequest, access: Access) -> HttpResponse:
    statement = access.statement
    language = _language(access)
    snapshots = [
        {
            "snapshot": s,
            "pdf": (dossier_pdf_state(s.pk, language) or {}).get("state", ""),
        }
        for s in snapshots_for(statement)
    ]
    building = any(row["pdf"] in {"queued", "running"} for row in snapshots)
    return _render(
        request,
        "delivery.html",
        {
            "access": access,
            "snapshots": snapshots,
            "deliveries": deliveries_for(statement),
            "formats": FORMATS,
            "refresh": building,
        },
    )


@statement_role_required(*EDITORS)
@require_http_methods(["GET", "POST"])
def snapshot_freeze_view(request: HttpRequest, access: Access) -> HttpResponse:
    """GET shows what would be frozen; the POST from that page freezes it."""
    statement = access.statement
    delivered = has_deliveries(statement)
    form = FreezeForm(request.POST or request.GET or None)
    addendum = bool(form.is_valid() and form.cleaned_data["addendum"] and delivered)
    if request.method == "POST" and "confirm" in request.POST:
        try:
            snapshot = snapshot_freeze(statement=statement, addendum=addendum, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                ngettext(
                    "Snapshot #%(n)s frozen with %(total)s sign-on.",
                    "Snapshot #%(n)s frozen with %(total)s sign-ons.",
                    snapshot.total,
                )
                % {"n": snapshot.number, "total": snapshot.total},
            )
            return HttpResponseRedirect(_url("delivery", access))
    return _render(
        request,
        "freeze.html",
        {
            "access": access,
            "form": form,
            "delivered": delivered,
            "addendum": addendum,
            "preview": freeze_preview(statement, addendum=addendum),
            "is_draft": statement.status == StatementStatus.DRAFT,
        },
    )


def _snapshot_or_404(access: Access, number: int) -> Snapshot:
    snapshot = snapshot_get(access.statement, number)
    if snapshot is None:
        raise Http404("No such snapshot")
    return snapshot


@statement_role_required(*ANY_ROLE)
@require_GET
def snapshot_download(request: HttpRequest, access: Access, number: int, fmt: str) -> HttpResponse:
    """The dossier's files. The spreadsheets are made on the spot (the CSV streamed, row by
    row); the PDF only once the job queued by snapshot_pdf has built it."""
    snapshot = _snapshot_or_404(access, number)
    language = _language(access)
    source = DossierSource.of_snapshot(snapshot)
    if fmt == "pdf":
        state = dossier_pdf_state(snapshot.pk, language) or {}
        if state.get("state") != "ready":
            raise Http404("The PDF is not ready")
        response = HttpResponse(state["pdf"], content_type=CONTENT_TYPES["pdf"])
        return _attachment(response, state["name"])
    if fmt == "csv":
        return _csv_download(
            csv_lines(source.table(language)), language, f"{source.file_stem()}.csv"
        )
    if fmt not in CONTENT_TYPES:
        raise Http404("No such format")
    ((name, content),) = dossier_files(source, formats=(fmt,), language=language)
    return _attachment(HttpResponse(content, content_type=CONTENT_TYPES[fmt]), name)


@statement_role_required(*ANY_ROLE)
@require_POST
def snapshot_pdf(request: HttpRequest, access: Access, number: int) -> HttpResponse:
    """Queue the PDF's layout; the delivery page shows its progress and then the link."""
    snapshot = _snapshot_or_404(access, number)
    state = dossier_pdf_request(snapshot=snapshot, language=_language(access))
    if state != "ready":
        messages.success(request, _("The PDF is being prepared: this page updates itself."))
    return HttpResponseRedirect(_url("delivery", access))


@statement_role_required(*EDITORS)
@require_http_methods(["GET", "POST"])
def delivery_new(request: HttpRequest, access: Access) -> HttpResponse:
    statement = access.statement
    number = request.GET.get("snapshot", "")
    chosen = snapshot_get(statement, int(number) if number.isdigit() else None)
    initial: dict[str, Any] = {"snapshot": chosen, "dossier": ["csv", "xlsx"]}
    if chosen and (dossier_pdf_state(chosen.pk, _language(access)) or {}).get("state") == "ready":
        initial["dossier"].insert(0, "pdf")
    form = DeliveryForm(
        request.POST or None, request.FILES or None, statement=statement, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        snapshot: Snapshot = data["snapshot"]
        try:
            files = _dossier_attachments(snapshot, data["dossier"], _language(access))
            delivery_record(
                snapshot=snapshot,
                delivered_on=data["delivered_on"],
                method=data["method"],
                targets=data["targets"],
                recipients=data["recipients"],
                notes=data["notes"],
                files=[*files, *data["attachments"]],
                public=data["public"],
                close=data["close"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Delivery recorded."))
            return HttpResponseRedirect(_url("delivery", access))
    return _render(
        request,
        "delivery_new.html",
        {"access": access, "form": form, "has_snapshot": chosen is not None},
        status=400 if form.errors else 200,
    )


def _dossier_attachments(
    snapshot: Snapshot, formats: list[str], language: str
) -> list[tuple[str, bytes]]:
    files = []
    if "pdf" in formats:
        state = dossier_pdf_state(snapshot.pk, language) or {}
        if state.get("state") != "ready":
            raise ValidationError(
                _(
                    "The PDF of this snapshot is not prepared yet: prepare it on the delivery "
                    "page, or leave it out."
                )
            )
        files.append((state["name"], state["pdf"]))
    others = tuple(fmt for fmt in FORMATS if fmt in formats and fmt != "pdf")
    if others:
        files.extend(
            dossier_files(DossierSource.of_snapshot(snapshot), formats=others, language=language)
        )
    return files


@statement_role_required(*ANY_ROLE)
@require_GET
def delivery_file(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    found = delivery_file_in(access.statement, pk)
    if found is None:
        raise Http404("No such file")
    response = HttpResponse(bytes(found.content), content_type=found.content_type)
    return _attachment(response, found.name)


# Updates to signers ---------------------------------------------------------------------------
@statement_role_required(*ANY_ROLE)
@require_http_methods(["GET", "POST"])
def updates(request: HttpRequest, access: Access) -> HttpResponse:
    """Write an update (in one or more languages), preview it, then post it. The emails go
    out from the queue; this page shows how many have been sent."""
    statement = access.statement
    if request.method == "POST" and not access.can_edit:
        return forbidden(request)
    form = UpdateForm(request.POST or None)
    preview: list[tuple[str, dict[str, str]]] = []
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["content"]
        if "post" in request.POST:
            try:
                update_post(
                    statement=statement,
                    content=content,
                    notify=form.cleaned_data["notify"],
                    actor=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Update posted."))
                return HttpResponseRedirect(_url("updates", access))
        else:
            preview = list(content.items())
    rows = updates_for_console(statement)
    by_language = update_recipients_by_language(statement)
    return _render(
        request,
        "updates.html",
        {
            "access": access,
            "form": form,
            "preview": preview,
            "rows": rows,
            "recipients": sum(by_language.values()),
            "by_language": sorted(by_language.items()),
            "refresh": any(not row.done for row in rows[:5]),
        },
        status=400 if form.errors else 200,
    )


# Exports --------------------------------------------------------------------------------------
@statement_role_required(*ANY_ROLE)
@require_GET
def exports(request: HttpRequest, access: Access) -> HttpResponse:
    return _render(request, "exports.html", {"access": access})


@statement_role_required(*ANY_ROLE)
@require_GET
def export_public(request: HttpRequest, access: Access) -> HttpResponse:
    """The list as the public sees it now, as CSV, streamed."""
    statement = access.statement
    language = get_language() or statement.default_language
    stamp = timezone.localtime().strftime("%Y%m%d")
    return _csv_download(
        csv_lines(public_table(statement, language=language)),
        language,
        f"{statement.slug}-public-{stamp}.csv",
    )


@statement_role_required(*EDITORS)
@require_GET
def export_private(request: HttpRequest, access: Access) -> HttpResponse:
    """Every sign-on with its status and contact details, as CSV, streamed; the download is
    written in the audit log."""
    statement = access.statement
    export_log(statement=statement, private=True, fmt="csv", actor=request.user)
    stamp = timezone.localtime().strftime("%Y%m%d")
    return _csv_download(
        csv_lines(private_table(statement)),
        statement.default_language,
        f"{statement.slug}-private-{stamp}.csv",
    )


# Import -------------------------------------------------------------------------------------
@statement_role_required(*EDITORS)
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest, access: Access) -> HttpResponse:
    """Step 1: the file. It is kept in the shared cache for an hour, under a random name
    bound to this statement, while the columns are checked and the dry run is read."""
    bound = request.method == "POST"
    form = ImportUploadForm(request.POST if bound else None, request.FILES if bound else None)
    if request.method == "POST" and form.is_valid():
        raw: bytes = form.cleaned_data["file"]
        try:
            read_records(decode_csv(raw))
        except ImportFileError as error:
            form.add_error("file", _file_error(error))
        else:
            token = secrets.token_urlsafe(16)
            name = str(getattr(request.FILES.get("file"), "name", "") or "upload.csv")[:200]
            caches["default"].set(
                upload_key(access.statement.pk, token), {"name": name, "raw": raw}, IMPORT_TIMEOUT
            )
            return HttpResponseRedirect(_url("import_file", access, token=token))
    return _render(
        request,
        "import.html",
        {"access": access, "form": form},
        status=400 if form.errors else 200,
    )


def _file_error(error: ImportFileError | str) -> str:
    return _("This file cannot be imported: %(reason)s") % {"reason": error}


@statement_role_required(*EDITORS)
@require_http_methods(["GET", "POST"])
def import_file(request: HttpRequest, access: Access, token: str) -> HttpResponse:
    """Step 2: the columns as guessed, each one changeable; then a dry run with the report of
    every row; then the import itself, of the very mapping the dry run used. Both runs are
    queued jobs (console/tasks.py): this page shows their progress, then their report."""
    statement = access.statement
    run = run_state(statement.pk, token)
    stored = caches["default"].get(upload_key(statement.pk, token))
    if stored is None:
        if run and run.get("state") == "done" and not run["dry_run"]:
            context = {"access": access, "run": run, "name": run.get("name", "")}
            return _render(request, "import_file.html", context)
        messages.error(request, _("The uploaded file has expired: upload it again."))
        return HttpResponseRedirect(_url("import", access))
    raw: bytes = stored["raw"]
    headers, records = read_records(decode_csv(raw))
    samples = [record.cells for _n, record in zip(range(3), records, strict=False)]
    guessed = guess_mapping(headers)
    if run and run.get("mapping"):
        # The form shows the mapping the last run used.
        chosen = dict(item.split("=", 1) for item in run["mapping"])
        guessed = {int(column) - 1: field for column, field in chosen.items()}
    busy = bool(run and run.get("state") in {"queued", "running"})
    form = MappingForm(
        request.POST if request.method == "POST" else None,
        headers=headers,
        guessed=guessed,
        initial={"send_confirmation": bool(run and run.get("send_confirmation"))},
    )
    if request.method == "POST" and form.is_valid() and not busy:
        checked = bool(
            run
            and run.get("state") == "done"
            and run["dry_run"]
            and run["mapping"] == form.overrides()
        )
        # Only the mapping the dry run checked is imported; a changed one is checked first.
        _queue_import(
            request, access, token, form, dry_run=not ("apply" in request.POST and checked)
        )
        return HttpResponseRedirect(_url("import_file", access, token=token))
    columns = [
        (header, field, [cells[i] if i < len(cells) else "" for cells in samples])
        for i, (header, field) in enumerate(form.columns())
    ]
    if run and run.get("state") == "failed":
        form.add_error(None, _file_error(run.get("error", "")))
    return _render(
        request,
        "import_file.html",
        {
            "access": access,
            "form": form,
            "name": stored["name"],
            "columns": columns,
            "run": run,
            "refresh": busy,
        },
        status=400 if form.errors and request.method == "POST" else 200,
    )


def _queue_import(
    request: HttpRequest, access: Access, token: str, form: MappingForm, *, dry_run: bool
) -> None:
    mapping = form.overrides()
    send = bool(form.cleaned_data["send_confirmation"])
    statement_id = access.statement.pk
    set_run_state(
        statement_id,
        token,
        state="queued",
        dry_run=dry_run,
        mapping=mapping,
        send_confirmation=send,
    )
    args = (
        statement_id,
        token,
        mapping,
        dry_run,
        send,
        request.user.pk,
        get_language() or access.statement.default_language,
    )
    if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
        import_run.enqueue(*args)
    else:
        transaction.on_commit(partial(import_run.enqueue, *args), robust=True)
