"""The admin API (``/_admin``): Flask blueprints, one per concern.

Everything a test can do to the simulator goes through here: sessions, the
journal, scenario packs, identities, fault injection, resets. Bad input gets
a 400 JSON answer naming the field; an optional bearer token protects it all
but the health check.
"""

from __future__ import annotations

import hmac

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from . import faults, health, identities, journal, openapi, scenarios, sessions
from .errors import ApiError

PREFIX = "/_admin"


def create_admin(simulator) -> Flask:
    app = Flask("insi_harness_admin", static_folder=None)  # no /static route serving files from the cwd
    app.config["SIMULATOR"] = simulator
    app.json.sort_keys = False
    for module in (health, openapi, sessions, journal, scenarios, identities, faults):
        app.register_blueprint(module.blueprint, url_prefix=PREFIX)

    token = simulator.settings.admin_token

    @app.before_request
    def check_token():
        if not token or request.path in (f"{PREFIX}/health", f"{PREFIX}/openapi.json"):
            return None
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return jsonify(error="missing or wrong bearer token", field="Authorization"), 401
        return None

    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        return jsonify(error.body()), error.status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return jsonify(error=error.description or error.name), error.code

    return app
