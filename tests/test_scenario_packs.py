"""The shipped scenario packs (scenarios/*.yaml), rule by rule, through the SOAP endpoint of a session.

``REPLAY`` holds, for every rule id of every shipped pack, the requests that
trigger it and the exact answers expected, in order (sequences: one more
call than steps, to see the last one repeat). The pack walk is parametrized
by the rules read from the YAML files, so a rule added later without an entry
in ``REPLAY`` fails, and an entry left for a rule that is gone fails too.
Every replayed call must also be journaled as answered by that very rule.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
import types
from dataclasses import dataclass

import pytest
import requests
import yaml
from lxml import etree
from werkzeug.test import Client

from simulator.config import data_root, fixture
from simulator.engine.messages import CR_LIBELLES
from simulator.identity.base import load_base
from simulator.sessions import PackLibrary
from simulator.soap import endpoint as endpoint_module
from simulator.soap.catalogue import FaultCatalogue
from simulator.soap.endpoint import DropConnection

from .conftest import REPO, LiveServer, SoapClient, make_simulator
from .soap_helpers import parse_fault, parse_resultat, traits_request, vitale_request

SCENARIOS = data_root() / "scenarios"
OWN_PACKS = ("cnda", "errors", "qualification")  # the packs shipped for users (default is always active)
PACK_FILES = {path.stem: path for path in sorted(SCENARIOS.glob("*.yaml"))}
PACK_DATA = {name: yaml.safe_load(path.read_text(encoding="utf-8")) for name, path in PACK_FILES.items()}
SHIPPED_RULES = [(pack, rule["id"]) for pack, data in PACK_DATA.items() for rule in data["rules"]]
CATALOGUE = FaultCatalogue.load(fixture("faults.yaml"))

# The CNDA test numbers named by the domain reference (docs/insi-domain.md §3:
# group 1 Vitale cases, and the injection files TEST_2.04/2.05/2.08).
CNDA_TEST_NUMBERS = {"1.01", "1.02", "1.03", "2.04", "2.05", "2.08"}
DOMAIN_DOC = REPO.parent / "shared" / "docs" / "insi-domain.md"

NIR = "1.2.250.1.213.1.4.8"
NIA = "1.2.250.1.213.1.4.9"
UNKNOWN_CARD = "1800175999999"  # a matricule no card of the base carries


# -- requests and expected answers ---------------------------------------------


@dataclass(frozen=True)
class Traits:
    """A traits search (rechercherInsAvecTraitsIdentite)."""

    nom: str
    prenom: str | None = "JEAN"
    sexe: str = "M"
    date: str = "1980-01-01"
    lieu: str | None = None

    def build(self) -> bytes:
        return traits_request(self.nom, self.prenom or (), self.sexe, self.date, self.lieu)


@dataclass(frozen=True)
class Card:
    """A Vitale search (rechercherInsAvecCarteVitale) with what was read on the card."""

    od: str
    nom: str | None = None
    date: str | None = None

    def build(self) -> bytes:
        return vitale_request(od=self.od, nom=self.nom, date=self.date)


@dataclass(frozen=True)
class Cr:
    """A RESULTAT: CodeCR (and LibelleCR), INSACTIF (num, key, OID), INSHISTO (num, key, deb, fin), TIQ list."""

    code: str
    ins: tuple[str, str, str] | None = None
    histo: tuple[tuple[str, str, str | None, str | None], ...] = ()
    liste_prenom: str | None = None
    delay_ms: int = 0


@dataclass(frozen=True)
class Fault:
    """The catalogue fault ``key``, byte for byte, with its HTTP status."""

    key: str
    delay_ms: int = 0


@dataclass(frozen=True)
class Http:
    """A bare HTTP answer: ``body`` is "html" (an error page) or "empty"."""

    status: int
    body: str
    delay_ms: int = 0


@dataclass(frozen=True)
class Malformed:
    """HTTP 200 with a SOAP Content-Type but a body no XML parser accepts."""

    kind: str  # "truncated" or "not-xml"
    delay_ms: int = 0


@dataclass(frozen=True)
class Dropped:
    """No answer at all: the connection is closed."""

    delay_ms: int = 0


Expected = Cr | Fault | Http | Malformed | Dropped

CR01 = Cr("01")
NESSI = Cr("00", ("1100863220830", "60", NIR), liste_prenom="MICHELANGELO ANTHONY")
ECETINSI_HISTO_LIVE = ("2090763220834", "39", "2019-03-01", "2019-02-28")
ECETINSI_LIVE = Cr(
    "00", ("1090763220834", "89", NIR), (ECETINSI_HISTO_LIVE,), liste_prenom="PIERRE-ALAIN MURIEL FLORIANT"
)
ECETINSI_FILE = Cr(
    "00",
    ("1090763220834", "89", NIR),
    (ECETINSI_HISTO_LIVE, ("2090663220123", "55", None, None)),
    liste_prenom="PIERRE-ALAIN MURIEL FLORIANT",
)

NESSI_ANTHONY = Traits("NESSI", "ANTHONY", "M", "2010-08-07")
ECETINSI_MURIEL = Traits("ECETINSI", "MURIEL", "M", "2009-07-14")
DAEION = Traits("D'AEION", "COEUR", "M", "1987-01-25")


_DIGITS_IN_FRENCH = ["ZERO", "UN", "DEUX", "TROIS", "QUATRE", "CINQ", "SIX", "SEPT", "HUIT", "NEUF"]


def fault_trigger(key: str, *traits) -> Traits:
    """The errors pack's documented trigger of a catalogue fault: NomNaissance FAUTE-<KEY>, the key in upper
    case, "-" for "_", each digit spelled in French (insi_102: FAUTE-INSI-UN-ZERO-DEUX)."""
    words = ["FAUTE"]
    for part in key.upper().split("_"):
        assert part.isdigit() or part.isalpha(), f"no documented trigger for the catalogue key {key!r}"
        if part.isdigit():
            words.extend(_DIGITS_IN_FRENCH[int(digit)] for digit in part)
        else:
            words.append(part)
    return Traits("-".join(words), *traits)


# rule id -> [(request, expected answer)], replayed in order in a fresh session where the rule's pack is active
REPLAY: dict[str, list[tuple[Traits | Card, Expected]]] = {
    # default.yaml (always active)
    "cnda-2.04-cas2": [(Traits("ECETINSI", "FLORIANT", "M", "2009-07-14"), ECETINSI_FILE)] * 2,
    # cnda.yaml: first search CR 01, then CR 00, the last answer repeating
    "cnda-cr01-then-00-nessi": [(NESSI_ANTHONY, CR01), (NESSI_ANTHONY, NESSI), (NESSI_ANTHONY, NESSI)],
    "cnda-2.04-cr01-then-00-ecetinsi": [
        (ECETINSI_MURIEL, CR01),
        (ECETINSI_MURIEL, ECETINSI_LIVE),
        (Traits("ECETINSI", "MURIEL", "M", "2009-07-14", "63220"), ECETINSI_LIVE),
    ],
    # errors.yaml: one rule per catalogue fault ...
    **{
        f"fault-{key}": [(fault_trigger(key), Fault(key)), (fault_trigger(key, "MARIE", "F", "1990-12-31"), Fault(key))]
        for key in CATALOGUE.keys()
        if key != "insi_101"
    },
    "fault-insi_101": [
        (Card(UNKNOWN_CARD, "INCONNU", "1980-01-01"), Fault("insi_101")),
        (Card("2991299999999", "DURAND", "1999-12-31"), Fault("insi_101")),
    ],
    # ... and the broken transports
    "http-503-html": [(Traits("SERVICE-UNAVAILABLE-HTML"), Http(503, "html"))],
    "http-500-empty": [(Traits("SERVER-ERROR-EMPTY"), Http(500, "empty"))],
    "malformed-truncated": [(Traits("MALFORMED-TRUNCATED"), Malformed("truncated"))],
    "malformed-not-xml": [(Traits("MALFORMED-NOT-XML"), Malformed("not-xml"))],
    "drop-connection": [(Traits("DROP-CONNECTION"), Dropped())],
    "delay-35s-beyond-30s-timeout": [(Traits("DELAY-THIRTY-FIVE-SECONDS"), Cr("01", delay_ms=35_000))],
    # qualification.yaml
    "qualif-daeion-coeur": [(DAEION, Fault("insi_102"))] * 2,
    "qualif-absent-traits": [
        (Traits("DUPONT", "JEAN", "M", "1980-01-01"), Fault("insi_102")),
        (Traits("D'AEION", "PIERRE", "M", "1987-01-25"), Fault("insi_102")),
        (Traits("ADRUN", "ZOE", "F", "1975-12-30"), Fault("insi_102")),  # a known name, another birth date
    ],
    "qualif-absent-vitale": [
        (Card(UNKNOWN_CARD, "INCONNU", "1980-01-01"), Fault("insi_101")),
        (Card("1800175999998", "DUPONT", "1980-01-01"), Fault("insi_101")),
    ],
}


# -- sessions --------------------------------------------------------------------

_session_numbers = itertools.count(1)


class PackSession:
    """A session created through the admin API, and its SOAP endpoint /s/<id>/lps."""

    def __init__(self, simulator, packs=(), **config):
        self.simulator = simulator
        self.admin = Client(simulator)
        self.id = f"packs-{next(_session_numbers)}"
        response = self.admin.post("/_admin/sessions", json={"id": self.id, "packs": list(packs), **config})
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["packs"] == list(packs)
        self.soap = SoapClient(simulator)

    def post(self, data: bytes):
        return self.soap.post(data, path=f"/s/{self.id}/lps")

    def journal(self) -> list[dict]:
        response = self.admin.get(f"/_admin/sessions/{self.id}/journal?limit=1000")
        assert response.status_code == 200, response.get_json()
        return sorted(response.get_json()["entries"], key=lambda entry: entry["rank"])


@pytest.fixture(scope="module")
def simulator(tmp_path_factory):
    sim = make_simulator(tmp_path_factory.mktemp("packs"))
    yield sim
    sim.close()


@pytest.fixture
def sleeps(monkeypatch):
    """The delays the endpoint would sleep, recorded instead of slept (only the endpoint's clock is replaced)."""
    recorded: list[float] = []
    fake_time = types.SimpleNamespace(perf_counter=time.perf_counter, sleep=recorded.append)
    monkeypatch.setattr(endpoint_module, "time", fake_time)
    return recorded


def answered_by(label: str, rule_id: str) -> bool:
    """Does a journal ``answer`` label name this rule? ("rule X", "MalformedAnswer (rule X)", or either
    followed by "; delayed N ms by rule X")."""
    label = label.split("; delayed ", 1)[0]
    return label == f"rule {rule_id}" or label.endswith(f"(rule {rule_id})")


def packs_of(pack: str) -> list[str]:
    return [] if pack == "default" else [pack]


# -- checking answers --------------------------------------------------------------


def check_cr(response, expected: Cr) -> None:
    assert response.status_code == 200, response.data
    assert response.headers["Content-Type"].startswith("application/soap+xml")
    answer = parse_resultat(response.data)
    assert (answer.code_cr, answer.libelle_cr) == (expected.code, CR_LIBELLES[expected.code])
    if expected.ins is None:
        assert answer.ins is None and answer.element.find("{*}INDIVIDU") is None
        return
    assert (answer.ins.num, answer.ins.cle, answer.ins.oid) == expected.ins
    assert [(h.num, h.cle, h.date_deb, h.date_fin) for h in answer.histo] == list(expected.histo)
    if expected.liste_prenom is not None:
        assert answer.tiq["ListePrenom"] == expected.liste_prenom


def check(simulator, session: PackSession, call, expected: Expected) -> None:
    if isinstance(expected, Dropped):
        with pytest.raises(DropConnection):
            session.post(call.build())
        return
    response = session.post(call.build())
    if isinstance(expected, Cr):
        check_cr(response, expected)
    elif isinstance(expected, Fault):
        entry = CATALOGUE[expected.key]
        assert response.status_code == entry.http_status
        assert response.headers["Content-Type"].startswith("application/soap+xml")
        assert response.data == simulator.layout.render_fault(simulator.catalogue[expected.key])
        fault = parse_fault(response.data)
        assert (fault.code, fault.subcode) == (f"{entry.prefix}:{entry.code}", f"{entry.prefix}:{entry.subcode}")
        assert (fault.reason, fault.lang) == (entry.reason_text, entry.reason_lang)
        assert (fault.detail_code, fault.severite, fault.detail_text) == (
            entry.detail_code,
            entry.detail_severite,
            entry.detail_text,
        )
    elif isinstance(expected, Http):
        assert response.status_code == expected.status
        if expected.body == "html":
            assert response.headers["Content-Type"].startswith("text/html")
            assert response.data.startswith(b"<!DOCTYPE html>") and b"Service Unavailable" in response.data
            assert b"Envelope" not in response.data
        else:
            assert response.data == b""
            assert response.headers.get("Content-Length") == "0"
    elif isinstance(expected, Malformed):
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("application/soap+xml")
        with pytest.raises(etree.XMLSyntaxError):
            etree.fromstring(response.data)
        if expected.kind == "truncated":
            whole = PackSession(simulator).post(Traits("DUPONT").build()).data  # a whole CR 01, in another session
            assert parse_resultat(whole).code_cr == "01"
            assert whole.startswith(response.data) and len(response.data) < len(whole)
            assert response.data.startswith(b"<?xml")
        else:
            assert not response.data.lstrip().startswith(b"<")
    else:  # pragma: no cover - a new kind of expectation
        raise AssertionError(f"unknown expectation {expected!r}")


# -- the pack walk: every rule of every shipped pack -------------------------------------


def test_replay_table_covers_exactly_the_shipped_rules():
    shipped = [rule_id for _, rule_id in SHIPPED_RULES]
    missing = sorted(set(shipped) - set(REPLAY))
    stale = sorted(set(REPLAY) - set(shipped))
    assert not missing, f"rules without a replay in REPLAY (add their trigger and answer): {missing}"
    assert not stale, f"REPLAY entries for rules no pack has any more: {stale}"


@pytest.mark.parametrize(("pack", "rule_id"), SHIPPED_RULES, ids=[f"{p}:{r}" for p, r in SHIPPED_RULES])
def test_every_rule_answers_its_trigger_in_a_session_with_the_pack(simulator, sleeps, pack, rule_id):
    assert rule_id in REPLAY, f"rule {rule_id} of pack {pack} has no replay in REPLAY"
    session = PackSession(simulator, packs_of(pack))
    for call, expected in REPLAY[rule_id]:
        sleeps.clear()
        check(simulator, session, call, expected)
        assert sleeps == ([expected.delay_ms / 1000] if expected.delay_ms else [])
    journal = session.journal()
    assert len(journal) == len(REPLAY[rule_id])
    assert all(answered_by(entry["answer"], rule_id) for entry in journal), [entry["answer"] for entry in journal]
    # the documented triggers are requests a conformant APM sends: nothing for the conformance checks to report
    assert [entry["findings"] for entry in journal] == [[]] * len(journal)


@pytest.mark.parametrize(
    ("pack", "rule_id"),
    [(p, r) for p, r in SHIPPED_RULES if p != "default"],
    ids=[f"{p}:{r}" for p, r in SHIPPED_RULES if p != "default"],
)
def test_a_session_without_the_pack_answers_its_triggers_normally(simulator, sleeps, pack, rule_id):
    plain = PackSession(simulator)
    for call, _ in REPLAY[rule_id]:
        response = plain.post(call.build())
        assert response.status_code == 200, response.data
        assert parse_resultat(response.data).code_cr == "01"  # nobody, or a known person with another first name
    assert sleeps == []
    assert not any(answered_by(entry["answer"], rule_id) for entry in plain.journal())


# -- sequences ------------------------------------------------------------------------------


def test_sequences_count_per_session_and_start_again_on_reset(simulator):
    first, second = PackSession(simulator, ["cnda"]), PackSession(simulator, ["cnda"])
    check_cr(first.post(NESSI_ANTHONY.build()), CR01)
    check_cr(first.post(NESSI_ANTHONY.build()), NESSI)
    check_cr(second.post(NESSI_ANTHONY.build()), CR01)  # its own counter
    check_cr(first.post(NESSI_ANTHONY.build()), NESSI)  # the last step repeats
    # another rule's sequence has its own counter too
    check_cr(first.post(ECETINSI_MURIEL.build()), CR01)
    check_cr(first.post(ECETINSI_MURIEL.build()), ECETINSI_LIVE)
    assert first.admin.post(f"/_admin/sessions/{first.id}/reset").status_code == 200
    check_cr(first.post(NESSI_ANTHONY.build()), CR01)
    check_cr(first.post(NESSI_ANTHONY.build()), NESSI)


def test_only_matching_requests_advance_a_sequence(simulator):
    session = PackSession(simulator, ["cnda"])
    check_cr(session.post(Traits("NESSI", "MICHELANGELO", "M", "2010-08-07").build()), NESSI)  # the base's answer
    check_cr(session.post(Traits("NESSI", "ANTHONY", "M", "2011-08-07").build()), CR01)  # another birth date
    check_cr(session.post(NESSI_ANTHONY.build()), CR01)  # still the first step
    check_cr(session.post(NESSI_ANTHONY.build()), NESSI)


def test_sequences_start_with_cr01_whatever_the_first_name_setting(simulator):
    session = PackSession(simulator, ["cnda"], first_names="any")
    check_cr(session.post(Traits("TCHITCHI", "BELLA", "F", "1936-06-21").build()), CASES["TCHITCHI CATARINA"])
    check_cr(session.post(NESSI_ANTHONY.build()), CR01)
    check_cr(session.post(NESSI_ANTHONY.build()), NESSI)


# -- the CNDA cases, all reachable and unchanged in a session with the packs -----------------------

# (case, CNDA test number or None, request, expected answer); docs/insi-domain.md §3
CNDA_CASES = [
    ("ADRUN ZOE", None, Traits("ADRUN", "ZOE", "F", "1975-12-31"), Cr("00", ("2751263220749", "74", NIR))),
    (
        "ADRTROIS DOMINIQUE (2A)",
        None,
        Traits("ADRTROIS", "DOMINIQUE", "F", "1997-02-26"),
        Cr("00", ("297022A020778", "78", NIR)),
    ),
    (
        "ADRTROIS TOUSSAINT (2B)",
        None,
        Traits("ADRTROIS", "TOUSSAINT", "M", "1960-01-01"),
        Cr("00", ("160012B020777", "13", NIR)),
    ),
    ("TCHITCHI OLA (REP_CR01)", None, Traits("TCHITCHI", "OLA", "F", "1936-06-21"), CR01),
    (
        "TCHITCHI CATARINA",
        None,
        Traits("TCHITCHI", "CATARINA", "F", "1936-06-21"),
        Cr("00", ("2360663220836", "56", NIR), liste_prenom="CATARINA BELLA"),
    ),
    ("ECETINSI live form", "2.04", Traits("ECETINSI", "PIERRE-ALAIN", "M", "2009-07-14"), ECETINSI_LIVE),
    ("ECETINSI cas 2 (file form)", "2.04", Traits("ECETINSI", "FLORIANT", "M", "2009-07-14"), ECETINSI_FILE),
    ("NESSI MICHELANGELO", None, Traits("NESSI", "MICHELANGELO", "M", "2010-08-07"), NESSI),
    ("DE VINCI LEONARDO", None, Traits("DE VINCI", "LEONARDO", "M", "2014-02-01"), Cr("02")),
    (
        "DE VINCI LEONARDO born 63220",
        None,
        Traits("DE VINCI", "LEONARDO", "M", "2014-02-01", "63220"),
        Cr("00", ("1140263220101", "12", NIR)),
    ),
    (
        "DE VINCI LEONARDO born 75115",
        None,
        Traits("DE VINCI", "LEONARDO", "M", "2014-02-01", "75115"),
        Cr("00", ("1140275115202", "21", NIR)),
    ),
    ("DE VINCI LEONARDODINO", None, Traits("DE VINCI", "LEONARDODINO", "M", "2004-02-01"), CR01),
    ("HOUILLES PIERRE", None, Traits("HOUILLES", "PIERRE", "M", "1993-01-27"), CR01),
    ("HOUILLES PAUL", None, Traits("HOUILLES", "PAUL", "M", "1993-01-27"), CR01),
    ("HOUILLES JACQUES", None, Traits("HOUILLES", "JACQUES", "M", "1993-01-27"), CR01),
    ("HOUILLES whole list", None, Traits("HOUILLES", "PIERRE PAUL JACQUES", "M", "1993-01-27"), CR01),
    (
        "PROVISOIRE MATRICULE (NIA)",
        "2.05",
        Traits("PROVISOIRE", "MATRICULE", "M", "2009-07-01"),
        Cr("00", ("1090763220888", "35", NIA), liste_prenom="MATRICULE"),
    ),
    (
        "CORSE ANTHONY cas 1",
        "2.08",
        Traits("CORSE", "ANTHONY", "M", "1980-03-02"),
        Cr("00", ("180032B020401", "23", NIR), (("180032B020401", "23", None, None),)),
    ),
    (
        "HERMANN GATIEN cas 2",
        "2.08",
        Traits("HERMANN", "GATIEN", "M", "1981-03-24"),
        Cr(
            "00",
            ("1810363220456", "60", NIR),
            (("1810363220456", "60", None, None), ("2810363220456", "10", None, None)),
        ),
    ),
]

CASES = {row[0]: row[3] for row in CNDA_CASES}

SESSION_SETUPS = {
    "cnda": {"packs": ["cnda"]},
    "cnda, qualification profile": {"packs": ["cnda"], "profile": "qualification"},
    "errors+cnda+qualification": {"packs": ["errors", "cnda", "qualification"]},
}


@pytest.mark.parametrize("setup", sorted(SESSION_SETUPS))
@pytest.mark.parametrize(("case", "cnda", "call", "expected"), CNDA_CASES, ids=[row[0] for row in CNDA_CASES])
def test_every_cnda_case_answers_as_the_base_in_a_session_with_the_packs(simulator, setup, case, cnda, call, expected):
    session = PackSession(simulator, **SESSION_SETUPS[setup])
    for _ in range(2):  # deterministic: the same answer every time
        check_cr(session.post(call.build()), expected)
    for entry in session.journal():  # no rule of the three packs touches the base's CNDA rows
        assert not any(answered_by(entry["answer"], rule_id) for pack, rule_id in SHIPPED_RULES if pack in OWN_PACKS)


def test_cnda_flows_in_a_session(simulator):
    session = PackSession(simulator, ["cnda"])
    # REP_CR01 then a new search with the first birth first name
    check_cr(session.post(Traits("TCHITCHI", "OLA", "F", "1936-06-21").build()), CR01)
    check_cr(session.post(Traits("TCHITCHI", "CATARINA", "F", "1936-06-21").build()), CASES["TCHITCHI CATARINA"])
    # CR 02, then the birth place
    check_cr(session.post(Traits("DE VINCI", "LEONARDO", "M", "2014-02-01").build()), Cr("02"))
    check_cr(
        session.post(Traits("DE VINCI", "LEONARDO", "M", "2014-02-01", "63220").build()),
        CASES["DE VINCI LEONARDO born 63220"],
    )
    # the pack's CR 01 then CR 00 for the very same search
    check_cr(session.post(NESSI_ANTHONY.build()), CR01)
    check_cr(session.post(NESSI_ANTHONY.build()), NESSI)


def test_daeion_coeur_answers_insi_102_only_with_the_qualification_pack(simulator):
    entry = CATALOGUE["insi_102"]
    with_pack = PackSession(simulator, ["cnda", "qualification"]).post(DAEION.build())
    assert with_pack.status_code == 500
    fault = parse_fault(with_pack.data)
    assert (fault.code, fault.subcode, fault.detail_code, fault.severite) == (
        "S:Receiver",
        "S:siram_40",
        "insi_102",
        "fatal",
    )
    assert fault.detail_text == entry.detail_text
    check_cr(PackSession(simulator, ["cnda"]).post(DAEION.build()), CR01)


# -- qualification pack ---------------------------------------------------------------------------


def test_qualification_pack_lets_known_people_and_cards_through(simulator):
    session = PackSession(simulator, ["qualification"])
    check_cr(session.post(Traits("TCHITCHI", "OLA", "F", "1936-06-21").build()), CR01)  # known, wrong first name
    check_cr(session.post(Traits("ADRUN", "ZOE", "F", "1975-12-31").build()), CASES["ADRUN ZOE"])
    check_cr(
        session.post(Card("2850575112045", "MARTIN", "1985-05-12").build()),
        Cr("00", ("2850575112045", "85", NIR), liste_prenom="CLAIRE MARIE"),
    )
    assert not any(entry["answer"].startswith("rule qualif-") for entry in session.journal())


def test_qualification_pack_knows_the_sessions_own_identities(simulator):
    session = PackSession(simulator, ["qualification"])
    dupont = Traits("DUPONT", "JEAN", "M", "1980-01-01")
    assert parse_fault(session.post(dupont.build()).data).detail_code == "insi_102"
    row = {
        "id": "DUPONT-JEAN",
        "nom_naissance": "DUPONT",
        "prenoms": ["JEAN"],
        "sexe": "M",
        "date_naissance": "1980-01-01",
        "ins": {"matricule": "1800175056123"},
    }
    response = session.admin.post(f"/_admin/sessions/{session.id}/identities", json={"identities": [row]})
    assert response.status_code == 201, response.get_json()
    answer = parse_resultat(session.post(dupont.build()).data)
    assert (answer.code_cr, answer.ins.num) == ("00", "1800175056123")
    other = PackSession(simulator, ["qualification"])
    assert parse_fault(other.post(dupont.build()).data).detail_code == "insi_102"


def test_errors_before_qualification_keeps_every_error_trigger(simulator):
    session = PackSession(simulator, ["errors", "qualification"])
    check(simulator, session, Traits("SERVICE-UNAVAILABLE-HTML"), Http(503, "html"))
    check(simulator, session, fault_trigger("schema_invalid"), Fault("schema_invalid"))
    check(simulator, session, Traits("DUPONT"), Fault("insi_102"))
    labels = [entry["answer"] for entry in session.journal()]
    assert labels == ["HttpAnswer (rule http-503-html)", "rule fault-schema_invalid", "rule qualif-absent-traits"]


def test_errors_pack_triggers_win_over_the_qualification_profile(simulator):
    session = PackSession(simulator, ["errors"], profile="qualification")
    check(simulator, session, Traits("SERVER-ERROR-EMPTY"), Http(500, "empty"))
    check(simulator, session, fault_trigger("desir_550"), Fault("desir_550"))
    check(simulator, session, Traits("DUPONT"), Fault("insi_102"))  # the profile's own answer, not a rule's
    labels = [entry["answer"] for entry in session.journal()]
    assert labels[:2] == ["HttpAnswer (rule http-500-empty)", "rule fault-desir_550"]
    assert not labels[2].startswith("rule ")


# -- activation through the admin API; isolation -------------------------------------------------


def test_pack_activated_and_deactivated_on_a_running_session(simulator):
    session = PackSession(simulator)
    trigger = fault_trigger("insi_102")
    check_cr(session.post(trigger.build()), CR01)
    response = session.admin.post(f"/_admin/sessions/{session.id}/scenarios", json={"name": "errors"})
    assert response.status_code == 200 and response.get_json()["packs"] == ["errors"]
    check(simulator, session, trigger, Fault("insi_102"))
    check_cr(SoapClient(simulator).post(trigger.build()), CR01)  # the default session (/lps) is untouched
    check_cr(PackSession(simulator).post(trigger.build()), CR01)  # and so is any other session
    response = session.admin.delete(f"/_admin/sessions/{session.id}/scenarios/errors")
    assert response.status_code == 200 and response.get_json()["packs"] == []
    check_cr(session.post(trigger.build()), CR01)


def test_the_three_packs_are_listed_by_the_admin_api(simulator):
    listing = Client(simulator).get("/_admin/scenarios").get_json()
    described = {pack["name"]: pack for pack in listing["packs"]}
    assert set(OWN_PACKS) <= set(described)
    for name in OWN_PACKS:
        assert described[name]["builtin"] is True
        assert described[name]["description"]
        assert [rule["id"] for rule in described[name]["rules"]] == [r["id"] for r in PACK_DATA[name]["rules"]]


# -- over TCP: the dropped connection and the delay beyond the client's timeout ---------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with LiveServer(make_simulator(tmp_path_factory.mktemp("packs-live"))) as server:
        yield server.url


def _live_session(url: str, packs: list[str]) -> str:
    session_id = f"live-{next(_session_numbers)}"
    response = requests.post(f"{url}/_admin/sessions", json={"id": session_id, "packs": packs}, timeout=10)
    assert response.status_code == 201, response.text
    return f"{url}/s/{session_id}/lps"


HEADERS = {"Content-Type": "application/soap+xml; charset=utf-8"}


def test_dropped_connection_reaches_the_client_as_a_connection_error(live):
    endpoint = _live_session(live, ["errors"])
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(endpoint, data=Traits("DROP-CONNECTION").build(), headers=HEADERS, timeout=10)
    after = requests.post(endpoint, data=Traits("DUPONT").build(), headers=HEADERS, timeout=10)  # server still up
    assert after.status_code == 200 and parse_resultat(after.content).code_cr == "01"


def test_35s_delay_outlasts_a_short_client_timeout(live, monkeypatch):
    asked: list[float] = []
    release = threading.Event()

    def sleep(seconds: float) -> None:  # a real wait, cut short when the test ends
        asked.append(seconds)
        release.wait(seconds)

    monkeypatch.setattr(endpoint_module, "time", types.SimpleNamespace(perf_counter=time.perf_counter, sleep=sleep))
    endpoint = _live_session(live, ["errors"])
    started = time.monotonic()
    try:
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.post(endpoint, data=Traits("DELAY-THIRTY-FIVE-SECONDS").build(), headers=HEADERS, timeout=(5, 1.0))
        elapsed = time.monotonic() - started
        assert 1.0 <= elapsed < 10
        assert asked == [35.0]
    finally:
        release.set()


# -- the pack files themselves ---------------------------------------------------------------------


def test_every_shipped_pack_loads_through_the_pack_library(tmp_path):
    base = load_base([fixture("cnda-base.yaml")])
    library = PackLibrary(SCENARIOS, tmp_path / "uploads", CATALOGUE.keys(), base.identities)
    assert set(OWN_PACKS) <= set(library.names())
    for name in PACK_FILES:
        data, rules = library.get(name)  # schema, faults, identities and files checked
        assert data["description"].strip(), name
        assert [rule.id for rule in rules] == [row["id"] for row in PACK_DATA[name]["rules"]]
        assert all(rule.description.strip() for rule in rules), name


@pytest.mark.parametrize("name", OWN_PACKS)
def test_pack_file_opens_with_a_header_comment(name):
    lines = PACK_FILES[name].read_text(encoding="utf-8").splitlines()
    header = list(itertools.takewhile(lambda line: line.startswith("#"), lines))
    assert len(header) >= 5, f"{name}.yaml must open with a comment explaining the pack"
    assert f'"{name}"' in header[0]


def test_rule_ids_are_unique_across_all_shipped_packs():
    # sequence counters are kept per rule id in a session: two packs must not share one
    ids = [rule_id for _, rule_id in SHIPPED_RULES]
    assert len(ids) == len(set(ids)), sorted(rule_id for rule_id in ids if ids.count(rule_id) > 1)


def test_cnda_values_are_cnda_test_numbers():
    for pack, data in PACK_DATA.items():
        for rule in data["rules"]:
            if "cnda" in rule:
                assert rule["cnda"] in CNDA_TEST_NUMBERS, f"{pack}:{rule['id']} cnda {rule['cnda']!r}"


def test_cnda_test_numbers_are_those_of_the_domain_doc():
    if not DOMAIN_DOC.is_file():
        pytest.skip(f"domain reference not found at {DOMAIN_DOC}")
    text = DOMAIN_DOC.read_text(encoding="utf-8")
    for number in CNDA_TEST_NUMBERS:
        assert f"TEST_{number}" in text or f"- {number} " in text, number


def test_errors_pack_reaches_every_catalogue_fault_and_every_broken_transport():
    answers = [rule["answer"] for rule in PACK_DATA["errors"]["rules"]]
    assert sorted(answer["fault"] for answer in answers if "fault" in answer) == sorted(CATALOGUE.keys())
    assert {"status": 503, "body": "html"} in [answer.get("http") for answer in answers]
    assert {"status": 500, "body": "empty"} in [answer.get("http") for answer in answers]
    assert {answer.get("malformed") for answer in answers} >= {"truncated", "not-xml"}
    assert any(answer.get("drop") is True for answer in answers)
    assert any(answer.get("delay_ms", 0) > 30_000 for answer in answers)


# CNDA injection file -> the case of CNDA_CASES that serves its content
FILE_CASES = {
    "REP_CR01.xml": "TCHITCHI OLA (REP_CR01)",
    "TEST_2.04_cas2.xml": "ECETINSI cas 2 (file form)",
    "TEST_2.05.xml": "PROVISOIRE MATRICULE (NIA)",
    "TEST_2.08_cas1.xml": "CORSE ANTHONY cas 1",
    "TEST_2.08_cas2.xml": "HERMANN GATIEN cas 2",
}


def test_every_cnda_case_of_the_domain_doc_is_in_the_case_table():
    assert set(FILE_CASES.values()) <= set(CASES)
    assert {cnda for _, cnda, _, _ in CNDA_CASES if cnda} == {"2.04", "2.05", "2.08"}  # 1.01-1.03: APM-side checks
    if not DOMAIN_DOC.is_file():
        pytest.skip(f"domain reference not found at {DOMAIN_DOC}")
    text = DOMAIN_DOC.read_text(encoding="utf-8")
    section = text[text.index("## 3.") : text.index("## 4.")]
    files = set(re.findall(r"`((?:REP|TEST)_[A-Za-z0-9_.]+\.xml)`", section))
    assert files == set(FILE_CASES)
    base_table = section[: section.index("### CNDA special cases")]
    names = {row.split("|")[1].strip() for row in base_table.splitlines() if row.startswith("| ")} - {"NomNaissance"}
    covered = {call.nom for _, _, call, _ in CNDA_CASES} | {DAEION.nom}
    assert names and names <= covered, sorted(names - covered)
