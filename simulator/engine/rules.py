"""Scenario rules: answers chosen before the identity base is searched.

A rule matches on the operation, the IDAM and some traits, and answers with an
identity of the base (even one not searchable), a CodeCR, a catalogue fault or
a raw XML file served verbatim. The embedded rules (``scenarios/default.yaml``)
make the CNDA special cases reachable by documented traits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..datafile import DataFileError, line_of, load_yaml
from ..identity.base import IdentityBase
from ..identity.normalize import normalize_trait
from .messages import Answer, FaultAnswer, InsiRequest, Operation, RawXmlAnswer, Resultat

_TRAIT_NAMES = ["NomNaissance", "Prenom", "Sexe", "DateNaissance", "LieuNaissance"]

RULES_SCHEMA = {
    "type": "object",
    "required": ["rules"],
    "additionalProperties": False,
    "properties": {
        "description": {"type": "string"},
        "rules": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "answer"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "description": {"type": "string"},
                    "when": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "operation": {"enum": [op.value for op in Operation]},
                            "idam": {"type": "string"},
                            "traits": {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {name: {"type": "string"} for name in _TRAIT_NAMES},
                            },
                        },
                    },
                    "answer": {
                        "type": "object",
                        "minProperties": 1,
                        "maxProperties": 1,
                        "additionalProperties": False,
                        "properties": {
                            "identity": {"type": "string"},
                            "code_cr": {"enum": ["01", "02"]},
                            "fault": {"type": "string"},
                            "raw_xml": {"type": "string"},
                        },
                    },
                },
            },
        },
    },
}


@dataclass(frozen=True)
class Rule:
    id: str
    answer: Answer
    operation: Operation | None = None
    idam: str | None = None
    traits: dict[str, str] = field(default_factory=dict)
    description: str = ""

    def matches(self, request: InsiRequest) -> bool:
        if self.operation is not None and request.operation is not self.operation:
            return False
        if self.idam is not None and request.headers.idam != self.idam:
            return False
        if not self.traits:
            return True
        if request.traits is None:
            return False
        sent = request.traits
        for name, wanted in self.traits.items():
            if name == "Prenom":
                if wanted not in {normalize_trait(p) for p in sent.prenoms}:
                    return False
                continue
            value = {
                "NomNaissance": sent.nom_naissance,
                "Sexe": sent.sexe,
                "DateNaissance": sent.date_naissance,
                "LieuNaissance": sent.lieu_naissance,
            }[name]
            if normalize_trait(value) != wanted:
                return False
        return True


def load_rules(paths: Iterable[Path | str], base: IdentityBase, fault_keys: Iterable[str]) -> list[Rule]:
    """Load rule files, checking that every identity, fault and file they name exists."""
    fault_keys = set(fault_keys)
    rules: list[Rule] = []
    for path in map(Path, paths):
        data = load_yaml(path, RULES_SCHEMA)
        for index, row in enumerate(data["rules"]):
            where = ["rules", index, "answer"]
            answer_spec = row["answer"]
            answer: Answer
            if "identity" in answer_spec:
                identity = base.identities.get(answer_spec["identity"])
                if identity is None or identity.ins is None:
                    raise DataFileError(
                        path,
                        line_of(data, where),
                        f"rule {row['id']}: unknown identity (or one without INS) {answer_spec['identity']!r}",
                    )
                answer = Resultat.of("00", identity.individu())
            elif "code_cr" in answer_spec:
                answer = Resultat.of(answer_spec["code_cr"])
            elif "fault" in answer_spec:
                if answer_spec["fault"] not in fault_keys:
                    raise DataFileError(
                        path, line_of(data, where), f"rule {row['id']}: unknown fault {answer_spec['fault']!r}"
                    )
                answer = FaultAnswer(answer_spec["fault"])
            else:
                raw = (path.parent / answer_spec["raw_xml"]).resolve()
                if not raw.is_file():
                    raise DataFileError(path, line_of(data, where), f"rule {row['id']}: raw_xml file not found: {raw}")
                answer = RawXmlAnswer(raw)
            when = row.get("when", {})
            rules.append(
                Rule(
                    id=row["id"],
                    answer=answer,
                    operation=Operation(when["operation"]) if "operation" in when else None,
                    idam=when.get("idam"),
                    traits={name: normalize_trait(value) for name, value in when.get("traits", {}).items()},
                    description=row.get("description", ""),
                )
            )
    return rules
