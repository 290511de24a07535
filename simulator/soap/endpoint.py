"""The SOAP endpoint as a WSGI application: HTTP checks, then Spyne.

Before a request reaches Spyne it must be a POST (else 405), carry a SOAP 1.2
Content-Type (else 415, with a text that says what was expected), and fit the
size limit (else the ``request_too_large`` fault, without reading the body).
``GET …?wsdl`` returns the WSDL with the URL the client used. Any error left,
even a bug, becomes a SOAP fault: a client never sees a traceback.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable, Iterable

from spyne import Application  # noqa: E402
from spyne import const as spyne_const  # noqa: E402
from spyne.server.wsgi import WsgiApplication  # noqa: E402

from ..engine.engine import Session  # noqa: E402
from . import namespaces as ns  # noqa: E402
from . import spyne_compat  # noqa: F401
from .catalogue import FaultCatalogue  # noqa: E402
from .layout import WireLayout  # noqa: E402
from .protocol import STATE_KEY, InsiSoap12, RequestState  # noqa: E402
from .service import SESSION_KEY, InsiService  # noqa: E402
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


def _text_response(start_response: StartResponse, status: str, text: str, extra: list | None = None) -> list[bytes]:
    body = (text + "\n").encode("utf-8")
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))] + (extra or [])
    )
    return [body]


class SoapEndpoint:
    def __init__(self, catalogue: FaultCatalogue, layout: WireLayout, max_body_bytes: int):
        self.catalogue = catalogue
        self.layout = layout
        self.max_body_bytes = max_body_bytes
        self.spyne_app = build_spyne_application(catalogue, layout)
        self._spyne_wsgi = WsgiApplication(self.spyne_app, chunked=True, max_content_length=max_body_bytes + 1)
        self._wsdl_cache: dict[str, bytes] = {}
        self._wsdl_lock = threading.Lock()

    # -- helpers ---------------------------------------------------------

    def wsdl(self, url: str) -> bytes:
        with self._wsdl_lock:
            if url not in self._wsdl_cache:
                self._wsdl_cache[url] = build_wsdl(self.spyne_app.interface, url)
            return self._wsdl_cache[url]

    def _fault(self, start_response: StartResponse, key: str, state: RequestState, why: str = "") -> list[bytes]:
        entry = self.catalogue[key]
        state.fault_key, state.fault_why = key, why
        body = self.layout.render_fault(entry)
        start_response(
            f"{entry.http_status} {'Payload Too Large' if entry.http_status == 413 else 'Internal Server Error'}",
            [("Content-Type", self.layout.content_type), ("Content-Length", str(len(body)))],
        )
        return [body]

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

    # -- WSGI ------------------------------------------------------------

    def __call__(self, environ: dict, start_response: StartResponse, session: Session) -> Iterable[bytes]:
        started = time.perf_counter()
        state = RequestState()
        try:
            return self._handle(environ, start_response, session, state)
        except Exception:  # noqa: BLE001 — the client must get a fault, the log gets the trace
            log.exception("unexpected error while answering a SOAP request")
            return self._fault(start_response, "internal_error", state, "unexpected error")
        finally:
            outcome = (
                f"fault={self.catalogue[state.fault_key].detail_code}"
                if state.fault_key
                else f"CodeCR={state.code_cr or '-'}"
            )
            log.info(
                "%s %s session=%s %.1fms",
                state.operation.value if state.operation else "-",
                outcome,
                session.id,
                (time.perf_counter() - started) * 1000,
            )

    def _handle(self, environ: dict, start_response: StartResponse, session: Session, state: RequestState):
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if method == "GET" and environ.get("QUERY_STRING", "").lower().split("=")[0] == "wsdl":
            body = self.wsdl(_request_url(environ))
            start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))])
            state.code_cr = "wsdl"
            return [body]
        if method != "POST":
            state.code_cr = "405"
            return _text_response(
                start_response,
                "405 Method Not Allowed",
                f"INSi takes SOAP 1.2 requests by POST (got {method}); GET ?wsdl for the WSDL.",
                [("Allow", "POST, GET")],
            )
        content_type = environ.get("CONTENT_TYPE", "")
        media_type = content_type.split(";")[0].strip().lower()
        if media_type != SOAP12_MEDIA_TYPE:
            state.code_cr = "415"
            hint = " (text/xml is SOAP 1.1; INSi speaks SOAP 1.2)" if media_type == "text/xml" else ""
            return _text_response(
                start_response,
                "415 Unsupported Media Type",
                f"Content-Type must be {SOAP12_MEDIA_TYPE}; charset=utf-8, got {content_type or 'none'}{hint}.",
            )
        body = self._read_body(environ)
        if body is None:
            return self._fault(start_response, "request_too_large", state, f"over {self.max_body_bytes} bytes")

        inner = dict(environ)
        inner["wsgi.input"] = io.BytesIO(body)
        inner["CONTENT_LENGTH"] = str(len(body))
        inner[SESSION_KEY] = session
        inner[STATE_KEY] = state
        captured: dict = {}

        def capture_start(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers

        chunks = list(self._spyne_wsgi(inner, capture_start))
        start_response(captured["status"], captured["headers"])
        return chunks
