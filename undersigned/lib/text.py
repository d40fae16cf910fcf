"""Text as signers type it: stored NFC, stripped of invisible trouble, searchable in any script."""

from __future__ import annotations

import re
import unicodedata

# Control characters (C0/C1 except tab and newline), bidirectional overrides and isolates,
# zero-width characters, the BOM and the Hangul fillers (blank "names"): invisible, and used
# to disguise names.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
    "\u115f\u1160\u3164\uffa0\u00ad\u034f\u180e\u2800\U000e0000-\U000e007f]"
)
_SPACES = re.compile(r"\s+")
_URL = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)


def clean_line(value: str) -> str:
    """One line of text as stored: NFC, invisible characters removed, spaces collapsed."""
    value = unicodedata.normalize("NFC", value)
    value = _INVISIBLE.sub("", value)
    return _SPACES.sub(" ", value).strip()


def has_invisible(value: str) -> bool:
    return bool(_INVISIBLE.search(unicodedata.normalize("NFC", value)))


def contains_url(value: str) -> bool:
    return bool(_URL.search(value))


def search_key(*parts: str) -> str:
    """A key for case-, width- and composition-insensitive matching in Latin and Hangul.

    NFKC folds full-width Latin and compatibility jamo; casefold handles case; the result is
    compared with the query folded the same way, so "서울" typed composed or decomposed, and
    "SEOUL" or "seoul", all match.
    """
    text = " ".join(p for p in parts if p)
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def sort_key(value: str) -> str:
    return search_key(value)[:120]


def initials(name: str) -> str:
    """'Jiyoung Park' -> 'J. P.'; Hangul names keep their first syllable: '김정호' -> '김.'"""
    words = [w for w in clean_line(name).split(" ") if w]
    return " ".join(f"{w[0].upper()}." for w in words)


# Hangul syllables, jamo and compatibility jamo. One regex search, not a loop over
# characters in Python: the public list and its exports ask this of every name.
_HANGUL = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")


def has_hangul(value: str) -> bool:
    return _HANGUL.search(value) is not None
