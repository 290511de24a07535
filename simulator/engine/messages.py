"""What the engine receives and what it answers: plain data, no XML.

The soap layer decodes a SOAP request into an :class:`InsiRequest` and encodes
the :data:`Answer` the engine returns. The engine never sees XML, the soap
layer never decides (architecture.md, "the way a request travels").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Operation(StrEnum):
    TRAITS = "rechercherInsAvecTraitsIdentite"
    VITALE = "rechercherInsAvecCarteVitale"


# -- request -----------------------------------------------------------------


@dataclass(frozen=True)
class TraitsQuery:
    """``RECSANSVITALE`` as sent (not normalized: conformance needs the raw form)."""

    nom_naissance: str | None = None
    prenoms: tuple[str, ...] = ()
    sexe: str | None = None
    date_naissance: str | None = None
    lieu_naissance: str | None = None


@dataclass(frozen=True)
class MatriculeSent:
    num_identifiant: str | None = None
    cle: str | None = None
    type_matricule: str | None = None


@dataclass(frozen=True)
class VitaleQuery:
    """``RECVITALE``: the beneficiary as read on the Vitale card."""

    matricule_individu: MatriculeSent | None = None
    matricule_od: MatriculeSent | None = None
    nom_naissance: str | None = None
    date_naissance: str | None = None
    rang_naissance: str | None = None

    def by_element(self) -> dict[str, str | None]:
        """What the card gave, by element name of ``RECVITALE`` (a matricule by its number)."""
        return {
            "MatriculeIndividu": self.matricule_individu.num_identifiant if self.matricule_individu else None,
            "MatriculeOD": self.matricule_od.num_identifiant if self.matricule_od else None,
            "NomNaissance": self.nom_naissance,
            "DateNaissance": self.date_naissance,
            "RangNaissance": self.rang_naissance,
        }


@dataclass(frozen=True)
class Headers:
    """The four header parts of the WSDL, decoded (``None`` = absent)."""

    contexte_lps_present: bool = False
    idam: str | None = None
    idam_r: str | None = None
    lps_nom: str | None = None
    lps_version: str | None = None
    lps_instance: str | None = None
    contexte_bam_present: bool = False
    message_id: str | None = None
    action: str | None = None
    security_present: bool = False
    assertion_count: int = 0


@dataclass(frozen=True)
class InsiRequest:
    operation: Operation
    headers: Headers
    traits: TraitsQuery | None = None
    vitale: VitaleQuery | None = None


# -- answer ------------------------------------------------------------------

CR_LIBELLES = {
    "00": "OK",
    "01": "Aucune identite trouvee",
    "02": "Plusieurs identites trouvees",
}


@dataclass(frozen=True)
class Ins:
    """``INSACTIF`` or one ``INSHISTO``."""

    num_identifiant: str
    cle: str | None
    oid: str
    date_deb: str | None = None
    date_fin: str | None = None
    type_matricule: str | None = None


@dataclass(frozen=True)
class Tiq:
    nom_naissance: str | None = None
    prenom: str | None = None
    liste_prenom: str | None = None
    sexe: str | None = None
    date_naissance: str | None = None
    lieu_naissance: str | None = None


@dataclass(frozen=True)
class Individu:
    ins_actif: Ins
    tiq: Tiq
    ins_histo: tuple[Ins, ...] = ()


@dataclass(frozen=True)
class Resultat:
    code_cr: str
    libelle_cr: str
    individu: Individu | None = None

    @classmethod
    def of(cls, code_cr: str, individu: Individu | None = None) -> Resultat:
        return cls(code_cr, CR_LIBELLES[code_cr], individu)


@dataclass(frozen=True)
class FaultAnswer:
    """Answer with the catalogue fault ``key`` (see ``fixtures/faults.yaml``)."""

    key: str
    message_id: str | None = None


@dataclass(frozen=True)
class RawXmlAnswer:
    """Answer with the bytes of a file, verbatim (how the CNDA kit is used)."""

    path: Path
    http_status: int = 200


@dataclass(frozen=True)
class HttpAnswer:
    """A bare HTTP answer, as a broken gateway would send (503 page, empty 500…)."""

    status: int
    body: str = "empty"  # "empty" or "html"


@dataclass(frozen=True)
class MalformedAnswer:
    """A 200 answer whose body is not the XML a client expects."""

    kind: str = "truncated"  # "truncated" (cut in the middle) or "not-xml"


@dataclass(frozen=True)
class DropAnswer:
    """Close the connection without answering."""


Answer = Resultat | FaultAnswer | RawXmlAnswer | HttpAnswer | MalformedAnswer | DropAnswer
TRANSPORT_ANSWERS = (HttpAnswer, MalformedAnswer, DropAnswer)


@dataclass
class Decision:
    """The answer, why it was chosen, and how long to wait before sending it."""

    answer: Answer
    reason: str
    matched_identities: tuple[str, ...] = field(default_factory=tuple)
    delay_ms: int = 0
