"""Conformance checks: for every rule, a request that passes and one that fails."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace

import pytest

from simulator.conformance import RULES, RULES_BY_ID, ConformanceContext, Finding, check_request, check_unparsed
from simulator.conformance.checker import ACTION_PREFIX
from simulator.engine.messages import Headers, InsiRequest, MatriculeSent, Operation, TraitsQuery, VitaleQuery

MESSAGE_ID = "uuid:2f1c7a52-8d4e-4c3b-9a61-0e5f3b7d9c10"

HEADERS = Headers(
    contexte_lps_present=True,
    idam="A00000000000",
    idam_r="4",
    lps_nom="urn:lps:REFERENCE-APM:1.2.0",
    lps_version="1.2.0",
    lps_instance="6f4d2a10-instance",
    contexte_bam_present=True,
    message_id=MESSAGE_ID,
    action=ACTION_PREFIX + Operation.TRAITS.value,
)
TRAITS = TraitsQuery(
    nom_naissance="ADRUN", prenoms=("ZOE",), sexe="F", date_naissance="1975-12-31", lieu_naissance="63220"
)
VITALE = VitaleQuery(
    matricule_individu=MatriculeSent("2751263220749", "74"),
    nom_naissance="ADRUN",
    date_naissance="1975-12-31",
    rang_naissance="1",
)
VITALE_HEADERS = replace(HEADERS, action=ACTION_PREFIX + Operation.VITALE.value)

TRAITS_BODY = "Body/RECSANSVITALE"
VITALE_BODY = "Body/RECVITALE"
LPS = "Header/ContexteLPS/LPS"


def traits_request(headers: Headers = HEADERS, **changes) -> InsiRequest:
    return InsiRequest(Operation.TRAITS, headers, traits=replace(TRAITS, **changes))


def vitale_request(headers: Headers = VITALE_HEADERS, **changes) -> InsiRequest:
    return InsiRequest(Operation.VITALE, headers, vitale=replace(VITALE, **changes))


def headers(**changes) -> Headers:
    return replace(HEADERS, **changes)


def found(request: InsiRequest, **context) -> list[tuple[str, str]]:
    """(rule, where) of every finding, in order."""
    return [(finding.rule, finding.where) for finding in check_request(request, ConformanceContext(**context))]


# -- fully conforming requests ----------------------------------------------


def test_conforming_traits_request_has_no_finding():
    assert check_request(traits_request(), ConformanceContext()) == []


def test_conforming_vitale_request_has_no_finding():
    assert check_request(vitale_request(), ConformanceContext()) == []


def test_conforming_requests_with_cpx_security_and_earlier_message_ids_have_no_finding():
    secured = headers(security_present=True, assertion_count=1)
    context = ConformanceContext(
        seen_message_ids=frozenset({"uuid:0c4bd3a4-1a7d-4a43-8d5c-2f6b51e2d0aa"}), requires_security=True
    )
    assert check_request(traits_request(secured), context) == []


# -- schema / envelope -------------------------------------------------------


def test_schema_passes_without_schema_error():
    assert found(traits_request(), schema_error=None) == []


def test_schema_error_is_a_finding_on_the_body():
    findings = check_request(traits_request(), ConformanceContext(schema_error="Element 'Foo': not expected"))
    assert [(f.rule, f.where) for f in findings] == [("schema", TRAITS_BODY)]
    assert "Element 'Foo': not expected" in findings[0].message
    assert findings[0].severity == "error"


@pytest.mark.parametrize(
    "fault_key, rule, where",
    [
        ("schema_invalid", "schema", "Body"),
        ("malformed_xml", "envelope", "Envelope"),
        ("forbidden_dtd", "envelope", "Envelope"),
        ("soap_version_mismatch", "envelope", "Envelope"),
        ("unknown_operation", "envelope", "Body"),
        ("request_too_large", "envelope", "Envelope"),
        ("action_mismatch", "wsa-action", "Header/Action"),
        ("some_future_refusal", "envelope", "Envelope"),
    ],
)
def test_unparsed_request_gives_one_finding_naming_the_problem(fault_key, rule, where):
    findings = check_unparsed(fault_key, "line 1, column 7: boom")
    assert [(f.rule, f.where, f.severity) for f in findings] == [(rule, where, "error")]
    assert "line 1, column 7: boom" in findings[0].message


def test_unparsed_internal_error_is_not_blamed_on_the_apm():
    assert check_unparsed("internal_error", "KeyError") == []


def test_a_decoded_request_has_no_envelope_finding():
    assert all(rule != "envelope" for rule, _ in found(traits_request()))


# -- traits-minimum ----------------------------------------------------------


@pytest.mark.parametrize(
    "field, element", [("nom_naissance", "NomNaissance"), ("sexe", "Sexe"), ("date_naissance", "DateNaissance")]
)
@pytest.mark.parametrize("value", [None, "", "  "])
def test_traits_minimum_fails_without_a_required_trait(field, element, value):
    assert found(traits_request(**{field: value})) == [("traits-minimum", f"{TRAITS_BODY}/{element}")]


def test_traits_minimum_passes_without_birth_place():
    assert found(traits_request(lieu_naissance=None)) == []


def test_traits_request_without_body_reports_every_missing_trait():
    request = InsiRequest(Operation.TRAITS, HEADERS)
    assert found(request) == [
        ("traits-minimum", f"{TRAITS_BODY}/NomNaissance"),
        ("traits-minimum", f"{TRAITS_BODY}/Sexe"),
        ("traits-minimum", f"{TRAITS_BODY}/DateNaissance"),
        ("one-first-name", f"{TRAITS_BODY}/Prenom"),
    ]


# -- traits-normalized -------------------------------------------------------


@pytest.mark.parametrize("nom, prenom", [("D'AEION", "COEUR"), ("DE VINCI", "LEONARDO"), ("ECETINSI", "PIERRE-ALAIN")])
def test_traits_normalized_passes_ins_form(nom, prenom):
    assert found(traits_request(nom_naissance=nom, prenoms=(prenom,))) == []


@pytest.mark.parametrize(
    "prenom, words",
    [
        ("Zoé", ["lower case", "diacritics", "'ZOE'"]),
        ("ZOÉ", ["diacritics", "'ZOE'"]),
        ("CŒUR", ["ligatures", "'COEUR'"]),
        ("JEAN  PAUL", ["double space", "'JEAN PAUL'"]),
        ("ZOE ", ["trailing space"]),
        (" ZOE", ["leading"]),
        ("ZOE2", ["characters not allowed", "'2'"]),
        ("ZOE.", ["characters not allowed", "'.'"]),
    ],
)
def test_traits_normalized_fails_on_a_first_name_not_in_ins_form(prenom, words):
    findings = check_request(traits_request(prenoms=(prenom,)), ConformanceContext())
    assert [(f.rule, f.where) for f in findings] == [("traits-normalized", f"{TRAITS_BODY}/Prenom[1]")]
    assert repr(prenom) in findings[0].message
    for word in words:
        assert word in findings[0].message


def test_traits_normalized_fails_on_a_typographic_apostrophe_in_the_birth_name():
    findings = check_request(traits_request(nom_naissance="D’AEION"), ConformanceContext())
    assert [(f.rule, f.where) for f in findings] == [("traits-normalized", f"{TRAITS_BODY}/NomNaissance")]
    assert "'’'" in findings[0].message


def test_traits_normalized_names_the_index_of_the_first_name():
    assert found(traits_request(prenoms=("ZOE", "Zoé"))) == [
        ("traits-normalized", f"{TRAITS_BODY}/Prenom[2]"),
        ("one-first-name", f"{TRAITS_BODY}/Prenom"),
    ]


def test_traits_normalized_checks_the_vitale_birth_name():
    assert found(vitale_request(nom_naissance="Adrun")) == [("traits-normalized", f"{VITALE_BODY}/NomNaissance")]


# -- one-first-name ----------------------------------------------------------


def test_one_first_name_passes_with_exactly_one():
    assert found(traits_request(prenoms=("CATARINA",))) == []


@pytest.mark.parametrize("prenoms", [(), ("CATARINA", "BELLA"), ("PIERRE", "PAUL", "JACQUES")])
def test_one_first_name_fails_with_zero_or_several(prenoms):
    findings = check_request(traits_request(prenoms=prenoms), ConformanceContext())
    assert [(f.rule, f.where, f.severity) for f in findings] == [("one-first-name", f"{TRAITS_BODY}/Prenom", "warning")]
    assert f"{len(prenoms)} Prenom" in findings[0].message


def test_one_first_name_fails_when_the_first_name_is_empty():
    assert found(traits_request(prenoms=("",))) == [("one-first-name", f"{TRAITS_BODY}/Prenom[1]")]


# -- sexe-code ---------------------------------------------------------------


@pytest.mark.parametrize("sexe", ["M", "F"])
def test_sexe_code_passes(sexe):
    assert found(traits_request(sexe=sexe)) == []


@pytest.mark.parametrize("sexe", ["X", "m", "I", "Masculin", "1"])
def test_sexe_code_fails(sexe):
    findings = check_request(traits_request(sexe=sexe), ConformanceContext())
    assert [(f.rule, f.where) for f in findings] == [("sexe-code", f"{TRAITS_BODY}/Sexe")]
    assert repr(sexe) in findings[0].message


# -- date-lunaire ------------------------------------------------------------


@pytest.mark.parametrize("date", ["1975-12-31", "1975-00-00", "1975-02-31", "1987-01-00", "1900-00-15"])
def test_date_lunaire_passes_dates_that_need_not_exist(date):
    assert found(traits_request(date_naissance=date)) == []
    assert found(vitale_request(date_naissance=date)) == []


@pytest.mark.parametrize(
    "date", ["1975-13-01", "1975-12-32", "31/12/1975", "75-12-31", "1975-1-01", "1975-12-31T00:00:00", "１９７５-12-31"]
)
def test_date_lunaire_fails_on_bad_shape(date):
    findings = check_request(traits_request(date_naissance=date), ConformanceContext())
    assert [(f.rule, f.where) for f in findings] == [("date-lunaire", f"{TRAITS_BODY}/DateNaissance")]
    assert repr(date) in findings[0].message


def test_date_lunaire_checks_the_vitale_birth_date():
    assert found(vitale_request(date_naissance="1975-12-1")) == [("date-lunaire", f"{VITALE_BODY}/DateNaissance")]


# -- lieu-naissance-cog ------------------------------------------------------


@pytest.mark.parametrize("lieu", [None, "63220", "2A020", "2B020", "99100"])
def test_lieu_naissance_cog_passes(lieu):
    assert found(traits_request(lieu_naissance=lieu)) == []


@pytest.mark.parametrize("lieu", ["6322", "632200", "2a020", "2C020", "CLERMONT", "", "63 220"])
def test_lieu_naissance_cog_fails(lieu):
    findings = check_request(traits_request(lieu_naissance=lieu), ConformanceContext())
    assert [(f.rule, f.where) for f in findings] == [("lieu-naissance-cog", f"{TRAITS_BODY}/LieuNaissance")]
    assert repr(lieu) in findings[0].message


# -- contexte-lps ------------------------------------------------------------


@pytest.mark.parametrize(
    "nom, version",
    [("urn:lps:REFERENCE-APM:1.2.0", "1.2.0"), ("urn:lps:EDITEUR:APM:2024.1", "2024.1"), ("URN:LPS:APM:3", "3")],
)
def test_contexte_lps_passes(nom, version):
    assert found(traits_request(headers(lps_nom=nom, lps_version=version))) == []


def test_contexte_lps_fails_when_absent():
    absent = Headers(contexte_bam_present=True, message_id=MESSAGE_ID, action=HEADERS.action)
    assert found(traits_request(absent)) == [("contexte-lps", "Header/ContexteLPS")]


@pytest.mark.parametrize(
    "changes, where",
    [
        ({"idam": None, "idam_r": None}, f"{LPS}/IDAM"),
        ({"idam": ""}, f"{LPS}/IDAM"),
        ({"idam_r": None}, f"{LPS}/IDAM/@R"),
        ({"idam_r": "3"}, f"{LPS}/IDAM/@R"),
        ({"lps_instance": None}, f"{LPS}/Instance"),
        ({"lps_instance": " "}, f"{LPS}/Instance"),
        ({"lps_nom": None}, f"{LPS}/Nom"),
        ({"lps_nom": "REFERENCE-APM"}, f"{LPS}/Nom"),
        ({"lps_nom": "urn:lps:REFERENCE-APM"}, f"{LPS}/Nom"),
        ({"lps_nom": "urn:lps:REFERENCE-APM:1.1.0"}, f"{LPS}/Nom"),
        ({"lps_nom": "urn:lps::1.2.0"}, f"{LPS}/Nom"),
        ({"lps_nom": "urn:lps:REFERENCE-APM:1.2.0:extra"}, f"{LPS}/Nom"),
    ],
)
def test_contexte_lps_fails_when_incomplete_or_incoherent(changes, where):
    assert found(traits_request(headers(**changes))) == [("contexte-lps", where)]


def test_contexte_lps_without_version_reports_the_version_only():
    assert found(traits_request(headers(lps_version=None))) == [("contexte-lps", f"{LPS}/Version")]


def test_contexte_lps_nom_message_shows_both_versions():
    findings = check_request(traits_request(headers(lps_nom="urn:lps:APM:1.1.0")), ConformanceContext())
    assert "'urn:lps:APM:1.1.0'" in findings[0].message and "'1.2.0'" in findings[0].message


# -- contexte-bam ------------------------------------------------------------


def test_contexte_bam_passes_when_present():
    assert found(traits_request(headers(contexte_bam_present=True))) == []


def test_contexte_bam_fails_when_absent():
    assert found(traits_request(headers(contexte_bam_present=False))) == [("contexte-bam", "Header/ContexteBAM")]


# -- message-id --------------------------------------------------------------


@pytest.mark.parametrize("message_id", [MESSAGE_ID, "uuid:2F1C7A52-8D4E-4C3B-9A61-0E5F3B7D9C10"])
def test_message_id_passes(message_id):
    assert found(traits_request(headers(message_id=message_id))) == []


@pytest.mark.parametrize(
    "message_id",
    [
        None,
        "",
        "urn:uuid:2f1c7a52-8d4e-4c3b-9a61-0e5f3b7d9c10",
        "2f1c7a52-8d4e-4c3b-9a61-0e5f3b7d9c10",
        "uuid:2f1c7a528d4e4c3b9a610e5f3b7d9c10",
        "uuid:{2f1c7a52-8d4e-4c3b-9a61-0e5f3b7d9c10}",
        "uuid:not-a-uuid",
    ],
)
def test_message_id_fails(message_id):
    assert found(traits_request(headers(message_id=message_id))) == [("message-id", "Header/MessageID")]


# -- message-id-unique -------------------------------------------------------


def test_message_id_unique_passes_with_a_new_id():
    seen = frozenset({"uuid:0c4bd3a4-1a7d-4a43-8d5c-2f6b51e2d0aa"})
    assert found(traits_request(), seen_message_ids=seen) == []


def test_message_id_unique_fails_on_reuse_within_the_session():
    findings = check_request(traits_request(), ConformanceContext(seen_message_ids=frozenset({MESSAGE_ID})))
    assert [(f.rule, f.where) for f in findings] == [("message-id-unique", "Header/MessageID")]
    assert MESSAGE_ID in findings[0].message


# -- wsa-action --------------------------------------------------------------


def test_wsa_action_passes_for_both_operations():
    assert (
        found(traits_request(headers(action="urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite")))
        == []
    )
    assert (
        found(vitale_request(headers(action="urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecCarteVitale"))) == []
    )


@pytest.mark.parametrize(
    "action",
    [
        None,
        "",
        ACTION_PREFIX + Operation.VITALE.value,
        ACTION_PREFIX + Operation.TRAITS.value + "Response",
        "rechercherInsAvecTraitsIdentite",
    ],
)
def test_wsa_action_fails(action):
    assert found(traits_request(headers(action=action))) == [("wsa-action", "Header/Action")]


def test_action_prefix_is_the_soap_layer_one():
    from simulator.soap import namespaces

    assert ACTION_PREFIX == namespaces.ACTION_PREFIX


# -- wsse-security -----------------------------------------------------------


def test_wsse_security_is_not_required_without_cpx():
    assert found(traits_request(), requires_security=False) == []


def test_wsse_security_passes_with_an_assertion_when_required():
    secured = headers(security_present=True, assertion_count=1)
    assert found(traits_request(secured), requires_security=True) == []


def test_wsse_security_fails_when_required_and_absent():
    assert found(traits_request(), requires_security=True) == [("wsse-security", "Header/Security")]


def test_wsse_security_fails_when_required_and_without_assertion():
    empty = headers(security_present=True, assertion_count=0)
    assert found(traits_request(empty), requires_security=True) == [("wsse-security", "Header/Security/Assertion")]


# -- vitale-beneficiary ------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"matricule_individu": None, "matricule_od": MatriculeSent("2751263220749")},
        {"matricule_individu": MatriculeSent("297022A020778", "78")},
        {"matricule_individu": MatriculeSent("160012B020777", "13", "NIR")},
        {"rang_naissance": None},
        {"rang_naissance": "2"},
        {"nom_naissance": None},
    ],
)
def test_vitale_beneficiary_passes(changes):
    assert found(vitale_request(**changes)) == []


@pytest.mark.parametrize(
    "changes, where",
    [
        ({"matricule_individu": None}, VITALE_BODY),
        ({"matricule_individu": MatriculeSent(None, "74")}, VITALE_BODY),
        ({"matricule_individu": MatriculeSent("")}, VITALE_BODY),
        ({"matricule_individu": MatriculeSent("275126322074")}, f"{VITALE_BODY}/MatriculeIndividu/NumIdentifiant"),
        ({"matricule_individu": MatriculeSent("27512632207497")}, f"{VITALE_BODY}/MatriculeIndividu/NumIdentifiant"),
        ({"matricule_individu": MatriculeSent("297022a020778")}, f"{VITALE_BODY}/MatriculeIndividu/NumIdentifiant"),
        ({"matricule_individu": MatriculeSent("2970220A20778")}, f"{VITALE_BODY}/MatriculeIndividu/NumIdentifiant"),
        ({"matricule_od": MatriculeSent("2 75 12 63 220")}, f"{VITALE_BODY}/MatriculeOD/NumIdentifiant"),
        ({"matricule_individu": MatriculeSent("2751263220749", "7")}, f"{VITALE_BODY}/MatriculeIndividu/Cle"),
        ({"date_naissance": None}, f"{VITALE_BODY}/DateNaissance"),
        ({"date_naissance": ""}, f"{VITALE_BODY}/DateNaissance"),
        ({"rang_naissance": "A"}, f"{VITALE_BODY}/RangNaissance"),
        ({"rang_naissance": ""}, f"{VITALE_BODY}/RangNaissance"),
    ],
)
def test_vitale_beneficiary_fails(changes, where):
    assert found(vitale_request(**changes)) == [("vitale-beneficiary", where)]


def test_vitale_request_without_body_reports_the_missing_beneficiary():
    assert found(InsiRequest(Operation.VITALE, VITALE_HEADERS)) == [
        ("vitale-beneficiary", VITALE_BODY),
        ("vitale-beneficiary", f"{VITALE_BODY}/DateNaissance"),
    ]


# -- the catalogue and the findings -----------------------------------------


def test_rules_catalogue_is_well_formed():
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids)) == len(RULES_BY_ID)
    for rule in RULES:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.id)
        assert rule.severity in ("error", "warning")
        assert rule.what and rule.why and "\n" not in rule.what + rule.why


def test_every_finding_names_a_catalogue_rule_with_its_severity():
    bad = Headers(idam_r="3", message_id="x", security_present=True)
    requests = [
        traits_request(bad, nom_naissance=None, prenoms=("é", "A"), sexe="X", lieu_naissance="x"),
        vitale_request(
            bad, matricule_individu=MatriculeSent("x", "x"), date_naissance="x", rang_naissance="x", nom_naissance="x"
        ),
    ]
    context = ConformanceContext(seen_message_ids=frozenset({"x"}), requires_security=True, schema_error="bad")
    findings = [finding for request in requests for finding in check_request(request, context)]
    findings += [finding for key in ("malformed_xml", "schema_invalid") for finding in check_unparsed(key, "")]
    assert {finding.rule for finding in findings} == set(RULES_BY_ID)
    for finding in findings:
        assert finding.severity == RULES_BY_ID[finding.rule].severity
        assert finding.message and finding.where


def test_finding_to_dict():
    finding = Finding("sexe-code", "error", "Sexe 'X' is not M or F", "Body/RECSANSVITALE/Sexe")
    assert finding.to_dict() == {
        "rule": "sexe-code",
        "severity": "error",
        "message": "Sexe 'X' is not M or F",
        "where": "Body/RECSANSVITALE/Sexe",
    }


def test_conformance_is_pure():
    """Importing the package pulls neither Spyne, Flask, lxml nor the soap layer."""
    code = (
        "import sys, simulator.conformance; "
        "print(sorted(m for m in ('spyne', 'flask', 'lxml', 'simulator.soap') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
