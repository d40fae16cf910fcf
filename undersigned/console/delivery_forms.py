"""Forms of the console's delivery, update, import and API token screens. They parse and
check input; the writes are the services' (delivery.services, signatures.imports,
api.services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from undersigned.delivery.dossier import FORMATS
from undersigned.delivery.models import Method, Snapshot
from undersigned.delivery.services import UPDATE_BODY_MAX, UPDATE_TITLE_MAX
from undersigned.signatures.imports import FIELDS
from undersigned.statements.models import Statement, Target

# An upload bigger than this is refused before it is read. The import holds the file and its
# report in memory, and checks a row in 1-3 ms (the sign-on form's own checks; measured: 6,950
# rows, 1 MB, 9 s for the dry run and 19 s for the import on SQLite). 2 MB, about 14,000 rows,
# stays well inside the queue's two-minute job timeout. Larger files: `undersigned
# import-signers`.
IMPORT_MAX_BYTES = 2 * 1024 * 1024
# Files attached to a delivery by hand (a scanned receipt, a cover letter).
DELIVERY_UPLOAD_MAX_BYTES = 20 * 1024 * 1024


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class FreezeForm(forms.Form):
    addendum = forms.BooleanField(
        label=_("Only the sign-ons counted since the last delivery (an addendum)"),
        required=False,
    )


class DeliveryForm(forms.Form):
    snapshot = forms.ModelChoiceField(
        label=_("Snapshot delivered"), queryset=Snapshot.objects.none(), empty_label=None
    )
    delivered_on = forms.DateField(
        label=_("Delivered on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    method = forms.ChoiceField(label=_("How"), choices=Method.choices)
    targets = forms.ModelMultipleChoiceField(
        label=_("Delivered to"),
        queryset=Target.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    recipients = forms.CharField(
        label=_("Received by (if not one of the targets)"), max_length=300, required=False
    )
    notes = forms.CharField(
        label=_("Notes (private)"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    dossier = forms.MultipleChoiceField(
        label=_("Attach the snapshot's dossier"),
        choices=[(fmt, fmt.upper()) for fmt in FORMATS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The PDF can be attached once it has been prepared."),
    )
    attachments = MultipleFileField(
        label=_("Other files handed over"),
        required=False,
        help_text=_("A receipt, a cover letter: up to 20 MB each."),
    )
    public = forms.BooleanField(
        label=_("Show “delivered on … to …” on the statement page"), required=False, initial=True
    )
    close = forms.BooleanField(
        label=_("Stop collecting: mark the statement as delivered"), required=False
    )

    def __init__(self, *args: Any, statement: Statement, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["snapshot"].queryset = Snapshot.objects.filter(statement=statement).order_by(
            "-number"
        )
        fields["snapshot"].label_from_instance = _snapshot_label
        fields["targets"].queryset = Target.objects.filter(statement=statement).order_by(
            "position", "id"
        )
        self.fields["delivered_on"].initial = timezone.localdate()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("targets") and not data.get("recipients") and "targets" not in self.errors:
            self.add_error("targets", _("Say to whom the statement was delivered."))
        return data

    def clean_attachments(self) -> list[tuple[str, bytes]]:
        files: list[UploadedFile] = self.cleaned_data.get("attachments") or []
        out = []
        for upload in files:
            if (upload.size or 0) > DELIVERY_UPLOAD_MAX_BYTES:
                raise forms.ValidationError(
                    _("%(name)s is larger than 20 MB.") % {"name": upload.name}
                )
            out.append((str(upload.name), upload.read()))
        return out


def _snapshot_label(snapshot: Snapshot) -> str:
    kind = _("addendum") if snapshot.is_addendum else _("snapshot")
    return _("#%(n)s %(kind)s of %(when)s: %(total)s sign-ons") % {
        "n": snapshot.number,
        "kind": kind,
        "when": timezone.localtime(snapshot.taken_at).strftime("%Y-%m-%d %H:%M"),
        "total": snapshot.total,
    }


class UpdateForm(forms.Form):
    """The update in each language the site speaks; a language left empty is left out."""

    notify = forms.BooleanField(
        label=_("Email it to the signers who asked for updates"), required=False, initial=True
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, name in settings.LANGUAGES:
            self.fields[f"{code}-title"] = forms.CharField(
                label=_("Title (%(language)s)") % {"language": name},
                max_length=UPDATE_TITLE_MAX,
                required=False,
            )
            self.fields[f"{code}-body"] = forms.CharField(
                label=_("Text (%(language)s)") % {"language": name},
                max_length=UPDATE_BODY_MAX,
                required=False,
                widget=forms.Textarea(attrs={"rows": 8}),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        content: dict[str, dict[str, str]] = {}
        for code, _name in settings.LANGUAGES:
            title = (data.get(f"{code}-title") or "").strip()
            body = (data.get(f"{code}-body") or "").strip()
            if title and body:
                content[code] = {"title": title, "body": body}
            elif title or body:
                self.add_error(
                    f"{code}-body" if title else f"{code}-title",
                    _("Give this language both a title and a text, or neither."),
                )
        if not content and not self.errors:
            raise forms.ValidationError(_("Write the update in at least one language."))
        data["content"] = content
        return data


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("The CSV export of a form tool (Google Forms, say), up to 2 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> bytes:
        upload: UploadedFile = self.cleaned_data["file"]
        if (upload.size or 0) > IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 2 MB: split it, or use the command line.")
            )
        return b"".join(upload.chunks())


FIELD_LABELS = {
    "timestamp": _("when the form was sent"),
    "email": _("email"),
    "kind": _("organization or individual"),
    "organization": _("organization's name"),
    "person": _("person's name"),
    "title": _("title or affiliation"),
    "name": _("name"),
    "name_alt": _("name in another script"),
    "affiliation": _("affiliation"),
    "category": _("category"),
    "city": _("city"),
    "region": _("state or region"),
    "country": _("country"),
    "website": _("website"),
    "contact_name": _("contact person"),
    "contact_title": _("contact's title"),
    "phone": _("phone"),
    "display": _("listed publicly?"),
    "updates": _("wants updates?"),
    "language": _("language"),
    "ignore": _("— ignore this column —"),
}
NAME_FIELDS = {"name", "person", "organization"}


class MappingForm(forms.Form):
    """One choice per column of the file, starting from the guess."""

    send_confirmation = forms.BooleanField(
        label=_("Email each signer a confirmation link (they are counted once they confirm)"),
        required=False,
    )

    def __init__(
        self, *args: Any, headers: list[str], guessed: dict[int, str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        choices = [(name, FIELD_LABELS[name]) for name in FIELDS]
        for index, header in enumerate(headers):
            self.fields[f"col-{index}"] = forms.ChoiceField(
                label=header or _("(no header)"),
                choices=choices,
                initial=guessed.get(index, "ignore"),
            )

    def columns(self) -> list[tuple[str, forms.BoundField]]:
        return [(h, self[f"col-{i}"]) for i, h in enumerate(self.headers)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen: dict[str, int] = {}
        for index in range(len(self.headers)):
            field_name = data.get(f"col-{index}")
            if not field_name or field_name == "ignore":
                continue
            if field_name in chosen:
                self.add_error(
                    f"col-{index}",
                    _("Another column is already read as “%(field)s”.")
                    % {"field": FIELD_LABELS[field_name]},
                )
            chosen[field_name] = index
        if not self.errors:
            if "email" not in chosen:
                raise forms.ValidationError(_("Choose the column that holds the email address."))
            if not NAME_FIELDS & set(chosen):
                raise forms.ValidationError(_("Choose the column that holds the name."))
        return data

    def overrides(self) -> list[str]:
        """The mapping as signatures_import takes it: COLUMN_NUMBER=FIELD for every column."""
        return [f"{i + 1}={self.cleaned_data[f'col-{i}']}" for i in range(len(self.headers))]


class TokenForm(forms.Form):
    label = forms.CharField(
        label=_("Label"),
        max_length=100,
        required=False,
        help_text=_("What the token is for, e.g. “Action Network sync”."),
    )
