"""The sign-on form: one validation path for the HTML forms, the embed and the JSON API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.choices import BaseChoiceIterator
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from email_validator import EmailNotValidError, validate_email

from undersigned.lib.text import clean_line, contains_url, has_invisible
from undersigned.signatures.models import Category, Display, Network
from undersigned.statements.models import Kind, Statement

_PHONE = re.compile(r"^[0-9+()./ \-]{5,40}$")
_FORMULA_START = ("=", "+", "-", "@")


def is_text(value: str) -> bool:
    """False for a string that is not Unicode text: lone surrogates, which JSON's \\ud800
    escapes can produce, cannot be encoded, stored or shown."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class TextLine(forms.CharField):
    """One line of text, stored as typed (NFC, trimmed); invisible characters refused."""

    default_error_messages = {
        "invisible": _("Remove the invisible or control characters from this field."),
        "formula": _("This cannot start with =, +, - or @."),
        "url": _("Leave web addresses out of this field."),
    }

    def __init__(
        self, *, refuse_formula: bool = False, refuse_url: bool = False, **kwargs: Any
    ) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", True)
        super().__init__(**kwargs)
        self.refuse_formula = refuse_formula
        self.refuse_url = refuse_url

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        if text and (not is_text(text) or has_invisible(text)):
            raise ValidationError(self.error_messages["invisible"], code="invisible")
        return clean_line(text or "")

    def validate(self, value: Any) -> None:
        super().validate(value)
        if self.refuse_formula and value.startswith(_FORMULA_START):
            raise ValidationError(self.error_messages["formula"], code="formula")
        if self.refuse_url and contains_url(value):
            raise ValidationError(self.error_messages["url"], code="url")


class _CountryOptions(BaseChoiceIterator):
    """Country options in the active language, built only when a form is rendered: the API
    and the sign-on POST validate a code without sorting 250 translated names."""

    def __iter__(self) -> Iterator[tuple[str, str]]:
        yield ("", "—")
        yield from countries


# The widgets that read a field's value as `data.get(name)` (text, hidden, select; not a
# checkbox or a multiple choice, which answer otherwise for a field not sent).
_PLAIN_VALUE = forms.Widget.value_from_datadict


class _SharedFields(dict):  # type: ignore[type-arg]
    """The form's declared fields, which Form.__init__ copies shallowly instead of deeply."""

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, forms.Field]:
        return dict(self)


class CountrySelect(forms.Select):
    """The country list, written out directly rather than through Django's template per option:
    250 options rendered through templates took about 150 ms per form, which every uncached
    statement page (two forms) paid. Same markup as forms.Select: the attributes the bound
    field adds (id, aria-describedby, aria-invalid, required) and the selected option."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        selected = "" if value is None else str(value)
        options = "\n".join(
            f'<option value="{code}" selected>{label}</option>'
            if code == selected
            else f'<option value="{code}">{label}</option>'
            for code, label in self._escaped_options()
        )
        # Codes and labels were escaped by _escaped_options.
        safe_options = mark_safe(options)  # noqa: S308
        return format_html(
            '<select name="{}"{}>\n{}\n</select>', name, flatatt(final), safe_options
        )

    def _escaped_options(self) -> tuple[tuple[str, str], ...]:
        """The options, escaped once per language (sorting 250 translated names is not free).
        The choices are the same for every form: _CountryOptions."""
        language = get_language() or ""
        options = _ESCAPED_OPTIONS.get(language)
        if options is None:
            options = tuple((escape(str(c)), escape(str(label))) for c, label in self.choices)
            _ESCAPED_OPTIONS[language] = options
        return options


_ESCAPED_OPTIONS: dict[str, tuple[tuple[str, str], ...]] = {}


class NetworkChoices(forms.ModelMultipleChoiceField):
    """Networks by code. None chosen is an empty list, not a new empty QuerySet (which most
    sign-ons, individuals', would otherwise build)."""

    def clean(self, value: Any) -> Any:
        if not value and not self.required:
            return []
        return super().clean(value)


class SignatureForm(forms.Form):
    kind = forms.ChoiceField(label=_("Signing as"), choices=Kind.choices)
    name = TextLine(
        label=_("Name"), required=True, max_length=200, refuse_formula=True, refuse_url=True
    )
    name_alt = TextLine(
        label=_("Name in another script"),
        max_length=200,
        refuse_formula=True,
        refuse_url=True,
        help_text=_("For example your name in Hangul, or in Latin letters."),
    )
    affiliation = TextLine(
        label=_("Title or affiliation"),
        max_length=200,
        refuse_formula=True,
        refuse_url=True,
        help_text=_("For identification only."),
    )
    category = forms.ChoiceField(
        label=_("Type of organization"), choices=Category.choices, required=False
    )
    city = TextLine(label=_("City"), max_length=100, refuse_formula=True, refuse_url=True)
    region = TextLine(
        label=_("State or region"), max_length=100, refuse_formula=True, refuse_url=True
    )
    country = forms.CharField(
        label=_("Country"),
        required=False,
        widget=CountrySelect(choices=_CountryOptions(), attrs={"autocomplete": "country"}),
    )
    website = forms.URLField(
        label=_("Website"), required=False, max_length=300, assume_scheme="https"
    )
    networks = NetworkChoices(
        label=_("Networks"),
        queryset=Network.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        to_field_name="slug",
    )
    contact_name = TextLine(
        label=_("Contact person"), max_length=200, refuse_formula=True, refuse_url=True
    )
    contact_title = TextLine(label=_("Contact person's title"), max_length=200, refuse_formula=True)
    phone = TextLine(
        label=_("Phone"),
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    email = forms.CharField(
        label=_("Email"),
        max_length=254,
        strip=True,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    display = forms.ChoiceField(label=_("Show my name"), choices=Display.choices, required=False)
    wants_updates = forms.BooleanField(
        label=_("Email me updates about this statement"), required=False
    )
    # Abuse screening for the HTML form (the API has neither): a field people never see,
    # and when the form was handed out (see undersigned.signatures.screening).
    homepage = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        statement: Statement | None = None,
        render: bool = True,
        **kwargs: Any,
    ) -> None:
        if not render:
            # Validation only (the JSON API): the declared fields are shared, not deep-copied
            # (copying 18 fields and their widgets was a tenth of a sign-on's CPU). Validating
            # changes no field; only rendering sets per-form widget attributes.
            self.base_fields = _SharedFields(self.base_fields)  # type: ignore[misc]
        super().__init__(*args, **kwargs)
        self.statement = statement
        self.rendered = render
        if not render:
            return
        if self.prefix == "org":
            self.fields["name"].widget.attrs["autocomplete"] = "organization"
        else:
            self.fields["name"].widget.attrs["autocomplete"] = "name"
        for field, hint in (("city", "address-level2"), ("region", "address-level1")):
            self.fields[field].widget.attrs["autocomplete"] = hint

    def _clean_fields(self) -> None:
        if self.rendered:
            super()._clean_fields()  # type: ignore[misc]
            return
        # Validation only: each field is cleaned as Django's own loop cleans it (its widget's
        # value, Field.clean, then clean_<name>), without making the bound fields (label, id,
        # initial value) that only rendering reads: about a tenth of a JSON sign-on's CPU.
        data = self.data
        for name, field in self.fields.items():
            key = self.add_prefix(name)
            widget = field.widget
            if key not in data and type(widget).value_from_datadict is _PLAIN_VALUE:
                # What the plain widget answers for a field not sent, without asking a
                # QueryDict, which raises and catches an exception to say so: 14 of them in
                # a form sign-on, about 2% of its CPU.
                value = None
            else:
                value = widget.value_from_datadict(data, self.files, key)
            try:
                self.cleaned_data[name] = field.clean(value)
                clean = getattr(self, f"clean_{name}", None)
                if clean is not None:
                    self.cleaned_data[name] = clean()
            except ValidationError as e:
                self.add_error(name, e)

    def clean_country(self) -> str:
        code: str = self.cleaned_data["country"].upper()
        if code and (len(code) != 2 or countries.alpha2(code) != code):
            raise ValidationError(
                forms.ChoiceField.default_error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": code},
            )
        return code

    def clean_kind(self) -> str:
        kind: str = self.cleaned_data["kind"]
        if self.statement is not None and not self.statement.accepts(kind):
            raise ValidationError(
                _("This statement does not accept sign-ons of this kind."), code="kind"
            )
        return kind

    def clean_email(self) -> str:
        raw = self.cleaned_data["email"]
        if not is_text(raw) or has_invisible(raw):
            raise ValidationError(_("Remove the invisible or control characters from this field."))
        try:
            result = validate_email(raw, check_deliverability=False)
        except EmailNotValidError:
            raise ValidationError(
                _("Enter a valid email address, like name@example.org."), code="invalid"
            ) from None
        return str(result.normalized)

    def clean_phone(self) -> str:
        phone: str = self.cleaned_data["phone"]
        if phone and not _PHONE.match(phone):
            raise ValidationError(
                _("Enter a phone number with digits, spaces, +, - or parentheses.")
            )
        return phone

    def clean_display(self) -> str:
        return self.cleaned_data["display"] or Display.FULL

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == Kind.ORGANIZATION:
            if not data.get("category") and "category" not in self.errors:
                self.add_error("category", _("Choose the type of organization."))
            if not data.get("contact_name") and "contact_name" not in self.errors:
                self.add_error(
                    "contact_name", _("Give the name of the person signing for the organization.")
                )
            # The display choice is an individual's; an organization is listed as it signed.
            data["display"] = Display.FULL
        else:
            # Fields an individual is not asked for are not kept (privacy by default).
            for name in ("category", "website", "contact_name", "contact_title", "phone"):
                data[name] = ""
            data["networks"] = []
        return data


def clean_referral(value: str) -> str:
    """A referral code from a shared link: one clean line, at most 64 characters."""
    return clean_line(value)[:64]
