"""The INS rules of the reference APM (insi-domain.md §4), with its switchable defects.

Every user action on a patient makes at most one INSi call, except the search
strategy, which chains traits searches while INSi answers CR 01 (and stops at
the first other answer, a failure included). A failed call changes nothing in
the identity and is never retried — unless the defect ``retries-on-fault``
is switched on.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from simulator.identity.matricule import OID_INS_NIA, OID_INS_NIR, key_is_valid

from . import __version__
from .defects import RETRY_BOUND, check_defects
from .export import export as export_patient
from .insi import InsFound, InsiAnswer, InsiError, InsiGateway, LpsIdentity
from .model import InsIdentifier, Outcome, Patient, ins_trait, status_of
from .store import PatientStore

DEFAULT_IDAM = "INSI-HARNESS-REF"
ACCEPTED_OIDS = (OID_INS_NIR, OID_INS_NIA)


class NotConfigured(Exception):
    """No INSi endpoint: the test port answers 409."""


class UnknownPatient(KeyError):
    pass


@dataclass
class ActionResult:
    """What one user action on a patient gave: the test port's answer."""

    outcome: Outcome
    message: str
    patient: Patient
    code_cr: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"outcome": self.outcome.value, "message": self.message}
        if self.code_cr is not None:
            data["code_cr"] = self.code_cr
        data["patient"] = self.patient.to_json()
        return data


@dataclass(frozen=True)
class VitaleRead:
    """What was read on the Vitale card for the beneficiary (the test port sends it)."""

    date_naissance: str
    matricule_od: str | None = None
    matricule_individu: str | None = None
    nom_naissance: str | None = None
    rang_naissance: str | None = None


def _matricule(value: str) -> dict[str, str]:
    """13 characters, or 15 with the key, as RECVITALE's Matricule {NumIdentifiant, Cle?}."""
    value = value.strip().upper()
    if len(value) == 15:
        return {"NumIdentifiant": value[:13], "Cle": value[13:]}
    return {"NumIdentifiant": value}


class Registry:
    """The patient registry and what it does with INSi answers."""

    def __init__(
        self,
        store: PatientStore,
        defects: set[str] | frozenset[str] | None = None,
        timeout: float = 10.0,
        version: str = __version__,
    ):
        self.store = store
        self.defects = check_defects(defects)
        self.version = version
        self.gateway = InsiGateway(timeout=timeout, reuse_message_id="reuses-message-id" in self.defects)
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._locks_guard = threading.Lock()

    def close(self) -> None:
        """Close the INSi connections and the database."""
        self.gateway.close()
        self.store.close()

    # -- settings ----------------------------------------------------------------------------------

    @property
    def insi_endpoint(self) -> str | None:
        return self.store.get_meta("insi_endpoint")

    @property
    def idam(self) -> str:
        return self.store.get_meta("idam") or DEFAULT_IDAM

    def configure(self, insi_endpoint: str | None = None, idam: str | None = None) -> dict[str, Any]:
        if insi_endpoint is not None:
            self.store.set_meta("insi_endpoint", insi_endpoint.rstrip("?"))
        if idam is not None:
            self.store.set_meta("idam", idam)
        return self.config()

    def config(self) -> dict[str, Any]:
        return {
            "insi_endpoint": self.insi_endpoint,
            "idam": self.idam,
            "instance": self.store.instance,
            "version": self.version,
            "timeout_s": self.gateway.timeout,
            "defects": sorted(self.defects),
        }

    def lps(self) -> LpsIdentity:
        return LpsIdentity(idam=self.idam, version=self.version, instance=self.store.instance)

    # -- patients ------------------------------------------------------------------------------------

    def create_patient(
        self, nom_naissance: str, prenoms: list[str], sexe: str, date_naissance: str, lieu_naissance: str | None
    ) -> Patient:
        """A new local identity, provisional, with the traits as typed."""
        patient = Patient("", nom_naissance, list(prenoms), sexe, date_naissance, lieu_naissance)
        return self.store.add(patient)

    def patient(self, patient_id: str) -> Patient:
        patient = self.store.get(patient_id)
        if patient is None:
            raise UnknownPatient(patient_id)
        return patient

    def patients(self) -> list[Patient]:
        return self.store.all()

    def reset(self) -> None:
        self.store.reset()

    def attach_document(self, patient_id: str, document_type: str, high_trust: bool) -> Patient:
        """The identity was checked on an ID document; a high-trust one makes it validee or qualifiee."""
        with self._lock(patient_id):
            patient = self.patient(patient_id)
            patient.id_document = {"type": document_type, "high_trust": high_trust}
            self._set_status(patient)
            self._tell(
                patient,
                f"Identity checked on {document_type} ({'high' if high_trust else 'not high'} trust): "
                f"status {patient.status}.",
            )
            self.store.save(patient)
            return patient

    def last_message(self) -> str | None:
        return self.store.last_message()

    # -- INSi: traits search --------------------------------------------------------------------

    def search_traits(
        self, patient_id: str, prenom: str | None = None, with_birth_place: bool = False, strategy: bool = False
    ) -> ActionResult:
        if strategy:
            return self.search_with_strategy(patient_id, prenom, with_birth_place)
        with self._lock(patient_id):
            patient = self.patient(patient_id)
            first_name = prenom if prenom is not None else (patient.prenoms[0] if patient.prenoms else "")
            return self._traits_once(patient, first_name, with_birth_place)

    def search_with_strategy(
        self, patient_id: str, prenom: str | None = None, with_birth_place: bool = False
    ) -> ActionResult:
        """Traits searches while INSi answers CR 01: each birth first name in turn (from ``prenom``, or the
        first one), then the whole list, then the first birth first name with the birth place."""
        with self._lock(patient_id):
            patient = self.patient(patient_id)
            plan = self.strategy_plan(patient, prenom, with_birth_place)
            result: ActionResult | None = None
            for first_name, birth_place in plan:
                result = self._traits_once(patient, first_name, birth_place)
                if result.outcome is not Outcome.NOT_FOUND:
                    return result
            if result is None:  # no first name at all: one search with what there is
                return self._traits_once(patient, prenom or "", with_birth_place)
            self._tell(
                patient,
                f"No identity found after {len(plan)} searches (each birth first name, the whole list"
                f"{', the birth place' if patient.lieu_naissance else ''}): check the traits with the patient.",
            )
            result.message = patient.messages[-1]
            self.store.save(patient)
            return result

    @staticmethod
    def strategy_plan(patient: Patient, prenom: str | None, with_birth_place: bool) -> list[tuple[str, bool]]:
        """The (first name, with birth place) of each search of the strategy, in order.

        First names stay as typed here: the request normalizes them (so that the
        ``unnormalized-traits`` defect shows in the strategy's requests too).
        """
        names = [name for name in patient.prenoms if ins_trait(name)]
        start = prenom if prenom and ins_trait(prenom) else (names[0] if names else "")
        ordered = [start] + [name for name in names if ins_trait(name) != ins_trait(start)] if start else names
        plan = [(name, with_birth_place) for name in ordered]
        if len(names) > 1:
            plan.append((" ".join(names), with_birth_place))
        if patient.lieu_naissance and not with_birth_place and names:
            plan.append((names[0], True))
        return plan

    def _traits_once(self, patient: Patient, prenom: str, with_birth_place: bool) -> ActionResult:
        body = self.traits_body(patient, prenom, with_birth_place)
        answer = self._ask(lambda endpoint: self.gateway.search_traits(endpoint, self.lps(), body))
        return self._apply(patient, answer, "traits")

    def traits_body(self, patient: Patient, prenom: str, with_birth_place: bool) -> dict[str, Any]:
        """RECSANSVITALE: the traits normalized the INS way, ONE first name."""
        outgoing = self._outgoing
        if "sends-all-first-names" in self.defects:
            first_names = [outgoing(name) for name in patient.prenoms]
        else:
            first_names = [outgoing(prenom)]
        body: dict[str, Any] = {
            "NomNaissance": outgoing(patient.nom_naissance),
            "Prenom": first_names,
            "Sexe": patient.sexe,
            "DateNaissance": patient.date_naissance,
        }
        if with_birth_place and patient.lieu_naissance:
            body["LieuNaissance"] = patient.lieu_naissance
        return body

    def _outgoing(self, value: str) -> str:
        if "unnormalized-traits" in self.defects:
            return value
        return ins_trait(value)

    # -- INSi: Vitale search ---------------------------------------------------------------------

    def search_vitale(self, patient_id: str, card: VitaleRead) -> ActionResult:
        with self._lock(patient_id):
            patient = self.patient(patient_id)
            body: dict[str, Any] = {}
            if card.matricule_individu:
                body["MatriculeIndividu"] = _matricule(card.matricule_individu)
            if card.matricule_od:
                body["MatriculeOD"] = _matricule(card.matricule_od)
            if card.nom_naissance:
                body["NomNaissance"] = self._outgoing(card.nom_naissance)
            body["DateNaissance"] = card.date_naissance
            if card.rang_naissance:
                body["RangNaissance"] = card.rang_naissance
            answer = self._ask(lambda endpoint: self.gateway.search_vitale(endpoint, self.lps(), body))
            return self._apply(patient, answer, "vitale")

    # -- the call: at most one attempt per user action ------------------------------------------

    def _ask(self, call) -> InsiAnswer | InsiError:
        endpoint = self.insi_endpoint
        if not endpoint:
            raise NotConfigured("no INSi endpoint configured (POST /test-port/config)")
        attempts = RETRY_BOUND if "retries-on-fault" in self.defects else 1
        failure: InsiError | None = None
        for _ in range(attempts):
            try:
                return call(endpoint)
            except InsiError as error:
                failure = error
        assert failure is not None
        return failure

    # -- what the answer does to the identity ----------------------------------------------------

    def _apply(self, patient: Patient, answer: InsiAnswer | InsiError, search: str) -> ActionResult:
        if isinstance(answer, InsiError):
            return self._failed(patient, answer)
        if answer.code_cr == "01":
            hint = (
                "try another birth first name, the whole list of first names, then the birth place"
                if search == "traits"
                else "check the card and the birth date, or search with the traits"
            )
            return self._done(patient, Outcome.NOT_FOUND, "01", f"INSi found no identity (CR 01): {hint}.")
        if answer.code_cr == "02":
            if "treats-02-as-00" in self.defects:
                patient.ins_obtained = True
                self._set_status(patient)
                return self._done(patient, Outcome.FOUND, "02", "INS obtained from INSi.")
            hint = (
                "add the other birth first names, then the birth place"
                if search == "traits"
                else "give the birth rank (twins) or search with the traits"
            )
            message = f"INSi found several identities (CR 02): the identity is unchanged; {hint}."
            return self._done(patient, Outcome.SEVERAL, "02", message)
        return self._found(patient, answer)

    def _found(self, patient: Patient, answer: InsiAnswer) -> ActionResult:
        assert answer.actif is not None and answer.tiq is not None  # parse_resultat checks CR 00
        ins: InsFound = answer.actif
        if "inshisto-as-active" in self.defects and answer.histo:
            ins = answer.histo[0]
        refusal = self._refusal(patient, ins, answer)
        if refusal:
            return self._done(patient, Outcome.REJECTED, "00", f"The INS returned by INSi is not used: {refusal}.")
        patient.matricule, patient.cle, patient.oid = ins.matricule, ins.cle, ins.oid
        patient.ins_histo = [
            InsIdentifier(histo.matricule, histo.cle, histo.oid) for histo in answer.histo if histo is not ins
        ]
        if "keeps-local-traits" not in self.defects:
            tiq = answer.tiq
            patient.nom_naissance = tiq.nom_naissance
            patient.prenoms = list(tiq.prenoms)
            patient.sexe = tiq.sexe
            patient.date_naissance = tiq.date_naissance
            patient.lieu_naissance = tiq.lieu_naissance
        patient.ins_obtained = True
        self._set_status(patient)
        kind = "NIA" if ins.oid == OID_INS_NIA else "NIR"
        return self._done(
            patient,
            Outcome.FOUND,
            "00",
            f"INS obtained from INSi (INS-{kind} {ins.matricule} {ins.cle or ''}); the traits are the INS traits; "
            f"status {patient.status}.",
        )

    def _refusal(self, patient: Patient, ins: InsFound, answer: InsiAnswer) -> str | None:
        """Why this INS must not be stored, or None."""
        if ins.oid not in ACCEPTED_OIDS:
            return f"unknown OID {ins.oid}"
        if ins.oid == OID_INS_NIA and "rejects-nia" in self.defects:
            return "an INS-NIA is not accepted"
        if "no-key-check" not in self.defects and not key_is_valid(ins.matricule, ins.cle or ""):
            return f"the key {ins.cle} of {ins.matricule} is invalid"
        tiq = answer.tiq
        assert tiq is not None
        if "ignores-incoherence" not in self.defects:
            differences = [
                label
                for label, local, returned in (
                    ("sex", patient.sexe, tiq.sexe),
                    ("birth date", patient.date_naissance, tiq.date_naissance),
                )
                if local != returned
            ]
            if differences:
                return (
                    f"its traits contradict the local identity ({', '.join(differences)}); "
                    "the automatic update is stopped, check the identity with the patient"
                )
            if patient.matricule and (patient.matricule, patient.oid) != (ins.matricule, ins.oid):
                return f"the identity already has another INS ({patient.matricule}); check the identity"
        return None

    def _failed(self, patient: Patient, error: InsiError) -> ActionResult:
        what = {
            "fault": f"INSi answered an error ({error.code or 'SOAP fault'}: {error.detail})",
            "http": f"INSi answered HTTP {error.code}",
            "timeout": error.detail,
            "network": error.detail,
            "malformed": f"the INSi answer could not be used ({error.detail})",
        }.get(error.kind, error.detail)
        return self._done(
            patient, Outcome.ERROR, None, f"{what}. The identity is unchanged; try again later.", keep_code=False
        )

    def _done(
        self, patient: Patient, outcome: Outcome, code_cr: str | None, message: str, keep_code: bool = True
    ) -> ActionResult:
        """Record the outcome and the message; the identity fields were changed (or not) by the caller."""
        patient.last_outcome = outcome.value
        patient.last_code_cr = code_cr if keep_code else None
        self._tell(patient, message)
        self.store.save(patient)
        return ActionResult(outcome, message, patient, code_cr)

    def _set_status(self, patient: Patient) -> None:
        if "qualifies-without-document" in self.defects and patient.ins_obtained:
            patient.status = status_of(True, True)
            return
        patient.status = status_of(patient.ins_obtained, patient.high_trust_document)

    def _tell(self, patient: Patient, message: str) -> None:
        patient.tell(message)
        self.store.add_message(message, patient.id)

    def _lock(self, patient_id: str) -> threading.Lock:
        """One user action at a time on a patient (an INSi call is between read and write)."""
        with self._locks_guard:
            return self._locks[patient_id]

    # -- exports -------------------------------------------------------------------------------------

    def export(self, patient_id: str, fmt: str) -> dict[str, str]:
        """HL7 PID or FHIR Patient; the INS only for a qualified identity."""
        patient = self.patient(patient_id)
        exports_unqualified = "exports-unqualified" in self.defects
        return export_patient(patient, fmt, exports_unqualified)
