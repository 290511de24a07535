"""The reference APM against a real simulator: it calls INSi over HTTP (waitress), the test drives its test port.

Each test takes its own simulator session (its own endpoint, journal and
injected faults) and its own APM (its own SQLite file). The correct APM must
pass every CNDA case with a journal free of findings; each defect must show
its deviation, seen either in what the APM did or in the simulator's journal.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from types import SimpleNamespace

import jsonschema
import pytest
import requests
import yaml

from reference_apm import create_app, list_defects
from reference_apm.app import registry_of
from reference_apm.defects import DEFECTS, RETRY_BOUND
from reference_apm.insi import InsiError, parse_resultat
from reference_apm.model import ins_trait, status_of
from reference_apm.registry import Registry
from reference_apm.server import start_server

from .conftest import REPO, LiveServer, make_simulator

OID_NIR = "1.2.250.1.213.1.4.8"
OID_NIA = "1.2.250.1.213.1.4.9"
TRAITS = "rechercherInsAvecTraitsIdentite"
OPENAPI = REPO / "harness" / "test_port.openapi.yaml"
TIMEOUT = 10
_ids = itertools.count(1)

ADRUN = {"nom_naissance": "Adrun", "prenoms": ["Zoé"], "sexe": "F", "date_naissance": "1975-12-31"}
TCHITCHI = {"nom_naissance": "TCHITCHI", "prenoms": ["OLA", "CATARINA"], "sexe": "F", "date_naissance": "1936-06-21"}
DE_VINCI = {
    "nom_naissance": "DE VINCI",
    "prenoms": ["LEONARDO"],
    "sexe": "M",
    "date_naissance": "2014-02-01",
    "lieu_naissance": "63220",
}
ECETINSI = {
    "nom_naissance": "ECETINSI",
    "prenoms": ["PIERRE-ALAIN", "MURIEL", "FLORIANT"],
    "sexe": "M",
    "date_naissance": "2009-07-14",
}
PROVISOIRE = {"nom_naissance": "PROVISOIRE", "prenoms": ["MATRICULE"], "sexe": "M", "date_naissance": "2009-07-01"}
CORSE = {"nom_naissance": "CORSE", "prenoms": ["ANTHONY"], "sexe": "M", "date_naissance": "1980-03-02"}
HERMANN = {"nom_naissance": "HERMANN", "prenoms": ["GATIEN"], "sexe": "M", "date_naissance": "1981-03-24"}
NESSI = {"nom_naissance": "NESSI", "prenoms": ["MICHELANGELO"], "sexe": "M", "date_naissance": "2010-08-07"}
MARTIN_LOUISE = {"nom_naissance": "MARTIN", "prenoms": ["LOUISE"], "sexe": "F", "date_naissance": "2015-05-10"}
IDENTITY_FIELDS = ("nom_naissance", "prenoms", "sexe", "date_naissance", "lieu_naissance", "status")
INS_FIELDS = ("matricule", "cle", "oid", "ins_histo")


@pytest.fixture(scope="module")
def simulator_url(tmp_path_factory):
    simulator = make_simulator(tmp_path_factory.mktemp("apm-simulator"))
    with LiveServer(simulator) as live:
        yield live.url
    simulator.close()


class Apm:
    """A reference APM (in process, Flask test client) pointed at its own session of the live simulator."""

    def __init__(self, app, simulator_url: str, session: str):
        self.app = app
        self.client = app.test_client()
        self.simulator_url = simulator_url
        self.session = session

    # -- the test port
    def post(self, path: str, body: dict | None = None, status: int = 200) -> dict:
        response = self.client.post(f"/test-port{path}", json=body if body is not None else {})
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()

    def get(self, path: str, status: int = 200) -> dict:
        response = self.client.get(f"/test-port{path}")
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()

    def create(self, traits: dict) -> str:
        return self.post("/patients", traits, 201)["id"]

    def patient(self, patient_id: str) -> dict:
        return self.get(f"/patients/{patient_id}")

    def traits(self, patient_id: str, **options) -> dict:
        return self.post(f"/patients/{patient_id}/insi/traits", options)

    def traits_keeping_identity(self, patient_id: str, **options) -> dict:
        """A traits search that must leave the patient's identity and INS as they were; its result."""
        before = self.patient(patient_id)
        result = self.traits(patient_id, **options)
        assert identity(result["patient"]) == identity(before)
        return result

    def vitale(self, patient_id: str, **card) -> dict:
        return self.post(f"/patients/{patient_id}/insi/vitale", card)

    def document(self, patient_id: str, kind: str = "CNI", high_trust: bool = True) -> dict:
        return self.post(f"/patients/{patient_id}/id-document", {"type": kind, "high_trust": high_trust})

    def export(self, patient_id: str, fmt: str) -> str:
        answer = self.get(f"/patients/{patient_id}/export?format={fmt}")
        assert answer["format"] == fmt
        return answer["content"]

    # -- the simulator session
    def inject(self, answer: dict, times: int | None = None, when: dict | None = None) -> None:
        body: dict = {"answer": answer}
        if times is not None:
            body["times"] = times
        if when is not None:
            body["when"] = when
        url = f"{self.simulator_url}/_admin/sessions/{self.session}/faults"
        response = requests.post(url, json=body, timeout=TIMEOUT)
        assert response.status_code == 201, response.text

    def journal(self) -> list[dict]:
        url = f"{self.simulator_url}/_admin/sessions/{self.session}/journal"
        data = requests.get(url, params={"limit": 1000}, timeout=TIMEOUT).json()
        return data["entries"]

    def findings(self) -> list[str]:
        return [finding["rule"] for entry in self.journal() for finding in entry["findings"]]


def new_session(simulator_url: str, **options) -> str:
    session_id = f"apm-{next(_ids)}"
    response = requests.post(f"{simulator_url}/_admin/sessions", json={"id": session_id, **options}, timeout=TIMEOUT)
    assert response.status_code == 201, response.text
    return session_id


@pytest.fixture
def apps():
    """Apps made by a test; their SQLite files are closed after it."""
    made: list = []
    yield made
    for app in made:
        registry_of(app).store.close()


@pytest.fixture
def make_apm(simulator_url, tmp_path, apps):
    def make(defects: tuple[str, ...] = (), timeout: float = 10.0, session_options: dict | None = None) -> Apm:
        session = new_session(simulator_url, **(session_options or {}))
        app = create_app(tmp_path / f"apm-{session}.sqlite3", set(defects), timeout=timeout)
        apps.append(app)
        apm = Apm(app, simulator_url, session)
        config = apm.post("/config", {"insi_endpoint": f"{simulator_url}/s/{session}/lps"})
        assert config["insi_endpoint"] == f"{simulator_url}/s/{session}/lps"
        return apm

    return make


@pytest.fixture
def apm(make_apm) -> Apm:
    return make_apm()


def pid3_ins(content: str) -> list[str]:
    """The INS repetitions of PID-3 in an HL7 PID segment."""
    return [rep for rep in content.split("|")[3].split("~") if rep.endswith("^INS")]


def fhir_ins(content: str) -> list[dict]:
    resource = json.loads(content)
    assert resource["resourceType"] == "Patient"
    return [identifier for identifier in resource["identifier"] if identifier["system"].startswith("urn:oid:")]


def identity(patient: dict) -> dict:
    return {name: patient[name] for name in IDENTITY_FIELDS + INS_FIELDS}


# -- the CNDA cases, correct APM -------------------------------------------------------------------


def test_adrun_found_recuperee_traits_replaced_by_tiq(apm):
    patient_id = apm.create(ADRUN)
    result = apm.traits(patient_id)
    assert (result["outcome"], result["code_cr"]) == ("found", "00")
    patient = result["patient"]
    assert patient == apm.patient(patient_id)
    assert (patient["matricule"], patient["cle"], patient["oid"]) == ("2751263220749", "74", OID_NIR)
    assert patient["status"] == "recuperee"
    # the local traits as typed ("Adrun", "Zoé", no birth place) are replaced by the INS traits
    assert (patient["nom_naissance"], patient["prenoms"], patient["lieu_naissance"]) == ("ADRUN", ["ZOE"], "63220")
    assert patient["ins_histo"] == []
    assert patient["last_code_cr"] == "00"
    assert apm.get("/messages/last")["message"] == result["message"]
    [entry] = apm.journal()
    assert entry["traits"] == {"NomNaissance": "ADRUN", "Prenom": ["ZOE"], "Sexe": "F", "DateNaissance": "1975-12-31"}
    assert entry["findings"] == []


def test_headers_are_complete_and_message_ids_new_per_call(apm):
    first, second = apm.create(ADRUN), apm.create(NESSI)
    apm.traits(first)
    apm.traits(second)
    apm.vitale(first, matricule_od="275126322074974", date_naissance="1975-12-31")
    entries = apm.journal()
    assert [entry["operation"] for entry in entries] == [TRAITS, TRAITS, "rechercherInsAvecCarteVitale"]
    headers = [entry["headers"] for entry in entries]
    assert len({h["message_id"] for h in headers}) == 3
    assert all(h["message_id"].startswith("uuid:") for h in headers)
    assert {h["idam"] for h in headers} == {"INSI-HARNESS-REF"}
    assert {h["idam_r"] for h in headers} == {"4"}
    assert {h["lps_nom"] for h in headers} == {"urn:lps:reference-apm:1.0.0"}
    assert {h["lps_instance"] for h in headers} == {apm.get("/config")["instance"]}
    assert [h["action"] for h in headers] == [
        f"urn:ServiceIdentiteCertifiee:1.0.0:{entry['operation']}" for entry in entries
    ]
    assert all(h["contexte_bam_present"] for h in headers)
    assert apm.findings() == []


def test_idam_is_configurable(make_apm, simulator_url):
    apm = make_apm(session_options={"idam": "IDAM-CNDA-42"})
    patient_id = apm.create(ADRUN)
    # a session bound to another IDAM answers desir_550: the default IDAM is refused
    refused = apm.traits(patient_id)
    assert refused["outcome"] == "error" and "desir_550" in refused["message"]
    apm.post("/config", {"insi_endpoint": f"{simulator_url}/s/{apm.session}/lps", "idam": "IDAM-CNDA-42"})
    assert apm.traits(patient_id)["outcome"] == "found"
    assert [entry["headers"]["idam"] for entry in apm.journal()] == ["INSI-HARNESS-REF", "IDAM-CNDA-42"]


@pytest.mark.parametrize("document_first", [True, False])
def test_high_trust_document_qualifies_and_export_carries_the_ins(apm, document_first):
    patient_id = apm.create(ADRUN)
    if document_first:
        assert apm.document(patient_id)["status"] == "validee"
        assert apm.traits(patient_id)["patient"]["status"] == "qualifiee"
    else:
        assert apm.traits(patient_id)["patient"]["status"] == "recuperee"
        assert apm.document(patient_id, "PASSEPORT")["status"] == "qualifiee"
    hl7 = apm.export(patient_id, "hl7")
    assert hl7.startswith("PID|")
    assert pid3_ins(hl7) == [f"275126322074974^^^&{OID_NIR}&ISO^INS"]
    assert "ADRUN^ZOE" in hl7 and "|19751231|F" in hl7
    fhir = apm.export(patient_id, "fhir")
    assert [(i["system"], i["value"]) for i in fhir_ins(fhir)] == [(f"urn:oid:{OID_NIR}", "275126322074974")]
    assert json.loads(fhir)["birthDate"] == "1975-12-31"


@pytest.mark.parametrize("document", [None, {"kind": "ACTE_NAISSANCE", "high_trust": False}])
def test_without_high_trust_document_export_has_no_ins(apm, document):
    patient_id = apm.create(ADRUN)
    apm.traits(patient_id)
    if document:
        apm.document(patient_id, **document)
    assert apm.patient(patient_id)["status"] == "recuperee"
    hl7 = apm.export(patient_id, "hl7")
    assert pid3_ins(hl7) == [] and "2751263220749" not in hl7
    fhir = apm.export(patient_id, "fhir")
    assert fhir_ins(fhir) == [] and "2751263220749" not in fhir


def test_document_without_ins_is_validee_and_exports_no_ins(apm):
    patient_id = apm.create(ADRUN)
    assert apm.document(patient_id)["status"] == "validee"
    assert pid3_ins(apm.export(patient_id, "hl7")) == []
    assert apm.journal() == []


def test_tchitchi_ola_not_found_then_strategy_finds_catarina(apm):
    patient_id = apm.create(TCHITCHI)
    result = apm.traits_keeping_identity(patient_id)
    assert (result["outcome"], result["code_cr"]) == ("not_found", "01")
    assert "first name" in result["message"]
    found = apm.traits(patient_id, strategy=True)
    assert (found["outcome"], found["code_cr"]) == ("found", "00")
    patient = found["patient"]
    assert (patient["matricule"], patient["cle"]) == ("2360663220836", "56")
    assert patient["prenoms"] == ["CATARINA", "BELLA"]
    # OLA (the single search), then the strategy: OLA, CATARINA — one first name per call
    assert [entry["traits"]["Prenom"] for entry in apm.journal()] == [["OLA"], ["OLA"], ["CATARINA"]]
    assert apm.findings() == []


def test_strategy_order_first_names_list_then_birth_place(apm):
    patient_id = apm.create(
        {
            "nom_naissance": "HOUILLES",
            "prenoms": ["PIERRE", "PAUL", "JACQUES"],
            "sexe": "M",
            "date_naissance": "1993-01-27",
            "lieu_naissance": "75115",
        }
    )
    result = apm.traits(patient_id, prenom="PAUL", strategy=True)
    assert result["outcome"] == "not_found"
    assert result["patient"]["status"] == "provisoire"
    sent = [(entry["traits"]["Prenom"], entry["traits"].get("LieuNaissance")) for entry in apm.journal()]
    assert sent == [
        (["PAUL"], None),
        (["PIERRE"], None),
        (["JACQUES"], None),
        (["PIERRE PAUL JACQUES"], None),
        (["PIERRE"], "75115"),
    ]
    assert apm.findings() == []


def test_de_vinci_several_then_birth_place_finds_one(apm):
    patient_id = apm.create(DE_VINCI)
    result = apm.traits_keeping_identity(patient_id)
    assert (result["outcome"], result["code_cr"]) == ("several", "02")
    assert "birth place" in result["message"]
    found = apm.traits(patient_id, with_birth_place=True)
    assert found["outcome"] == "found"
    assert (found["patient"]["matricule"], found["patient"]["cle"]) == ("1140263220101", "12")
    assert apm.journal()[-1]["traits"]["LieuNaissance"] == "63220"
    assert apm.findings() == []


def test_ecetinsi_stores_insactif_and_keeps_inshisto_as_history(apm):
    patient_id = apm.create(ECETINSI)
    result = apm.traits(patient_id, prenom="FLORIANT")
    assert result["outcome"] == "found"
    patient = result["patient"]
    assert (patient["matricule"], patient["cle"], patient["oid"]) == ("1090763220834", "89", OID_NIR)
    assert patient["ins_histo"] == [
        {"matricule": "2090763220834", "cle": "39", "oid": OID_NIR},
        {"matricule": "2090663220123", "cle": "55", "oid": OID_NIR},
    ]
    apm.document(patient_id)
    assert pid3_ins(apm.export(patient_id, "hl7")) == [f"109076322083489^^^&{OID_NIR}&ISO^INS"]
    assert apm.findings() == []


def test_provisoire_matricule_nia_accepted(apm):
    patient_id = apm.create(PROVISOIRE)
    result = apm.traits(patient_id)
    assert result["outcome"] == "found"
    assert (result["patient"]["matricule"], result["patient"]["oid"]) == ("1090763220888", OID_NIA)
    apm.document(patient_id, "TITRE_SEJOUR")
    [ins] = fhir_ins(apm.export(patient_id, "fhir"))
    assert (ins["system"], ins["value"]) == (f"urn:oid:{OID_NIA}", "109076322088835")
    assert pid3_ins(apm.export(patient_id, "hl7")) == [f"109076322088835^^^&{OID_NIA}&ISO^INS"]


def test_corse_2b_key_valid_accepted(apm):
    patient_id = apm.create(CORSE)
    result = apm.traits(patient_id)
    assert result["outcome"] == "found"
    patient = result["patient"]
    assert (patient["matricule"], patient["cle"], patient["lieu_naissance"]) == ("180032B020401", "23", "2B020")


def test_hermann_invalid_key_rejected_nothing_stored(apm):
    patient_id = apm.create(HERMANN)
    result = apm.traits_keeping_identity(patient_id)
    assert (result["outcome"], result["code_cr"]) == ("rejected", "00")
    assert "key" in result["message"]
    assert result["patient"]["matricule"] is None and result["patient"]["status"] == "provisoire"
    assert apm.get("/messages/last")["message"] == result["message"]


def test_incoherent_tiq_stops_the_automatic_update(apm):
    """INSi answers ADRUN ZOE (F, 1975) for a local NESSI (M, 2010): nothing is taken."""
    patient_id = apm.create(NESSI)
    apm.inject({"identity": "ADRUN-ZOE"}, times=1)
    result = apm.traits_keeping_identity(patient_id)
    assert result["outcome"] == "rejected"
    assert "sex" in result["message"] and "birth date" in result["message"]


def test_vitale_twins_several_then_rank_finds_one(apm):
    patient_id = apm.create(MARTIN_LOUISE)
    several = apm.vitale(patient_id, matricule_od="2850575112045", date_naissance="2015-05-10")
    assert several["outcome"] == "several" and "rank" in several["message"]
    found = apm.vitale(patient_id, matricule_od="2850575112045", date_naissance="2015-05-10", rang_naissance="2")
    assert found["outcome"] == "found"
    assert (found["patient"]["matricule"], found["patient"]["prenoms"]) == ("2150563220312", ["LOUISE"])
    unknown = apm.vitale(patient_id, matricule_od="1990199123456", date_naissance="2015-05-10")
    assert unknown["outcome"] == "not_found"
    assert unknown["patient"]["matricule"] == "2150563220312"
    assert apm.findings() == []


def test_traits_with_apostrophe_hyphen_and_accents_are_sent_normalized(apm):
    patient_id = apm.create(
        {"nom_naissance": "d’Artagnan-Lupin", "prenoms": ["Jean-Charles"], "sexe": "M", "date_naissance": "1970-06-30"}
    )
    assert apm.traits(patient_id)["outcome"] == "found"
    [entry] = apm.journal()
    assert (entry["traits"]["NomNaissance"], entry["traits"]["Prenom"]) == ("D'ARTAGNAN-LUPIN", ["JEAN-CHARLES"])
    assert entry["findings"] == []


def test_lunar_birth_date_exports_its_known_precision(apm):
    patient_id = apm.create(
        {"nom_naissance": "BENALI", "prenoms": ["FATIMA"], "sexe": "F", "date_naissance": "1950-00-00"}
    )
    assert apm.traits(patient_id)["outcome"] == "found"
    apm.document(patient_id, "PASSEPORT")
    assert apm.export(patient_id, "hl7").split("|")[7] == "1950"
    assert json.loads(apm.export(patient_id, "fhir"))["birthDate"] == "1950"


# -- failures: tell the user, change nothing, one attempt ----------------------------------------


def test_fault_error_unchanged_exactly_one_request(apm):
    patient_id = apm.create(ADRUN)
    apm.inject({"fault": "insi_102"})
    result = apm.traits_keeping_identity(patient_id)
    assert result["outcome"] == "error" and "code_cr" not in result
    assert "insi_102" in result["message"] and "unchanged" in result["message"]
    assert apm.get("/messages/last")["message"] == result["message"]
    [entry] = apm.journal()
    assert entry["fault"] == "insi_102"
    assert entry["findings"] == []


@pytest.mark.parametrize(
    "answer",
    [
        {"http": {"status": 503, "body": "html"}},
        {"http": {"status": 500}},
        {"malformed": "truncated"},
        {"malformed": "not-xml"},
        {"drop": True},
        {"code_cr": "01"},
    ],
    ids=["http-503-html", "http-500-empty", "truncated", "not-xml", "drop", "cr01"],
)
def test_other_failures_change_nothing_and_are_not_retried(apm, answer):
    patient_id = apm.create(ADRUN)
    apm.inject(answer)
    result = apm.traits_keeping_identity(patient_id)
    assert result["outcome"] == ("not_found" if "code_cr" in answer else "error")
    assert len(apm.journal()) == 1


def test_timeout_is_an_error_without_retry(make_apm):
    apm = make_apm(timeout=1.0)
    patient_id = apm.create(ADRUN)
    apm.inject({"delay_ms": 2500}, times=1)
    result = apm.traits(patient_id)
    assert result["outcome"] == "error" and "1 s" in result["message"]
    assert result["patient"]["status"] == "provisoire"
    # the simulator journals the late answer once it has sent it
    deadline = time.monotonic() + 5
    while not apm.journal() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)
    assert len(apm.journal()) == 1


def test_unreachable_insi_is_an_error(tmp_path, apps):
    app = create_app(tmp_path / "apm.sqlite3", insi_endpoint="http://127.0.0.1:9/lps", timeout=2.0)
    apps.append(app)
    client = app.test_client()
    patient_id = client.post("/test-port/patients", json=ADRUN).get_json()["id"]
    result = client.post(f"/test-port/patients/{patient_id}/insi/traits", json={}).get_json()
    assert result["outcome"] == "error" and result["patient"]["status"] == "provisoire"


def _resultat(code_cr: str = "00", individu=None):
    return SimpleNamespace(CR=SimpleNamespace(CodeCR=code_cr, LibelleCR="OK"), INDIVIDU=individu)


def _individu(tiq=True, oid=OID_NIR):
    return SimpleNamespace(
        INSACTIF=SimpleNamespace(IdIndividu=SimpleNamespace(NumIdentifiant="2751263220749", Cle="74"), OID=oid),
        INSHISTO=[],
        TIQ=SimpleNamespace(NomNaissance="ADRUN", ListePrenom="ZOE", Sexe="F", DateNaissance="1975-12-31")
        if tiq
        else None,
    )


@pytest.mark.parametrize(
    "resultat",
    [_resultat("99"), _resultat("00", None), _resultat("00", _individu(tiq=False)), _resultat("00", _individu(oid=""))],
    ids=["unknown-cr", "00-without-individu", "00-without-tiq", "00-without-oid"],
)
def test_unusable_answers_are_malformed(resultat):
    with pytest.raises(InsiError) as raised:
        parse_resultat(resultat)
    assert raised.value.kind == "malformed"


def test_parse_resultat_reads_tiq_list():
    answer = parse_resultat(_resultat("00", _individu()))
    assert (answer.actif.matricule, answer.tiq.prenoms) == ("2751263220749", ["ZOE"])


def test_unknown_oid_rejected(apm):
    registry = registry_of(apm.app)
    patient_id = apm.create(ADRUN)
    answer = parse_resultat(_resultat("00", _individu(oid="1.2.250.1.213.1.4.10")))
    result = registry._apply(registry.patient(patient_id), answer, "traits")
    assert result.outcome.value == "rejected" and result.patient.matricule is None


# -- the test port contract ------------------------------------------------------------------------


def _nullable(schema):
    """OpenAPI 3.0 ``nullable`` → JSON Schema (for jsonschema)."""
    if isinstance(schema, list):
        return [_nullable(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: _nullable(value) for key, value in schema.items() if key != "nullable"}
    if schema.get("nullable") and "type" in converted:
        converted["type"] = [converted["type"], "null"]
    return converted


@pytest.fixture(scope="module")
def openapi() -> dict:
    return yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))


def validate(openapi: dict, schema_name: str, instance) -> None:
    document = _nullable(openapi)
    schema = {**document["components"]["schemas"][schema_name], "components": document["components"]}
    jsonschema.validate(instance, schema)


def test_openapi_describes_every_route_and_is_served(apm, openapi):
    assert openapi["openapi"].startswith("3.0")
    assert apm.get("/openapi.json") == openapi
    routes = {
        (rule.rule.replace("<patient_id>", "{id}"), method.lower())
        for rule in apm.app.url_map.iter_rules()
        if rule.rule.startswith("/test-port")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {
        (path, method) for path, item in openapi["paths"].items() for method in item if method != "parameters"
    }
    assert routes == documented


def test_answers_match_the_openapi_schemas(apm, openapi):
    created = apm.post("/patients", DE_VINCI, 201)
    validate(openapi, "Created", created)
    validate(openapi, "Patient", created)
    patient_id = created["id"]
    validate(openapi, "InsiResult", apm.traits(patient_id))
    validate(openapi, "InsiResult", apm.traits(patient_id, with_birth_place=True))
    apm.inject({"fault": "insi_102"}, times=1)
    validate(openapi, "InsiResult", apm.traits(patient_id))
    validate(openapi, "Patient", apm.document(patient_id))
    validate(openapi, "Patient", apm.patient(patient_id))
    validate(openapi, "Export", apm.get(f"/patients/{patient_id}/export?format=fhir"))
    validate(openapi, "Config", apm.get("/config"))
    for body in (ADRUN, DE_VINCI):
        validate(openapi, "PatientCreate", body)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/patients", {**ADRUN, "sexe": "X"}, "sexe"),
        ("/patients", {**ADRUN, "prenoms": []}, "prenoms"),
        ("/patients", {**ADRUN, "date_naissance": "31/12/1975"}, "date_naissance"),
        ("/patients", {**ADRUN, "lieu_naissance": "6322"}, "lieu_naissance"),
        ("/patients", {**ADRUN, "extra": 1}, "extra"),
        ("/patients", {"prenoms": ["ZOE"], "sexe": "F", "date_naissance": "1975-12-31"}, "nom_naissance"),
        ("/config", {"insi_endpoint": "ftp://x"}, "insi_endpoint"),
        ("/patients/{id}/id-document", {"type": "PERMIS", "high_trust": True}, "type"),
        ("/patients/{id}/id-document", {"type": "CNI"}, "high_trust"),
        ("/patients/{id}/insi/traits", {"with_birth_place": True}, "with_birth_place"),
        ("/patients/{id}/insi/traits", {"strategy": "yes"}, "strategy"),
        ("/patients/{id}/insi/vitale", {"date_naissance": "1975-12-31"}, "matricule_od"),
        ("/patients/{id}/insi/vitale", {"matricule_od": "12", "date_naissance": "1975-12-31"}, "matricule_od"),
    ],
)
def test_bad_input_answers_400_with_the_field(apm, path, body, field):
    patient_id = apm.create(ADRUN)
    error = apm.post(path.replace("{id}", patient_id), body, 400)
    assert error["field"] == field and error["error"]
    assert apm.journal() == []


def test_unknown_patient_404_and_unconfigured_409(apm, tmp_path, apps):
    assert apm.get("/patients/999", 404)["field"] == "id"
    assert apm.post("/patients/999/insi/traits", {}, 404)["field"] == "id"
    assert apm.get("/patients/1/export?format=pdf", 404)["field"] == "id"
    patient_id = apm.create(ADRUN)
    assert apm.get(f"/patients/{patient_id}/export?format=pdf", 400)["field"] == "format"
    bare = Apm(create_app(tmp_path / "bare.sqlite3"), apm.simulator_url, apm.session)
    apps.append(bare.app)
    bare_id = bare.create(ADRUN)
    assert bare.post(f"/patients/{bare_id}/insi/traits", {}, 409)["field"] == "insi_endpoint"


def test_reset_empties_the_registry_and_keeps_the_settings(apm):
    config = apm.get("/config")
    apm.traits(apm.create(ADRUN))
    assert apm.get("/messages/last")["message"]
    response = apm.client.post("/test-port/reset")
    assert response.status_code == 204 and response.data == b""
    assert apm.get("/patients")["patients"] == []
    assert apm.get("/messages/last") == {"message": None}
    assert apm.get("/config") == config
    assert apm.create(ADRUN) == "1"


def test_registry_persists_in_its_sqlite_file(tmp_path, apps):
    db = tmp_path / "persist.sqlite3"
    first = create_app(db, insi_endpoint="http://127.0.0.1:9/lps", idam="IDAM-P")
    patient_id = first.test_client().post("/test-port/patients", json=ADRUN).get_json()["id"]
    instance = registry_of(first).store.instance
    registry_of(first).store.close()
    apps.append(create_app(db))
    again = registry_of(apps[-1])
    assert again.patient(patient_id).nom_naissance == "Adrun"
    assert (again.store.instance, again.idam, again.insi_endpoint) == (instance, "IDAM-P", "http://127.0.0.1:9/lps")


def test_html_page_lists_patients_and_statuses(apm):
    patient_id = apm.create({**ADRUN, "nom_naissance": "<script>x</script>"})
    apm.document(patient_id)
    page = apm.client.get("/").get_data(as_text=True)
    assert "validee" in page and "&lt;script&gt;" in page and "<script>x" not in page


def test_served_by_waitress_over_http(simulator_url, tmp_path):
    session = new_session(simulator_url)
    server = start_server(tmp_path / "served.sqlite3")
    try:
        base = f"{server.url}/test-port"
        response = requests.post(
            f"{base}/config", json={"insi_endpoint": f"{simulator_url}/s/{session}/lps"}, timeout=5
        )
        assert response.status_code == 200
        patient_id = requests.post(f"{base}/patients", json=ADRUN, timeout=5).json()["id"]
        result = requests.post(f"{base}/patients/{patient_id}/insi/traits", json={}, timeout=TIMEOUT).json()
        assert result["outcome"] == "found"
        assert requests.get(f"{server.url}/", timeout=5).status_code == 200
    finally:
        server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/", timeout=2)


# -- units ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("Zoé", "ZOE"),
        ("  de  Vinci ", "DE VINCI"),
        ("d’Artagnan", "D'ARTAGNAN"),
        ("Cœur", "COEUR"),
        ("St. Jean2", "ST JEAN"),
        ("Jean-Charles", "JEAN-CHARLES"),
    ],
)
def test_ins_trait(typed, sent):
    assert ins_trait(typed) == sent


def test_status_of():
    assert [status_of(ins, doc) for ins in (False, True) for doc in (False, True)] == [
        "provisoire",
        "validee",
        "recuperee",
        "qualifiee",
    ]


def test_strategy_plan():
    patient = SimpleNamespace(prenoms=["Ola", "Catarina", "Bella"], lieu_naissance="63220")
    assert Registry.strategy_plan(patient, None, False) == [
        ("Ola", False),
        ("Catarina", False),
        ("Bella", False),
        ("Ola Catarina Bella", False),
        ("Ola", True),
    ]
    assert Registry.strategy_plan(patient, "catarina", True) == [
        ("catarina", True),
        ("Ola", True),
        ("Bella", True),
        ("Ola Catarina Bella", True),
    ]
    single = SimpleNamespace(prenoms=["ZOE"], lieu_naissance=None)
    assert Registry.strategy_plan(single, None, False) == [("ZOE", False)]


def test_list_defects_and_unknown_defect(tmp_path):
    names = [name for name, _ in list_defects()]
    assert names == list(DEFECTS)
    assert {
        "no-key-check",
        "inshisto-as-active",
        "keeps-local-traits",
        "rejects-nia",
        "unnormalized-traits",
        "reuses-message-id",
        "retries-on-fault",
        "exports-unqualified",
        "qualifies-without-document",
        "treats-02-as-00",
    } <= set(names)
    assert all(breaks for _, breaks in list_defects())
    with pytest.raises(ValueError, match="no-such-defect"):
        create_app(tmp_path / "x.sqlite3", {"no-such-defect"})


def test_each_defect_is_one_guarded_branch():
    """Every defect appears in the code as ``"<name>" in …defects`` (isolated deviations, nothing else)."""
    source = "\n".join(path.read_text(encoding="utf-8") for path in (REPO / "reference_apm").glob("*.py"))
    for name in DEFECTS:
        assert re.search(rf'"{re.escape(name)}" (not )?in self\.defects', source), name


# -- each defect shows its deviation ---------------------------------------------------------------


def test_defect_no_key_check_stores_hermann(make_apm):
    apm = make_apm(("no-key-check",))
    result = apm.traits(apm.create(HERMANN))
    assert result["outcome"] == "found"
    assert (result["patient"]["matricule"], result["patient"]["cle"]) == ("1810363220456", "60")


def test_defect_inshisto_as_active_stores_a_former_ins(make_apm):
    apm = make_apm(("inshisto-as-active",))
    result = apm.traits(apm.create(ECETINSI), prenom="FLORIANT")
    assert result["outcome"] == "found"
    assert result["patient"]["matricule"] == "2090763220834"


def test_defect_keeps_local_traits(make_apm):
    apm = make_apm(("keeps-local-traits",))
    result = apm.traits(apm.create(ADRUN))
    assert result["outcome"] == "found" and result["patient"]["matricule"] == "2751263220749"
    patient = result["patient"]
    assert (patient["nom_naissance"], patient["prenoms"], patient["lieu_naissance"]) == ("Adrun", ["Zoé"], None)


def test_defect_rejects_nia(make_apm):
    apm = make_apm(("rejects-nia",))
    result = apm.traits(apm.create(PROVISOIRE))
    assert result["outcome"] == "rejected" and result["patient"]["matricule"] is None
    assert apm.traits(apm.create(ADRUN))["outcome"] == "found"  # an INS-NIR still passes


def test_defect_unnormalized_traits_gives_findings(make_apm):
    apm = make_apm(("unnormalized-traits",))
    apm.traits(apm.create(ADRUN))
    [entry] = apm.journal()
    assert (entry["traits"]["NomNaissance"], entry["traits"]["Prenom"]) == ("Adrun", ["Zoé"])
    assert "traits-normalized" in apm.findings()


def test_defect_reuses_message_id_gives_findings(make_apm):
    apm = make_apm(("reuses-message-id",))
    apm.traits(apm.create(ADRUN))
    apm.traits(apm.create(NESSI))
    first, second = apm.journal()
    assert first["headers"]["message_id"] == second["headers"]["message_id"]
    assert first["findings"] == []
    assert [finding["rule"] for finding in second["findings"]] == ["message-id-unique"]


def test_defect_retries_on_fault_loops_up_to_the_bound(make_apm):
    apm = make_apm(("retries-on-fault",))
    patient_id = apm.create(ADRUN)
    apm.inject({"fault": "insi_102"})
    assert apm.traits(patient_id)["outcome"] == "error"
    assert [entry["fault"] for entry in apm.journal()] == ["insi_102"] * RETRY_BOUND


def test_defect_exports_unqualified(make_apm):
    apm = make_apm(("exports-unqualified",))
    patient_id = apm.create(ADRUN)
    assert apm.traits(patient_id)["patient"]["status"] == "recuperee"
    assert pid3_ins(apm.export(patient_id, "hl7")) == [f"275126322074974^^^&{OID_NIR}&ISO^INS"]
    assert len(fhir_ins(apm.export(patient_id, "fhir"))) == 1


def test_defect_qualifies_without_document(make_apm):
    apm = make_apm(("qualifies-without-document",))
    patient_id = apm.create(ADRUN)
    patient = apm.traits(patient_id)["patient"]
    assert (patient["status"], patient["id_document"]) == ("qualifiee", None)
    assert len(pid3_ins(apm.export(patient_id, "hl7"))) == 1


def test_defect_treats_02_as_00(make_apm):
    apm = make_apm(("treats-02-as-00",))
    result = apm.traits(apm.create(DE_VINCI))
    assert (result["outcome"], result["code_cr"]) == ("found", "02")
    assert result["patient"]["status"] == "recuperee" and result["patient"]["matricule"] is None


def test_defect_ignores_incoherence(make_apm):
    apm = make_apm(("ignores-incoherence",))
    patient_id = apm.create(NESSI)
    apm.inject({"identity": "ADRUN-ZOE"}, times=1)
    result = apm.traits(patient_id)
    assert result["outcome"] == "found"
    patient = result["patient"]
    assert (patient["nom_naissance"], patient["sexe"], patient["matricule"]) == ("ADRUN", "F", "2751263220749")


def test_defect_sends_all_first_names_gives_findings(make_apm):
    apm = make_apm(("sends-all-first-names",))
    apm.traits(apm.create(ECETINSI))
    [entry] = apm.journal()
    assert entry["traits"]["Prenom"] == ["PIERRE-ALAIN", "MURIEL", "FLORIANT"]
    assert "one-first-name" in apm.findings()


def test_every_defect_has_a_test():
    missing = [
        name
        for name in DEFECTS
        if not any(key.startswith(f"test_defect_{name.replace('-', '_')}") for key in globals())
    ]
    assert missing == []
