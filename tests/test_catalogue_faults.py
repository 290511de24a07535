"""Every fault of the catalogue, in both profiles: SOAP shape, subcode, detail, HTTP status."""

from __future__ import annotations

import pytest
from lxml import etree

from simulator.config import fixture
from simulator.engine.engine import Profile
from simulator.soap.catalogue import FaultCatalogue

from .conftest import SoapClient, make_simulator
from .soap_helpers import TRAITS_ACTION, VITALE_ACTION, Envelope, Lps, parse_fault, traits_body, traits_request

CATALOGUE = FaultCatalogue.load(fixture("faults.yaml"))
ADRUN = ("ADRUN", "ZOE", "F", "1975-12-31")


def _unexpected_child() -> bytes:
    body = traits_body(*ADRUN)
    etree.SubElement(body, "{http://www.cnamts.fr/INSiRecSans}Inconnu").text = "x"
    return Envelope().build(body)


def _soap11() -> bytes:
    return (
        b'<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        b'<RECSANSVITALE xmlns="http://www.cnamts.fr/INSiRecSans"/></s:Body></s:Envelope>'
    )


def _unknown_body() -> bytes:
    return Envelope().build(etree.Element("{http://www.cnamts.fr/INSiRecSans}RECHERCHER"))


def _dtd() -> bytes:
    return b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'


# catalogue key -> (request bytes, settings for the simulator), for both profiles
TRIGGERS = {
    "desir_550": (traits_request(*ADRUN), {"authorized_idams": frozenset({"AUTHORIZED-IDAM"})}),
    "lps_context_missing": (traits_request(*ADRUN, lps=Lps(present=False)), {}),
    "schema_invalid": (_unexpected_child(), {}),
    "malformed_xml": (b"<soap:Envelope xmlns:soap='http://www.w3.org/2003/05/soap-envelope'><soap:Body>", {}),
    "forbidden_dtd": (_dtd(), {}),
    "soap_version_mismatch": (_soap11(), {}),
    "unknown_operation": (_unknown_body(), {}),
    "action_mismatch": (traits_request(*ADRUN, action=VITALE_ACTION), {}),
    "request_too_large": (traits_request(*ADRUN, lps=Lps(instance="x" * 5000)), {"max_body_bytes": 4096}),
}


def _check_shape(response, key):
    entry = CATALOGUE[key]
    assert response.status_code == entry.http_status
    assert response.headers["Content-Type"].startswith("application/soap+xml")
    fault = parse_fault(response.data)
    assert fault.code == f"{entry.prefix}:{entry.code}"
    assert fault.subcode == f"{entry.prefix}:{entry.subcode}"
    assert (fault.reason, fault.lang) == (entry.reason_text, entry.reason_lang)
    assert (fault.detail_code, fault.severite, fault.detail_text) == (
        entry.detail_code,
        entry.detail_severite,
        entry.detail_text,
    )
    assert response.data.startswith(f'<?xml version="1.0" encoding="UTF-8"?>\n<{entry.prefix}:Envelope '.encode())


@pytest.mark.parametrize("profile", list(Profile))
@pytest.mark.parametrize("key", sorted(TRIGGERS))
def test_catalogue_fault(tmp_path, profile, key):
    request, settings = TRIGGERS[key]
    client = SoapClient(make_simulator(tmp_path, profile=profile, **settings))
    _check_shape(client.post(request), key)


@pytest.mark.parametrize("missing", ["idam", "version", "instance", "nom"])
def test_each_missing_part_of_contexte_lps_is_a_fault(prod_client, missing):
    response = prod_client.post(traits_request(*ADRUN, lps=Lps(**{missing: None})))
    _check_shape(response, "lps_context_missing")


def test_authorized_idam_passes(tmp_path):
    client = SoapClient(make_simulator(tmp_path, authorized_idams=frozenset({"INSI-TEST-IDAM"})))
    response = client.post(traits_request(*ADRUN))
    assert response.status_code == 200


def test_matching_action_and_no_action_both_pass(prod_client):
    assert prod_client.post(traits_request(*ADRUN, action=TRAITS_ACTION)).status_code == 200
    assert prod_client.post(traits_request(*ADRUN, action=None)).status_code == 200


def test_internal_error_is_a_fault_never_a_traceback(tmp_path, monkeypatch):
    from simulator.soap import service

    def broken(request, session):
        raise RuntimeError("boom")

    monkeypatch.setattr(service.engine, "decide", broken)
    client = SoapClient(make_simulator(tmp_path))
    response = client.post(traits_request(*ADRUN))
    _check_shape(response, "internal_error")
    assert b"Traceback" not in response.data and b"boom" not in response.data


@pytest.mark.parametrize("key", ["insi_101", "insi_102", "desir_550", "schema_invalid"])
def test_a_rule_can_answer_any_catalogue_fault(tmp_path, key):
    rules = tmp_path / "faults.yaml"
    rules.write_text(
        f"rules:\n  - id: r\n    when: {{traits: {{NomNaissance: FAUTE}}}}\n    answer: {{fault: {key}}}\n"
    )
    client = SoapClient(make_simulator(tmp_path, rule_files=[rules]))
    _check_shape(client.post(traits_request("FAUTE", "X", "M", "2000-01-01")), key)


def test_profile_specific_faults(prod_client, qualif_client):
    absent_traits = traits_request("D'AEION", "COEUR", "M", "1987-01-25")
    _check_shape(qualif_client.post(absent_traits), "insi_102")
    assert prod_client.post(absent_traits).status_code == 200
