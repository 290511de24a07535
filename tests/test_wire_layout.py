"""The bytes on the wire: clients parse INSi answers by regex on prefixes."""

from __future__ import annotations

from .conftest import SoapClient, make_simulator
from .soap_helpers import parse_resultat, traits_request

LIVE_PREFIX = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">'
    b'<env:Body xmlns:S="http://www.w3.org/2003/05/soap-envelope" xmlns:env="http://www.w3.org/2003/05/soap-envelope">'
    b'<RESULTAT xmlns="http://www.cnamts.fr/INSiResultat" xmlns:ns0="http://www.cnamts.fr/INSiRecVit" '
    b'xmlns:ns1="http://www.cnamts.fr/INSiRecSans"><CR><CodeCR>00</CodeCR><LibelleCR>OK</LibelleCR></CR>'
)


def test_success_reproduces_the_live_layout_byte_for_byte(prod_client):
    response = prod_client.post(traits_request("ADRUN", "ZOE", "F", "1975-12-31"))
    assert response.data.startswith(LIVE_PREFIX)
    assert response.data.endswith(b"</RESULTAT></env:Body></soap:Envelope>")
    assert response.headers["Content-Type"] == "application/soap+xml; charset=utf-8"


def test_libelle_cr_bytes_have_no_accents(prod_client):
    cr01 = prod_client.post(traits_request("NOBODY", "X", "M", "2000-01-01")).data
    assert b"<LibelleCR>Aucune identite trouvee</LibelleCR>" in cr01
    cr02 = prod_client.post(traits_request("DE VINCI", "LEONARDO", "M", "2014-02-01")).data
    assert b"<LibelleCR>Plusieurs identites trouvees</LibelleCR>" in cr02


def test_cnda_layout_uses_s_body_and_ns2_ns3(tmp_path):
    client = SoapClient(make_simulator(tmp_path, layout="cnda"))
    data = client.post(traits_request("ADRUN", "ZOE", "F", "1975-12-31")).data
    assert b'<S:Body xmlns:S="http://www.w3.org/2003/05/soap-envelope"><RESULTAT xmlns:ns3=' in data
    assert b"</S:Body></soap:Envelope>" in data
    assert parse_resultat(data).code_cr == "00"


def test_fault_prefixes_follow_the_catalogue(qualif_client, tmp_path):
    data = qualif_client.post(traits_request("D'AEION", "COEUR", "M", "1987-01-25")).data
    assert b"<S:Envelope " in data and b"<S:Value>S:Receiver</S:Value>" in data
    assert b"<S:Subcode><S:Value>S:siram_40</S:Value></S:Subcode>" in data
    assert b'<S:Text xml:lang="en">Le service est temporairement inaccessible.' in data
    client = SoapClient(make_simulator(tmp_path, authorized_idams=frozenset({"OTHER"})))
    data = client.post(traits_request("ADRUN", "ZOE", "F", "1975-12-31")).data
    assert b"<soap:Value>soap:Sender</soap:Value><soap:Subcode><soap:Value>soap:siram_100</soap:Value>" in data
    assert 'code="desir_550" severite="erreur">Numéro d\'autorisation du logiciel inconnu.'.encode() in data
