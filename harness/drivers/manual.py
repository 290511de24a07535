"""Drive an APM that has no API: a person does each step, guided by the harness.

The harness says what to do in the APM, waits (with a timeout) for the
request the APM must send to reach the simulator's session, then asks what
the APM shows. The SOAP evidence is captured by the simulator either way, so
any desktop APM can be assessed. Answers are read line by line from
``stdin`` (a scripted operator can feed them).
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from .base import DriverError, SearchOutcome

OUTCOMES = ("found", "not_found", "several", "rejected", "error")
STATUSES = ("provisoire", "recuperee", "validee", "qualifiee")
_FIELDS = (
    ("status", f"statut de l'identité ({'/'.join(STATUSES)})"),
    ("nom_naissance", "nom de naissance"),
    ("prenoms", "prénoms de naissance (séparés par des espaces)"),
    ("sexe", "sexe (M/F)"),
    ("date_naissance", "date de naissance (AAAA-MM-JJ)"),
    ("lieu_naissance", "lieu de naissance (code COG, vide si aucun)"),
    ("matricule", "matricule INS (vide si aucun)"),
    ("cle", "clé du matricule (vide si aucune)"),
    ("oid", "OID de l'INS (vide si aucun)"),
    ("ins_histo", "INS historiques gardés (matricules séparés par des espaces, vide si aucun)"),
)


class ManualDriver:
    def __init__(
        self,
        admin,
        timeout: float = 120.0,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        poll_interval: float = 0.2,
    ):
        self.admin = admin
        self.timeout = timeout
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.poll_interval = poll_interval
        self.session: str | None = None
        self._patient_cache: dict[str, dict[str, Any]] = {}
        self._message = ""
        self._count = 0

    # -- conversation ----------------------------------------------------

    def _say(self, text: str) -> None:
        self.stdout.write(f"\n[opérateur] {text}\n")
        self.stdout.flush()

    def _ask(self, question: str, choices: tuple[str, ...] | None = None) -> str:
        while True:
            self.stdout.write(f"  ? {question}: ")
            self.stdout.flush()
            line = self.stdin.readline()
            if not line:
                raise DriverError(f"no answer from the operator to: {question}")
            answer = line.strip()
            if choices is None or answer in choices:
                return answer
            self.stdout.write(f"    (one of: {', '.join(choices)})\n")

    def _done(self, instruction: str) -> None:
        self._say(instruction)
        self._ask("Entrée quand c'est fait")

    def _wait_for_request(self, what: str) -> dict[str, Any]:
        """Block until the session's journal has one more entry than before (or time out)."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            page = self.admin.journal(self.session, limit=1, offset=max(self._count, 0))
            if page["count"] > self._count:
                self._count = page["count"]
                return page["entries"][0]
            time.sleep(self.poll_interval)
        raise DriverError(f"no {what} reached the simulator within {self.timeout:.0f} s")

    # -- ApmDriver -------------------------------------------------------

    def bind_session(self, session: str) -> None:
        self.session = session
        self._count = self.admin.journal(session, limit=1)["count"]

    def reset(self) -> None:
        self._patient_cache.clear()
        self._message = ""
        self._done("Repartez d'un environnement de test vide dans l'APM (aucun patient).")

    def configure(self, insi_endpoint: str, idam: str | None = None) -> None:
        self._done(f"Réglez le point d'accès INSi de l'APM sur {insi_endpoint}")

    def create_patient(self, traits: dict[str, Any]) -> str:
        described = ", ".join(f"{key}={' '.join(v) if isinstance(v, list) else v}" for key, v in traits.items())
        self._say(f"Créez un patient avec les traits locaux: {described}")
        return self._ask("identifiant du patient dans l'APM") or f"patient-{len(self._patient_cache) + 1}"

    def record_id_document(self, patient_id: str, document_type: str, high_trust: bool = True) -> dict[str, Any]:
        trust = "à haut niveau de confiance" if high_trust else "à faible niveau de confiance"
        self._done(f"Enregistrez pour le patient {patient_id} la vérification d'un(e) {document_type} ({trust}).")
        self._patient_cache.pop(patient_id, None)
        return self.patient(patient_id)

    def _search(self, patient_id: str, instruction: str) -> SearchOutcome:
        self._patient_cache.pop(patient_id, None)
        self._say(instruction)
        entry = self._wait_for_request("INSi request")
        outcome = self._ask("que montre l'APM", OUTCOMES)
        self._message = self._ask("message affiché à l'utilisateur (vide si aucun)")
        return SearchOutcome(outcome, entry.get("code_cr"), self._message, {})

    def search_traits(
        self, patient_id: str, prenom: str | None = None, with_birth_place: bool = False, strategy: bool = False
    ) -> SearchOutcome:
        how = []
        if prenom:
            how.append(f"avec le prénom {prenom}")
        if with_birth_place:
            how.append("avec le lieu de naissance")
        if strategy:
            how.append("en suivant la stratégie de l'APM (autres prénoms, liste, lieu de naissance)")
        instruction = " ".join([f"Lancez la recherche INSi par traits du patient {patient_id}", *how])
        return self._search(patient_id, instruction)

    def search_vitale(self, patient_id: str, card: dict[str, Any]) -> SearchOutcome:
        described = ", ".join(f"{key}={value}" for key, value in card.items())
        return self._search(
            patient_id, f"Lancez la recherche INSi par carte Vitale du patient {patient_id}: {described}"
        )

    def patient(self, patient_id: str) -> dict[str, Any]:
        if patient_id not in self._patient_cache:
            self._say(f"Ouvrez le dossier du patient {patient_id} et recopiez ce qu'il affiche.")
            record: dict[str, Any] = {"id": patient_id}
            for key, question in _FIELDS:
                answer = self._ask(question, STATUSES if key == "status" else None)
                if key == "prenoms":
                    record[key] = answer.split()
                elif key == "ins_histo":
                    record[key] = [{"matricule": number} for number in answer.split()]
                else:
                    record[key] = answer or None
            self._patient_cache[patient_id] = record
        return self._patient_cache[patient_id]

    def export(self, patient_id: str, fmt: str) -> str:
        self._say(f"Exportez le patient {patient_id} au format {fmt} (segment PID HL7 ou ressource FHIR Patient).")
        return self._ask("contenu exporté (une ligne)")

    def last_message(self) -> str:
        return self._message

    def close(self) -> None:
        self._say("Fin de la campagne.")
