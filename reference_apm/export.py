"""Exports of a patient: an HL7 v2 PID segment and a FHIR Patient resource.

The matricule INS leaves the APM only with a qualified identity (insi-domain.md
§4): in PID-3 as ``<matricule+key>^^^&<OID>&ISO^INS``, in ``Patient.identifier``
with the system ``urn:oid:<OID>``. The value is the 15-character matricule INS
(13 characters and the key), as exchanges carry it.
"""

from __future__ import annotations

import json
from typing import Any

from simulator.identity.matricule import OID_INS_NIA

from .model import QUALIFIEE, Patient

LOCAL_ASSIGNER = "REFERENCE-APM"
LOCAL_SYSTEM = "urn:reference-apm:patient-id"
FORMATS = ("hl7", "fhir")

_HL7_ESCAPES = {"\\": "\\E\\", "|": "\\F\\", "^": "\\S\\", "&": "\\T\\", "~": "\\R\\"}


def exportable_ins(patient: Patient, exports_unqualified: bool = False) -> str | None:
    """The matricule INS to put in exchanges, or None when the identity may not carry it."""
    if patient.matricule is None or patient.oid is None:
        return None
    if patient.status != QUALIFIEE and not exports_unqualified:
        return None
    return patient.matricule + (patient.cle or "")


def _hl7(value: str | None) -> str:
    return "".join(_HL7_ESCAPES.get(char, char) for char in (value or ""))


def _hl7_date(date_lunaire: str) -> str:
    """YYYYMMDD; a lunar date (00 month or day) keeps only its known precision (YYYY or YYYYMM)."""
    year, month, day = (date_lunaire.split("-") + ["00", "00"])[:3]
    if month == "00":
        return year
    if day == "00":
        return year + month
    return year + month + day


def _fhir_date(date_lunaire: str) -> str | None:
    """FHIR ``date`` allows partial dates: the same precision rule as HL7."""
    compact = _hl7_date(date_lunaire)
    if not compact.isdigit():
        return None
    return "-".join(part for part in (compact[:4], compact[4:6], compact[6:8]) if part)


def hl7_pid(patient: Patient, exports_unqualified: bool = False) -> str:
    """One PID segment (HL7 v2.5): PID-3 identifiers, PID-5 birth name (type L), PID-7 birth date, PID-8 sex."""
    identifiers = [f"{_hl7(patient.id)}^^^{LOCAL_ASSIGNER}^PI"]
    matricule = exportable_ins(patient, exports_unqualified)
    if matricule is not None:
        identifiers.append(f"{_hl7(matricule)}^^^&{patient.oid}&ISO^INS")
    first, *others = patient.prenoms or [""]
    name = f"{_hl7(patient.nom_naissance)}^{_hl7(first)}^{_hl7(' '.join(others))}^^^^L"
    fields = ["PID", "1", "", "~".join(identifiers), "", name, "", _hl7_date(patient.date_naissance), patient.sexe]
    return "|".join(fields)


def fhir_patient(patient: Patient, exports_unqualified: bool = False) -> dict[str, Any]:
    identifiers: list[dict[str, Any]] = [{"use": "usual", "system": LOCAL_SYSTEM, "value": patient.id}]
    matricule = exportable_ins(patient, exports_unqualified)
    if matricule is not None:
        identifiers.append(
            {
                "use": "official",
                "type": {"coding": [{"code": "INS-NIA" if patient.oid == OID_INS_NIA else "INS-NIR"}]},
                "system": f"urn:oid:{patient.oid}",
                "value": matricule,
            }
        )
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": patient.id,
        "identifier": identifiers,
        "name": [{"use": "official", "family": patient.nom_naissance, "given": list(patient.prenoms)}],
        "gender": {"M": "male", "F": "female"}.get(patient.sexe, "unknown"),
    }
    birth_date = _fhir_date(patient.date_naissance)
    if birth_date:
        resource["birthDate"] = birth_date
    return resource


def export(patient: Patient, fmt: str, exports_unqualified: bool = False) -> dict[str, str]:
    """The test port's export answer: ``{"format", "content"}`` (FHIR as a JSON text)."""
    if fmt == "hl7":
        return {"format": "hl7", "content": hl7_pid(patient, exports_unqualified)}
    if fmt == "fhir":
        return {"format": "fhir", "content": json.dumps(fhir_patient(patient, exports_unqualified), ensure_ascii=False)}
    raise ValueError(f"unknown export format {fmt!r} (known: {', '.join(FORMATS)})")
