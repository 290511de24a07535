"""Fault injection: ``/_admin/sessions/<id>/faults``.

An injected fault is a rule (``when`` + ``answer``, as in scenario packs) used
for the next ``times`` matching requests, or until cleared when ``times`` is
absent. Answers: a catalogue ``fault``, ``delay_ms`` (alone: the normal
answer, late), ``http`` {status, body: empty|html}, ``malformed``
(truncated|not-xml), ``drop`` (close the connection), ``code_cr``,
``identity``, or a ``sequence`` of those.
"""

from __future__ import annotations

import jsonschema
from flask import Blueprint, jsonify

from ..engine.rules import ANSWER_SCHEMA, WHEN_SCHEMA, RuleError, build_rule
from .errors import ApiError, bad, json_body, optional, session_or_404, simulator

blueprint = Blueprint("faults", __name__)

_BODY_SCHEMA = {
    "type": "object",
    "required": ["answer"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "minLength": 1, "maxLength": 64},
        "when": WHEN_SCHEMA,
        "answer": ANSWER_SCHEMA,
        "times": {"type": ["integer", "null"], "minimum": 1},
    },
}


def injection_json(injection) -> dict:
    return {
        "id": injection.id,
        "rule": injection.rule.id,
        "remaining": injection.remaining,
        "used": injection.used,
    }


@blueprint.post("/sessions/<session_id>/faults")
def inject(session_id: str):
    session = session_or_404(session_id)
    data = json_body()
    errors = sorted(jsonschema.Draft202012Validator(_BODY_SCHEMA).iter_errors(data), key=lambda e: len(e.path))
    if errors:
        error = errors[0]
        field = "/".join(str(step) for step in error.absolute_path) or "body"
        raise bad(field, f"{field}: {error.message}")
    times = optional(data, "times", int)
    rule_data = {"id": data.get("id", "injected"), "when": data.get("when", {}), "answer": data["answer"]}
    try:
        rule = build_rule(rule_data, simulator().catalogue.keys(), session.identities, None, "injected")
    except RuleError as error:
        raise bad("/".join(str(step) for step in error.path) or "answer", str(error)) from None
    injection = session.inject(rule, times)
    return jsonify(injection_json(injection)), 201


@blueprint.get("/sessions/<session_id>/faults")
def list_injections(session_id: str):
    session = session_or_404(session_id)
    return jsonify(faults=[injection_json(injection) for injection in session.injections])


@blueprint.delete("/sessions/<session_id>/faults")
def clear(session_id: str):
    session = session_or_404(session_id)
    return jsonify(cleared=session.clear_injections())


@blueprint.delete("/sessions/<session_id>/faults/<fault_id>")
def clear_one(session_id: str, fault_id: str):
    session = session_or_404(session_id)
    if not session.clear_injections(fault_id):
        raise ApiError(404, f"no injected fault {fault_id!r} in session {session_id!r}", "fault")
    return "", 204
