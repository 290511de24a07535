"""Decide the answer to one INSi request.

Order of decisions (first that applies wins):

1. a fault injected in the session through the admin API (next N matching requests);
2. ContexteLPS absent or incomplete (IDAM, Nom, Version, Instance) → fault
   ``lps_context_missing``;
3. IDAM not authorized (the simulator's list, or the IDAM the session is
   bound to) → fault ``desir_550``;
4. the first scenario rule that matches (embedded rules, then active packs);
5. a search of the session's identities: one person → CR 00 (or CR 01 for a
   row of the test base known to answer 01), several → CR 02, none → CR 01 in
   the ``production`` profile. The ``qualification`` profile behaves as the
   real qualification environment was seen to: CR 01 when the base knows
   someone with that birth name, sex and birth date (TCHITCHI with Prenom
   OLA), but the technical fault ``insi_102`` (traits) or ``insi_101``
   (Vitale) for a person it does not know at all (it has no SNGI branch).

A rule or an injection may also only add a delay: the answer is then decided
by the next steps and sent late.
"""

from __future__ import annotations

from .messages import Decision, FaultAnswer, InsiRequest, Operation, Resultat
from .rules import answer_of
from .session import Profile, Session

__all__ = ["Profile", "Session", "decide"]

_ABSENT_FAULT = {Operation.TRAITS: "insi_102", Operation.VITALE: "insi_101"}


def decide(request: InsiRequest, session: Session, rank: int = 1, has_findings: bool = False) -> Decision:
    delay = 0
    delayed_by: list[str] = []

    def known() -> bool:
        return _known(request, session)

    injected = session.take_injection(request, rank, has_findings, known)
    if injected is not None:
        injection, step = injected
        delay = step.delay_ms
        answer = answer_of(step, session.identities)
        if answer is not None:
            return Decision(answer, f"injected {injection.id} ({injection.rule.id})", delay_ms=delay)
        if delay:
            delayed_by.append(f"injected {injection.id} ({injection.rule.id})")

    decision = _decide_from_headers(request, session)
    if decision is None:
        for rule in session.rules:
            if rule.matches(request, rank, has_findings, known):
                step = session.hit(rule)
                if step.delay_ms:
                    delay = max(delay, step.delay_ms)
                    delayed_by.append(f"rule {rule.id}")
                answer = answer_of(step, session.identities)
                if answer is not None:
                    decision = Decision(answer, f"rule {rule.id}")
                    break
    if decision is None:
        decision = _search(request, session)
    decision.delay_ms = max(decision.delay_ms, delay)
    if delayed_by:
        decision.reason += f"; delayed {decision.delay_ms} ms by {', '.join(delayed_by)}"
    return decision


def _decide_from_headers(request: InsiRequest, session: Session) -> Decision | None:
    headers = request.headers
    if not headers.contexte_lps_present:
        return Decision(FaultAnswer("lps_context_missing"), "no ContexteLPS header")
    missing = [
        name
        for name, value in (
            ("IDAM", headers.idam),
            ("Nom", headers.lps_nom),
            ("Version", headers.lps_version),
            ("Instance", headers.lps_instance),
        )
        if not value
    ]
    if missing:
        return Decision(FaultAnswer("lps_context_missing"), f"ContexteLPS without {', '.join(missing)}")
    if session.authorized_idams is not None and headers.idam not in session.authorized_idams:
        return Decision(FaultAnswer("desir_550"), "IDAM not authorized")
    if session.idam is not None and headers.idam != session.idam:
        return Decision(FaultAnswer("desir_550"), "IDAM other than the session's")
    return None


def _known(request: InsiRequest, session: Session) -> bool:
    """Does the base know someone with these birth name, sex and birth date (or this card)?"""
    if request.operation is Operation.TRAITS:
        return session.identities.knows_traits(request.traits)
    return session.identities.knows_card(request.vitale)


def _search(request: InsiRequest, session: Session) -> Decision:
    identities = session.identities
    if request.operation is Operation.TRAITS:
        found = identities.search_traits(request.traits, session.first_names)
    else:
        found = identities.search_vitale(request.vitale)
    ids = tuple(identity.id for identity in found)
    if len(found) > 1:
        return Decision(Resultat.of("02"), "several identities", ids)
    if len(found) == 1:
        identity = found[0]
        if identity.code_cr == "01":
            return Decision(Resultat.of("01"), f"{identity.id} is known to answer 01", ids)
        return Decision(Resultat.of("00", identity.individu()), f"found {identity.id}", ids)
    if session.profile is Profile.QUALIFICATION and not _known(request, session):
        return Decision(FaultAnswer(_ABSENT_FAULT[request.operation]), "absent from the test base (qualification)")
    return Decision(Resultat.of("01"), "no identity")
