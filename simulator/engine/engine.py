"""Decide the answer to one INSi request.

Order of decisions (first that applies wins):

1. ContexteLPS absent or incomplete (IDAM, Nom, Version, Instance) → fault
   ``lps_context_missing``;
2. IDAM not authorized (when the session lists authorized IDAM numbers) →
   fault ``desir_550``;
3. the first scenario rule that matches;
4. a search of the identity base: one person → CR 00 (or CR 01 for a row of
   the test base known to answer 01), several → CR 02, none → CR 01 in the
   ``production`` profile, the technical fault ``insi_102`` (traits) or
   ``insi_101`` (Vitale) in the ``qualification`` profile, as the real
   qualification environment does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from ..identity.base import FirstNameMatch, IdentityBase
from .messages import Decision, FaultAnswer, InsiRequest, Operation, Resultat
from .rules import Rule


class Profile(StrEnum):
    PRODUCTION = "production"
    QUALIFICATION = "qualification"


@dataclass
class Session:
    """What one run of the software under test sees (later: one per CI pipeline)."""

    id: str
    base: IdentityBase
    rules: list[Rule] = field(default_factory=list)
    profile: Profile = Profile.PRODUCTION
    first_names: FirstNameMatch = FirstNameMatch.FIRST_OR_LIST
    authorized_idams: frozenset[str] | None = None  # None: any non-empty IDAM


_ABSENT_FAULT = {Operation.TRAITS: "insi_102", Operation.VITALE: "insi_101"}


def decide(request: InsiRequest, session: Session) -> Decision:
    headers = request.headers
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
    if not headers.contexte_lps_present:
        return Decision(FaultAnswer("lps_context_missing"), "no ContexteLPS header")
    if missing:
        return Decision(FaultAnswer("lps_context_missing"), f"ContexteLPS without {', '.join(missing)}")
    if session.authorized_idams is not None and headers.idam not in session.authorized_idams:
        return Decision(FaultAnswer("desir_550"), f"IDAM {headers.idam} is not authorized")

    for rule in session.rules:
        if rule.matches(request):
            return Decision(rule.answer, f"rule {rule.id}")

    if request.operation is Operation.TRAITS:
        found = session.base.search_traits(request.traits, session.first_names)
    else:
        found = session.base.search_vitale(request.vitale)
    ids = tuple(identity.id for identity in found)

    if len(found) > 1:
        return Decision(Resultat.of("02"), "several identities", ids)
    if len(found) == 1:
        identity = found[0]
        if identity.code_cr == "01":
            return Decision(Resultat.of("01"), f"{identity.id} is known to answer 01", ids)
        return Decision(Resultat.of("00", identity.individu()), f"found {identity.id}", ids)
    if request.operation is Operation.TRAITS:
        known = session.base.knows_traits(request.traits)
    else:
        known = session.base.knows_card(request.vitale)
    if session.profile is Profile.QUALIFICATION and not known:
        return Decision(FaultAnswer(_ABSENT_FAULT[request.operation]), "absent from the test base (qualification)")
    return Decision(Resultat.of("01"), "no identity")
