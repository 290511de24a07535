"""``GET /_admin/openapi.json``: the admin API described by its OpenAPI document."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from flask import Blueprint, jsonify

blueprint = Blueprint("openapi", __name__)

DOCUMENT = Path(__file__).with_name("openapi.yaml")


@cache
def document() -> dict:
    return yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


@blueprint.get("/openapi.json")
def openapi():
    return jsonify(document())
