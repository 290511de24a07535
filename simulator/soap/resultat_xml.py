"""Write an engine :class:`Resultat` as the ``RESULTAT`` element, with lxml.

Spyne's generic serializer costs about 0.2 ms per answer (40 % of a request,
see bench/README.md); this writer builds the same element, in the order of
the official ``INSi_RESULTAT_INS.xsd``, in a tenth of that. The Spyne models
in :mod:`.models` still define the published schema; the tests check that
every answer validates against the official XSD.
"""

from __future__ import annotations

from lxml import etree

from ..engine.messages import Ins, Resultat
from . import namespaces as ns

_TAGS = {
    local: ns.qname(ns.RESULTAT, local)
    for local in (
        "RESULTAT CR CodeCR LibelleCR INDIVIDU INSACTIF INSHISTO IdIndividu NumIdentifiant Cle TypeMatricule "
        "OID DateDeb DateFin TIQ NomNaissance Prenom ListePrenom Sexe DateNaissance LieuNaissance"
    ).split()
}


def _leaf(parent: etree._Element, local: str, text: str | None) -> None:
    if text is not None:
        etree.SubElement(parent, _TAGS[local]).text = text


def _ins(parent: etree._Element, local: str, ins: Ins) -> None:
    element = etree.SubElement(parent, _TAGS[local])
    matricule = etree.SubElement(element, _TAGS["IdIndividu"])
    _leaf(matricule, "NumIdentifiant", ins.num_identifiant)
    _leaf(matricule, "Cle", ins.cle)
    _leaf(matricule, "TypeMatricule", ins.type_matricule)
    _leaf(element, "OID", ins.oid)
    _leaf(element, "DateDeb", ins.date_deb)
    _leaf(element, "DateFin", ins.date_fin)


def resultat_element(resultat: Resultat, nsmap: dict[str | None, str]) -> etree._Element:
    root = etree.Element(_TAGS["RESULTAT"], nsmap=nsmap)
    cr = etree.SubElement(root, _TAGS["CR"])
    _leaf(cr, "CodeCR", resultat.code_cr)
    _leaf(cr, "LibelleCR", resultat.libelle_cr)
    individu = resultat.individu
    if individu is not None:
        element = etree.SubElement(root, _TAGS["INDIVIDU"])
        _ins(element, "INSACTIF", individu.ins_actif)
        for histo in individu.ins_histo:
            _ins(element, "INSHISTO", histo)
        tiq = etree.SubElement(element, _TAGS["TIQ"])
        _leaf(tiq, "NomNaissance", individu.tiq.nom_naissance)
        _leaf(tiq, "Prenom", individu.tiq.prenom)
        _leaf(tiq, "ListePrenom", individu.tiq.liste_prenom)
        _leaf(tiq, "Sexe", individu.tiq.sexe)
        _leaf(tiq, "DateNaissance", individu.tiq.date_naissance)
        _leaf(tiq, "LieuNaissance", individu.tiq.lieu_naissance)
    return root
