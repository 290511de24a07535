"""The INSi service: both operations of the official WSDL, as a Spyne service.

Each method turns the Spyne request object into an engine request, asks the
engine, and turns the engine's answer back into a Spyne ``Resultat`` (or a
catalogue fault, or raw bytes served verbatim).
"""

from __future__ import annotations

from spyne import ServiceBase, rpc  # noqa: E402

from ..engine import engine  # noqa: E402
from ..engine.messages import (  # noqa: E402
    FaultAnswer,
    InsiRequest,
    Operation,
    RawXmlAnswer,
    TraitsQuery,
    VitaleQuery,
)
from . import models as m  # noqa: E402
from . import namespaces as ns  # noqa: E402
from . import spyne_compat  # noqa: F401
from .protocol import InsiFault, request_state  # noqa: E402

SESSION_KEY = "insi.session"  # WSGI environ key of the engine Session for this request


def _answer(ctx, request: InsiRequest) -> m.Resultat | None:
    state = request_state(ctx)
    session = ctx.transport.req_env[SESSION_KEY]
    decision = engine.decide(request, session)
    state.reason = decision.reason
    answer = decision.answer
    if isinstance(answer, FaultAnswer):
        raise InsiFault(answer.key, decision.reason)
    if isinstance(answer, RawXmlAnswer):
        ctx.out_string = [answer.path.read_bytes()]
        state.code_cr = "raw"
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
