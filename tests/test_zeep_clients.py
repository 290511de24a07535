"""zeep, a strict WSDL-driven SOAP client, against the live simulator.

Two clients call both INSi operations over HTTP (waitress):

* one built from the simulator's own ``GET /lps?wsdl``;
* one built from the OFFICIAL ``DESIR_ICIR_EXP_1.5.0.wsdl``, its endpoint
  pointed at the simulator. That WSDL imports the WS-Addressing schema by URL;
  there is no network, so :class:`OfflineTransport` answers that URL with the
  small schema below (written for these tests).

The WSDL declares four header parts (Security, ContexteLPS, MessageID,
ContexteBAM) and passes them through ``_soapheaders``. ``wsa:Action`` is not a
part, and zeep does not read ``wsaw:Action`` in the 2006/02 namespace both WSDLs
use, so :class:`WsaActionPlugin` adds it from the operation's soapAction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pytest
import requests
from lxml import etree
from zeep import Client
from zeep.exceptions import Fault
from zeep.plugins import HistoryPlugin, Plugin
from zeep.transports import Transport
from zeep.wsdl.utils import get_or_create_header

from simulator.soap import namespaces as ns

BINDING = f"{{{ns.WEBSERVICE}}}ICIRServiceBinding"
OFFICIAL_WSDL = "DESIR_ICIR_EXP_1.5.0.wsdl"
WS_ADDRESSING_XSD_URL = "http://www.w3.org/2006/03/addressing/ws-addr.xsd"
TRAITS = "rechercherInsAvecTraitsIdentite"
VITALE = "rechercherInsAvecCarteVitale"
OID_NIR = "1.2.250.1.213.1.4.8"

# The WS-Addressing 1.0 header elements, as a client needs them to build and
# read headers: URI-valued blocks that accept foreign attributes, and the
# endpoint references of the reply/fault routing blocks.
WS_ADDRESSING_XSD = b"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:wsa="http://www.w3.org/2005/08/addressing"
           targetNamespace="http://www.w3.org/2005/08/addressing"
           elementFormDefault="qualified" attributeFormDefault="unqualified">
  <xs:complexType name="AttributedURIType">
    <xs:simpleContent>
      <xs:extension base="xs:anyURI">
        <xs:anyAttribute namespace="##other" processContents="lax"/>
      </xs:extension>
    </xs:simpleContent>
  </xs:complexType>
  <xs:complexType name="RelatesToType">
    <xs:simpleContent>
      <xs:extension base="xs:anyURI">
        <xs:attribute name="RelationshipType" type="xs:anyURI"
                      default="http://www.w3.org/2005/08/addressing/reply"/>
        <xs:anyAttribute namespace="##other" processContents="lax"/>
      </xs:extension>
    </xs:simpleContent>
  </xs:complexType>
  <xs:complexType name="OpenContentType">
    <xs:sequence>
      <xs:any namespace="##any" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
    <xs:anyAttribute namespace="##other" processContents="lax"/>
  </xs:complexType>
  <xs:complexType name="EndpointReferenceType">
    <xs:sequence>
      <xs:element name="Address" type="wsa:AttributedURIType"/>
      <xs:element name="ReferenceParameters" type="wsa:OpenContentType" minOccurs="0"/>
      <xs:element name="Metadata" type="wsa:OpenContentType" minOccurs="0"/>
      <xs:any namespace="##other" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
    <xs:anyAttribute namespace="##other" processContents="lax"/>
  </xs:complexType>
  <xs:element name="MessageID" type="wsa:AttributedURIType"/>
  <xs:element name="Action" type="wsa:AttributedURIType"/>
  <xs:element name="To" type="wsa:AttributedURIType"/>
  <xs:element name="RelatesTo" type="wsa:RelatesToType"/>
  <xs:element name="From" type="wsa:EndpointReferenceType"/>
  <xs:element name="ReplyTo" type="wsa:EndpointReferenceType"/>
  <xs:element name="FaultTo" type="wsa:EndpointReferenceType"/>
  <xs:element name="EndpointReference" type="wsa:EndpointReferenceType"/>
</xs:schema>
"""


class OfflineTransport(Transport):
    """Serves the WS-Addressing schema from memory; loads everything else as zeep does."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.loaded: list[str] = []

    def load(self, url):
        self.loaded.append(url)
        if url == WS_ADDRESSING_XSD_URL:
            return WS_ADDRESSING_XSD
        return super().load(url)


class WsaActionPlugin(Plugin):
    """Adds ``wsa:Action`` (the operation's soapAction) to every request."""

    def egress(self, envelope, http_headers, operation, binding_options):
        action = etree.SubElement(get_or_create_header(envelope), ns.qname(ns.WSA, "Action"), nsmap={"wsa": ns.WSA})
        action.text = operation.soapaction
        return envelope, http_headers


@dataclass
class Insi:
    """A zeep client, its service proxy on the live simulator, and what it sent."""

    client: Client
    service: object
    transport: OfflineTransport
    history: HistoryPlugin

    def call(self, operation: str, _headers: dict | None = None, **body):
        return getattr(self.service, operation)(**body, _soapheaders=_headers or soap_headers())

    def sent(self) -> etree._Element:
        return self.history.last_sent["envelope"]


def _make(wsdl: str) -> tuple[Client, OfflineTransport, HistoryPlugin]:
    transport = OfflineTransport(timeout=10, operation_timeout=10)
    history = HistoryPlugin()
    return Client(wsdl, transport=transport, plugins=[WsaActionPlugin(), history]), transport, history


@pytest.fixture(scope="module")
def simulator_wsdl_client(live_url) -> Insi:
    client, transport, history = _make(f"{live_url}/lps?wsdl")
    return Insi(client, client.service, transport, history)


@pytest.fixture(scope="module")
def official_wsdl_client(live_url, reference) -> Insi:
    client, transport, history = _make(str(reference / "wsdl" / OFFICIAL_WSDL))
    return Insi(client, client.create_service(BINDING, f"{live_url}/lps"), transport, history)


@pytest.fixture(params=["simulator-wsdl", "official-wsdl"])
def insi(request) -> Insi:
    return request.getfixturevalue(request.param.replace("-", "_") + "_client")


def soap_headers(instance: str | None = "0b6f4a52-zeep-test-instance") -> dict:
    """The WSDL header parts an LPS authenticated by software certificate sends (no wsse:Security)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    logiciel = {
        "IDAM": {"_value_1": "INSI-TEST-IDAM", "R": "4"},
        "Version": "4.2.0",
        "Nom": "urn:lps:zeep-test:4.2.0",
    }
    if instance is not None:
        logiciel["Instance"] = instance
    return {
        "NO1_ContexteLPS": {
            "Nature": "CTXLPS",
            "Version": "01_00",
            "Id": str(uuid.uuid4()),
            "Temps": now,
            "Emetteur": "zeep-test",
            "LPS": logiciel,
        },
        "NO1_MessageID": {"_value_1": f"uuid:{uuid.uuid4()}"},
        "NO1_ContexteBAM": {
            "Nature": "CTXBAM",
            "Version": "01_02",
            "Id": str(uuid.uuid4()),
            "Temps": now,
            "COUVERTURE": {},
        },
    }


def as_date(value) -> str:
    """``DateDeb``/``DateFin``: a string in the simulator's WSDL, an ``xsd:date`` in the official one."""
    return value.isoformat() if isinstance(value, dt.date) else value


def histo(resultat) -> list[tuple]:
    return [
        (h.IdIndividu.NumIdentifiant, h.IdIndividu.Cle, h.OID, as_date(h.DateDeb), as_date(h.DateFin))
        for h in resultat.INDIVIDU.INSHISTO
    ]


# -- the clients build from the WSDLs ------------------------------------------


def test_simulator_wsdl_gives_zeep_the_official_layout(simulator_wsdl_client, live_url):
    client = simulator_wsdl_client.client
    service = client.wsdl.services["ICIR-v1"]
    port = service.ports["ICIRService"]
    assert port.binding.name.text == BINDING
    assert port.binding_options["address"] == f"{live_url}/lps"
    for operation in (TRAITS, VITALE):
        bound = port.binding.get(operation)
        assert bound.soapaction == ns.ACTION_PREFIX + operation
        assert [name for name, _ in bound.input.header.type.elements] == [
            "NO1_Security",
            "NO1_ContexteLPS",
            "NO1_MessageID",
            "NO1_ContexteBAM",
        ]
    # self-contained: zeep fetched the WSDL and nothing else
    assert simulator_wsdl_client.transport.loaded == [f"{live_url}/lps?wsdl"]


def test_simulator_wsdl_qname_values_use_declared_prefixes(live_url):
    """What zeep first tripped on: ``type="s0:…"`` left without its ``xmlns:s0`` in the WSDL."""
    wsdl = etree.fromstring(requests.get(f"{live_url}/lps?wsdl", timeout=10).content)
    checked = 0
    for element in wsdl.iter(ns.qname(ns.XSD, "*")):
        for attribute in ("type", "base", "ref", "itemType", "memberTypes", "substitutionGroup"):
            for token in (element.get(attribute) or "").split():
                prefix = token.partition(":")[0] if ":" in token else None
                assert prefix in element.nsmap, f"{attribute}={token!r} on {element.get('name')}"
                checked += 1
    assert checked > 50


def test_official_wsdl_loads_offline(official_wsdl_client):
    loaded = official_wsdl_client.transport.loaded
    assert WS_ADDRESSING_XSD_URL in loaded
    remote = [url for url in loaded if url.startswith(("http:", "https:")) and url != WS_ADDRESSING_XSD_URL]
    assert remote == []


# -- rechercherInsAvecTraitsIdentite ---------------------------------------------


def test_traits_search_sends_the_four_headers(insi):
    insi.call(TRAITS, NomNaissance="ADRUN", Prenom=["ZOE"], Sexe="F", DateNaissance="1975-12-31", LieuNaissance="63220")
    header = insi.sent().find(f"{{{ns.SOAP12_ENV}}}Header")
    assert {etree.QName(child).localname for child in header} == {"ContexteLPS", "MessageID", "ContexteBAM", "Action"}
    assert header.findtext(ns.qname(ns.WSA, "Action")) == ns.ACTION_PREFIX + TRAITS
    assert header.findtext(ns.qname(ns.WSA, "MessageID")).startswith("uuid:")
    lps = header.find(f"{ns.qname(ns.CTX_LPS, 'ContexteLPS')}/{ns.qname(ns.CTX_LPS, 'LPS')}")
    assert [etree.QName(child).localname for child in lps] == ["IDAM", "Version", "Instance", "Nom"]
    assert lps.find(ns.qname(ns.CTX_LPS, "IDAM")).get("R") == "4"
    body = insi.sent().find(f"{{{ns.SOAP12_ENV}}}Body")[0]
    assert body.tag == ns.qname(ns.REC_SANS, "RECSANSVITALE")
    content_type = insi.history.last_sent["http_headers"]["Content-Type"]
    assert content_type == f'application/soap+xml; charset=utf-8; action="{ns.ACTION_PREFIX + TRAITS}"'


def test_traits_search_cr00(insi):
    resultat = insi.call(
        TRAITS, NomNaissance="ADRUN", Prenom=["ZOE"], Sexe="F", DateNaissance="1975-12-31", LieuNaissance="63220"
    )
    assert (resultat.CR.CodeCR, resultat.CR.LibelleCR) == ("00", "OK")
    actif = resultat.INDIVIDU.INSACTIF
    assert (actif.IdIndividu.NumIdentifiant, actif.IdIndividu.Cle, actif.OID) == ("2751263220749", "74", OID_NIR)
    assert histo(resultat) == []
    tiq = resultat.INDIVIDU.TIQ
    assert (tiq.NomNaissance, tiq.ListePrenom, tiq.Sexe, tiq.DateNaissance, tiq.LieuNaissance) == (
        "ADRUN",
        "ZOE",
        "F",
        "1975-12-31",
        "63220",
    )


def test_traits_search_with_one_inshisto(insi):
    resultat = insi.call(TRAITS, NomNaissance="ECETINSI", Prenom=["PIERRE-ALAIN"], Sexe="M", DateNaissance="2009-07-14")
    assert resultat.CR.CodeCR == "00"
    actif = resultat.INDIVIDU.INSACTIF
    assert (actif.IdIndividu.NumIdentifiant, actif.IdIndividu.Cle, actif.OID) == ("1090763220834", "89", OID_NIR)
    assert histo(resultat) == [("2090763220834", "39", OID_NIR, "2019-03-01", "2019-02-28")]
    tiq = resultat.INDIVIDU.TIQ
    assert (tiq.NomNaissance, tiq.ListePrenom, tiq.Sexe) == ("ECETINSI", "PIERRE-ALAIN MURIEL FLORIANT", "M")


def test_traits_search_with_two_inshisto(insi):
    resultat = insi.call(TRAITS, NomNaissance="ECETINSI", Prenom=["FLORIANT"], Sexe="M", DateNaissance="2009-07-14")
    assert resultat.CR.CodeCR == "00"
    assert resultat.INDIVIDU.INSACTIF.IdIndividu.NumIdentifiant == "1090763220834"
    assert histo(resultat) == [
        ("2090763220834", "39", OID_NIR, "2019-03-01", "2019-02-28"),
        ("2090663220123", "55", OID_NIR, None, None),
    ]


def test_traits_search_cr02_has_no_individu(insi):
    resultat = insi.call(TRAITS, NomNaissance="DE VINCI", Prenom=["LEONARDO"], Sexe="M", DateNaissance="2014-02-01")
    assert (resultat.CR.CodeCR, resultat.CR.LibelleCR) == ("02", "Plusieurs identites trouvees")
    assert resultat.INDIVIDU is None


def test_traits_search_cr01(insi):
    resultat = insi.call(TRAITS, NomNaissance="TCHITCHI", Prenom=["OLA"], Sexe="F", DateNaissance="1936-06-21")
    assert (resultat.CR.CodeCR, resultat.CR.LibelleCR) == ("01", "Aucune identite trouvee")
    assert resultat.INDIVIDU is None


# -- rechercherInsAvecCarteVitale ------------------------------------------------


def test_vitale_search_sends_the_vitale_body_and_action(insi):
    insi.call(VITALE, MatriculeOD={"NumIdentifiant": "2751263220749", "Cle": "74"}, DateNaissance="1975-12-31")
    header = insi.sent().find(f"{{{ns.SOAP12_ENV}}}Header")
    assert header.findtext(ns.qname(ns.WSA, "Action")) == ns.ACTION_PREFIX + VITALE
    body = insi.sent().find(f"{{{ns.SOAP12_ENV}}}Body")[0]
    assert body.tag == ns.qname(ns.REC_VIT, "RECVITALE")
    assert insi.history.last_sent["http_headers"]["Content-Type"].endswith(f'action="{ns.ACTION_PREFIX + VITALE}"')
    assert body.findtext(f"{ns.qname(ns.REC_VIT, 'MatriculeOD')}/{ns.qname(ns.REC_VIT, 'NumIdentifiant')}") == (
        "2751263220749"
    )


def test_vitale_search_holder(insi):
    resultat = insi.call(
        VITALE,
        MatriculeIndividu={"NumIdentifiant": "2751263220749", "Cle": "74"},
        MatriculeOD={"NumIdentifiant": "2751263220749", "Cle": "74"},
        NomNaissance="ADRUN",
        DateNaissance="1975-12-31",
        RangNaissance="1",
    )
    assert (resultat.CR.CodeCR, resultat.CR.LibelleCR) == ("00", "OK")
    actif = resultat.INDIVIDU.INSACTIF
    assert (actif.IdIndividu.NumIdentifiant, actif.IdIndividu.Cle, actif.OID) == ("2751263220749", "74", OID_NIR)
    tiq = resultat.INDIVIDU.TIQ
    assert (tiq.NomNaissance, tiq.ListePrenom, tiq.Sexe, tiq.DateNaissance) == ("ADRUN", "ZOE", "F", "1975-12-31")


def test_vitale_search_twin_by_rang(insi):
    resultat = insi.call(
        VITALE,
        MatriculeOD={"NumIdentifiant": "2850575112045"},
        NomNaissance="MARTIN",
        DateNaissance="2015-05-10",
        RangNaissance="2",
    )
    assert resultat.CR.CodeCR == "00"
    assert resultat.INDIVIDU.INSACTIF.IdIndividu.NumIdentifiant == "2150563220312"
    assert resultat.INDIVIDU.INSACTIF.OID == OID_NIR
    tiq = resultat.INDIVIDU.TIQ
    assert (tiq.NomNaissance, tiq.ListePrenom, tiq.Sexe, tiq.DateNaissance) == ("MARTIN", "LOUISE", "F", "2015-05-10")
    assert histo(resultat) == []


def test_vitale_search_twins_without_rang_cr02(insi):
    resultat = insi.call(VITALE, MatriculeOD={"NumIdentifiant": "2850575112045"}, DateNaissance="2015-05-10")
    assert (resultat.CR.CodeCR, resultat.CR.LibelleCR) == ("02", "Plusieurs identites trouvees")
    assert resultat.INDIVIDU is None


# -- faults ----------------------------------------------------------------------


@pytest.mark.parametrize("operation", [TRAITS, VITALE])
def test_incomplete_lps_context_raises_a_zeep_fault(insi, operation):
    body = (
        {"NomNaissance": "ADRUN", "Prenom": ["ZOE"], "Sexe": "F", "DateNaissance": "1975-12-31"}
        if operation == TRAITS
        else {"MatriculeOD": {"NumIdentifiant": "2751263220749"}, "DateNaissance": "1975-12-31"}
    )
    with pytest.raises(Fault) as raised:
        insi.call(operation, soap_headers(instance=None), **body)
    fault = raised.value
    assert fault.code == "soap:Sender"
    assert [subcode.localname for subcode in fault.subcodes] == ["sim_ctxlps"]
    assert fault.subcodes[0].namespace == ns.SOAP12_ENV
    assert fault.message
    erreur = fault.detail.find(ns.qname(ns.SIRAM, "Erreur"))
    assert (erreur.get("code"), erreur.get("severite")) == ("sim_ctxlps", "erreur")
    assert "Instance" in erreur.text
