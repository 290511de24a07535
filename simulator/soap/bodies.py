"""Read a (schema-valid) request body into the engine's query, with lxml.

Spyne's generic deserializer takes about 0.12 ms for a five-field body, half
of a request's time in the simulator (bench/README.md); these readers take a
few microseconds. The body has already been validated against the published
schema by the protocol (Spyne's lxml validator) when they run.
"""

from __future__ import annotations

from lxml import etree

from ..engine.messages import MatriculeSent, TraitsQuery, VitaleQuery
from . import namespaces as ns


def _children(element: etree._Element) -> dict[str, list[etree._Element]]:
    found: dict[str, list[etree._Element]] = {}
    for child in element:
        if isinstance(child.tag, str):
            found.setdefault(etree.QName(child).localname, []).append(child)
    return found


def _text(found: dict[str, list[etree._Element]], local: str) -> str | None:
    elements = found.get(local)
    return (elements[0].text or "") if elements else None


def read_traits(body: etree._Element) -> TraitsQuery:
    """``RECSANSVITALE`` → :class:`TraitsQuery` (values as sent, not normalized)."""
    found = _children(body)
    return TraitsQuery(
        nom_naissance=_text(found, "NomNaissance"),
        prenoms=tuple(element.text or "" for element in found.get("Prenom", ())),
        sexe=_text(found, "Sexe"),
        date_naissance=_text(found, "DateNaissance"),
        lieu_naissance=_text(found, "LieuNaissance"),
    )


def _matricule(found: dict[str, list[etree._Element]], local: str) -> MatriculeSent | None:
    elements = found.get(local)
    if not elements:
        return None
    inner = _children(elements[0])
    return MatriculeSent(_text(inner, "NumIdentifiant"), _text(inner, "Cle"), _text(inner, "TypeMatricule"))


def read_vitale(body: etree._Element) -> VitaleQuery:
    """``RECVITALE`` → :class:`VitaleQuery`."""
    found = _children(body)
    return VitaleQuery(
        matricule_individu=_matricule(found, "MatriculeIndividu"),
        matricule_od=_matricule(found, "MatriculeOD"),
        nom_naissance=_text(found, "NomNaissance"),
        date_naissance=_text(found, "DateNaissance"),
        rang_naissance=_text(found, "RangNaissance"),
    )


READERS = {
    ns.qname(ns.REC_SANS, "RECSANSVITALE"): read_traits,
    ns.qname(ns.REC_VIT, "RECVITALE"): read_vitale,
}
