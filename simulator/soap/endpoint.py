"""The SOAP endpoint as a WSGI application: HTTP checks, then Spyne.

Before a request reaches Spyne it must be a POST (else 405), carry a SOAP 1.2
Content-Type (else 415, with a text that says what was expected), and fit the
size limit (else the ``request_too_large`` fault, without reading the body).
``GET …?wsdl`` returns the WSDL with the URL the client used. Any error left,
even a bug, becomes a SOAP fault: a client never sees a traceback.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from spyne import Application  # noqa: E402
from spyne import const as spyne_const  # noqa: E402
from spyne.context import MethodContext  # noqa: E402
from spyne.server import ServerBase  # noqa: E402

from ..conformance import check_unparsed  # noqa: E402
from ..engine.messages import HttpAnswer, MalformedAnswer, Resultat  # noqa: E402
from ..engine.session import Session  # noqa: E402
from ..store.journal import JournalEntry, Store  # noqa: E402
from . import namespaces as ns  # noqa: E402
from . import spyne_compat  # noqa: F401
from .catalogue import FaultCatalogue  # noqa: E402
from .layout import WireLayout  # noqa: E402
from .protocol import InsiSoap12, RequestState  # noqa: E402
from .resultat_xml import resultat_element  # noqa: E402
from .service import InsiService  # noqa: E402
from .wsdl import build_wsdl  # noqa: E402

log = logging.getLogger("insi.soap")

StartResponse = Callable[..., object]

SOAP12_MEDIA_TYPE = "application/soap+xml"


def build_spyne_application(catalogue: FaultCatalogue, layout: WireLayout) -> Application:
    # Spyne runs a full gc.collect() at the end of a request once a second
    # (spyne.context, MIN_GC_INTERVAL): a 10-15 ms pause of every thread that
    # shows in the p99 latency. Python's own generational collector is enough.
    spyne_const.MIN_GC_INTERVAL = float("inf")
    return Application(
        [InsiService],
        tns=ns.WEBSERVICE,
        name="ICIR-v1",
        in_protocol=InsiSoap12(catalogue, layout),
        out_protocol=InsiSoap12(catalogue, layout),
    )


def _request_url(environ: dict) -> str:
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    return f"{scheme}://{host}{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}"


class SpynePipeline(ServerBase):
    """Spyne's request pipeline without its WSGI layer (the endpoint already did the HTTP part):
    parse, dispatch, validate, call the service, serialize — each step Spyne's own."""

    transport = "http://schemas.xmlsoap.org/soap/http"

    def answer(self, body: bytes, state: RequestState) -> tuple[str, bytes]:
        ctx = MethodContext(self, MethodContext.SERVER)
        ctx.udc = state
        ctx.in_string = [body]
        context = self.generate_contexts(ctx)[0]
        if context.in_error is None:
            self.get_in_object(context)
        if context.in_error is None:
            self.get_out_object(context)
        error = context.in_error or context.out_error
        if error is not None:
            context.out_error = error
            context.out_string = None
        self.get_out_string(context)
        answer = b"".join(context.out_string)
        context.close()
        if error is None:
            return "200 OK", answer
        return self.app.out_protocol.fault_to_http_response_code(error), answer


class DropConnection(Exception):  # noqa: N818 — an order, not an error
    """Raised to close the client's connection without any answer (the server
    layer turns it into its own way of dropping a connection)."""


@dataclass
class Reply:
    status: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def code(self) -> int:
        return int(self.status.split(" ", 1)[0])


_HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Service Unavailable</title></head>"
    b"<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request.</p>"
    b"</body></html>"
)
_HTTP_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def _text_reply(status: str, text: str, extra: list | None = None) -> Reply:
    body = (text + "\n").encode("utf-8")
    return Reply(status, [("Content-Type", "text/plain; charset=utf-8")] + (extra or []), body)


class SoapEndpoint:
    def __init__(
        self,
        catalogue: FaultCatalogue,
        layout: WireLayout,
        max_body_bytes: int,
        journal: Store | None = None,
        check_conformance: bool = True,
    ):
        self.catalogue = catalogue
        self.layout = layout
        self.max_body_bytes = max_body_bytes
        self.journal = journal
        self.check_conformance = check_conformance
        self.spyne_app = build_spyne_application(catalogue, layout)
        self._spyne = SpynePipeline(self.spyne_app)
        self._wsdl_cache: dict[str, bytes] = {}
        self._wsdl_lock = threading.Lock()

    # -- helpers ---------------------------------------------------------

    def wsdl(self, url: str) -> bytes:
        with self._wsdl_lock:
            if url not in self._wsdl_cache:
                self._wsdl_cache[url] = build_wsdl(self.spyne_app.interface, url)
            return self._wsdl_cache[url]

    def _fault(self, key: str, state: RequestState, why: str = "") -> Reply:
        entry = self.catalogue[key]
        state.fault_key, state.fault_why = key, why
        status = f"{entry.http_status} {'Payload Too Large' if entry.http_status == 413 else 'Internal Server Error'}"
        return Reply(status, [("Content-Type", self.layout.content_type)], self.layout.render_fault(entry))

    def _read_body(self, environ: dict) -> bytes | None:
        """The request body, or ``None`` when it is over the limit (never reads more)."""
        limit = self.max_body_bytes
        length_text = environ.get("CONTENT_LENGTH") or ""
        stream = environ["wsgi.input"]
        if length_text.strip():
            try:
                length = int(length_text)
            except ValueError:
                length = -1
            if length > limit:
                return None
            if length >= 0:
                return stream.read(length)
        data = stream.read(limit + 1)
        return None if len(data) > limit else data

    def _broken(self, answer) -> Reply:
        """The reply for a transport-level answer of a rule or an injected fault."""
        if isinstance(answer, HttpAnswer):
            status = f"{answer.status} {_HTTP_REASONS.get(answer.status, 'Error')}"
            if answer.body == "html":
                return Reply(status, [("Content-Type", "text/html; charset=utf-8")], _HTML_PAGE)
            return Reply(status, [], b"")
        if isinstance(answer, MalformedAnswer):
            whole = self.layout.render_result(resultat_element(Resultat.of("01"), self.layout.result_nsmap))
            body = whole[: len(whole) * 2 // 3] if answer.kind == "truncated" else b"Internal error <br> try later"
            return Reply("200 OK", [("Content-Type", self.layout.content_type)], body)
        raise DropConnection()

    # -- WSGI ------------------------------------------------------------

    def __call__(self, environ: dict, start_response: StartResponse, session: Session) -> Iterable[bytes]:
        started = time.perf_counter()
        started_at = datetime.now(UTC)
        state = RequestState(session=session, check_conformance=self.check_conformance)
        body = b""
        reply: Reply | None = None
        try:
            body, reply = self._handle(environ, session, state)
            if state.delay_ms:
                time.sleep(state.delay_ms / 1000)
            if state.transport is not None:
                reply = self._broken(state.transport)
        except DropConnection:
            reply = None
        except Exception:  # noqa: BLE001 — the client must get a fault, the log gets the trace
            log.exception("unexpected error while answering a SOAP request")
            reply = self._fault("internal_error", state, "unexpected error")
        duration_ms = (time.perf_counter() - started) * 1000
        self._log(state, session, duration_ms)
        self._record(session, state, started_at, duration_ms, body, reply)
        if reply is None:
            raise DropConnection()
        start_response(reply.status, reply.headers + [("Content-Length", str(len(reply.body)))])
        return [reply.body]

    def _log(self, state: RequestState, session: Session, duration_ms: float) -> None:
        if state.fault_key:
            outcome = f"fault={self.catalogue[state.fault_key].detail_code}"
        elif state.transport is not None:
            outcome = f"broken={type(state.transport).__name__}"
        else:
            outcome = f"CodeCR={state.code_cr or '-'}"
        operation = state.operation.value if state.operation else "-"
        log.info("%s %s session=%s %.1fms", operation, outcome, session.id, duration_ms)

    def _record(self, session, state: RequestState, started_at, duration_ms: float, body: bytes, reply) -> None:
        if self.journal is None or state.rank == 0:  # rank 0: a WSDL download, not a request
            return
        findings = state.findings
        if state.fault_key and state.request is None and self.check_conformance:
            findings = check_unparsed(state.fault_key, state.fault_why)
        self.journal.append(
            JournalEntry(
                session=session.id,
                time=started_at.isoformat(timespec="microseconds"),
                operation=state.operation.value if state.operation else None,
                rank=state.rank,
                http_status=reply.code if reply is not None else 0,
                duration_ms=round(duration_ms, 3),
                request=body,
                response=reply.body if reply is not None else b"",
                code_cr=state.code_cr if state.code_cr in ("00", "01", "02") else None,
                fault=self.catalogue[state.fault_key].detail_code if state.fault_key else None,
                traits=_traits_of(state.request),
                headers=dict(vars(state.headers)) if state.headers is not None else {},
                findings=[finding.to_dict() for finding in findings],
                answer=_answer_label(state),
            )
        )

    def _handle(self, environ: dict, session: Session, state: RequestState) -> tuple[bytes, Reply]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if method == "GET" and environ.get("QUERY_STRING", "").lower().split("=")[0] == "wsdl":
            state.code_cr = "wsdl"
            return b"", Reply("200 OK", [("Content-Type", "text/xml; charset=utf-8")], self.wsdl(_request_url(environ)))
        state.rank = session.next_rank()
        if method != "POST":
            state.code_cr = "405"
            return b"", _text_reply(
                "405 Method Not Allowed",
                f"INSi takes SOAP 1.2 requests by POST (got {method}); GET ?wsdl for the WSDL.",
                [("Allow", "POST, GET")],
            )
        content_type = environ.get("CONTENT_TYPE", "")
        media_type = content_type.split(";")[0].strip().lower()
        if media_type != SOAP12_MEDIA_TYPE:
            state.code_cr = "415"
            hint = " (text/xml is SOAP 1.1; INSi speaks SOAP 1.2)" if media_type == "text/xml" else ""
            return b"", _text_reply(
                "415 Unsupported Media Type",
                f"Content-Type must be {SOAP12_MEDIA_TYPE}; charset=utf-8, got {content_type or 'none'}{hint}.",
            )
        body = self._read_body(environ)
        if body is None:
            return b"", self._fault("request_too_large", state, f"over {self.max_body_bytes} bytes")

        state.content_type = content_type
        status, answer = self._spyne.answer(body, state)
        return body, Reply(status, [("Content-Type", self.layout.content_type)], answer)


def _traits_of(request) -> dict:
    if request is None:
        return {}
    if request.traits is not None:
        sent = request.traits
        values = {
            "NomNaissance": sent.nom_naissance,
            "Prenom": list(sent.prenoms),
            "Sexe": sent.sexe,
            "DateNaissance": sent.date_naissance,
            "LieuNaissance": sent.lieu_naissance,
        }
    else:
        values = request.vitale.by_element()
    return {name: value for name, value in values.items() if value not in (None, [])}


def _answer_label(state: RequestState) -> str:
    if state.transport is not None:
        return f"{type(state.transport).__name__} ({state.reason})"
    if state.fault_key and not state.reason:
        return f"fault {state.fault_key}: {state.fault_why}"
    return state.reason
