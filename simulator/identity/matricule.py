"""The matricule INS (NIR or NIA), its key and the OIDs naming who assigned it."""

from __future__ import annotations

import re
from enum import StrEnum

from stdnum.fr import nir as stdnum_nir

OID_INS_NIR = "1.2.250.1.213.1.4.8"
OID_INS_NIA = "1.2.250.1.213.1.4.9"

# 13 characters as in the RESULTAT schema; position 7 may be a letter (2A/2B).
_MATRICULE = re.compile(r"\d{6}[A-Za-z0-9]\d{6}")
_KEY = re.compile(r"\d{2}")


class MatriculeKind(StrEnum):
    NIR = "NIR"
    NIA = "NIA"

    @property
    def oid(self) -> str:
        return OID_INS_NIR if self is MatriculeKind.NIR else OID_INS_NIA


def is_matricule_shape(number: str) -> bool:
    return bool(_MATRICULE.fullmatch(number))


def compute_key(number: str) -> str:
    """Key of a 13-character matricule: 97 − (number mod 97), Corsica 2A→19, 2B→18.

    Delegates to ``python-stdnum`` (``stdnum.fr.nir``), which knows Corsica.
    """
    if not is_matricule_shape(number):
        raise ValueError(f"not a 13-character matricule: {number!r}")
    return stdnum_nir.calc_check_digits(number.upper())


def key_is_valid(number: str, key: str) -> bool:
    """True when ``key`` is the right key of ``number`` (never raises)."""
    if not (is_matricule_shape(number) and _KEY.fullmatch(key or "")):
        return False
    return compute_key(number) == key
