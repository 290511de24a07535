"""The INSi service: both operations of the official WSDL, as a Spyne service.

Each method receives the engine query read from the body (see
:mod:`.bodies`), checks the request's conformance, asks the engine, and hands
its answer back to the protocol: a ``Resultat`` to write, a catalogue fault
to raise, raw bytes to send verbatim, or a broken answer for the endpoint.
"""

from __future__ import annotations

from spyne import ServiceBase, rpc  # noqa: E402

from ..conformance import ConformanceContext, check_request  # noqa: E402
from ..engine import engine  # noqa: E402
from ..engine.messages import (  # noqa: E402
    TRANSPORT_ANSWERS,
    FaultAnswer,
    InsiRequest,
    Operation,
    RawXmlAnswer,
    Resultat,
    TraitsQuery,
    VitaleQuery,
)
from . import models as m  # noqa: E402
from . import namespaces as ns  # noqa: E402
from . import spyne_compat  # noqa: F401
from .protocol import InsiFault, request_state  # noqa: E402


def _answer(ctx, request: InsiRequest) -> Resultat | None:
    """Check the request, let the engine decide, and hand the answer to the protocol."""
    state = request_state(ctx)
    session = state.session
    state.request = request
    seen = session.remember_message_id(request.headers.message_id)
    if state.check_conformance:
        context = ConformanceContext(seen_message_ids=seen, requires_security=session.requires_security)
        state.findings = check_request(request, context)
    decision = engine.decide(request, session, state.rank, bool(state.findings))
    state.reason = decision.reason
    state.delay_ms = decision.delay_ms
    answer = decision.answer
    if isinstance(answer, FaultAnswer):
        raise InsiFault(answer.key, decision.reason)
    if isinstance(answer, RawXmlAnswer):
        ctx.out_string = [answer.path.read_bytes()]
        state.code_cr = "raw"
        return None
    if isinstance(answer, TRANSPORT_ANSWERS):
        ctx.out_string = [b""]  # the endpoint sends the broken answer instead
        state.transport = answer
        return None
    state.code_cr = answer.code_cr
    return answer  # written by InsiSoap12.create_out_string


class InsiService(ServiceBase):
    @rpc(
        m.TraitsDIdentiteRecherche,
        _body_style="bare",
        _in_message_name=ns.qname(ns.REC_SANS, "RECSANSVITALE"),
        _returns=m.Resultat,
        _out_message_name=ns.qname(ns.RESULTAT, "RESULTAT"),
    )
    def rechercherInsAvecTraitsIdentite(ctx, traits: TraitsQuery):
        return _answer(ctx, InsiRequest(Operation.TRAITS, request_state(ctx).headers, traits=traits))

    @rpc(
        m.Beneficiaire,
        _body_style="bare",
        _in_message_name=ns.qname(ns.REC_VIT, "RECVITALE"),
        _returns=m.Resultat,
        _out_message_name=ns.qname(ns.RESULTAT, "RESULTAT"),
    )
    def rechercherInsAvecCarteVitale(ctx, beneficiaire: VitaleQuery):
        return _answer(ctx, InsiRequest(Operation.VITALE, request_state(ctx).headers, vitale=beneficiaire))
