"""The switchable defects of the reference APM.

The harness proves that it catches a non-conforming APM by running its test
plan against this one with a defect switched on. Each defect is one small,
isolated deviation in the code path, guarded by ``if "<name>" in defects``.
"""

from __future__ import annotations

from collections.abc import Iterable

DEFECTS: dict[str, str] = {
    "no-key-check": "accepts an INS whose key is invalid (CNDA 2.08 cas 2: HERMANN GATIEN is stored)",
    "inshisto-as-active": "stores the first INSHISTO (a former INS) as the INS instead of INSACTIF (CNDA 2.04)",
    "keeps-local-traits": "keeps the local strict traits instead of replacing them with the INS traits (TIQ)",
    "rejects-nia": "refuses an INS-NIA (OID 1.2.250.1.213.1.4.9) (CNDA 2.05)",
    "unnormalized-traits": "sends the traits as typed (lower case, accents) instead of normalizing them the INS way",
    "reuses-message-id": "sends the same wsa:MessageID on every call instead of a new one per call",
    "retries-on-fault": "retries a failed call (fault, HTTP error, timeout) up to 10 times in a row",
    "exports-unqualified": "exports the matricule INS (HL7 PID-3, FHIR identifier) of a non-qualified identity",
    "qualifies-without-document": "qualifies the identity once the INS is obtained, without a high-trust ID document",
    "treats-02-as-00": "reports CR 02 (several identities) as found and sets the status as if an INS was obtained",
    "ignores-incoherence": "replaces the local traits with the TIQ even when sex or birth date contradict them",
    "sends-all-first-names": "sends every birth first name as its own Prenom element in one traits search",
}

# Bound of the "retries-on-fault" loop: a broken APM, but one that terminates.
RETRY_BOUND = 10


def list_defects() -> list[tuple[str, str]]:
    """(name, what it breaks) for every defect the reference APM can switch on."""
    return list(DEFECTS.items())


def check_defects(defects: Iterable[str] | None) -> frozenset[str]:
    """The defects as a frozen set; an unknown name is an error (a typo must not run a correct APM)."""
    chosen = frozenset(defects or ())
    unknown = sorted(chosen - DEFECTS.keys())
    if unknown:
        raise ValueError(f"unknown defect(s) {', '.join(unknown)} (known: {', '.join(DEFECTS)})")
    return chosen
