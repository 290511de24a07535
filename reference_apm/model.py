"""The patient record of the reference APM and the INS identity statuses."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from simulator.identity.normalize import normalize_trait

PROVISOIRE = "provisoire"
RECUPEREE = "recuperee"
VALIDEE = "validee"
QUALIFIEE = "qualifiee"
STATUSES = (PROVISOIRE, RECUPEREE, VALIDEE, QUALIFIEE)

DOCUMENT_TYPES = ("CNI", "PASSEPORT", "TITRE_SEJOUR", "ACTE_NAISSANCE")
SEXES = ("M", "F")
DATE_LUNAIRE = re.compile(r"\d{4}-(0\d|1[0-2])-([0-2]\d|3[01])")
COG = re.compile(r"\d{5}|2[AB]\d{3}")
MAX_MESSAGES = 50

# Apostrophes typed in other forms than the one INSi accepts.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_NOT_INS = re.compile(r"[^A-Z' -]")
_SPACES = re.compile(r" +")


class Outcome(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    SEVERAL = "several"
    REJECTED = "rejected"
    ERROR = "error"


def ins_trait(value: str | None) -> str:
    """A trait as INSi expects it: upper case, no diacritics, letters, space, hyphen and apostrophe only.

    ``normalize_trait`` (shared with the simulator) upper-cases and removes
    diacritics; the characters INSi does not accept (digits, dots…) become
    spaces, then spaces are collapsed.
    """
    upper = normalize_trait((value or "").translate(_APOSTROPHES))
    return _SPACES.sub(" ", _NOT_INS.sub(" ", upper)).strip()


def status_of(has_ins: bool, high_trust_document: bool) -> str:
    """The RNIV status from its two inputs (insi-domain.md §4)."""
    if has_ins:
        return QUALIFIEE if high_trust_document else RECUPEREE
    return VALIDEE if high_trust_document else PROVISOIRE


@dataclass
class InsIdentifier:
    matricule: str
    cle: str | None
    oid: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Patient:
    """A local identity: strict traits, status, INS, history of former INS, last INSi outcome, messages."""

    id: str
    nom_naissance: str
    prenoms: list[str]
    sexe: str
    date_naissance: str
    lieu_naissance: str | None = None
    status: str = PROVISOIRE
    matricule: str | None = None
    cle: str | None = None
    oid: str | None = None
    ins_histo: list[InsIdentifier] = field(default_factory=list)
    last_code_cr: str | None = None
    last_outcome: str | None = None
    id_document: dict[str, Any] | None = None
    messages: list[str] = field(default_factory=list)
    # True once an INSi search gave this identity its INS (the status follows from it and from the document).
    ins_obtained: bool = False

    @property
    def high_trust_document(self) -> bool:
        return bool(self.id_document and self.id_document.get("high_trust"))

    @property
    def ins(self) -> InsIdentifier | None:
        if self.matricule is None or self.oid is None:
            return None
        return InsIdentifier(self.matricule, self.cle, self.oid)

    def tell(self, message: str) -> None:
        self.messages = [*self.messages, message][-MAX_MESSAGES:]

    def to_json(self) -> dict[str, Any]:
        """The patient as the test port shows it."""
        return {
            "id": self.id,
            "nom_naissance": self.nom_naissance,
            "prenoms": list(self.prenoms),
            "sexe": self.sexe,
            "date_naissance": self.date_naissance,
            "lieu_naissance": self.lieu_naissance,
            "status": self.status,
            "matricule": self.matricule,
            "cle": self.cle,
            "oid": self.oid,
            "ins_histo": [histo.to_json() for histo in self.ins_histo],
            "last_code_cr": self.last_code_cr,
            "last_outcome": self.last_outcome,
            "id_document": dict(self.id_document) if self.id_document else None,
            "messages": list(self.messages),
        }
