"""The 50 US states and DC: postal codes, names (translated) and the spellings signers type
into the free-text "state or region" field."""

from __future__ import annotations

import functools

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

US_STATES: dict[str, Promise] = {
    "AL": _("Alabama"),
    "AK": _("Alaska"),
    "AZ": _("Arizona"),
    "AR": _("Arkansas"),
    "CA": _("California"),
    "CO": _("Colorado"),
    "CT": _("Connecticut"),
    "DE": _("Delaware"),
    "DC": _("District of Columbia"),
    "FL": _("Florida"),
    "GA": _("Georgia"),
    "HI": _("Hawaii"),
    "ID": _("Idaho"),
    "IL": _("Illinois"),
    "IN": _("Indiana"),
    "IA": _("Iowa"),
    "KS": _("Kansas"),
    "KY": _("Kentucky"),
    "LA": _("Louisiana"),
    "ME": _("Maine"),
    "MD": _("Maryland"),
    "MA": _("Massachusetts"),
    "MI": _("Michigan"),
    "MN": _("Minnesota"),
    "MS": _("Mississippi"),
    "MO": _("Missouri"),
    "MT": _("Montana"),
    "NE": _("Nebraska"),
    "NV": _("Nevada"),
    "NH": _("New Hampshire"),
    "NJ": _("New Jersey"),
    "NM": _("New Mexico"),
    "NY": _("New York"),
    "NC": _("North Carolina"),
    "ND": _("North Dakota"),
    "OH": _("Ohio"),
    "OK": _("Oklahoma"),
    "OR": _("Oregon"),
    "PA": _("Pennsylvania"),
    "RI": _("Rhode Island"),
    "SC": _("South Carolina"),
    "SD": _("South Dakota"),
    "TN": _("Tennessee"),
    "TX": _("Texas"),
    "UT": _("Utah"),
    "VT": _("Vermont"),
    "VA": _("Virginia"),
    "WA": _("Washington"),
    "WV": _("West Virginia"),
    "WI": _("Wisconsin"),
    "WY": _("Wyoming"),
}

# A few common spellings besides the names and codes.
_VARIANTS = {"washington dc": "DC", "washington d c": "DC", "d c": "DC", "calif": "CA"}


@functools.cache
def _spellings() -> dict[str, str]:
    with translation.override("en"):
        names = {str(name).lower(): code for code, name in US_STATES.items()}
    return {**names, **_VARIANTS}


def state_code(region: str) -> str:
    """The postal code for what a signer typed as their US state, or "" when it is none."""
    text = " ".join(region.replace(".", " ").replace(",", " ").split()).lower()
    if not text:
        return ""
    if len(text) == 2 and text.upper() in US_STATES:
        return text.upper()
    return _spellings().get(text, "")
