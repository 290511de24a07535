"""Spyne models of the INSi messages, in their official namespaces.

Element names, order and cardinality follow the official XSDs
(``INSi_RECSANS_INS.xsd``, ``INSi_RECVITALE_INS.xsd``, ``INSi_RESULTAT_INS.xsd``).
Every leaf is a plain string: ``DateNaissance`` is a *DateLunaire* (``1950-00-00``
is legal) and must never be parsed as a calendar date.
"""

from __future__ import annotations

from spyne import ComplexModel, Unicode  # noqa: E402

from . import namespaces as ns  # noqa: E402
from . import spyne_compat  # noqa: F401  (must run before spyne is imported)

# Optional string leaf, not nillable: the official schemas never say nillable.
Text = Unicode(min_occurs=0, nillable=False)


class DateText(Unicode):
    """A date published as ``xs:date`` (as the official RESULTAT types
    DateDeb/DateFin) but carried as its text, so Spyne never reformats it."""

    __type_name__ = "date"
    __namespace__ = ns.XSD


def _repeated(cls):
    return cls.customize(min_occurs=0, max_occurs="unbounded", nillable=False)


def _optional(cls):
    return cls.customize(min_occurs=0, nillable=False)


def _required(cls):
    return cls.customize(min_occurs=1, nillable=False)


# -- request: rechercherInsAvecTraitsIdentite (RECSANSVITALE) ---------------


class TraitsDIdentiteRecherche(ComplexModel):
    """Body of ``RECSANSVITALE``: the traits searched for."""

    __namespace__ = ns.REC_SANS
    __type_name__ = "TraitsDIdentite"
    _type_info = [
        ("NomNaissance", Text),
        ("Prenom", _repeated(Unicode)),
        ("Sexe", Text),
        ("DateNaissance", Text),
        ("LieuNaissance", Text),
    ]


# -- request: rechercherInsAvecCarteVitale (RECVITALE) -----------------------


class MatriculeVitale(ComplexModel):
    __namespace__ = ns.REC_VIT
    __type_name__ = "Matricule"
    _type_info = [
        ("NumIdentifiant", Text),
        ("Cle", Text),
        ("TypeMatricule", Text),
    ]


class Beneficiaire(ComplexModel):
    """Body of ``RECVITALE``: the beneficiary read on the Vitale card."""

    __namespace__ = ns.REC_VIT
    __type_name__ = "Beneficiaire"
    _type_info = [
        ("MatriculeIndividu", _optional(MatriculeVitale)),
        ("MatriculeOD", _optional(MatriculeVitale)),
        ("NomNaissance", Text),
        ("DateNaissance", Text),
        ("RangNaissance", Text),
    ]


# -- response: RESULTAT ------------------------------------------------------


class CompteRendu(ComplexModel):
    __namespace__ = ns.RESULTAT
    __type_name__ = "CompteRendu"
    _type_info = [
        ("CodeCR", Unicode(min_occurs=1, nillable=False)),
        ("LibelleCR", Unicode(min_occurs=1, nillable=False)),
    ]


class Matricule(ComplexModel):
    __namespace__ = ns.RESULTAT
    __type_name__ = "Matricule"
    _type_info = [
        ("NumIdentifiant", Unicode(min_occurs=1, nillable=False, pattern=r"\d{6}[A-Za-z0-9]{1}(\d{6})")),
        ("Cle", Unicode(min_occurs=0, nillable=False, pattern=r"[0-9]{2}")),
        ("TypeMatricule", Text),
    ]


class IdentifiantNationalSante(ComplexModel):
    """``INSACTIF`` / ``INSHISTO``; dates are served as ``YYYY-MM-DD`` strings."""

    __namespace__ = ns.RESULTAT
    __type_name__ = "IdentifiantNationalSante"
    _type_info = [
        ("IdIndividu", _required(Matricule)),
        ("OID", Unicode(min_occurs=1, nillable=False)),
        ("DateDeb", DateText(min_occurs=0, nillable=False)),
        ("DateFin", DateText(min_occurs=0, nillable=False)),
    ]


class TraitsDIdentiteQualifies(ComplexModel):
    """``TIQ``: the qualified identity traits returned by INSi."""

    __namespace__ = ns.RESULTAT
    __type_name__ = "TraitsDIdentite"
    _type_info = [
        ("NomNaissance", Text),
        ("Prenom", Text),
        ("ListePrenom", Text),
        ("Sexe", Text),
        ("DateNaissance", Text),
        ("LieuNaissance", Text),
    ]


class Individu(ComplexModel):
    __namespace__ = ns.RESULTAT
    __type_name__ = "Individu"
    _type_info = [
        ("INSACTIF", _required(IdentifiantNationalSante)),
        ("INSHISTO", _repeated(IdentifiantNationalSante)),
        ("TIQ", _required(TraitsDIdentiteQualifies)),
    ]


class Resultat(ComplexModel):
    __namespace__ = ns.RESULTAT
    __type_name__ = "Resultat"
    _type_info = [
        ("CR", _required(CompteRendu)),
        ("INDIVIDU", _optional(Individu)),
    ]
