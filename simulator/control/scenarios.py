"""Scenario packs: ``/_admin/scenarios`` (list, read, upload) and per-session activation."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..datafile import DataFileError
from ..sessions import valid_name
from .errors import ApiError, bad, json_body, session_or_404, simulator

blueprint = Blueprint("scenarios", __name__)


def _pack_or_404(name: str) -> dict:
    try:
        return simulator().packs.describe(name)
    except KeyError:
        raise ApiError(404, f"unknown scenario pack {name!r}", "name") from None


@blueprint.get("/scenarios")
def list_packs():
    packs = [_pack_or_404(name) for name in simulator().packs.names()]
    return jsonify(count=len(packs), packs=packs)


@blueprint.get("/scenarios/<name>")
def get_pack(name: str):
    return jsonify(_pack_or_404(name))


@blueprint.put("/scenarios/<name>")
def upload_pack(name: str):
    """Upload a pack as YAML (the body); errors name the line."""
    if not valid_name(name) or name == simulator().packs.default_pack:
        raise bad("name", "pack name: 1 to 64 letters, digits, '_', '.' or '-' (and not 'default')")
    text = request.get_data(as_text=True)
    if not text.strip():
        raise bad("body", "the body must be the pack's YAML")
    try:
        pack = simulator().packs.upload(name, text)
    except DataFileError as error:
        raise ApiError(400, str(error), f"line {error.line}" if error.line else "body") from None
    registry = simulator().sessions
    for session in registry.all():  # sessions where it is active use the new version from now on
        if name in session.packs:
            registry.set_packs(session, session.packs)
    return jsonify(pack), 201


@blueprint.get("/sessions/<session_id>/scenarios")
def active_packs(session_id: str):
    session = session_or_404(session_id)
    return jsonify(packs=session.packs)


@blueprint.post("/sessions/<session_id>/scenarios")
def activate_pack(session_id: str):
    session = session_or_404(session_id)
    name = json_body().get("name")
    if not isinstance(name, str):
        raise bad("name", "name (a scenario pack) is required")
    if name not in simulator().packs.names():
        raise bad("name", f"unknown scenario pack {name!r}")
    if name not in session.packs:
        simulator().sessions.set_packs(session, [*session.packs, name])
    return jsonify(packs=session.packs)


@blueprint.delete("/sessions/<session_id>/scenarios/<name>")
def deactivate_pack(session_id: str, name: str):
    session = session_or_404(session_id)
    if name not in session.packs:
        raise ApiError(404, f"pack {name!r} is not active in session {session_id!r}", "name")
    simulator().sessions.set_packs(session, [pack for pack in session.packs if pack != name])
    return jsonify(packs=session.packs)
