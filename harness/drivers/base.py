"""The contract between the harness and an APM under test."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


class DriverError(RuntimeError):
    """The APM (or its driver) could not do what a step asked."""


@dataclass
class SearchOutcome:
    """What the APM reports after an INSi search it was asked to make."""

    outcome: str  # found | not_found | several | rejected | error
    code_cr: str | None = None
    message: str = ""
    patient: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SearchOutcome:
        return cls(
            outcome=data.get("outcome", ""),
            code_cr=data.get("code_cr"),
            message=data.get("message", ""),
            patient=data.get("patient") or {},
        )


@runtime_checkable
class ApmDriver(Protocol):
    """Every step of the accreditation features goes through these methods.

    Patients are dicts with: id, nom_naissance, prenoms, sexe, date_naissance,
    lieu_naissance, status (provisoire | recuperee | validee | qualifiee),
    matricule, cle, oid, ins_histo, last_code_cr, id_document.
    """

    def reset(self) -> None: ...

    def configure(self, insi_endpoint: str, idam: str | None = None) -> None: ...

    def create_patient(self, traits: dict[str, Any]) -> str: ...

    def record_id_document(self, patient_id: str, document_type: str, high_trust: bool = True) -> dict[str, Any]: ...

    def search_traits(
        self, patient_id: str, prenom: str | None = None, with_birth_place: bool = False, strategy: bool = False
    ) -> SearchOutcome: ...

    def search_vitale(self, patient_id: str, card: dict[str, Any]) -> SearchOutcome: ...

    def patient(self, patient_id: str) -> dict[str, Any]: ...

    def export(self, patient_id: str, fmt: str) -> str: ...

    def last_message(self) -> str: ...

    def close(self) -> None: ...


DRIVER_METHODS = (
    "reset",
    "configure",
    "create_patient",
    "record_id_document",
    "search_traits",
    "search_vitale",
    "patient",
    "export",
    "last_message",
    "close",
)
