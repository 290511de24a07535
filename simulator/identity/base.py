"""An identity base: the people the simulated INSi knows, and how to find them.

A base is loaded from YAML (``fixtures/cnda-base.yaml`` is the embedded one),
checked against :data:`BASE_SCHEMA`, and indexed so that a search never scans
the whole base: traits are looked up by (birth name, sex, birth date), Vitale
beneficiaries by the matricules on the card.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from ..datafile import DataFileError, check_schema, gc_paused, line_of, load_yaml_fast, load_yaml_tracked
from ..engine.messages import Individu, Ins, Tiq, TraitsQuery, VitaleQuery
from .matricule import MatriculeKind, compute_key
from .normalize import normalize_trait, split_first_names

_MATRICULE_PATTERN = r"^\d{6}[A-Za-z0-9]\d{6}$"
_DATE_LUNAIRE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"

_INS_SCHEMA = {
    "type": "object",
    "required": ["matricule"],
    "additionalProperties": False,
    "properties": {
        "matricule": {"type": "string", "pattern": _MATRICULE_PATTERN},
        "cle": {"type": "string", "pattern": r"^\d{2}$"},
        "cle_invalide": {"type": "boolean"},
        "kind": {"enum": ["NIR", "NIA"]},
        "oid": {"type": "string"},
        "date_deb": {"type": "string", "pattern": _DATE_LUNAIRE_PATTERN},
        "date_fin": {"type": "string", "pattern": _DATE_LUNAIRE_PATTERN},
        "type_matricule": {"type": "string"},
    },
}

BASE_SCHEMA = {
    "type": "object",
    "required": ["identities"],
    "additionalProperties": False,
    "properties": {
        "identities": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "nom_naissance", "prenoms", "sexe", "date_naissance"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "nom_naissance": {"type": "string", "minLength": 1},
                    "prenoms": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
                    "sexe": {"enum": ["M", "F"]},
                    "date_naissance": {"type": "string", "pattern": _DATE_LUNAIRE_PATTERN},
                    "lieu_naissance": {"type": "string", "pattern": r"^[A-Za-z0-9]{5}$"},
                    "ins": _INS_SCHEMA,
                    "histo": {"type": "array", "items": _INS_SCHEMA},
                    "tiq_prenom": {"type": "boolean"},
                    "searchable": {"type": "boolean"},
                    "code_cr": {"enum": ["00", "01"]},
                    "note": {"type": "string"},
                },
            },
        },
        "vitale_cards": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "assure", "beneficiaires"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "assure": _INS_SCHEMA,
                    "note": {"type": "string"},
                    "beneficiaires": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["identity"],
                            "additionalProperties": False,
                            "properties": {
                                "identity": {"type": "string"},
                                "matricule_individu": _INS_SCHEMA,
                                "rang": {"type": "string", "pattern": r"^\d+$"},
                            },
                        },
                    },
                },
            },
        },
    },
}


class FirstNameMatch(StrEnum):
    """Which sent first name finds a person (the live rule is not documented)."""

    FIRST_OR_LIST = "first_or_list"  # the first birth first name, or the whole list
    ANY = "any"  # any one birth first name, or the whole list


@dataclass(frozen=True)
class Identity:
    id: str
    nom_naissance: str
    prenoms: tuple[str, ...]
    sexe: str
    date_naissance: str
    lieu_naissance: str | None
    ins: Ins | None
    histo: tuple[Ins, ...] = ()
    tiq_prenom: bool = False
    searchable: bool = True
    code_cr: str = "00"
    note: str = ""

    @property
    def liste_prenom(self) -> str:
        return " ".join(self.prenoms)

    def individu(self) -> Individu:
        """The ``INDIVIDU`` block INSi returns for this person (code 00 only)."""
        if self.ins is None:
            raise ValueError(f"identity {self.id} has no INS to return")
        tiq = Tiq(
            nom_naissance=self.nom_naissance,
            prenom=self.prenoms[0] if self.tiq_prenom else None,
            liste_prenom=self.liste_prenom,
            sexe=self.sexe,
            date_naissance=self.date_naissance,
            lieu_naissance=self.lieu_naissance,
        )
        return Individu(ins_actif=self.ins, tiq=tiq, ins_histo=self.histo)


@dataclass(frozen=True)
class Beneficiary:
    identity: Identity
    card_id: str
    assure_matricule: str
    matricule_individu: str | None
    rang: str


@dataclass
class IdentityBase:
    identities: dict[str, Identity] = field(default_factory=dict)
    beneficiaries: list[Beneficiary] = field(default_factory=list)
    _by_traits: dict[tuple[str, str, str], list[Identity]] = field(default_factory=lambda: defaultdict(list))
    _by_assure: dict[str, list[Beneficiary]] = field(default_factory=lambda: defaultdict(list))
    _by_individu: dict[str, list[Beneficiary]] = field(default_factory=lambda: defaultdict(list))

    # -- building ---------------------------------------------------------

    def add(self, identity: Identity) -> None:
        if identity.id in self.identities:
            raise ValueError(f"duplicate identity id {identity.id!r}")
        self.identities[identity.id] = identity
        if identity.searchable:
            self._by_traits[_traits_key(identity.nom_naissance, identity.sexe, identity.date_naissance)].append(
                identity
            )

    def add_beneficiary(self, beneficiary: Beneficiary) -> None:
        self.beneficiaries.append(beneficiary)
        self._by_assure[beneficiary.assure_matricule].append(beneficiary)
        if beneficiary.matricule_individu:
            self._by_individu[beneficiary.matricule_individu].append(beneficiary)

    def __len__(self) -> int:
        return len(self.identities)

    # -- searching --------------------------------------------------------

    def search_traits(self, query: TraitsQuery, first_names: FirstNameMatch) -> list[Identity]:
        """Identities matching the traits sent (normalized the INS way)."""
        key = _traits_key(query.nom_naissance, query.sexe, query.date_naissance)
        candidates = self._by_traits.get(key, ())
        lieu = normalize_trait(query.lieu_naissance)
        sent = normalize_trait(" ".join(query.prenoms))
        return [
            identity
            for identity in candidates
            if (not lieu or lieu == normalize_trait(identity.lieu_naissance))
            and _first_name_matches(sent, identity, first_names)
        ]

    def candidates(self, query: TraitsQuery) -> list[Identity]:
        """Everyone with this birth name, sex and birth date (whatever the rest)."""
        return list(self._by_traits.get(_traits_key(query.nom_naissance, query.sexe, query.date_naissance), ()))

    def card(self, query: VitaleQuery) -> list[Beneficiary]:
        """The beneficiaries of the card read (by holder's matricule, else individual matricule)."""
        od, individu = _num(query.matricule_od), _num(query.matricule_individu)
        if od:
            return list(self._by_assure.get(od, ()))
        return list(self._by_individu.get(individu, ())) if individu else []

    def knows_traits(self, query: TraitsQuery) -> bool:
        """True when someone has this birth name, sex and birth date (whatever the rest)."""
        return bool(self.candidates(query))

    def knows_card(self, query: VitaleQuery) -> bool:
        """True when the card (its holder's matricule) or the individual matricule is known."""
        return bool(self.card(query))

    def search_vitale(self, query: VitaleQuery) -> list[Identity]:
        """Beneficiaries of a card matching what was read on it."""
        individu = _num(query.matricule_individu)
        nom = normalize_trait(query.nom_naissance)
        found = []
        for beneficiary in self.card(query):
            if individu and beneficiary.matricule_individu and beneficiary.matricule_individu != individu:
                continue
            if query.date_naissance and query.date_naissance != beneficiary.identity.date_naissance:
                continue
            if query.rang_naissance and query.rang_naissance.lstrip("0") != beneficiary.rang.lstrip("0"):
                continue
            if nom and nom != normalize_trait(beneficiary.identity.nom_naissance):
                continue
            found.append(beneficiary.identity)
        return found


def _num(matricule) -> str:
    return (matricule.num_identifiant or "").strip().upper() if matricule else ""


def _traits_key(nom: str | None, sexe: str | None, date: str | None) -> tuple[str, str, str]:
    return normalize_trait(nom), normalize_trait(sexe), (date or "").strip()


def _first_name_matches(sent: str, identity: Identity, rule: FirstNameMatch) -> bool:
    if not sent:
        return False
    names = [normalize_trait(name) for name in identity.prenoms]
    if sent == " ".join(names) or sent == names[0]:
        return True
    return rule is FirstNameMatch.ANY and sent in names


# -- loading ----------------------------------------------------------------


def _ins_from(data: dict, path: Path, where: list, default_kind: str = "NIR") -> Ins:
    matricule = data["matricule"].upper()
    right_key = compute_key(matricule)
    cle = data.get("cle", right_key)
    if data.get("cle_invalide", False):
        if cle == right_key:
            raise DataFileError(
                path,
                line_of(data),
                f"{'/'.join(map(str, where))}: cle_invalide is set but {cle} is the right key of {matricule}",
            )
    elif cle != right_key:
        raise DataFileError(
            path,
            line_of(data, ["cle"]),
            f"{'/'.join(map(str, where))}: key {cle} of {matricule} is wrong (the right key is {right_key}); "
            "set cle_invalide: true if the wrong key is on purpose",
        )
    kind = MatriculeKind(data.get("kind", default_kind))
    return Ins(
        num_identifiant=matricule,
        cle=cle,
        oid=data.get("oid", kind.oid),
        date_deb=data.get("date_deb"),
        date_fin=data.get("date_fin"),
        type_matricule=data.get("type_matricule"),
    )


def add_from_data(base: IdentityBase, data, path: Path | str, data_root=None) -> None:
    """Add the identities and Vitale cards of one (schema-checked) base document.

    ``path`` names the source in errors (a file, or a label such as
    "session X"); ``data_root`` is the object line numbers are looked up in.
    """
    data_root = data if data_root is None else data_root
    for index, row in enumerate(data["identities"]):
        where = ["identities", index]
        if row["id"] in base.identities:
            raise DataFileError(path, line_of(data_root, where), f"identity id {row['id']!r} is used twice")
        histo = tuple(_ins_from(h, path, [*where, "histo", i]) for i, h in enumerate(row.get("histo", [])))
        ins = _ins_from(row["ins"], path, [*where, "ins"]) if "ins" in row else None
        code_cr = row.get("code_cr", "00")
        if code_cr == "00" and ins is None:
            raise DataFileError(path, line_of(data_root, where), f"identity {row['id']}: code_cr 00 needs an ins")
        base.add(
            Identity(
                id=row["id"],
                nom_naissance=normalize_trait(row["nom_naissance"]),
                prenoms=tuple(split_first_names(" ".join(row["prenoms"]))),
                sexe=row["sexe"],
                date_naissance=row["date_naissance"],
                lieu_naissance=row.get("lieu_naissance"),
                ins=ins,
                histo=histo,
                tiq_prenom=row.get("tiq_prenom", False),
                searchable=row.get("searchable", True),
                code_cr=code_cr,
                note=row.get("note", ""),
            )
        )
    for index, card in enumerate(data.get("vitale_cards", [])):
        where = ["vitale_cards", index]
        assure = _ins_from(card["assure"], path, [*where, "assure"])
        for b_index, row in enumerate(card["beneficiaires"]):
            identity = base.identities.get(row["identity"])
            if identity is None:
                raise DataFileError(
                    path,
                    line_of(data_root, [*where, "beneficiaires", b_index]),
                    f"card {card['id']}: unknown identity {row['identity']!r}",
                )
            individu = row.get("matricule_individu")
            base.add_beneficiary(
                Beneficiary(
                    identity=identity,
                    card_id=card["id"],
                    assure_matricule=assure.num_identifiant,
                    matricule_individu=(
                        _ins_from(individu, path, [*where, "beneficiaires", b_index]).num_identifiant
                        if individu
                        else None
                    ),
                    rang=row.get("rang", "1"),
                )
            )


def add_rows(base: IdentityBase, rows: list[dict], label: str) -> None:
    """Check identity rows given as data (admin API, saved sessions) and add them."""
    document = {"identities": rows}
    check_schema(document, BASE_SCHEMA, label)
    add_from_data(base, document, label)


def load_base(paths: Iterable[Path | str]) -> IdentityBase:
    """Load and index one or more base files (later files add people and cards).

    Files are read the fast way (:func:`~simulator.datafile.load_yaml_fast`: no line tracking, so
    100,000 identities load in a few seconds). An error found on the way (bad YAML, schema) comes
    with its line; one found while building the base (a wrong key, an id used twice...) cannot, so
    the files are then loaded again with line tracking, to raise the same error with its line.
    """
    paths = [Path(path) for path in paths]
    try:
        return _load_base(paths, load_yaml_fast)
    except DataFileError as error:
        if error.line is not None:
            raise
    return _load_base(paths, load_yaml_tracked)


def _load_base(paths: list[Path], load) -> IdentityBase:
    base = IdentityBase()
    with gc_paused():  # hundreds of thousands of new objects, no cycles: spare the GC passes
        for path in paths:
            add_from_data(base, load(path, BASE_SCHEMA), path)
    return base
