"""The reference APM as a Flask application: the test port (JSON, under ``/test-port``) and a minimal HTML page.

``create_app(db_path, defects)`` builds it on one SQLite file. The test port
is the HTTP contract the harness drives; an APM vendor implements the same
contract for its own product (``harness/test_port.openapi.yaml``, also served
at ``/test-port/openapi.json``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, Flask, current_app, jsonify, render_template_string, request
from werkzeug.exceptions import HTTPException

from .defects import check_defects, list_defects
from .export import FORMATS
from .model import COG, DATE_LUNAIRE, DOCUMENT_TYPES, SEXES
from .registry import NotConfigured, Registry, UnknownPatient, VitaleRead
from .store import PatientStore

EXTENSION = "reference_apm"
OPENAPI_RESOURCE = ("harness", "test_port.openapi.yaml")
_MATRICULE_READ = re.compile(r"\d{6}[A-Za-z0-9]\d{6}(\d{2})?")
_RANG = re.compile(r"\d{1,2}")

blueprint = Blueprint("test_port", __name__, url_prefix="/test-port")


class ApiError(Exception):
    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def registry() -> Registry:
    return current_app.extensions[EXTENSION]


# -- input -----------------------------------------------------------------------------------------


def _body(allowed: Iterable[str]) -> dict[str, Any]:
    if not request.get_data():
        data: Any = {}
    else:
        data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object", "body")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ApiError(400, f"unknown field {unknown[0]!r}", unknown[0])
    return data


def _field(data: dict[str, Any], name: str, kind: type, required: bool = False, default: Any = None) -> Any:
    if name not in data or data[name] is None:
        if required:
            raise ApiError(400, f"{name} is required", name)
        return default
    value = data[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ApiError(400, f"{name} must be of type {kind.__name__}", name)
    if isinstance(value, str) and not value.strip():
        raise ApiError(400, f"{name} must not be empty", name)
    return value


def _match(data: dict[str, Any], name: str, pattern: re.Pattern, what: str, required: bool = False) -> str | None:
    value = _field(data, name, str, required)
    if value is not None and not pattern.fullmatch(value):
        raise ApiError(400, f"{name} must be {what}", name)
    return value


def _patient_id(patient_id: str) -> str:
    try:
        registry().patient(patient_id)
    except UnknownPatient:
        raise ApiError(404, f"no patient {patient_id!r}", "id") from None
    return patient_id


# -- the test port ---------------------------------------------------------------------------------


@blueprint.errorhandler(ApiError)
def _api_error(error: ApiError):
    body = {"error": error.message}
    if error.field:
        body["field"] = error.field
    return jsonify(body), error.status


@blueprint.errorhandler(NotConfigured)
def _not_configured(error: NotConfigured):
    return jsonify(error=str(error), field="insi_endpoint"), 409


@blueprint.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return jsonify(error=error.description), error.code


@blueprint.post("/reset")
def reset():
    registry().reset()
    return "", 204


@blueprint.get("/config")
def get_config():
    return jsonify(registry().config())


@blueprint.post("/config")
def configure():
    data = _body({"insi_endpoint", "idam"})
    endpoint = _field(data, "insi_endpoint", str, required=True)
    if not endpoint.startswith(("http://", "https://")):
        raise ApiError(400, "insi_endpoint must be an http(s) URL", "insi_endpoint")
    idam = _field(data, "idam", str)
    return jsonify(registry().configure(endpoint, idam))


@blueprint.get("/patients")
def list_patients():
    return jsonify(patients=[patient.to_json() for patient in registry().patients()])


@blueprint.post("/patients")
def create_patient():
    data = _body({"nom_naissance", "prenoms", "sexe", "date_naissance", "lieu_naissance"})
    nom = _field(data, "nom_naissance", str, required=True)
    prenoms = _field(data, "prenoms", list, required=True)
    if not prenoms or not all(isinstance(name, str) and name.strip() for name in prenoms):
        raise ApiError(400, "prenoms must be a non-empty list of first names", "prenoms")
    sexe = _field(data, "sexe", str, required=True)
    if sexe not in SEXES:
        raise ApiError(400, "sexe must be M or F", "sexe")
    date = _match(data, "date_naissance", DATE_LUNAIRE, "YYYY-MM-DD (00 for an unknown month or day)", True)
    lieu = _match(data, "lieu_naissance", COG, "a COG code (5 digits, or 2A/2B and 3 digits)")
    assert date is not None
    patient = registry().create_patient(nom, prenoms, sexe, date, lieu)
    return jsonify(patient.to_json()), 201


@blueprint.get("/patients/<patient_id>")
def get_patient(patient_id: str):
    return jsonify(registry().patient(_patient_id(patient_id)).to_json())


@blueprint.post("/patients/<patient_id>/id-document")
def id_document(patient_id: str):
    _patient_id(patient_id)
    data = _body({"type", "high_trust"})
    document_type = _field(data, "type", str, required=True)
    if document_type not in DOCUMENT_TYPES:
        raise ApiError(400, f"type must be one of {', '.join(DOCUMENT_TYPES)}", "type")
    high_trust = _field(data, "high_trust", bool, required=True)
    return jsonify(registry().attach_document(patient_id, document_type, high_trust).to_json())


@blueprint.post("/patients/<patient_id>/insi/traits")
def insi_traits(patient_id: str):
    _patient_id(patient_id)
    data = _body({"prenom", "with_birth_place", "strategy"})
    prenom = _field(data, "prenom", str)
    with_birth_place = _field(data, "with_birth_place", bool, default=False)
    strategy = _field(data, "strategy", bool, default=False)
    if with_birth_place and not registry().patient(patient_id).lieu_naissance:
        raise ApiError(400, "the patient has no birth place (lieu_naissance)", "with_birth_place")
    result = registry().search_traits(patient_id, prenom, with_birth_place, strategy)
    return jsonify(result.to_json())


@blueprint.post("/patients/<patient_id>/insi/vitale")
def insi_vitale(patient_id: str):
    _patient_id(patient_id)
    data = _body({"matricule_od", "matricule_individu", "nom_naissance", "date_naissance", "rang_naissance"})
    shape = "13 characters (NIR shape), or 15 with the key"
    card = VitaleRead(
        date_naissance=_match(data, "date_naissance", DATE_LUNAIRE, "YYYY-MM-DD", required=True) or "",
        matricule_od=_match(data, "matricule_od", _MATRICULE_READ, shape),
        matricule_individu=_match(data, "matricule_individu", _MATRICULE_READ, shape),
        nom_naissance=_field(data, "nom_naissance", str),
        rang_naissance=_match(data, "rang_naissance", _RANG, "1 or 2 digits"),
    )
    if not (card.matricule_od or card.matricule_individu):
        raise ApiError(400, "matricule_od or matricule_individu is required", "matricule_od")
    return jsonify(registry().search_vitale(patient_id, card).to_json())


@blueprint.get("/patients/<patient_id>/export")
def export(patient_id: str):
    _patient_id(patient_id)
    fmt = request.args.get("format", "")
    if fmt not in FORMATS:
        raise ApiError(400, f"format must be one of {', '.join(FORMATS)}", "format")
    return jsonify(registry().export(patient_id, fmt))


@blueprint.get("/messages/last")
def last_message():
    return jsonify(message=registry().last_message())


@blueprint.get("/defects")
def defects():
    active = registry().defects
    return jsonify(
        defects=[{"name": name, "breaks": breaks, "active": name in active} for name, breaks in list_defects()]
    )


@blueprint.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The test port's OpenAPI document (kept in the harness package, which publishes it to vendors)."""
    package, name = OPENAPI_RESOURCE
    return yaml.safe_load(resources.files(package).joinpath(name).read_text(encoding="utf-8"))


# -- the page for humans ---------------------------------------------------------------------------

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Reference APM</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}.qualifiee{color:#060;font-weight:bold}</style>
</head><body>
<h1>Reference APM <small>{{ version }}</small></h1>
<p>INSi endpoint: <code>{{ config.insi_endpoint or "not configured" }}</code> · IDAM <code>{{ config.idam }}</code>
{% if config.defects %}· <strong>defects: {{ config.defects | join(", ") }}</strong>{% endif %}</p>
<table><thead><tr><th>id</th><th>birth name</th><th>birth first names</th><th>sex</th><th>birth date</th>
<th>birth place</th><th>status</th><th>INS</th><th>last message</th></tr></thead><tbody>
{% for p in patients %}<tr><td>{{ p.id }}</td><td>{{ p.nom_naissance }}</td><td>{{ p.prenoms | join(" ") }}</td>
<td>{{ p.sexe }}</td><td>{{ p.date_naissance }}</td><td>{{ p.lieu_naissance or "" }}</td>
<td class="{{ p.status }}">{{ p.status }}</td>
<td>{% if p.matricule %}{{ p.matricule }} {{ p.cle or "" }} ({{ p.oid }}){% endif %}</td>
<td>{{ p.messages[-1] if p.messages else "" }}</td></tr>
{% else %}<tr><td colspan="9">No patient.</td></tr>{% endfor %}
</tbody></table></body></html>
"""


def index():
    apm = registry()
    return render_template_string(_PAGE, patients=apm.patients(), config=apm.config(), version=apm.version)


def create_app(
    db_path: str | Path,
    defects: Iterable[str] | None = None,
    *,
    insi_endpoint: str | None = None,
    idam: str | None = None,
    timeout: float = 10.0,
) -> Flask:
    """The reference APM on the SQLite file ``db_path`` (created if missing), with ``defects`` switched on.

    ``timeout`` is the INSi client's timeout in seconds. ``insi_endpoint``/``idam``
    preset what ``POST /test-port/config`` sets (they are kept in the database).
    """
    chosen = check_defects(defects)  # before the file is opened: a typo must not leave it open
    apm = Registry(PatientStore(db_path), chosen, timeout=timeout)
    if insi_endpoint is not None or idam is not None:
        apm.configure(insi_endpoint, idam)
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION] = apm
    app.register_blueprint(blueprint)
    app.add_url_rule("/", "index", index)

    @app.errorhandler(UnknownPatient)
    def _unknown(error: UnknownPatient):
        return jsonify(error=f"no patient {error.args[0]!r}", field="id"), 404

    return app


def registry_of(app: Flask) -> Registry:
    """The registry behind an app made by :func:`create_app` (for the harness and tests)."""
    return app.extensions[EXTENSION]
