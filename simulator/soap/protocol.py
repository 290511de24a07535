"""The INSi flavour of Spyne's SOAP 1.2 protocol.

Spyne, out of the box, expects a request body element in the application's
namespace and named after the method; INSi bodies live in their own
namespaces (``{…/INSiRecSans}RECSANSVITALE``). This protocol:

* parses requests with a hardened lxml parser (no DTD, no entities, no network);
* dispatches on the body element's qualified name, through a table built from
  the methods' declared input messages, and checks ``wsa:Action`` and the
  ``action`` parameter of the Content-Type against it;
* decodes the four header parts for the engine (:mod:`.headers`);
* writes answers in the observed wire layout (:mod:`.layout`) and every
  error, Spyne's own included, as a fault of the catalogue.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from lxml import etree  # noqa: E402
from spyne import Fault  # noqa: E402
from spyne.error import ResourceNotFoundError  # noqa: E402
from spyne.protocol.soap import Soap12  # noqa: E402

from ..engine.messages import Headers, InsiRequest, Operation, Resultat  # noqa: E402
from . import namespaces as ns  # noqa: E402
from . import spyne_compat  # noqa: F401
from .bodies import READERS
from .catalogue import CatalogueFault, FaultCatalogue  # noqa: E402
from .headers import decode_headers  # noqa: E402
from .layout import WireLayout
from .resultat_xml import resultat_element  # noqa: E402

log = logging.getLogger(__name__)


class InsiFault(Fault):
    """A fault of the catalogue, raised anywhere in the SOAP pipeline."""

    def __init__(self, key: str, why: str = ""):
        super().__init__(faultcode="Client", faultstring=why or key)
        self.key = key
        self.why = why


_RENDER_CACHE_SIZE = 4096


@dataclass
class RequestState:
    """What one request was and how it was answered: filled by the endpoint,
    the protocol and the service; read by the log line and the journal."""

    session: Any = None  # the engine Session
    content_type: str = ""  # of the HTTP request (its SOAP 1.2 "action" parameter is checked)
    rank: int = 0
    check_conformance: bool = True
    operation: Operation | None = None
    headers: Headers | None = None
    request: InsiRequest | None = None
    findings: list = field(default_factory=list)
    fault_key: str | None = None
    fault_why: str = ""
    code_cr: str | None = None
    reason: str = ""
    delay_ms: int = 0
    transport: Any = None  # an HttpAnswer, MalformedAnswer or DropAnswer to send instead


def request_state(ctx) -> RequestState:
    """The :class:`RequestState` of a Spyne method context (the endpoint sets it as ``ctx.udc``;
    one is created for a context that comes from elsewhere)."""
    if not isinstance(ctx.udc, RequestState):
        ctx.udc = RequestState()
    return ctx.udc


_PROLOG_SKIPS = ((b"<?", b"?>"), (b"<!--", b"-->"))
_PROLOG_SCAN_LIMIT = 64 * 1024


def _ascii_view(data: bytes) -> bytes:
    """The start of the document re-encoded as UTF-8 when it is UTF-16 (BOM or not)."""
    codec = None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        codec = "utf-16"
    elif data[:4] == b"<\x00?\x00":
        codec = "utf-16-le"
    elif data[:4] == b"\x00<\x00?":
        codec = "utf-16-be"
    if codec is None:
        return data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    return data[:_PROLOG_SCAN_LIMIT].decode(codec, errors="replace").encode("utf-8")


def _declares_dtd(data: bytes) -> bool:
    """True when the prolog (before the root element) holds a ``<!DOCTYPE``.

    Checked before parsing: libxml2 may reject an entity bomb as a syntax
    error first, and the client must learn that DTDs are refused, not that
    its XML is broken.
    """
    data = _ascii_view(data)
    position, size = 0, len(data)
    while position < size:
        while position < size and data[position : position + 1] in b" \t\r\n":
            position += 1
        for opening, closing in _PROLOG_SKIPS:
            if data.startswith(opening, position):
                end = data.find(closing, position + len(opening))
                position = size if end < 0 else end + len(closing)
                break
        else:
            return data.startswith(b"<!DOCTYPE", position)
    return False


def _action_parameter(content_type: str | None) -> str | None:
    """The SOAP 1.2 ``action`` parameter of a Content-Type header, if any."""
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "action":
            return value.strip().strip('"')
    return None


class InsiSoap12(Soap12):
    mime_type = "application/soap+xml; charset=utf-8"

    def __init__(self, catalogue: FaultCatalogue, layout: WireLayout, **kwargs):
        kwargs.setdefault("validator", "lxml")
        kwargs.setdefault("cleanup_namespaces", False)
        super().__init__(**kwargs)
        self.catalogue = catalogue
        self.layout = layout
        self.mime_type = layout.content_type
        self._operations: dict[str, tuple[Operation, str]] | None = None
        self._rendered: dict[Resultat, bytes] = {}
        self._local = threading.local()

    # -- input -----------------------------------------------------------

    def _parser(self) -> etree.XMLParser:
        """This thread's hardened parser (lxml parsers must not be shared between threads)."""
        parser = getattr(self._local, "parser", None)
        if parser is None:
            parser = etree.XMLParser(
                resolve_entities=False,
                no_network=True,
                load_dtd=False,
                dtd_validation=False,
                huge_tree=False,
                remove_comments=False,
            )
            self._local.parser = parser
        return parser

    def create_in_document(self, ctx, charset=None):
        data = b"".join(
            chunk if isinstance(chunk, bytes) else chunk.encode(charset or "utf-8") for chunk in ctx.in_string
        )
        if _declares_dtd(data):
            raise InsiFault("forbidden_dtd", "the request carries a DTD")
        try:
            root = etree.fromstring(data, parser=self._parser())
        except etree.XMLSyntaxError as error:
            raise InsiFault("malformed_xml", f"not well-formed XML: {error}") from None
        docinfo = root.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
            raise InsiFault("forbidden_dtd", "the request carries a DTD")
        ctx.in_document = root

    def _operation_table(self) -> dict[str, tuple[Operation, str]]:
        """Body element QName -> (operation, Spyne method key), from the interface."""
        if self._operations is None:
            table = {}
            for method_key, descriptors in self.app.interface.service_method_map.items():
                message = descriptors[0].in_message
                body_qname = ns.qname(message.Attributes.sub_ns, message.Attributes.sub_name)
                table[body_qname] = (Operation(descriptors[0].operation_name), method_key)
            self._operations = table
        return self._operations

    def decompose_incoming_envelope(self, ctx, message=Soap12.REQUEST):
        state = request_state(ctx)
        envelope = ctx.in_document
        if envelope.tag == ns.qname(ns.SOAP11_ENV, "Envelope"):
            raise InsiFault("soap_version_mismatch", "SOAP 1.1 envelope")
        if envelope.tag != ns.qname(ns.SOAP12_ENV, "Envelope"):
            raise InsiFault("malformed_xml", f"the root element is {envelope.tag}, not a SOAP 1.2 Envelope")
        header = envelope.find(ns.qname(ns.SOAP12_ENV, "Header"))
        body = envelope.find(ns.qname(ns.SOAP12_ENV, "Body"))
        payload = next((child for child in body if isinstance(child.tag, str)), None) if body is not None else None
        state.headers = decode_headers(header)
        if payload is None:
            raise InsiFault("unknown_operation", "empty or missing soap:Body")
        known = self._operation_table().get(payload.tag)
        if known is None:
            raise InsiFault("unknown_operation", f"no operation takes a {payload.tag} body")
        state.operation, method_key = known
        expected_action = ns.ACTION_PREFIX + state.operation.value
        sent_actions = [state.headers.action]
        sent_actions.append(_action_parameter(state.content_type))
        for action in sent_actions:
            if action and action != expected_action:
                raise InsiFault("action_mismatch", f"action {action} with a {payload.tag} body")
        ctx.in_header_doc = list(header) if header is not None else None
        ctx.in_body_doc = payload
        ctx.method_request_string = method_key
        self.validate_body(ctx, message)

    def deserialize(self, ctx, message):
        """The method's argument is the engine query read from the body.

        Headers were decoded in :meth:`decompose_incoming_envelope`; the body
        was validated there against the schema Spyne generates from the models.
        """
        self.event_manager.fire_event("before_deserialize", ctx)
        ctx.in_header = None
        ctx.in_object = READERS[ctx.in_body_doc.tag](ctx.in_body_doc)  # bare style: Spyne wraps it
        self.event_manager.fire_event("after_deserialize", ctx)

    # -- output ----------------------------------------------------------

    def catalogue_fault_for(self, error: BaseException) -> tuple[CatalogueFault, str]:
        """The catalogue entry for any error of the pipeline, and why."""
        if isinstance(error, InsiFault):
            return self.catalogue[error.key], error.why
        code = getattr(error, "faultcode", "") or ""
        text = getattr(error, "faultstring", "") or str(error)
        if code.endswith("SchemaValidationError"):
            return self.catalogue["schema_invalid"], text
        if code.endswith("XMLSyntaxError"):
            return self.catalogue["malformed_xml"], text
        if isinstance(error, ResourceNotFoundError):
            return self.catalogue["unknown_operation"], text
        if code.startswith("Client"):
            return self.catalogue["schema_invalid"], text
        log.error("internal error answered as a fault: %s %s", code, text)
        return self.catalogue["internal_error"], text

    def fault_to_http_response_code(self, fault):
        entry, _ = self.catalogue_fault_for(fault)
        return f"{entry.http_status} {_REASONS.get(entry.http_status, 'Error')}"

    def serialize(self, ctx, message):
        """Answers are written in :meth:`create_out_string`, from the engine's answer."""
        ctx.out_document = None

    def create_out_string(self, ctx, charset=None):
        state = request_state(ctx)
        if ctx.out_error is not None:
            entry, why = self.catalogue_fault_for(ctx.out_error)
            state.fault_key, state.fault_why = entry.key, why
            ctx.out_string = [self.layout.render_fault(entry)]
            return
        ctx.out_string = [self.render(ctx.out_object[0])]

    def render(self, resultat: Resultat) -> bytes:
        """The full answer for ``resultat`` in this protocol's layout (memoized:
        the same person always gets the same bytes)."""
        rendered = self._rendered.get(resultat)
        if rendered is None:
            rendered = self.layout.render_result(resultat_element(resultat, self.layout.result_nsmap))
            if len(self._rendered) >= _RENDER_CACHE_SIZE:
                self._rendered.clear()
            self._rendered[resultat] = rendered
        return rendered


_REASONS = {413: "Payload Too Large", 500: "Internal Server Error", 503: "Service Unavailable", 400: "Bad Request"}
