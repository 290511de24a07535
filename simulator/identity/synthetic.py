"""Synthetic INS identities: a Faker provider and a base generator, deterministic per seed.

:class:`InsIdentityProvider` is a Faker (``fr_FR``) provider that draws made-up people the way
INSi knows them: INS-normalized traits (upper case, no diacritics), birth names with particles,
hyphens and apostrophes, several birth first names, birth dates that are sometimes *lunar*
(``00`` day and/or month), birth places from the INSEE COG (``fixtures/cog-subset.yaml``:
metropolitan communes, Corsica 2A/2B, overseas departments, countries abroad 99xxx), and a
matricule INS (NIR, or NIA for some people born abroad) whose key comes from
:func:`simulator.identity.matricule.compute_key`.

:func:`generate_base` builds a whole identity base in the YAML format of ``fixtures/cnda-base.yaml``
(some identities in homonym groups, for CR 02), and :func:`write_base` writes it. The same count,
seed and homonym share always give the same file, byte for byte (for one Faker version: the name
lists come from Faker's ``fr_FR`` person provider).

Matricule conventions (13 characters, ``NumIdentifiant`` of the RESULTAT schema):

====== ==========================================================================================
 pos    content
====== ==========================================================================================
 1      sex: ``1`` male, ``2`` female
 2-3    the last two digits of the birth year
 4-5    the birth month ``01``-``12``; for an unknown month (lunar date ``YYYY-00-DD``) ``20``,
        the value INSEE gives when the civil-status record has no month (INSEE also uses 30-42
        and 50-99; the CNDA fixture's BENALI FATIMA uses 99). An unknown *day* changes nothing:
        the NIR has no day.
 6-10   the COG code of the birth place as it stands: department + commune (``63113``), Corsica
        with its letters (``2A004``: the key alone reads 2A as 19 and 2B as 18), overseas 97x +
        2 digits (``97209``), abroad 99 + the country (``99350``)
 11-13  order number ``001``-``999``
====== ==========================================================================================

An NIA (``kind: NIA``, OID ``.9``) has the same shape; here it is given to a share of the people
born abroad, who wait for their NIR. Every generated matricule is unique within a base.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from faker import Faker
from faker.providers import BaseProvider
from faker.providers.person.fr_FR import Provider as FrPersonProvider

from ..config import fixture
from ..datafile import DataFileError, line_of, load_yaml
from .matricule import MatriculeKind, compute_key
from .normalize import normalize_trait

COG_FILE = "cog-subset.yaml"


def _cog_entries(code_pattern: str) -> dict:
    return {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "required": ["code", "nom"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "pattern": code_pattern},
                "nom": {"type": "string", "minLength": 1},
            },
        },
    }


COG_SCHEMA = {
    "type": "object",
    "required": ["communes", "pays"],
    "additionalProperties": False,
    "properties": {"communes": _cog_entries(r"^(\d{5}|2[AB]\d{3})$"), "pays": _cog_entries(r"^99\d{3}$")},
}

# Where synthetic people are born (share of each kind of COG code).
PLACE_SHARES: tuple[tuple[str, float], ...] = (
    ("metropole", 0.82),
    ("corse", 0.03),
    ("outre_mer", 0.03),
    ("pays", 0.12),
)
LUNAR_SHARE_FRANCE = 0.005  # lunar birth dates are rare for people born in France...
LUNAR_SHARE_ABROAD = 0.10  # ...and frequent for people born abroad (incomplete foreign records)
NIA_SHARE_ABROAD = 0.30  # people born abroad who hold an NIA (waiting for their NIR)
UNKNOWN_MONTH_NIR = "20"  # NIR month for a birth date whose month is 00 (see the module docstring)
BIRTH_YEARS = (1920, 2025)

# Birth names: particles (DE, DU, LE, LA, DES, DE LA) before any name, elided particles (D', L')
# before a name that starts with a vowel, and double names joined by a hyphen.
_PARTICLES = ("DE", "DU", "LE", "LA", "DES", "DE LA")
_ELIDED = ("D'", "L'")
_PARTICLE_SHARE = 0.05
_ELIDED_SHARE = 0.03
_DOUBLE_NAME_SHARE = 0.05
# First names: compound first names joined by a hyphen (JEAN-PIERRE, MARIE-CLAIRE).
_COMPOUND_HEADS = {"M": ("JEAN", "PIERRE", "LOUIS", "PAUL"), "F": ("MARIE", "ANNE", "LOUISE")}
_COMPOUND_SHARE = 0.08
_FIRST_NAME_COUNTS = (1, 2, 3, 4)
_FIRST_NAME_COUNT_CUM = (0.35, 0.75, 0.95, 1.0)


class CogSubset(NamedTuple):
    """Birth places by kind, from the COG subset file."""

    metropole: tuple[str, ...]
    corse: tuple[str, ...]
    outre_mer: tuple[str, ...]
    pays: tuple[str, ...]
    names: dict[str, str]

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(self.names)

    def of_kind(self, kind: str) -> tuple[str, ...]:
        if kind not in ("metropole", "corse", "outre_mer", "pays"):
            raise ValueError(f"unknown kind of birth place {kind!r}")
        return getattr(self, kind)


@functools.lru_cache(maxsize=8)
def load_cog(path: Path | str | None = None) -> CogSubset:
    """Read and check the COG subset (default: the embedded ``fixtures/cog-subset.yaml``)."""
    path = Path(path) if path is not None else fixture(COG_FILE)
    data = load_yaml(path, COG_SCHEMA)
    names: dict[str, str] = {}
    for section in ("communes", "pays"):
        for index, entry in enumerate(data[section]):
            if entry["code"] in names:
                line = line_of(data, [section, index])
                raise DataFileError(path, line, f"{section}/{index}: COG code {entry['code']} is listed twice")
            names[entry["code"]] = entry["nom"]
    communes = [entry["code"] for entry in data["communes"]]
    return CogSubset(
        metropole=tuple(c for c in communes if not c.startswith(("2A", "2B", "97"))),
        corse=tuple(c for c in communes if c.startswith(("2A", "2B"))),
        outre_mer=tuple(c for c in communes if c.startswith("97")),
        pays=tuple(entry["code"] for entry in data["pays"]),
        names=names,
    )


class InsNumber(NamedTuple):
    """A matricule INS (13 characters), its key and its kind (NIR or NIA)."""

    matricule: str
    cle: str
    kind: MatriculeKind

    def as_yaml(self) -> dict[str, str]:
        """The ``ins`` mapping of the base format (``kind`` only when it is not the default NIR)."""
        ins = {"matricule": self.matricule, "cle": self.cle}
        if self.kind is MatriculeKind.NIA:
            ins["kind"] = MatriculeKind.NIA.value
        return ins


def _vocabulary(names: Iterable[str]) -> tuple[str, ...]:
    """INS-normalized, de-duplicated names (first occurrence order, so the draws are reproducible)."""
    return tuple(dict.fromkeys(normalize_trait(name) for name in names))


class InsIdentityProvider(BaseProvider):
    """Faker provider of synthetic INS identities (use it with the ``fr_FR`` locale).

    Every method draws from ``self.generator.random``, so ``Faker.seed_instance(seed)`` makes the
    whole sequence reproducible. Methods avoid Faker's generic helpers on the hot path: a base of
    100,000 identities is drawn in a few seconds.
    """

    def __init__(self, generator: Any, cog: CogSubset | None = None) -> None:
        super().__init__(generator)
        self.cog = cog if cog is not None else load_cog()
        last_names = _vocabulary(FrPersonProvider.last_names)
        self._last_names = last_names
        self._simple_last_names = tuple(n for n in last_names if n.isalpha())
        self._vowel_last_names = tuple(n for n in self._simple_last_names if n[0] in "AEIOUY")
        first = {
            "M": _vocabulary(FrPersonProvider.first_names_male),
            "F": _vocabulary(FrPersonProvider.first_names_female),
        }
        self._first_names = first
        self._simple_first_names = {sexe: tuple(n for n in names if n.isalpha()) for sexe, names in first.items()}
        self._place_kinds = tuple(kind for kind, _ in PLACE_SHARES)
        cumulative, total = [], 0.0
        for _, share in PLACE_SHARES:
            total += share
            cumulative.append(total)
        self._place_cum = tuple(cumulative)
        self._first_day = date(BIRTH_YEARS[0], 1, 1).toordinal()
        self._last_day = date(BIRTH_YEARS[1], 12, 31).toordinal()

    # -- traits -------------------------------------------------------------

    def sexe(self) -> str:
        return "M" if self.generator.random.random() < 0.5 else "F"

    def nom_naissance(self) -> str:
        """A birth name: mostly plain, some with a particle, an elided particle or a hyphen."""
        rng = self.generator.random
        draw = rng.random()
        if draw < _PARTICLE_SHARE:
            return f"{rng.choice(_PARTICLES)} {rng.choice(self._simple_last_names)}"
        draw -= _PARTICLE_SHARE
        if draw < _ELIDED_SHARE:
            return f"{rng.choice(_ELIDED)}{rng.choice(self._vowel_last_names)}"
        draw -= _ELIDED_SHARE
        if draw < _DOUBLE_NAME_SHARE:
            first, second = rng.sample(self._simple_last_names, 2)
            return f"{first}-{second}"
        return rng.choice(self._last_names)

    def prenom(self, sexe: str) -> str:
        """One birth first name, sometimes a compound one (JEAN-PIERRE)."""
        rng = self.generator.random
        if rng.random() < _COMPOUND_SHARE:
            head = rng.choice(_COMPOUND_HEADS[sexe])
            tail = rng.choice(self._simple_first_names[sexe])
            if tail != head:
                return f"{head}-{tail}"
        return rng.choice(self._first_names[sexe])

    def prenoms(self, sexe: str, first: str | None = None) -> list[str]:
        """Birth first names, in order (1 to 4, all different); ``first`` fixes the first one."""
        rng = self.generator.random
        draw = rng.random()
        wanted = next(n for n, cum in zip(_FIRST_NAME_COUNTS, _FIRST_NAME_COUNT_CUM, strict=True) if draw < cum)
        names = [first if first is not None else self.prenom(sexe)]
        for _ in range(wanted * 3):  # bounded: give up on a duplicate rather than loop
            if len(names) == wanted:
                break
            name = self.prenom(sexe)
            if name not in names:
                names.append(name)
        return names

    def date_lunaire(self, lunar_share: float = 0.02) -> str:
        """A birth date ``YYYY-MM-DD``: mostly a calendar date, else with ``00`` day and/or month."""
        rng = self.generator.random
        day = date.fromordinal(rng.randint(self._first_day, self._last_day))
        if rng.random() >= lunar_share:
            return day.isoformat()
        kind = rng.random()
        if kind < 0.6:  # day unknown
            return f"{day.year:04d}-{day.month:02d}-00"
        if kind < 0.95:  # day and month unknown
            return f"{day.year:04d}-00-00"
        return f"{day.year:04d}-00-{day.day:02d}"  # month unknown, day known (rare)

    def cog_naissance(self, kind: str | None = None) -> str:
        """A birth place COG code; ``kind``: metropole, corse, outre_mer or pays (default: drawn)."""
        rng = self.generator.random
        if kind is None:
            draw = rng.random()
            kind = next((k for k, cum in zip(self._place_kinds, self._place_cum, strict=True) if draw < cum), "pays")
        return rng.choice(self.cog.of_kind(kind))

    # -- matricule ------------------------------------------------------------

    def _matricule(self, sexe: str, date_naissance: str, cog: str, order: int | None) -> str:
        if sexe not in ("M", "F"):
            raise ValueError(f"sexe must be M or F, not {sexe!r}")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date_naissance):
            raise ValueError(f"not a DateLunaire: {date_naissance!r}")
        if not re.fullmatch(r"(\d{5}|2[AB]\d{3})", cog):
            raise ValueError(f"not a COG code: {cog!r}")
        if order is None:
            order = self.generator.random.randint(1, 999)
        if not 1 <= order <= 999:
            raise ValueError(f"order number out of 1-999: {order}")
        month = date_naissance[5:7]
        if month == "00":
            month = UNKNOWN_MONTH_NIR
        return f"{'1' if sexe == 'M' else '2'}{date_naissance[2:4]}{month}{cog}{order:03d}"

    def nir(self, sexe: str, date_naissance: str, cog: str, order: int | None = None) -> InsNumber:
        """An NIR for these traits (random order number unless given) with its computed key."""
        matricule = self._matricule(sexe, date_naissance, cog, order)
        return InsNumber(matricule, compute_key(matricule), MatriculeKind.NIR)

    def nia(self, sexe: str, date_naissance: str, cog: str, order: int | None = None) -> InsNumber:
        """An NIA: the NIR's shape, OID ``.9`` (``kind: NIA`` in the base)."""
        matricule = self._matricule(sexe, date_naissance, cog, order)
        return InsNumber(matricule, compute_key(matricule), MatriculeKind.NIA)

    def ins_number(self, sexe: str, date_naissance: str, cog: str) -> InsNumber:
        """NIR, or for a share of the people born abroad an NIA."""
        if cog.startswith("99") and self.generator.random.random() < NIA_SHARE_ABROAD:
            return self.nia(sexe, date_naissance, cog)
        return self.nir(sexe, date_naissance, cog)

    # -- a whole person -------------------------------------------------------

    def ins_identity(self) -> dict[str, Any]:
        """One identity as a row of the YAML base format (without ``id``)."""
        sexe = self.sexe()
        cog = self.cog_naissance()
        date_naissance = self.date_lunaire(LUNAR_SHARE_ABROAD if cog.startswith("99") else LUNAR_SHARE_FRANCE)
        return {
            "nom_naissance": self.nom_naissance(),
            "prenoms": self.prenoms(sexe),
            "sexe": sexe,
            "date_naissance": date_naissance,
            "lieu_naissance": cog,
            "ins": self.ins_number(sexe, date_naissance, cog).as_yaml(),
        }

    def homonym_of(self, identity: dict[str, Any], avoid_places: Iterable[str] = ()) -> dict[str, Any]:
        """Another person with the same birth name, sex, birth date and first birth first name,
        born somewhere else (a birth place not in ``avoid_places`` nor the identity's)."""
        sexe, date_naissance = identity["sexe"], identity["date_naissance"]
        taken = {identity["lieu_naissance"], *avoid_places}
        for _ in range(100):
            cog = self.cog_naissance()
            if cog not in taken:
                break
        else:
            raise ValueError("no free birth place left for a homonym")
        return {
            "nom_naissance": identity["nom_naissance"],
            "prenoms": self.prenoms(sexe, first=identity["prenoms"][0]),
            "sexe": sexe,
            "date_naissance": date_naissance,
            "lieu_naissance": cog,
            "ins": self.ins_number(sexe, date_naissance, cog).as_yaml(),
        }


def synthetic_faker(seed: int, cog: CogSubset | None = None) -> Faker:
    """A ``fr_FR`` Faker with :class:`InsIdentityProvider`, seeded."""
    fake = Faker("fr_FR")
    fake.add_provider(InsIdentityProvider(fake["fr_FR"], cog))
    fake.seed_instance(seed)
    return fake


# -- a whole base -------------------------------------------------------------

_MAX_REDRAWS = 1000


def _group_sizes(total: int, rng) -> list[int]:
    """Split ``total`` homonyms into groups of 2 or 3."""
    sizes, remaining = [], total
    while remaining >= 2:
        if remaining in (2, 3):
            size = remaining
        elif remaining == 4:
            size = 2
        else:
            size = 3 if rng.random() < 0.25 else 2
        sizes.append(size)
        remaining -= size
    return sizes


def generate_base(count: int, seed: int, homonym_share: float = 0.02, cog: CogSubset | None = None) -> dict:
    """``count`` synthetic identities in the YAML base format (``{"identities": [...]}``).

    Ids are ``SYN-000001``... in file order. About ``homonym_share`` of the identities come in
    groups of 2 or 3 sharing birth name, sex, birth date and first birth first name but not the
    birth place: a traits search without LieuNaissance answers CR 02 for them, with it CR 00.
    Everyone else is alone with their (birth name, sex, birth date, first birth first name), and
    every matricule is unique. Deterministic: same arguments, same result.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    if not 0.0 <= homonym_share <= 1.0:
        raise ValueError("homonym_share must be between 0 and 1")
    fake = synthetic_faker(seed, cog)
    provider = next(p for p in fake.providers if isinstance(p, InsIdentityProvider))
    rng = fake.random
    homonyms = round(count * homonym_share)
    if homonyms == 1:
        homonyms = 2 if count >= 2 else 0
    sizes = _group_sizes(homonyms, rng)
    taken_traits: set[tuple[str, str, str, str]] = set()
    taken_matricules: set[str] = set()

    def unique_ins(row: dict[str, Any]) -> None:
        for _ in range(_MAX_REDRAWS):
            if row["ins"]["matricule"] not in taken_matricules:
                taken_matricules.add(row["ins"]["matricule"])
                return
            number = provider.ins_number(row["sexe"], row["date_naissance"], row["lieu_naissance"])
            row["ins"] = number.as_yaml()
        raise ValueError("could not draw a unique matricule")

    def fresh_identity() -> dict[str, Any]:
        for _ in range(_MAX_REDRAWS):
            row = provider.ins_identity()
            key = (row["nom_naissance"], row["sexe"], row["date_naissance"], row["prenoms"][0])
            if key not in taken_traits:
                taken_traits.add(key)
                unique_ins(row)
                return row
        raise ValueError("could not draw a new identity")

    units: list[list[dict[str, Any]]] = []
    for size in sizes:
        group = [fresh_identity()]
        while len(group) < size:
            row = provider.homonym_of(group[0], (member["lieu_naissance"] for member in group))
            unique_ins(row)
            group.append(row)
        units.append(group)
    for _ in range(count - sum(sizes)):
        units.append([fresh_identity()])
    rng.shuffle(units)

    identities: list[dict[str, Any]] = []
    width = max(6, len(str(count)))
    for unit in units:
        ids = [f"SYN-{len(identities) + offset + 1:0{width}d}" for offset in range(len(unit))]
        for row_id, row in zip(ids, unit, strict=True):
            entry: dict[str, Any] = {"id": row_id}
            if len(unit) > 1:
                others = ", ".join(other for other in ids if other != row_id)
                entry["note"] = f"homonym of {others} (another birth place): CR 02 unless LieuNaissance is sent"
            entry.update(row)
            identities.append(entry)
    return {"identities": identities}


# -- writing ---------------------------------------------------------------------


def base_header(count: int, seed: int, homonym_share: float = 0.02) -> list[str]:
    """Comment lines opening a generated base: how to make it again, and how to read it."""
    from faker import VERSION as FAKER_VERSION

    return [
        f"Synthetic identity base: {count} made-up people (names, dates, places and numbers are drawn).",
        f"Made by: insi-harness identities generate --count {count} --seed {seed} --homonym-share {homonym_share}",
        f"with Faker {FAKER_VERSION} (fr_FR) and fixtures/cog-subset.yaml (INSEE COG). The same command with",
        "the same Faker version writes the same file, byte for byte.",
        "",
        "Fields: as in fixtures/cnda-base.yaml. Traits are INS-normalized; keys are computed (2A reads 19,",
        "2B reads 18); kind NIA is OID .9; an unknown birth month (00) is 20 in the matricule. Identities",
        'whose note says "homonym of" answer CR 02 together unless LieuNaissance is sent (then CR 00).',
        "Written in YAML's JSON-compatible flow style, one identity per line: it loads fast, and it is",
        "still YAML (edit it as such; block style works too, it only loads slower).",
    ]


def dump_base(data: dict, comment: str | Sequence[str] = ()) -> str:
    """YAML text of a base, in YAML's JSON-compatible flow style: one identity (one card) per line.

    It is YAML like any base file (``load_base``, ``insi-harness serve --base`` read it, and it can
    be edited by hand), and it is also JSON once its ``#`` comment lines are left out, which
    :func:`simulator.datafile.load_yaml_fast` uses to read 100,000 identities in about a second.
    One row per line keeps ``grep`` useful and error lines precise. ``comment`` lines come first.
    """
    lines = [f"# {line}".rstrip() for line in ([comment] if isinstance(comment, str) else comment)]
    lines.append("{")
    sections = list(data.items())
    for index, (section, rows) in enumerate(sections):
        end = "," if index < len(sections) - 1 else ""
        if not isinstance(rows, list) or not rows:
            lines.append(f"  {json.dumps(section)}: {json.dumps(rows)}{end}")
            continue
        lines.append(f"  {json.dumps(section)}: [")
        lines.extend(f"    {json.dumps(row)}," for row in rows[:-1])
        lines.append(f"    {json.dumps(rows[-1])}")
        lines.append(f"  ]{end}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_base(path: Path | str, data: dict, comment: str | Sequence[str] = ()) -> None:
    """Write a base (see :func:`dump_base`) as UTF-8 with ``\\n`` line ends, whatever the platform."""
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write(dump_base(data, comment))
