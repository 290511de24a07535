"""Traits normalization, the INS way.

Traits sent to INSi are upper case, without diacritics, made of letters,
space, hyphen and apostrophe only. The simulator compares traits after this
normalization so that an APM sending ``Zoé`` still finds ``ZOE``; the
conformance checks (later) report that the APM should have normalized itself.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_SPACES = re.compile(r"\s+")
_INS_ALLOWED = re.compile(r"[A-Z' -]*")
# Letters that do not decompose under NFKD but have an accepted Latin spelling.
_LIGATURES = str.maketrans(
    {"Œ": "OE", "œ": "OE", "Æ": "AE", "æ": "AE", "ß": "SS", "Ø": "O", "ø": "O", "Ł": "L", "ł": "L", "Đ": "D", "đ": "D"}
)


def normalize_trait(value: str | None) -> str:
    """Upper case, diacritics removed, runs of white space collapsed, trimmed."""
    if not value:
        return ""
    return _normalize(value)


@functools.lru_cache(maxsize=65536)
def _normalize(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.translate(_LIGATURES))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACES.sub(" ", bare).strip().upper()


def is_ins_normalized(value: str) -> bool:
    """True when ``value`` is already in the form INSi expects."""
    return bool(_INS_ALLOWED.fullmatch(value)) and value == normalize_trait(value)


def split_first_names(liste_prenom: str) -> list[str]:
    """``ListePrenom`` is the birth first names separated by single spaces."""
    return normalize_trait(liste_prenom).split(" ") if liste_prenom else []
