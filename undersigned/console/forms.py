"""Console forms: they validate and shape input for the services, never save anything."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from undersigned.accounts.models import Role
from undersigned.lib.text import has_invisible
from undersigned.moderation.selectors import Criteria
from undersigned.signatures.forms import TextLine, is_text
from undersigned.signatures.models import Display
from undersigned.statements.models import Kind, Statement
from undersigned.statements.services import SETTINGS_FIELDS, TargetData

_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+\.[^\s@<>()\[\],;:\"']+")


class RecordLine(TextLine):
    """A line kept on record (reasons, notes, which the audit log copies): any email address
    typed into it is left out, as the audit log never holds one."""

    def to_python(self, value: Any) -> str:
        return _EMAIL.sub("[…]", super().to_python(value))


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class TextBlock(forms.CharField):
    """Several lines of text, stored as typed (NFC, Windows line ends made plain)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 6}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        if not is_text(text):
            raise ValidationError(_("Remove the invisible or control characters from this field."))
        text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
        if has_invisible(text.replace("\n", " ").replace("\t", " ")):
            raise ValidationError(_("Remove the invisible or control characters from this field."))
        return text.strip()


class StatementStartForm(forms.Form):
    title = TextLine(label=_("Title"), required=True, max_length=300)
    slug = forms.SlugField(
        label=_("Address"),
        max_length=80,
        help_text=_("The last part of the statement's link: letters, digits and hyphens."),
    )
    default_language = forms.ChoiceField(
        label=_("Main language"), choices=settings.LANGUAGES, initial=settings.LANGUAGE_CODE
    )


class SettingsForm(forms.ModelForm):
    class Meta:
        model = Statement
        fields = SETTINGS_FIELDS
        widgets = {
            "opens_at": LocalDateTimeInput(),
            "release_at": LocalDateTimeInput(),
            "closes_at": LocalDateTimeInput(),
        }
        help_texts = {
            "moderate_organizations": _(
                "Turned off, confirmed organizations waiting for approval are counted at once."
            ),
            "moderate_individuals": _(
                "Turned off, confirmed individuals waiting for approval are counted at once."
            ),
        }

    def changes(self) -> dict[str, Any]:
        return {f: self.cleaned_data[f] for f in SETTINGS_FIELDS}


TEXT_FIELDS = ("title", "summary", "preamble", "body", "demands")


class TextForm(forms.Form):
    """The statement's text in every language the site speaks; a language is part of the
    statement when its title is filled in. Demands: one per line."""

    note = RecordLine(
        label=_("What changed"),
        max_length=300,
        help_text=_("Shown with the version history, for example “Corrected a date”."),
    )

    def __init__(self, *args: Any, content: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        content = content or {}
        # Text in a language the site does not offer (an import, say) is kept as it is.
        self.kept = {k: v for k, v in content.items() if k not in dict(settings.LANGUAGES)}
        for code, _name in settings.LANGUAGES:
            text = content.get(code) or {}
            self.fields[f"{code}-title"] = TextLine(
                label=_("Title"), max_length=300, initial=text.get("title", "")
            )
            self.fields[f"{code}-summary"] = TextLine(
                label=_("Summary"),
                max_length=500,
                initial=text.get("summary", ""),
                help_text=_("One or two sentences for link previews and the list of statements."),
            )
            self.fields[f"{code}-preamble"] = TextBlock(
                label=_("Preamble"), max_length=5000, initial=text.get("preamble", "")
            )
            self.fields[f"{code}-body"] = TextBlock(
                label=_("Body"),
                max_length=50000,
                initial=text.get("body", ""),
                widget=forms.Textarea(attrs={"rows": 12}),
            )
            self.fields[f"{code}-demands"] = TextBlock(
                label=_("Demands"),
                max_length=20000,
                initial="\n".join(text.get("demands") or []),
                help_text=_("One demand per line, in order; every language lists the same number."),
            )

    def languages(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        return [
            (code, str(name), [self[f"{code}-{f}"] for f in TEXT_FIELDS])
            for code, name in settings.LANGUAGES
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for code, _name in settings.LANGUAGES:
            used = any(data.get(f"{code}-{f}") for f in TEXT_FIELDS)
            if used and not data.get(f"{code}-title"):
                self.add_error(f"{code}-title", _("Give the title in this language too."))
        return data

    def content(self) -> dict[str, Any]:
        content: dict[str, Any] = dict(self.kept)
        for code, _name in settings.LANGUAGES:
            title = self.cleaned_data.get(f"{code}-title")
            if not title:
                continue
            text: dict[str, Any] = {"title": title}
            for f in ("summary", "preamble", "body"):
                if self.cleaned_data.get(f"{code}-{f}"):
                    text[f] = self.cleaned_data[f"{code}-{f}"]
            demands = [
                line.strip()
                for line in (self.cleaned_data.get(f"{code}-demands") or "").split("\n")
                if line.strip()
            ]
            if demands:
                text["demands"] = demands
            content[code] = text
        return content


class TargetForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = TextLine(label=_("Name"), max_length=200)
    name_alt = TextLine(label=_("Name in another script"), max_length=200)
    title = TextLine(label=_("Title"), max_length=200)
    organization = TextLine(label=_("Organization"), max_length=200)
    contact = TextBlock(
        label=_("Contact (private)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For delivering the statement; never shown to the public."),
    )


class BaseTargetFormSet(forms.BaseFormSet):
    def targets(self) -> list[TargetData]:
        rows: list[TargetData] = []
        for form in self.forms:
            if not form.has_changed() and not form.cleaned_data.get("id"):
                continue
            if self.can_delete and form.cleaned_data.get("DELETE"):
                continue
            data = form.cleaned_data
            if not data.get("name"):
                continue
            rows.append(
                {
                    "id": data.get("id"),
                    "name": data["name"],
                    "name_alt": data.get("name_alt", ""),
                    "title": data.get("title", ""),
                    "organization": data.get("organization", ""),
                    "contact": data.get("contact", ""),
                }
            )
        return rows


TargetFormSet = forms.formset_factory(
    TargetForm, formset=BaseTargetFormSet, extra=1, can_delete=True, max_num=50
)


class DisplayForm(forms.Form):
    name = TextLine(
        label=_("Name"), required=True, max_length=200, refuse_formula=True, refuse_url=True
    )
    name_alt = TextLine(
        label=_("Name in another script"), max_length=200, refuse_formula=True, refuse_url=True
    )
    affiliation = TextLine(
        label=_("Title or affiliation"), max_length=200, refuse_formula=True, refuse_url=True
    )
    display = forms.ChoiceField(label=_("Show the name"), choices=Display.choices)

    def __init__(self, *args: Any, kind: str = Kind.INDIVIDUAL, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kind == Kind.ORGANIZATION:
            # An organization is listed as it signed, or not at all.
            display = self.fields["display"]
            assert isinstance(display, forms.ChoiceField)
            display.choices = [(Display.FULL, _("Listed")), (Display.HIDDEN, Display.HIDDEN.label)]
            self.fields["affiliation"].widget = forms.HiddenInput()


class MergeForm(forms.Form):
    KEEP_THIS, KEEP_OTHER = "this", "other"
    other = forms.IntegerField(
        label=_("The other sign-on's number"),
        min_value=1,
        help_text=_("The number shown as #… next to a sign-on."),
    )
    keep = forms.ChoiceField(
        label=_("Which one to keep"),
        choices=[(KEEP_THIS, _("Keep this one")), (KEEP_OTHER, _("Keep the other one"))],
        widget=forms.RadioSelect,
        initial=KEEP_THIS,
    )


class CriteriaForm(forms.Form):
    ip_hash = forms.RegexField(
        label=_("Address hash"),
        regex=r"^[0-9a-f]{32}$",
        required=False,
        help_text=_("The salted hash of the sender's IP address, as shown on a sign-on."),
        error_messages={"invalid": _("An address hash is 32 characters, 0-9 and a-f.")},
    )
    email_domain = forms.RegexField(
        label=_("Email domain"),
        regex=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$",
        required=False,
        max_length=253,
        help_text=_("For example spam.example: every address @spam.example."),
        error_messages={"invalid": _("Enter a domain such as example.org, without the @.")},
    )
    since = forms.DateTimeField(label=_("Signed from"), required=False, widget=LocalDateTimeInput())
    until = forms.DateTimeField(
        label=_("Signed before"), required=False, widget=LocalDateTimeInput()
    )
    name_contains = TextLine(label=_("Name contains"), max_length=100)
    reason = RecordLine(
        label=_("Reason"), max_length=300, help_text=_("Kept with the decision, for the record.")
    )
    expected = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0)

    def clean_email_domain(self) -> str:
        value: str = self.cleaned_data["email_domain"]
        return value.lower().removeprefix("@")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since: datetime | None = data.get("since")
        until: datetime | None = data.get("until")
        if since and until and until <= since:
            self.add_error("until", _("The end of the time window must come after its start."))
        if not self.errors and self.criteria().is_empty:
            raise ValidationError(_("Give at least one criterion."))
        return data

    def criteria(self) -> Criteria:
        data = self.cleaned_data
        return Criteria(
            ip_hash=data.get("ip_hash") or "",
            email_domain=data.get("email_domain") or "",
            since=data.get("since"),
            until=data.get("until"),
            name_contains=data.get("name_contains") or "",
        )


class PartnerForm(forms.Form):
    name = TextLine(label=_("Partner organization"), required=True, max_length=200)
    code = forms.SlugField(
        label=_("Referral code"),
        max_length=64,
        required=False,
        help_text=_("Letters, digits and hyphens; made from the name when left empty."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("name") and not data.get("code") and "code" not in self.errors:
            data["code"] = slugify(data["name"])[:64]
            if not data["code"]:
                self.add_error("code", _("Choose a code in Latin letters and digits."))
        return data


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.EDITOR)
    organization = TextLine(
        label=_("On behalf of"),
        max_length=200,
        help_text=_("The co-initiating organization this person works for, if any."),
    )


class ReasonForm(forms.Form):
    """The reason typed in the moderation queue, for rejecting or invalidating."""

    reason = RecordLine(max_length=300)


def describe_criteria(criteria: dict[str, Any]) -> list[tuple[str, str]]:
    """A stored batch's criteria as (label, value) rows, in the form's words."""
    labels: dict[str, Any] = {
        name: field.label for name, field in CriteriaForm.base_fields.items() if field.label
    }
    labels["ids"] = _("Chosen sign-ons")
    rows = []
    for key, value in criteria.items():
        if key == "ids":
            value = ", ".join(f"#{n}" for n in value)
        rows.append((str(labels.get(key, key)), str(value)))
    return rows
