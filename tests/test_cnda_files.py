"""The CNDA injection files (../shared/insi-reference/cnda-responses) are the
referee: what the simulator serves for the documented traits must be
XML-equivalent to them, and every RESULTAT must validate against the
official INSi_RESULTAT_INS.xsd."""

from __future__ import annotations

import pytest
from lxml import etree

from .conftest import SoapClient, make_simulator
from .soap_helpers import parse_fault, traits_request
from .test_cnda_base import FOUND, NOT_FOUND_BUT_KNOWN
from .xml_compare import canonical, resultat_of

# file -> traits that reach it in the default profile
CNDA_CASES = {
    "REP_CR01.xml": ("TCHITCHI", "OLA", "F", "1936-06-21"),
    "TEST_2.04_cas2.xml": ("ECETINSI", "FLORIANT", "M", "2009-07-14"),
    "TEST_2.05.xml": ("PROVISOIRE", "MATRICULE", "M", "2009-07-01"),
    "TEST_2.08_cas1.xml": ("CORSE", "ANTHONY", "M", "1980-03-02"),
    "TEST_2.08_cas2.xml": ("HERMANN", "GATIEN", "M", "1981-03-24"),
}


@pytest.fixture(scope="module")
def resultat_schema(reference):
    return etree.XMLSchema(etree.parse(str(reference / "wsdl/xsd/ServiceIdentiteCertifiee/INSi_RESULTAT_INS.xsd")))


@pytest.fixture(scope="module")
def fault_schema(reference):
    return etree.XMLSchema(etree.parse(str(reference / "wsdl/xsd/schema_faultSOAP_V01_01.xsd")))


@pytest.mark.parametrize("file_name", sorted(CNDA_CASES))
def test_served_answer_is_xml_equivalent_to_the_cnda_file(reference, prod_client, file_name):
    served = prod_client.post(traits_request(*CNDA_CASES[file_name])).data
    expected = (reference / "cnda-responses" / file_name).read_bytes()
    # 2.04: the CNDA file breaks the XSD order; the simulator serves schema order (README).
    schema_order = file_name == "TEST_2.04_cas2.xml"
    assert canonical(resultat_of(served), schema_order) == canonical(resultat_of(expected), schema_order)


def test_cnda_2_04_file_is_not_schema_valid_but_the_served_form_is(reference, prod_client, resultat_schema):
    expected = resultat_of((reference / "cnda-responses" / "TEST_2.04_cas2.xml").read_bytes())
    assert not resultat_schema.validate(etree.ElementTree(expected))
    served = resultat_of(prod_client.post(traits_request(*CNDA_CASES["TEST_2.04_cas2.xml"])).data)
    resultat_schema.assertValid(etree.ElementTree(served))


ALL_TRAITS = [row[0] for row in FOUND] + NOT_FOUND_BUT_KNOWN + [("DE VINCI", "LEONARDO", "M", "2014-02-01", None)]


@pytest.mark.parametrize("traits", ALL_TRAITS, ids=[" ".join(filter(None, t)) for t in ALL_TRAITS])
def test_every_resultat_validates_against_the_official_xsd(prod_client, resultat_schema, traits):
    served = resultat_of(prod_client.post(traits_request(*traits)).data)
    resultat_schema.assertValid(etree.ElementTree(served))


def test_fault_detail_follows_the_siram_schema(fault_schema, tmp_path):
    client = SoapClient(make_simulator(tmp_path, authorized_idams=frozenset({"AUTHORIZED"})))
    response = client.post(traits_request("ADRUN", "ZOE", "F", "1975-12-31"))
    erreur = etree.fromstring(response.data).find(".//{urn:siram}Erreur")
    fault_schema.assertValid(etree.ElementTree(erreur))


def test_insi_102_reproduces_the_real_severite_fatal_deviation(fault_schema, qualif_client):
    response = qualif_client.post(traits_request("D'AEION", "COEUR", "M", "1987-01-25"))
    erreur = etree.fromstring(response.data).find(".//{urn:siram}Erreur")
    assert erreur.get("severite") == "fatal"
    assert not fault_schema.validate(etree.ElementTree(erreur))
    # the only deviation: with the documented value it validates
    erreur.set("severite", "fatale")
    fault_schema.assertValid(etree.ElementTree(erreur))
    assert parse_fault(response.data).detail_code == "insi_102"


def test_rule_answers_a_cnda_file_verbatim(reference, tmp_path):
    source = reference / "cnda-responses" / "TEST_2.04_cas2.xml"
    rules = tmp_path / "kit.yaml"
    rules.write_text(
        "rules:\n"
        "  - id: inject-2.04\n"
        "    when: {traits: {NomNaissance: KIT}}\n"
        f"    answer: {{raw_xml: '{source}'}}\n",
        encoding="utf-8",
    )
    client = SoapClient(make_simulator(tmp_path, rule_files=[rules]))
    response = client.post(traits_request("KIT", "X", "M", "2000-01-01"))
    assert response.status_code == 200
    assert response.data == source.read_bytes()
