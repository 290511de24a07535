"""Sessions: ``/_admin/sessions`` (create, list, get, delete, reset) and ``/_admin/reset``."""

from __future__ import annotations

from flask import Blueprint, jsonify

from ..engine.session import Profile
from ..identity.base import FirstNameMatch
from ..sessions import valid_name
from .errors import ApiError, bad, json_body, optional, session_or_404, simulator

blueprint = Blueprint("sessions", __name__)


def session_json(session) -> dict:
    return {
        "id": session.id,
        "created": session.created,
        "endpoint": "/lps" if session.id == "default" else f"/s/{session.id}/lps",
        "profile": session.profile.value,
        "first_names": session.first_names.value,
        "idam": session.idam,
        "requires_security": session.requires_security,
        "packs": session.packs,
        "calls": session.calls,
        "identities": len(session.identities),
        "injected_faults": len(session.injections),
    }


@blueprint.post("/sessions")
def create_session():
    data = json_body()
    unknown = set(data) - {"id", "profile", "first_names", "idam", "requires_security", "packs"}
    if unknown:
        raise bad(sorted(unknown)[0], f"unknown field {sorted(unknown)[0]!r}")
    session_id = optional(data, "id", str)
    if session_id is not None and not valid_name(session_id):
        raise bad("id", "id: 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit")
    profile = optional(data, "profile", str)
    if profile is not None and profile not in {p.value for p in Profile}:
        raise bad("profile", f"profile must be one of {', '.join(p.value for p in Profile)}")
    first_names = optional(data, "first_names", str)
    if first_names is not None and first_names not in {m.value for m in FirstNameMatch}:
        raise bad("first_names", f"first_names must be one of {', '.join(m.value for m in FirstNameMatch)}")
    idam = optional(data, "idam", str)
    requires_security = optional(data, "requires_security", bool, False)
    packs = optional(data, "packs", list, [])
    registry = simulator().sessions
    for name in packs:
        if not isinstance(name, str) or name not in registry.packs.names():
            raise bad("packs", f"unknown scenario pack {name!r}")
    try:
        session = registry.create(
            session_id,
            profile=profile,
            first_names=first_names,
            idam=idam,
            requires_security=requires_security,
            packs=packs,
        )
    except KeyError:
        raise ApiError(409, f"session {session_id!r} already exists", "id") from None
    return jsonify(session_json(session)), 201


@blueprint.get("/sessions")
def list_sessions():
    sessions = [session_json(session) for session in simulator().sessions.all()]
    return jsonify(count=len(sessions), sessions=sessions)


@blueprint.get("/sessions/<session_id>")
def get_session(session_id: str):
    return jsonify(session_json(session_or_404(session_id)))


@blueprint.delete("/sessions/<session_id>")
def delete_session(session_id: str):
    session_or_404(session_id)
    try:
        simulator().sessions.delete(session_id)
    except ValueError as error:
        raise bad("session", str(error)) from None
    return "", 204


@blueprint.post("/sessions/<session_id>/reset")
def reset_session(session_id: str):
    session = session_or_404(session_id)
    simulator().sessions.reset(session)
    return jsonify(session_json(session))


@blueprint.post("/reset")
def reset_everything():
    simulator().sessions.reset_all()
    return jsonify(sessions=[session_json(s) for s in simulator().sessions.all()])
