"""``GET /_admin/health``: is the simulator up, and with what."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from .. import __version__

blueprint = Blueprint("health", __name__)


@blueprint.get("/health")
def health():
    simulator = current_app.config["SIMULATOR"]
    session = simulator.default_session
    return jsonify(
        status="ok",
        version=__version__,
        profile=session.profile.value,
        layout=simulator.layout.name,
        identities=len(session.base),
        vitale_beneficiaries=len(session.base.beneficiaries),
        rules=len(session.rules),
    )
