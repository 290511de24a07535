"""Scenario rules: answers chosen before the identity base is searched.

A rule matches on the operation, the IDAM, traits, the call's rank in the
session, and whether the request broke a conformance rule. It answers with an
identity of the base (even one not searchable), a CodeCR, a catalogue fault, a
raw XML file served verbatim, a broken HTTP answer, a dropped connection, or
just a delay before the normal answer. A ``sequence`` answers its items one
after the other, the last one repeating (first call 01, second call 00…).

Rules come in *packs* (YAML files in ``scenarios/``); the same rules, with a
count, are what the admin API injects as faults.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..datafile import DataFileError, line_of, load_yaml
from ..identity.normalize import normalize_trait
from .messages import (
    Answer,
    DropAnswer,
    FaultAnswer,
    HttpAnswer,
    InsiRequest,
    MalformedAnswer,
    Operation,
    RawXmlAnswer,
    Resultat,
)

TRAIT_NAMES = ["NomNaissance", "Prenom", "Sexe", "DateNaissance", "LieuNaissance"]
VITALE_NAMES = ["MatriculeIndividu", "MatriculeOD", "NomNaissance", "DateNaissance", "RangNaissance"]

_ANSWER_PROPERTIES: dict[str, Any] = {
    "identity": {"type": "string", "minLength": 1},
    "code_cr": {"enum": ["01", "02"]},
    "fault": {"type": "string", "minLength": 1},
    "raw_xml": {"type": "string", "minLength": 1},
    "http": {
        "type": "object",
        "required": ["status"],
        "additionalProperties": False,
        "properties": {
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "body": {"enum": ["empty", "html"]},
        },
    },
    "malformed": {"enum": ["truncated", "not-xml"]},
    "drop": {"const": True},
    "delay_ms": {"type": "integer", "minimum": 0, "maximum": 600000},
}
_KINDS = ["identity", "code_cr", "fault", "raw_xml", "http", "malformed", "drop"]

ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        **_ANSWER_PROPERTIES,
        "sequence": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "minProperties": 1,
                "properties": _ANSWER_PROPERTIES,
            },
        },
    },
}

WHEN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "operation": {"enum": [op.value for op in Operation]},
        "idam": {"type": "string"},
        "call": {"type": "integer", "minimum": 1},
        "calls": {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1},
        "has_findings": {"type": "boolean"},
        "in_base": {"type": "boolean"},
        "vitale": {
            "type": "object",
            "additionalProperties": False,
            "properties": {name: {"type": "string"} for name in VITALE_NAMES},
        },
        "traits": {
            "type": "object",
            "additionalProperties": False,
            "properties": {name: {"type": "string"} for name in TRAIT_NAMES},
        },
    },
}

RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "answer"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "cnda": {"type": "string"},
        "when": WHEN_SCHEMA,
        "answer": ANSWER_SCHEMA,
    },
}

RULES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["rules"],
    "additionalProperties": False,
    "properties": {
        "description": {"type": "string"},
        "rules": {"type": "array", "items": RULE_SCHEMA},
    },
}


@dataclass(frozen=True)
class AnswerStep:
    """One answer of a rule: what to answer (``None``: the normal answer) and a delay."""

    kind: str | None  # one of _KINDS, or None
    value: Any = None
    delay_ms: int = 0


@dataclass(frozen=True)
class When:
    operation: Operation | None = None
    idam: str | None = None
    calls: frozenset[int] | None = None
    has_findings: bool | None = None
    in_base: bool | None = None  # does the session's base know this birth name/sex/date (or card)?
    traits: tuple[tuple[str, str], ...] = ()
    vitale: tuple[tuple[str, str], ...] = ()

    def matches(self, request: InsiRequest, rank: int, has_findings: bool, known=None) -> bool:
        """``known()`` tells whether the session's base knows the person (asked only when needed)."""
        if self.operation is not None and request.operation is not self.operation:
            return False
        if self.idam is not None and request.headers.idam != self.idam:
            return False
        if self.calls is not None and rank not in self.calls:
            return False
        if self.has_findings is not None and has_findings != self.has_findings:
            return False
        if self.in_base is not None and (known is None or known() != self.in_base):
            return False
        if self.vitale and not self._vitale_matches(request):
            return False
        if not self.traits:
            return True
        sent = request.traits
        if sent is None:
            return False
        for name, wanted in self.traits:
            if name == "Prenom":
                if wanted not in {normalize_trait(p) for p in sent.prenoms}:
                    return False
            elif normalize_trait(getattr(sent, _TRAIT_FIELDS[name])) != wanted:
                return False
        return True

    def _vitale_matches(self, request: InsiRequest) -> bool:
        sent = request.vitale
        if sent is None:
            return False
        values = sent.by_element()
        return all(normalize_trait(values[name]) == wanted for name, wanted in self.vitale)


_TRAIT_FIELDS = {
    "NomNaissance": "nom_naissance",
    "Sexe": "sexe",
    "DateNaissance": "date_naissance",
    "LieuNaissance": "lieu_naissance",
}


@dataclass(frozen=True)
class Rule:
    id: str
    steps: tuple[AnswerStep, ...]
    when: When = field(default_factory=When)
    description: str = ""
    cnda: str = ""
    pack: str = ""

    def matches(self, request: InsiRequest, rank: int = 1, has_findings: bool = False, known=None) -> bool:
        return self.when.matches(request, rank, has_findings, known)

    @property
    def is_fallback(self) -> bool:
        """Rules on ``in_base`` stand in for the base: they are tried after the others."""
        return self.when.in_base is not None

    def step(self, hit: int) -> AnswerStep:
        """The answer of the ``hit``-th match (0-based); the last step repeats."""
        return self.steps[min(hit, len(self.steps) - 1)]


def answer_of(step: AnswerStep, identities) -> Answer | None:
    """The engine answer of a step (``None``: answer normally). ``identities``
    maps an identity id to an :class:`~simulator.identity.base.Identity`."""
    kind, value = step.kind, step.value
    if kind is None:
        return None
    if kind == "identity":
        identity = identities.get(value)
        if identity is None or identity.ins is None:
            return None  # removed from this session: the base answers instead
        return Resultat.of("00", identity.individu())
    if kind == "code_cr":
        return Resultat.of(value)
    if kind == "fault":
        return FaultAnswer(value)
    if kind == "raw_xml":
        return RawXmlAnswer(value)
    if kind == "http":
        return HttpAnswer(value["status"], value.get("body", "empty"))
    if kind == "malformed":
        return MalformedAnswer(value)
    return DropAnswer()


# -- building rules from data ----------------------------------------------


class RuleError(ValueError):
    """A rule that names something that does not exist; ``path`` locates it."""

    def __init__(self, message: str, path: list):
        super().__init__(message)
        self.path = path


def _step(spec: dict, base_dir: Path | None, fault_keys: set[str], identity_ids, where: list) -> AnswerStep:
    kinds = [kind for kind in _KINDS if kind in spec]
    if len(kinds) > 1:
        raise RuleError(f"an answer has one kind, got {', '.join(kinds)}", where)
    delay = spec.get("delay_ms", 0)
    if not kinds:
        return AnswerStep(None, None, delay)
    kind = kinds[0]
    value = spec[kind]
    if kind == "fault" and value not in fault_keys:
        raise RuleError(f"unknown fault {value!r} (see fixtures/faults.yaml)", [*where, "fault"])
    if kind == "identity" and identity_ids is not None and value not in identity_ids:
        raise RuleError(f"unknown identity {value!r}", [*where, "identity"])
    if kind == "raw_xml":
        path = Path(value)
        if not path.is_absolute():
            if base_dir is None:
                raise RuleError("raw_xml must be an absolute path here", [*where, "raw_xml"])
            path = base_dir / path
        if not path.is_file():
            raise RuleError(f"raw_xml file not found: {path}", [*where, "raw_xml"])
        value = path.resolve()
    return AnswerStep(kind, value, delay)


def build_rule(
    data: dict,
    fault_keys: Iterable[str],
    identity_ids=None,
    base_dir: Path | None = None,
    pack: str = "",
    where: list | None = None,
) -> Rule:
    """A :class:`Rule` from its (schema-checked) data; raises :class:`RuleError`."""
    where = where or []
    fault_keys = set(fault_keys)
    answer = data["answer"]
    specs = answer["sequence"] if "sequence" in answer else [answer]
    if "sequence" in answer and len(answer) > 1:
        raise RuleError("a sequence stands alone in its answer", [*where, "answer"])
    steps = tuple(
        _step(
            spec, base_dir, fault_keys, identity_ids, [*where, "answer"] + (["sequence", i] if len(specs) > 1 else [])
        )
        for i, spec in enumerate(specs)
    )
    when = data.get("when", {})
    calls = set(when.get("calls", []))
    if "call" in when:
        calls.add(when["call"])
    return Rule(
        id=data["id"],
        steps=steps,
        when=When(
            operation=Operation(when["operation"]) if "operation" in when else None,
            idam=when.get("idam"),
            calls=frozenset(calls) if calls else None,
            has_findings=when.get("has_findings"),
            in_base=when.get("in_base"),
            traits=tuple((name, normalize_trait(value)) for name, value in when.get("traits", {}).items()),
            vitale=tuple((name, normalize_trait(value)) for name, value in when.get("vitale", {}).items()),
        ),
        description=data.get("description", ""),
        cnda=data.get("cnda", ""),
        pack=pack,
    )


def load_rules(paths: Iterable[Path | str], base, fault_keys: Iterable[str]) -> list[Rule]:
    """Load rule files (packs), checking every identity, fault and file they name."""
    fault_keys = set(fault_keys)
    rules: list[Rule] = []
    for path in map(Path, paths):
        rules.extend(load_pack(path, base.identities, fault_keys))
    return rules


def load_pack(path: Path, identity_ids, fault_keys: Iterable[str], name: str | None = None) -> list[Rule]:
    data = load_yaml(path, RULES_SCHEMA)
    return rules_from_data(data, path, identity_ids, fault_keys, name or path.stem)


def rules_from_data(data, path: Path, identity_ids, fault_keys: Iterable[str], pack: str) -> list[Rule]:
    rules = []
    seen: set[str] = set()
    for index, row in enumerate(data["rules"]):
        where = ["rules", index]
        if row["id"] in seen:
            raise DataFileError(path, line_of(data, where), f"rule id {row['id']!r} is used twice")
        seen.add(row["id"])
        try:
            rules.append(build_rule(row, fault_keys, identity_ids, path.parent, pack, where))
        except RuleError as error:
            raise DataFileError(path, line_of(data, error.path), f"rule {row['id']}: {error}") from None
    return rules
