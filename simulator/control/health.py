"""``GET /_admin/health``: is the simulator up, and with what."""

from __future__ import annotations

from flask import Blueprint, jsonify

from .. import __version__
from .errors import simulator

blueprint = Blueprint("health", __name__)


@blueprint.get("/health")
def health():
    current = simulator()
    session = current.default_session
    return jsonify(
        status="ok",
        version=__version__,
        profile=session.profile.value,
        layout=current.layout.name,
        identities=len(session.identities),
        vitale_beneficiaries=len(session.identities.beneficiaries),
        rules=len(session.rules),
        sessions=len(current.sessions.all()),
        journal=current.settings.journal,
        conformance=current.settings.conformance,
    )
