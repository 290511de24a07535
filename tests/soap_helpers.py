"""Build INSi requests and read answers in tests (lxml, no string templates)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from lxml import etree

from simulator.soap import namespaces as ns

CONTENT_TYPE = "application/soap+xml; charset=utf-8"
TRAITS_ACTION = ns.ACTION_PREFIX + "rechercherInsAvecTraitsIdentite"
VITALE_ACTION = ns.ACTION_PREFIX + "rechercherInsAvecCarteVitale"


def _sub(parent, namespace, local, text=None, **attrib):
    element = etree.SubElement(parent, ns.qname(namespace, local), **attrib)
    if text is not None:
        element.text = text
    return element


@dataclass
class Lps:
    """The ContexteLPS an APM sends; ``None`` leaves a part out."""

    idam: str | None = "INSI-TEST-IDAM"
    version: str | None = "1.0"
    instance: str | None = "6f1c0c4e-0000-4000-8000-000000000001"
    nom: str | None = "urn:lps:apm-test:1.0"
    present: bool = True


@dataclass
class Envelope:
    lps: Lps = field(default_factory=Lps)
    action: str | None = TRAITS_ACTION
    message_id: str | None = field(default_factory=lambda: f"uuid:{uuid.uuid4()}")
    bam: bool = True
    security: bool = False

    def build(self, body: etree._Element) -> bytes:
        envelope = etree.Element(ns.qname(ns.SOAP12_ENV, "Envelope"), nsmap={"soap": ns.SOAP12_ENV})
        header = _sub(envelope, ns.SOAP12_ENV, "Header")
        if self.lps.present:
            ctx = _sub(header, ns.CTX_LPS, "ContexteLPS", Nature="CTXLPS", Version="01_00")
            _sub(ctx, ns.CTX_LPS, "Id", str(uuid.uuid4()))
            _sub(ctx, ns.CTX_LPS, "Temps", "2026-12-04T10:00:00")
            _sub(ctx, ns.CTX_LPS, "Emetteur", "test")
            lps = _sub(ctx, ns.CTX_LPS, "LPS")
            if self.lps.idam is not None:
                _sub(lps, ns.CTX_LPS, "IDAM", self.lps.idam, R="4")
            if self.lps.version is not None:
                _sub(lps, ns.CTX_LPS, "Version", self.lps.version)
            if self.lps.instance is not None:
                _sub(lps, ns.CTX_LPS, "Instance", self.lps.instance)
            if self.lps.nom is not None:
                _sub(lps, ns.CTX_LPS, "Nom", self.lps.nom)
        if self.bam:
            bam = _sub(header, ns.CTX_BAM, "ContexteBAM", Version="01_02")
            _sub(bam, ns.CTX_BAM, "Id", str(uuid.uuid4()))
            _sub(bam, ns.CTX_BAM, "Temps", "2026-12-04T10:00:00")
            _sub(bam, ns.CTX_BAM, "COUVERTURE")
        if self.action is not None:
            _sub(header, ns.WSA, "Action", self.action)
        if self.message_id is not None:
            _sub(header, ns.WSA, "MessageID", self.message_id)
        if self.security:
            security = _sub(header, ns.WSSE, "Security")
            _sub(security, ns.SAML, "Assertion", ID="_1")
        soap_body = _sub(envelope, ns.SOAP12_ENV, "Body")
        soap_body.append(body)
        return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def traits_body(nom=None, prenoms=(), sexe=None, date=None, lieu=None) -> etree._Element:
    body = etree.Element(ns.qname(ns.REC_SANS, "RECSANSVITALE"), nsmap={None: ns.REC_SANS})
    if nom is not None:
        _sub(body, ns.REC_SANS, "NomNaissance", nom)
    for prenom in [prenoms] if isinstance(prenoms, str) else prenoms:
        _sub(body, ns.REC_SANS, "Prenom", prenom)
    if sexe is not None:
        _sub(body, ns.REC_SANS, "Sexe", sexe)
    if date is not None:
        _sub(body, ns.REC_SANS, "DateNaissance", date)
    if lieu is not None:
        _sub(body, ns.REC_SANS, "LieuNaissance", lieu)
    return body


def vitale_body(individu=None, od=None, nom=None, date=None, rang=None) -> etree._Element:
    body = etree.Element(ns.qname(ns.REC_VIT, "RECVITALE"), nsmap={None: ns.REC_VIT})
    for local, number in (("MatriculeIndividu", individu), ("MatriculeOD", od)):
        if number is not None:
            matricule = _sub(body, ns.REC_VIT, local)
            _sub(matricule, ns.REC_VIT, "NumIdentifiant", number)
    if nom is not None:
        _sub(body, ns.REC_VIT, "NomNaissance", nom)
    if date is not None:
        _sub(body, ns.REC_VIT, "DateNaissance", date)
    if rang is not None:
        _sub(body, ns.REC_VIT, "RangNaissance", rang)
    return body


def traits_request(nom=None, prenoms=(), sexe=None, date=None, lieu=None, **envelope) -> bytes:
    return Envelope(**envelope).build(traits_body(nom, prenoms, sexe, date, lieu))


def vitale_request(individu=None, od=None, nom=None, date=None, rang=None, **envelope) -> bytes:
    envelope.setdefault("action", VITALE_ACTION)
    return Envelope(**envelope).build(vitale_body(individu, od, nom, date, rang))


# -- reading answers ---------------------------------------------------------

R = {"r": ns.RESULTAT}


def _t(element, path):
    found = element.find(path, {"r": ns.RESULTAT})
    return None if found is None else found.text


@dataclass
class InsAnswer:
    num: str
    cle: str | None
    oid: str
    date_deb: str | None
    date_fin: str | None


def _ins(element) -> InsAnswer:
    return InsAnswer(
        num=_t(element, "r:IdIndividu/r:NumIdentifiant"),
        cle=_t(element, "r:IdIndividu/r:Cle"),
        oid=_t(element, "r:OID"),
        date_deb=_t(element, "r:DateDeb"),
        date_fin=_t(element, "r:DateFin"),
    )


@dataclass
class ResultatAnswer:
    code_cr: str
    libelle_cr: str
    ins: InsAnswer | None
    histo: list[InsAnswer]
    tiq: dict[str, str | None]
    element: etree._Element


def parse_resultat(data: bytes) -> ResultatAnswer:
    root = etree.fromstring(data)
    resultat = root.find(f"{{{ns.SOAP12_ENV}}}Body/r:RESULTAT", R)
    assert resultat is not None, data
    individu = resultat.find("r:INDIVIDU", R)
    return ResultatAnswer(
        code_cr=_t(resultat, "r:CR/r:CodeCR"),
        libelle_cr=_t(resultat, "r:CR/r:LibelleCR"),
        ins=_ins(individu.find("r:INSACTIF", R)) if individu is not None else None,
        histo=[_ins(h) for h in individu.findall("r:INSHISTO", R)] if individu is not None else [],
        tiq=(
            {child.tag.split("}")[1]: child.text for child in individu.find("r:TIQ", R)} if individu is not None else {}
        ),
        element=resultat,
    )


@dataclass
class FaultAnswer:
    code: str
    subcode: str
    reason: str
    lang: str
    detail_code: str
    severite: str
    detail_text: str


def parse_fault(data: bytes) -> FaultAnswer:
    root = etree.fromstring(data)
    e = {"e": ns.SOAP12_ENV, "siram": ns.SIRAM}
    fault = root.find("e:Body/e:Fault", e)
    assert fault is not None, data
    text = fault.find("e:Reason/e:Text", e)
    erreur = fault.find("e:Detail/siram:Erreur", e)
    return FaultAnswer(
        code=fault.findtext("e:Code/e:Value", namespaces=e),
        subcode=fault.findtext("e:Code/e:Subcode/e:Value", namespaces=e),
        reason=text.text,
        lang=text.get(ns.qname(ns.XML, "lang")),
        detail_code=erreur.get("code"),
        severite=erreur.get("severite"),
        detail_text=erreur.text,
    )
