"""The APM's INSi client: zeep, built from ``<endpoint>?wsdl``.

What an INS-aware client adds to what zeep does by itself:

* the four header parts of the WSDL, complete: ContexteLPS (IDAM R="4",
  Version, Instance, Nom ``urn:lps:reference-apm:<version>``), ContexteBAM,
  a new ``uuid:`` MessageID per call (no Security: the APM is meant to
  authenticate with a software certificate);
* ``wsa:Action``: not a WSDL part, and zeep does not read ``wsaw:Action``, so
  :class:`WsaActionPlugin` adds the operation's soapAction;
* one :class:`InsiError` for every way a call can fail (SOAP fault, HTTP error,
  timeout, connection, malformed answer), so that the caller has exactly one
  failure path to implement: tell the user, change nothing.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
from lxml import etree
from zeep import Client
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError
from zeep.plugins import Plugin
from zeep.transports import Transport
from zeep.wsdl.utils import get_or_create_header

WEBSERVICE_NS = "http://www.cnamts.fr/webservice"
WSA_NS = "http://www.w3.org/2005/08/addressing"
SIRAM_NS = "urn:siram"
BINDING = f"{{{WEBSERVICE_NS}}}ICIRServiceBinding"
ACTION_PREFIX = "urn:ServiceIdentiteCertifiee:1.0.0:"
TRAITS = "rechercherInsAvecTraitsIdentite"
VITALE = "rechercherInsAvecCarteVitale"
CODES_CR = ("00", "01", "02")


class InsiError(Exception):
    """A call that gave no usable answer. ``kind``: fault, http, timeout, network, malformed."""

    def __init__(self, kind: str, detail: str, code: str | None = None):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.code = code  # siram:Erreur code of a fault (insi_102…), HTTP status of an HTTP error


@dataclass(frozen=True)
class InsFound:
    """An INS of the answer (INSACTIF or INSHISTO)."""

    matricule: str
    cle: str | None
    oid: str
    date_deb: str | None = None
    date_fin: str | None = None


@dataclass(frozen=True)
class Tiq:
    """The INS traits of the answer."""

    nom_naissance: str
    prenoms: list[str]
    sexe: str
    date_naissance: str
    lieu_naissance: str | None


@dataclass(frozen=True)
class InsiAnswer:
    code_cr: str
    libelle_cr: str
    actif: InsFound | None = None
    histo: list[InsFound] = field(default_factory=list)
    tiq: Tiq | None = None


class _Transport(Transport):
    """zeep's transport, but an HTTP error that is not a SOAP answer stays an HTTP error.

    zeep reads any non-200 answer as a fault, and an HTML error page becomes an
    "Unknown fault" without its status; the user must be told what happened.
    """

    def post_xml(self, address, envelope, headers):
        response = super().post_xml(address, envelope, headers)
        media_type = response.headers.get("Content-Type", "").partition(";")[0].strip().lower()
        if response.status_code != 200 and not media_type.endswith("xml"):
            raise TransportError(
                f"HTTP {response.status_code}", status_code=response.status_code, content=response.content
            )
        return response


class WsaActionPlugin(Plugin):
    """Adds ``wsa:Action`` (the operation's soapAction) to every request."""

    def egress(self, envelope, http_headers, operation, binding_options):
        action = etree.SubElement(get_or_create_header(envelope), f"{{{WSA_NS}}}Action", nsmap={"wsa": WSA_NS})
        action.text = operation.soapaction or ACTION_PREFIX + operation.name
        return envelope, http_headers


@dataclass(frozen=True)
class LpsIdentity:
    """What the APM says about itself in ContexteLPS."""

    idam: str
    version: str
    instance: str
    name: str = "reference-apm"
    emetteur: str = "reference-apm"

    @property
    def nom(self) -> str:
        return f"urn:lps:{self.name}:{self.version}"


class InsiGateway:
    """zeep clients built lazily, one per endpoint, and the calls of the two INSi operations."""

    def __init__(self, timeout: float = 10.0, reuse_message_id: bool = False):
        self.timeout = timeout
        # Defect "reuses-message-id": the gateway keeps the first MessageID and sends it again.
        self.reuse_message_id = reuse_message_id
        self._reused_id: str | None = None
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    # -- the zeep client ------------------------------------------------------------------------

    def _service(self, endpoint: str):
        with self._lock:
            cached = self._clients.get(endpoint)
            service = cached[0] if cached else None
            if service is None:
                # an APM talks to one INSi endpoint at a time: drop (and close) the clients of the others,
                # else every reconfiguration leaves a keep-alive connection open on the old one
                self._close_clients()
                transport = _Transport(timeout=self.timeout, operation_timeout=self.timeout)
                try:
                    client = Client(f"{endpoint}?wsdl", transport=transport, plugins=[WsaActionPlugin()])
                except requests.Timeout as error:
                    raise InsiError("timeout", f"the INSi WSDL did not arrive within {self.timeout:g} s") from error
                except (requests.RequestException, ZeepError, etree.XMLSyntaxError, OSError) as error:
                    raise InsiError("network", f"the INSi WSDL could not be loaded: {error}") from error
                # The address in the WSDL is whatever the server wrote: call the configured endpoint.
                service = client.create_service(BINDING, endpoint)
                self._clients[endpoint] = (service, transport)
            return service

    def _close_clients(self) -> None:
        for _, transport in self._clients.values():
            transport.session.close()
        self._clients.clear()

    def close(self) -> None:
        """Close the HTTP connections of the INSi clients."""
        with self._lock:
            self._close_clients()

    def _message_id(self) -> str:
        if self.reuse_message_id:
            if self._reused_id is None:
                self._reused_id = f"uuid:{uuid.uuid4()}"
            return self._reused_id
        return f"uuid:{uuid.uuid4()}"

    def headers(self, lps: LpsIdentity) -> dict[str, Any]:
        now = datetime.now(UTC).replace(microsecond=0)
        return {
            "NO1_ContexteLPS": {
                "Nature": "CTXLPS",
                "Version": "01_00",
                "Id": str(uuid.uuid4()),
                "Temps": now,
                "Emetteur": lps.emetteur,
                "LPS": {
                    "IDAM": {"_value_1": lps.idam, "R": "4"},
                    "Version": lps.version,
                    "Instance": lps.instance,
                    "Nom": lps.nom,
                },
            },
            "NO1_MessageID": {"_value_1": self._message_id()},
            # COUVERTURE: empty for the traits search. What the Vitale search puts in it (card
            # data) is not in any public material, so it is not invented here.
            "NO1_ContexteBAM": {
                "Nature": "CTXBAM",
                "Version": "01_02",
                "Id": str(uuid.uuid4()),
                "Temps": now,
                "COUVERTURE": {},
            },
        }

    # -- the operations ------------------------------------------------------------------------

    def search_traits(self, endpoint: str, lps: LpsIdentity, body: dict[str, Any]) -> InsiAnswer:
        return self._call(endpoint, lps, TRAITS, body)

    def search_vitale(self, endpoint: str, lps: LpsIdentity, body: dict[str, Any]) -> InsiAnswer:
        return self._call(endpoint, lps, VITALE, body)

    def _call(self, endpoint: str, lps: LpsIdentity, operation: str, body: dict[str, Any]) -> InsiAnswer:
        service = self._service(endpoint)
        try:
            resultat = getattr(service, operation)(**body, _soapheaders=self.headers(lps))
        except Fault as fault:
            raise InsiError("fault", fault.message or "SOAP fault", _fault_code(fault)) from fault
        except requests.Timeout as error:
            raise InsiError("timeout", f"INSi did not answer within {self.timeout:g} s") from error
        except requests.RequestException as error:
            raise InsiError("network", f"INSi could not be reached: {error.__class__.__name__}") from error
        except TransportError as error:
            if error.status_code == 200:
                raise InsiError("malformed", "the INSi answer is not well-formed XML") from error
            raise InsiError("http", f"INSi answered HTTP {error.status_code}", str(error.status_code)) from error
        except (ZeepError, etree.XMLSyntaxError, ValueError) as error:
            raise InsiError("malformed", f"the INSi answer could not be read: {error}") from error
        return parse_resultat(resultat)


def _fault_code(fault: Fault) -> str | None:
    detail = fault.detail
    if isinstance(detail, etree._Element):
        erreur = detail.find(f"{{{SIRAM_NS}}}Erreur")
        if erreur is None:
            erreur = next(iter(detail.iter(f"{{{SIRAM_NS}}}Erreur")), None)
        if erreur is not None and erreur.get("code"):
            return erreur.get("code")
    subcodes = getattr(fault, "subcodes", None) or []
    return subcodes[0].localname if subcodes else None


def _text(value: Any) -> str | None:
    """A zeep value as text (``DateDeb`` is an ``xsd:date`` in the official WSDL, a string in the simulator's)."""
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _ins(value: Any, where: str) -> InsFound:
    id_individu = getattr(value, "IdIndividu", None)
    matricule = _text(getattr(id_individu, "NumIdentifiant", None))
    oid = _text(getattr(value, "OID", None))
    if not matricule or not oid:
        raise InsiError("malformed", f"{where} has no NumIdentifiant or no OID")
    return InsFound(
        matricule=matricule,
        cle=_text(getattr(id_individu, "Cle", None)),
        oid=oid,
        date_deb=_text(getattr(value, "DateDeb", None)),
        date_fin=_text(getattr(value, "DateFin", None)),
    )


def parse_resultat(resultat: Any) -> InsiAnswer:
    """RESULTAT as the APM needs it; anything an INS-aware APM cannot rely on is an :class:`InsiError`."""
    cr = getattr(resultat, "CR", None)
    code_cr = _text(getattr(cr, "CodeCR", None))
    if code_cr not in CODES_CR:
        raise InsiError("malformed", f"the INSi answer has an unknown CodeCR {code_cr!r}")
    libelle = _text(getattr(cr, "LibelleCR", None)) or ""
    if code_cr != "00":
        return InsiAnswer(code_cr, libelle)
    individu = getattr(resultat, "INDIVIDU", None)
    if individu is None or getattr(individu, "INSACTIF", None) is None:
        raise InsiError("malformed", "CR 00 without INDIVIDU/INSACTIF")
    tiq = getattr(individu, "TIQ", None)
    if tiq is None:
        raise InsiError("malformed", "CR 00 without the INS traits (TIQ)")
    liste = _text(getattr(tiq, "ListePrenom", None)) or _text(getattr(tiq, "Prenom", None)) or ""
    traits = Tiq(
        nom_naissance=_text(getattr(tiq, "NomNaissance", None)) or "",
        prenoms=liste.split(),
        sexe=_text(getattr(tiq, "Sexe", None)) or "",
        date_naissance=_text(getattr(tiq, "DateNaissance", None)) or "",
        lieu_naissance=_text(getattr(tiq, "LieuNaissance", None)),
    )
    if not (traits.nom_naissance and traits.prenoms and traits.sexe and traits.date_naissance):
        raise InsiError("malformed", "the INS traits (TIQ) lack a birth name, first name, sex or birth date")
    return InsiAnswer(
        code_cr,
        libelle,
        actif=_ins(individu.INSACTIF, "INSACTIF"),
        histo=[_ins(histo, "INSHISTO") for histo in (getattr(individu, "INSHISTO", None) or [])],
        tiq=traits,
    )
