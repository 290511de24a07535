"""The error catalogue: every SOAP fault the simulator can answer, as data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..datafile import load_yaml

_TEXT = {"type": "string", "minLength": 1}

CATALOGUE_SCHEMA = {
    "type": "object",
    "required": ["faults"],
    "additionalProperties": False,
    "properties": {
        "faults": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "object",
                "required": ["prefix", "code", "subcode", "reason", "detail", "http_status"],
                "additionalProperties": False,
                "properties": {
                    "observed": {"type": "boolean"},
                    "trigger": {"type": "string"},
                    "prefix": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_.-]*$"},
                    "code": {
                        "enum": ["Sender", "Receiver", "VersionMismatch", "MustUnderstand", "DataEncodingUnknown"]
                    },
                    "subcode": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_.-]*$"},
                    "reason": {
                        "type": "object",
                        "required": ["lang", "text"],
                        "additionalProperties": False,
                        "properties": {"lang": _TEXT, "text": _TEXT},
                    },
                    "detail": {
                        "type": "object",
                        "required": ["code", "severite", "text"],
                        "additionalProperties": False,
                        "properties": {"code": _TEXT, "severite": _TEXT, "text": _TEXT},
                    },
                    "http_status": {"type": "integer", "minimum": 400, "maximum": 599},
                },
            },
        }
    },
}

# Keys the simulator itself relies on; a catalogue without them is refused.
REQUIRED_KEYS = (
    "desir_550",
    "insi_101",
    "insi_102",
    "lps_context_missing",
    "schema_invalid",
    "malformed_xml",
    "forbidden_dtd",
    "soap_version_mismatch",
    "unknown_operation",
    "action_mismatch",
    "request_too_large",
    "internal_error",
)


@dataclass(frozen=True)
class CatalogueFault:
    key: str
    prefix: str
    code: str
    subcode: str
    reason_lang: str
    reason_text: str
    detail_code: str
    detail_severite: str
    detail_text: str
    http_status: int
    observed: bool = False
    trigger: str = ""


class FaultCatalogue:
    def __init__(self, faults: dict[str, CatalogueFault]):
        self._faults = faults

    def __getitem__(self, key: str) -> CatalogueFault:
        return self._faults[key]

    def __contains__(self, key: str) -> bool:
        return key in self._faults

    def __iter__(self):
        return iter(self._faults.values())

    def keys(self) -> list[str]:
        return list(self._faults)

    @classmethod
    def load(cls, path: Path | str) -> FaultCatalogue:
        from ..datafile import DataFileError, line_of

        data = load_yaml(path, CATALOGUE_SCHEMA)
        missing = [key for key in REQUIRED_KEYS if key not in data["faults"]]
        if missing:
            raise DataFileError(path, line_of(data, ["faults"]), f"faults: missing entries {', '.join(missing)}")
        faults = {
            key: CatalogueFault(
                key=key,
                prefix=entry["prefix"],
                code=entry["code"],
                subcode=entry["subcode"],
                reason_lang=entry["reason"]["lang"],
                reason_text=entry["reason"]["text"],
                detail_code=entry["detail"]["code"],
                detail_severite=entry["detail"]["severite"],
                detail_text=entry["detail"]["text"],
                http_status=entry["http_status"],
                observed=entry.get("observed", False),
                trigger=entry.get("trigger", ""),
            )
            for key, entry in data["faults"].items()
        }
        return cls(faults)
