"""Identities of a session: ``/_admin/sessions/<id>/identities`` (list, add, remove, reset).

Added identities use the format of the base files (``fixtures/cnda-base.yaml``):
a JSON body ``{"identities": [...], "vitale_cards": [...]}``, or the same as
YAML (Content-Type ``application/yaml``), e.g. a file made by
``insi-harness identities generate``.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..datafile import DataFileError, parse_yaml
from .errors import ApiError, bad, int_arg, json_body, session_or_404, simulator

blueprint = Blueprint("identities", __name__)

MAX_PAGE = 1000


def identity_json(identity) -> dict:
    return {
        "id": identity.id,
        "nom_naissance": identity.nom_naissance,
        "prenoms": list(identity.prenoms),
        "sexe": identity.sexe,
        "date_naissance": identity.date_naissance,
        "lieu_naissance": identity.lieu_naissance,
        "matricule": identity.ins.num_identifiant if identity.ins else None,
        "cle": identity.ins.cle if identity.ins else None,
        "oid": identity.ins.oid if identity.ins else None,
        "code_cr": identity.code_cr,
        "searchable": identity.searchable,
    }


@blueprint.get("/sessions/<session_id>/identities")
def list_identities(session_id: str):
    session = session_or_404(session_id)
    offset = int_arg("offset", 0, 0, 10**9)
    limit = int_arg("limit", 100, 1, MAX_PAGE)
    everyone = list(session.identities.all())
    page = everyone[offset : offset + limit]
    return jsonify(count=len(everyone), offset=offset, limit=limit, identities=[identity_json(i) for i in page])


@blueprint.post("/sessions/<session_id>/identities")
def add_identities(session_id: str):
    session = session_or_404(session_id)
    label = f"identities sent to session {session_id}"
    if (request.mimetype or "").endswith("yaml"):
        try:
            data = parse_yaml(request.get_data(as_text=True), label)
        except DataFileError as error:
            raise ApiError(400, str(error), f"line {error.line}" if error.line else "body") from None
    else:
        data = json_body()
    if not isinstance(data, dict) or not isinstance(data.get("identities"), list):
        raise bad("identities", "identities (a list of identity rows) is required")
    if data.get("vitale_cards"):
        raise bad("vitale_cards", "Vitale cards cannot be added to a session yet; use --base")
    try:
        session.identities.add_rows(list(data["identities"]), label)
    except DataFileError as error:
        field = error.message.split(":", 1)[0] if ":" in error.message else "identities"
        raise ApiError(400, str(error), field) from None
    except ValueError as error:
        raise bad("identities", str(error)) from None
    simulator().sessions.save(session)
    return jsonify(added=len(data["identities"]), identities=len(session.identities)), 201


@blueprint.delete("/sessions/<session_id>/identities/<identity_id>")
def remove_identity(session_id: str, identity_id: str):
    session = session_or_404(session_id)
    if not session.identities.remove(identity_id):
        raise ApiError(404, f"no identity {identity_id!r} in session {session_id!r}", "identity")
    simulator().sessions.save(session)
    return "", 204


@blueprint.post("/sessions/<session_id>/identities/reset")
def reset_identities(session_id: str):
    session = session_or_404(session_id)
    session.identities.reset()
    simulator().sessions.save(session)
    return jsonify(identities=len(session.identities))
