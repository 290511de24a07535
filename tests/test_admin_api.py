"""The admin API through :class:`simulator.client.AdminClient`, against a live waitress server.

Every answer the client gets is checked against the OpenAPI document the
server publishes (``/_admin/openapi.json``): the operation must be there, the
status documented, the JSON body valid against the response schema, and a
successful request's body valid against the request schema. The document is
also compared with the Flask routes, both ways.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import jsonschema
import pytest
import requests
import yaml
from referencing import Registry
from referencing.jsonschema import DRAFT4

from simulator.client import AdminClient, AdminError
from simulator.config import data_root
from simulator.engine.rules import ANSWER_SCHEMA, RULE_SCHEMA, RULES_SCHEMA, WHEN_SCHEMA
from simulator.identity.base import BASE_SCHEMA

from .conftest import LiveServer, make_simulator
from .soap_helpers import CONTENT_TYPE, Lps, parse_fault, parse_resultat, traits_request, vitale_request

TRAITS = "rechercherInsAvecTraitsIdentite"
VITALE = "rechercherInsAvecCarteVitale"
ZOE = {"nom": "ADRUN", "prenoms": "ZOE", "sexe": "F", "date": "1975-12-31"}  # in the base: CR 00
ZOE_INS = "2751263220749"
NOBODY = {"nom": "PERSONNE", "prenoms": "ALICE", "sexe": "F", "date": "1990-01-01"}  # not in the base: CR 01
OPENAPI_FILE = Path(__file__).resolve().parent.parent / "simulator" / "control" / "openapi.yaml"


# -- the OpenAPI document as a checker ------------------------------------------------------

DOCUMENT_URI = "urn:insi-harness:admin-openapi"


def as_json_schema(node):
    """OpenAPI 3.0 schema objects as JSON Schema (draft 4): ``nullable: true`` becomes a
    ``null`` type (or an ``anyOf`` with null), local ``$ref`` point into the whole document."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: as_json_schema(value) for key, value in node.items() if key != "nullable"}
    if isinstance(out.get("$ref"), str) and out["$ref"].startswith("#"):
        out["$ref"] = DOCUMENT_URI + out["$ref"]
    if node.get("nullable") is True:
        if "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def _pattern(template: str) -> re.Pattern:
    parts = re.split(r"(\{\w+\})", template)
    regex = "".join(f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(f"^{regex}$")


METHODS = ("get", "put", "post", "delete", "patch")


class OpenApi:
    """Finds the operation of an HTTP exchange and checks the exchange against it."""

    def __init__(self, document: dict):
        self.document = document
        self.registry = Registry().with_resource(DOCUMENT_URI, DRAFT4.create_resource(as_json_schema(document)))
        self.routes = []
        for template, item in document["paths"].items():
            for method in METHODS:
                if method in item:
                    self.routes.append((method, template, _pattern(template), item))
        self.seen: set[tuple[str, str, str]] = set()  # (method, path template, status)

    def deref(self, node: dict) -> dict:
        """A ``$ref`` to the document's components, followed."""
        while isinstance(node, dict) and "$ref" in node:
            target = self.document
            for step in node["$ref"].removeprefix("#/").split("/"):
                target = target[step]
            node = target
        return node

    def operation(self, method: str, path: str) -> tuple[str, dict, list[dict]]:
        found = [
            (template.count("{"), template, item)
            for verb, template, pattern, item in self.routes
            if verb == method and pattern.match(path)
        ]
        assert found, f"{method.upper()} {path} is not in the OpenAPI document"
        _, template, item = min(found, key=lambda row: row[0])  # literal segments win over parameters
        operation = item[method]
        parameters = [self.deref(p) for p in item.get("parameters", []) + operation.get("parameters", [])]
        return template, operation, parameters

    def validate(self, schema: dict, instance, where: str) -> None:
        validator = jsonschema.Draft4Validator(as_json_schema(schema), registry=self.registry)
        errors = sorted(validator.iter_errors(instance), key=lambda error: [str(s) for s in error.absolute_path])
        if errors:
            error = errors[0]
            place = "/".join(str(step) for step in error.absolute_path) or "(top)"
            raise AssertionError(f"{where}: {place}: {error.message}\n{json.dumps(instance, indent=1)[:2000]}")

    def component(self, name: str) -> dict:
        return {"$ref": f"#/components/schemas/{name}"}

    def check(self, response: requests.Response) -> None:
        request = response.request
        url = urlsplit(request.url)
        method = request.method.lower()
        template, operation, parameters = self.operation(method, url.path)
        where = f"{request.method} {url.path} -> {response.status_code}"
        status = str(response.status_code)
        assert status in operation["responses"], f"{where}: status not documented"
        if response.status_code < 400:  # what was accepted is documented
            documented = {p["name"]: p["schema"] for p in parameters if p["in"] == "query"}
            for name, value in parse_qsl(url.query, keep_blank_values=True):
                assert name in documented, f"{where}: undocumented query parameter {name}"
                schema = self.deref(documented[name])
                self.validate(schema, int(value) if schema.get("type") == "integer" else value, f"{where} ({name})")
        answer = self.deref(operation["responses"][status])
        content = answer.get("content")
        if not content:
            assert response.content == b"", f"{where}: a body where none is documented"
        else:
            media = response.headers.get("Content-Type", "").split(";")[0].strip()
            assert media in content, f"{where}: Content-Type {media} not documented ({', '.join(content)})"
            if media == "application/json":
                self.validate(content[media]["schema"], response.json(), where)
        if request.body and response.status_code < 400:
            assert "requestBody" in operation, f"{where}: a request body where none is documented"
            media = request.headers.get("Content-Type", "").split(";")[0].strip()
            bodies = operation["requestBody"]["content"]
            assert media in bodies, f"{where}: request Content-Type {media} not documented"
            data = json.loads(request.body) if media == "application/json" else yaml.safe_load(request.body)
            self.validate(bodies[media]["schema"], data, f"{where} (request body)")
        self.seen.add((method, template, status))


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    simulator = make_simulator(tmp_path_factory.mktemp("admin-api"))
    with LiveServer(simulator) as server:
        yield simulator, server.url
    simulator.close()


@pytest.fixture(scope="module")
def spec(live) -> OpenApi:
    _, url = live
    response = requests.get(f"{url}/_admin/openapi.json", timeout=10)
    assert response.status_code == 200
    return OpenApi(response.json())


def checked(client: AdminClient, spec: OpenApi) -> AdminClient:
    """Every answer the client gets goes through the OpenAPI checker."""
    client.http.hooks["response"].append(lambda response, *args, **kwargs: spec.check(response))
    return client


@pytest.fixture
def admin(live, spec):
    _, url = live
    with checked(AdminClient(url), spec) as client:
        yield client


def soap(admin: AdminClient, session: str, body: bytes) -> requests.Response:
    return requests.post(admin.soap_url(session), data=body, headers={"Content-Type": CONTENT_TYPE}, timeout=10)


def code_cr(admin: AdminClient, session: str, **traits) -> str:
    response = soap(admin, session, traits_request(**traits))
    assert response.status_code == 200, response.text
    return parse_resultat(response.content).code_cr


def rejected(call, status: int = 400, field: str | None = None) -> AdminError:
    with pytest.raises(AdminError) as caught:
        call()
    error = caught.value
    assert error.status == status, error
    if field is not None:
        assert error.field == field, error
    return error


# -- the document itself ----------------------------------------------------------------------


def test_served_document_is_the_yaml_file(spec):
    assert spec.document == yaml.safe_load(OPENAPI_FILE.read_text(encoding="utf-8"))
    assert spec.document["openapi"].startswith("3.0.")


def test_document_is_consistent(spec):
    document = spec.document
    for name, schema in document["components"]["schemas"].items():
        try:
            jsonschema.Draft4Validator.check_schema(as_json_schema(schema))
        except jsonschema.SchemaError as error:
            raise AssertionError(f"components/schemas/{name}: {error.message}") from None

    refs = re.findall(r'"\$ref": "(#[^"]+)"', json.dumps(document))
    for ref in set(refs):
        spec.deref({"$ref": ref})  # raises KeyError when dangling

    operation_ids = []
    assert document["security"] == [{"bearerAuth": []}]
    bearer = document["components"]["securitySchemes"]["bearerAuth"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    for template, item in document["paths"].items():
        path_parameters = set(re.findall(r"\{(\w+)\}", template))
        for method in METHODS:
            if method not in item:
                continue
            operation = item[method]
            operation_ids.append(operation["operationId"])
            parameters = [spec.deref(p) for p in item.get("parameters", []) + operation.get("parameters", [])]
            assert {p["name"] for p in parameters if p["in"] == "path"} == path_parameters, (method, template)
            statuses = set(operation["responses"])
            open_ = operation.get("security") == []
            assert open_ == (template in ("/_admin/health", "/_admin/openapi.json")), (method, template)
            assert ("401" in statuses) != open_, (method, template)
            if path_parameters & {"session_id"}:
                assert "404" in statuses, (method, template)
            assert any(status.startswith("2") for status in statuses), (method, template)
    assert len(operation_ids) == len(set(operation_ids))


def _flask_routes(simulator) -> set[tuple[str, str]]:
    routes = set()
    for rule in simulator.admin.url_map.iter_rules():
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((method.lower(), path))
    return routes


def test_every_route_is_described_and_nothing_else(live, spec):
    simulator, _ = live
    described = {(method, template) for method, template, _, _ in spec.routes}
    routes = _flask_routes(simulator)
    assert routes == described, (
        f"routes not described: {sorted(routes - described)}; described but absent: {sorted(described - routes)}"
    )
    assert all(path.startswith("/_admin/") for _, path in routes)


def test_rule_schemas_match_the_engine(spec):
    """When, Answer, packs and identity rows: the document names what the engine checks."""
    schemas = spec.document["components"]["schemas"]
    assert set(schemas["When"]["properties"]) == set(WHEN_SCHEMA["properties"])
    assert set(schemas["When"]["properties"]["traits"]["properties"]) == set(
        WHEN_SCHEMA["properties"]["traits"]["properties"]
    )
    assert set(schemas["When"]["properties"]["vitale"]["properties"]) == set(
        WHEN_SCHEMA["properties"]["vitale"]["properties"]
    )
    assert set(schemas["Answer"]["properties"]) == set(ANSWER_SCHEMA["properties"])
    assert set(schemas["AnswerStep"]["properties"]) == set(
        ANSWER_SCHEMA["properties"]["sequence"]["items"]["properties"]
    )
    assert set(schemas["PackRuleDocument"]["properties"]) == set(RULE_SCHEMA["properties"])
    assert set(schemas["PackDocument"]["properties"]) == set(RULES_SCHEMA["properties"])
    row = BASE_SCHEMA["properties"]["identities"]["items"]
    assert set(schemas["IdentityRow"]["properties"]) == set(row["properties"])
    assert set(schemas["IdentityRow"]["required"]) == set(row["required"])
    assert set(schemas["InsRow"]["properties"]) == set(row["properties"]["ins"]["properties"])
    for name in ("code_cr", "malformed"):
        assert schemas["AnswerStep"]["properties"][name]["enum"] == ANSWER_SCHEMA["properties"][name]["enum"]
    assert schemas["When"]["properties"]["operation"] == {"$ref": "#/components/schemas/OperationName"}
    assert schemas["OperationName"]["enum"] == WHEN_SCHEMA["properties"]["operation"]["enum"]


def test_the_checker_catches_what_the_document_does_not_say(spec):
    session = {
        "id": "s",
        "created": "2026-01-01T00:00:00+00:00",
        "endpoint": "/s/s/lps",
        "profile": "production",
        "first_names": "any",
        "idam": None,
        "requires_security": False,
        "packs": [],
        "calls": 0,
        "identities": 1,
        "injected_faults": 0,
    }
    spec.validate(spec.component("Session"), session, "a session")
    spec.validate(spec.component("Session"), {**session, "idam": "IDAM"}, "a session bound to an IDAM")
    broken = [
        {**session, "colour": "red"},
        {**session, "idam": 5},
        {**session, "profile": "preprod"},
        {k: v for k, v in session.items() if k != "calls"},
        {**session, "packs": None},
    ]
    for instance in broken:
        with pytest.raises(AssertionError):
            spec.validate(spec.component("Session"), instance, "a broken session")
    spec.validate(spec.component("FaultInjection"), {"answer": {"code_cr": "01"}, "times": None}, "times null")
    with pytest.raises(AssertionError):
        spec.validate(spec.component("FaultInjection"), {"answer": {"code_cr": "00"}}, "CR 00 is an identity")
    summary = spec.document["components"]["schemas"]["JournalEntrySummary"]
    assert as_json_schema(summary)["properties"]["operation"]["anyOf"][1] == {"type": "null"}
    with pytest.raises(AssertionError, match="not in the OpenAPI document"):
        spec.operation("patch", "/_admin/sessions")
    assert spec.operation("get", "/_admin/sessions/x/journal/export")[0].endswith("/journal/export")
    assert spec.operation("get", "/_admin/sessions/x/journal/12")[0].endswith("/journal/{entry_id}")
    assert spec.operation("post", "/_admin/sessions/x/identities/reset")[0].endswith("/identities/reset")
    assert spec.operation("delete", "/_admin/sessions/x/identities/reset")[0].endswith("/{identity_id}")


# -- every endpoint -----------------------------------------------------------------------------


PACK_YAML = """\
description: test pack of the admin API tests
rules:
  - id: adrun-is-ambiguous
    description: ADRUN answers CR 02
    cnda: none
    when:
      operation: rechercherInsAvecTraitsIdentite
      traits: {NomNaissance: ADRUN}
    answer: {code_cr: "02"}
"""

NEW_PERSON = {
    "id": "TEST-NOUVELLE",
    "nom_naissance": "NOUVELLE",
    "prenoms": ["JEANNE", "MARIE"],
    "sexe": "F",
    "date_naissance": "1980-05-17",
    "lieu_naissance": "75056",
    "ins": {"matricule": "2800575056123"},
}
NEW_PERSON_TRAITS = {"nom": "NOUVELLE", "prenoms": "JEANNE", "sexe": "F", "date": "1980-05-17"}


def test_every_endpoint_once(admin, spec):
    """One tour of the API through the client: every documented operation answered and checked."""
    spec.seen.clear()
    health = admin.health()
    assert health["status"] == "ok"
    assert admin.openapi() == spec.document

    created = admin.create_session(id="tour", profile="qualification", first_names="any", idam="IDAM-1")
    assert created["endpoint"] == "/s/tour/lps" and created["profile"] == "qualification"
    assert admin.session("tour") == created
    assert "tour" in {s["id"] for s in admin.sessions()}
    assert admin.soap_url("tour") == f"{admin.base_url}/s/tour/lps"
    assert admin.soap_url("default") == f"{admin.base_url}/lps"

    sent = traits_request(**ZOE, lps=Lps(idam="IDAM-1"))
    assert parse_resultat(soap(admin, "tour", sent).content).code_cr == "00"
    entries = admin.journal("tour")
    assert entries["count"] == 1
    assert admin.entry("tour", entries["entries"][0]["id"])["request_xml"] == sent.decode()
    assert zipfile.ZipFile(io.BytesIO(admin.export_journal("tour"))).namelist()

    assert admin.upload_pack("tour-pack", PACK_YAML)["name"] == "tour-pack"
    assert "tour-pack" in {p["name"] for p in admin.packs()}
    assert admin.pack("tour-pack")["rules"][0]["id"] == "adrun-is-ambiguous"
    assert admin.activate_pack("tour", "tour-pack") == ["tour-pack"]
    assert admin.active_packs("tour") == ["tour-pack"]
    assert admin.deactivate_pack("tour", "tour-pack") == []

    page = admin.identities("tour", offset=0, limit=5)
    assert len(page["identities"]) == 5
    assert admin.add_identities("tour", [NEW_PERSON]) == {"added": 1, "identities": page["count"] + 1}
    admin.remove_identity("tour", NEW_PERSON["id"])
    assert admin.reset_identities("tour") == page["count"]

    fault = admin.inject_fault("tour", {"fault": "insi_102"}, times=1)
    assert admin.faults("tour") == [fault]
    admin.clear_faults("tour", fault["id"])
    admin.inject_fault("tour", {"code_cr": "01"})
    assert admin.clear_faults("tour") == 1

    assert admin.reset_session("tour")["calls"] == 0
    admin.delete_session("tour")
    assert [s["id"] for s in admin.reset_all()] == ["default"]

    every = {(method, template) for method, template, _, _ in spec.routes}
    answered = {(method, template) for method, template, status in spec.seen if status.startswith("2")}
    assert every == answered, f"not exercised: {sorted(every - answered)}"


# -- errors ---------------------------------------------------------------------------------


def test_bad_input_is_a_400_naming_the_field(admin):
    admin.create_session(id="bad")
    cases = [
        (lambda: admin.create_session(colour="red"), "colour"),
        (lambda: admin.create_session(profile="preprod"), "profile"),
        (lambda: admin.create_session(first_names="all"), "first_names"),
        (lambda: admin.create_session(id="not an id!"), "id"),
        (lambda: admin.create_session(id=7), "id"),
        (lambda: admin.create_session(requires_security="yes"), "requires_security"),
        (lambda: admin.create_session(packs=["no-such-pack"]), "packs"),
        (lambda: admin.create_session(packs="tour-pack"), "packs"),
        (lambda: admin.journal("bad", colour="red"), "colour"),
        (lambda: admin.journal("bad", has_findings="maybe"), "has_findings"),
        (lambda: admin.journal("bad", limit=0), "limit"),
        (lambda: admin.journal("bad", limit=1001), "limit"),
        (lambda: admin.journal("bad", offset=-1), "offset"),
        (lambda: admin.journal("bad", offset="first"), "offset"),
        (lambda: admin.journal("bad", since="yesterday"), "since"),
        (lambda: admin.journal("bad", until="2026-13-01"), "until"),
        (lambda: admin.export_journal("bad", limit=0), "limit"),
        (lambda: admin.export_journal("bad", fault="*", since="soon"), "since"),
        (lambda: admin.inject_fault("bad", {"fault": "no_such_fault"}), "answer/fault"),
        (lambda: admin.inject_fault("bad", {"colour": "red"}), "answer"),
        (lambda: admin.inject_fault("bad", {}), "answer"),
        (lambda: admin.inject_fault("bad", {"code_cr": "00"}), "answer/code_cr"),
        (lambda: admin.inject_fault("bad", {"code_cr": "01", "fault": "insi_102"}), "answer"),
        (lambda: admin.inject_fault("bad", {"identity": "NOBODY-AT-ALL"}), "answer/identity"),
        (lambda: admin.inject_fault("bad", {"http": {"status": 200}}), "answer/http/status"),
        (lambda: admin.inject_fault("bad", {"sequence": [{"code_cr": "01"}, {"fault": "nope"}]}), None),
        (lambda: admin.inject_fault("bad", {"code_cr": "01"}, times=0), "times"),
        (lambda: admin.inject_fault("bad", {"code_cr": "01"}, when={"operation": "search"}), "when/operation"),
        (lambda: admin.inject_fault("bad", {"code_cr": "01"}, when={"traits": {"Nom": "X"}}), "when/traits"),
        (lambda: admin.activate_pack("bad", "no-such-pack"), "name"),
        (lambda: admin.upload_pack("default", "rules: []\n"), "name"),
        (lambda: admin.upload_pack("bad name", "rules: []\n"), "name"),
        (lambda: admin.upload_pack("empty", "  \n"), "body"),
        (lambda: admin.identities("bad", limit=0), "limit"),
        (lambda: admin.identities("bad", offset=-1), "offset"),
        (lambda: admin.identities("bad", limit="all"), "limit"),
        (lambda: admin.add_identities("bad", [{**NEW_PERSON, "sexe": "X"}]), "identities/0/sexe"),
        (lambda: admin.add_identities("bad", [{**NEW_PERSON, "colour": "red"}]), "identities/0"),
        (lambda: admin.add_identities("bad", {"people": []}), "identities"),
        (lambda: admin.add_identities("bad", {"identities": [], "vitale_cards": [{"id": "C"}]}), "vitale_cards"),
        (lambda: admin.add_identities("bad", [{**NEW_PERSON, "id": "ADRUN-ZOE"}]), "identities"),
        (lambda: admin.delete_session("default"), "session"),
    ]
    for call, field in cases:
        error = rejected(call, 400, field)
        assert error.message
    sequence = rejected(lambda: admin.inject_fault("bad", {"sequence": [{"code_cr": "01"}, {"fault": "nope"}]}))
    assert sequence.field == "answer/sequence/1/fault" and "nope" in sequence.message

    # the body must be a JSON object
    for raw in (b"[1, 2]", b"{not json", b'"text"'):
        response = admin.http.post(
            f"{admin.base_url}/_admin/sessions", data=raw, headers={"Content-Type": "application/json"}, timeout=10
        )
        assert response.status_code == 400 and response.json()["field"] == "body"

    # nothing was created or changed by the bad calls
    assert admin.session("bad")["injected_faults"] == 0
    assert admin.session("bad")["identities"] == admin.session("default")["identities"]
    assert {s["id"] for s in admin.sessions()} >= {"default", "bad"}
    admin.delete_session("bad")


def test_pack_upload_errors_name_the_line(admin):
    bad_fault = "description: x\nrules:\n  - id: a\n    answer: {code_cr: '01'}\n  - id: b\n    answer: {fault: nope}\n"
    error = rejected(lambda: admin.upload_pack("broken", bad_fault), 400, "line 6")
    assert "broken.yaml (uploaded):6:" in error.message and "nope" in error.message

    not_yaml = "description: x\nrules:\n  - id: a\n    answer: {code_cr: '01'}\n  - id: b\n   answer: {code_cr: '01'}\n"
    error = rejected(lambda: admin.upload_pack("broken", not_yaml), 400, "line 6")
    assert ":6: not valid YAML" in error.message

    bad_value = "description: x\nrules:\n  - id: a\n    answer: {code_cr: '03'}\n"
    error = rejected(lambda: admin.upload_pack("broken", bad_value), 400, "line 4")
    assert "rules/0/answer/code_cr" in error.message

    twice = "rules:\n  - id: a\n    answer: {code_cr: '01'}\n  - id: a\n    answer: {code_cr: '02'}\n"
    error = rejected(lambda: admin.upload_pack("broken", twice), 400, "line 4")
    assert "used twice" in error.message

    rejected(lambda: admin.pack("broken"), 404, "name")  # nothing kept


def test_identity_errors_in_yaml_name_the_field_or_line(admin):
    admin.create_session(id="yaml-ids")
    error = rejected(lambda: admin.add_identities("yaml-ids", "identities:\n  - id: X\n   nom: [\n"), 400)
    assert error.field.startswith("line ") and "not valid YAML" in error.message
    bad_sex = yaml.safe_dump({"identities": [{**NEW_PERSON, "sexe": "X"}]})
    rejected(lambda: admin.add_identities("yaml-ids", bad_sex), 400, "identities/0/sexe")
    admin.delete_session("yaml-ids")


def test_unknown_session_is_a_404(admin):
    calls = [
        lambda: admin.session("ghost"),
        lambda: admin.delete_session("ghost"),
        lambda: admin.reset_session("ghost"),
        lambda: admin.journal("ghost"),
        lambda: admin.entry("ghost", 1),
        lambda: admin.export_journal("ghost"),
        lambda: admin.active_packs("ghost"),
        lambda: admin.activate_pack("ghost", "tour-pack"),
        lambda: admin.deactivate_pack("ghost", "tour-pack"),
        lambda: admin.identities("ghost"),
        lambda: admin.add_identities("ghost", [NEW_PERSON]),
        lambda: admin.remove_identity("ghost", "ADRUN-ZOE"),
        lambda: admin.reset_identities("ghost"),
        lambda: admin.inject_fault("ghost", {"code_cr": "01"}),
        lambda: admin.faults("ghost"),
        lambda: admin.clear_faults("ghost"),
        lambda: admin.clear_faults("ghost", "f1"),
    ]
    for call in calls:
        error = rejected(call, 404, "session")
        assert "ghost" in error.message
    response = soap(admin, "ghost", traits_request(**ZOE))
    assert response.status_code == 404 and "POST /_admin/sessions" in response.text


def test_other_unknown_things_are_404(admin):
    admin.create_session(id="things")
    rejected(lambda: admin.pack("no-such-pack"), 404, "name")
    rejected(lambda: admin.entry("things", 10**9), 404, "entry")
    rejected(lambda: admin.remove_identity("things", "NO-SUCH-ID"), 404, "identity")
    rejected(lambda: admin.clear_faults("things", "f999"), 404, "fault")
    rejected(lambda: admin.deactivate_pack("things", "tour-pack"), 404, "name")
    # an unknown admin route: JSON too (not an operation of the document, so not through the checker)
    response = requests.get(f"{admin.base_url}/_admin/no-such-thing", timeout=10)
    assert response.status_code == 404 and "error" in response.json()
    response = requests.get(f"{admin.base_url}/static/anything", timeout=10)
    assert response.status_code == 404
    admin.delete_session("things")


def test_duplicate_session_is_a_409(admin):
    admin.create_session(id="twice")
    rejected(lambda: admin.create_session(id="twice"), 409, "id")
    rejected(lambda: admin.create_session(id="default"), 409, "id")
    admin.delete_session("twice")
    assert admin.create_session(id="twice")["calls"] == 0  # the id is free again
    admin.delete_session("twice")


def test_random_session_ids_and_defaults(admin):
    first, second = admin.create_session(), admin.create_session()
    assert first["id"] != second["id"]
    default = admin.session("default")
    assert first["profile"] == default["profile"] and first["first_names"] == default["first_names"]
    assert first["packs"] == [] and first["requires_security"] is False and first["idam"] is None
    for session in (first, second):
        admin.delete_session(session["id"])


# -- bearer token -------------------------------------------------------------------------------


def test_bearer_token(tmp_path, spec):
    simulator = make_simulator(tmp_path, admin_token="s3cret")
    try:
        with LiveServer(simulator) as server:
            anonymous = checked(AdminClient(server.url), spec)
            wrong = checked(AdminClient(server.url, token="guess"), spec)
            right = checked(AdminClient(server.url, token="s3cret"), spec)

            assert anonymous.health()["status"] == "ok"
            assert anonymous.openapi() == spec.document
            for client in (anonymous, wrong):
                rejected(client.sessions, 401, "Authorization")
                rejected(lambda c=client: c.create_session(id="x"), 401, "Authorization")
                rejected(lambda c=client: c.journal("default"), 401, "Authorization")
                rejected(lambda c=client: c.delete_session("default"), 401, "Authorization")
                rejected(client.reset_all, 401, "Authorization")
            not_bearer = checked(AdminClient(server.url), spec)
            not_bearer.http.headers["Authorization"] = "s3cret"  # the token, but not as "Bearer …"
            rejected(not_bearer.sessions, 401, "Authorization")

            assert [s["id"] for s in right.sessions()] == ["default"]
            assert right.create_session(id="x")["id"] == "x"
            assert right.journal("x")["count"] == 0
            # the SOAP endpoints are not behind the token
            assert code_cr(right, "x", **ZOE) == "00"
            assert code_cr(right, "default", **ZOE) == "00"
            for client in (anonymous, wrong, not_bearer, right):
                client.close()
    finally:
        simulator.close()


# -- journal ------------------------------------------------------------------------------------


def _pause() -> datetime:
    """A time strictly between two requests."""
    time.sleep(0.01)
    moment = datetime.now(UTC)
    time.sleep(0.01)
    return moment


def test_journal_filters_and_paging(admin):
    admin.create_session(id="jrnl")
    start = _pause()
    assert code_cr(admin, "jrnl", **ZOE) == "00"  # 1
    assert code_cr(admin, "jrnl", **NOBODY) == "01"  # 2
    middle = _pause()
    assert code_cr(admin, "jrnl", nom="adrun", prenoms="zoé", sexe="F", date="1975-12-31") == "00"  # 3, not normalized
    vitale = soap(admin, "jrnl", vitale_request(individu=ZOE_INS, nom="ADRUN", date="1975-12-31"))  # 4
    assert parse_resultat(vitale.content).code_cr == "00"
    admin.inject_fault("jrnl", {"fault": "insi_102"}, times=1)
    faulted = soap(admin, "jrnl", traits_request(**NOBODY))  # 5
    assert faulted.status_code == 500 and parse_fault(faulted.content).detail_code == "insi_102"
    end = _pause()

    everything = admin.journal("jrnl")
    assert everything["count"] == 5 and everything["offset"] == 0 and everything["limit"] == 100
    entries = everything["entries"]
    assert [e["rank"] for e in entries] == [1, 2, 3, 4, 5]
    ids = [e["id"] for e in entries]
    assert ids == sorted(ids)
    assert all(e["session"] == "jrnl" for e in entries)
    assert [e["operation"] for e in entries] == [TRAITS, TRAITS, TRAITS, VITALE, TRAITS]
    assert [e["code_cr"] for e in entries][:2] == ["00", "01"]
    assert entries[4]["code_cr"] is None and entries[4]["fault"] == "insi_102" and entries[4]["http_status"] == 500
    assert entries[0]["traits"] == {
        "NomNaissance": "ADRUN",
        "Prenom": ["ZOE"],
        "Sexe": "F",
        "DateNaissance": "1975-12-31",
    }
    assert entries[0]["findings"] == [] and entries[0]["has_findings"] is False
    assert entries[2]["has_findings"] is True and entries[2]["findings"]
    assert "injected" in entries[4]["answer"]

    def ranks(**filters):
        page = admin.journal("jrnl", **filters)
        return [e["rank"] for e in page["entries"]]

    assert ranks(operation=TRAITS) == [1, 2, 3, 5]
    assert ranks(operation=VITALE) == [4]
    assert ranks(code_cr="00") == [1, 3, 4]
    assert ranks(code_cr="01") == [2]
    assert ranks(code_cr="02") == []
    assert ranks(fault="*") == [5]
    assert ranks(fault="insi_102") == [5]
    assert ranks(fault="desir_550") == []
    with_findings = [e["rank"] for e in entries if e["has_findings"]]
    assert 3 in with_findings and 1 not in with_findings
    assert ranks(has_findings=True) == with_findings
    assert ranks(has_findings=False) == [e["rank"] for e in entries if not e["has_findings"]]
    assert ranks(has_findings="no") == ranks(has_findings=False)
    assert ranks(nom="ADRUN") == [1, 3, 4]  # compared normalized: "adrun" too, and the Vitale search
    assert ranks(nom="adrun") == [1, 3, 4]
    assert ranks(nom="PERSONNE") == [2, 5]
    assert ranks(prenom="ZOE") == [1, 3]  # "zoé" normalized
    assert ranks(prenom="alice") == [2, 5]
    assert ranks(date_naissance="1975-12-31") == [1, 3, 4]
    assert ranks(nom="ADRUN", operation=TRAITS, has_findings=False) == [1]

    assert ranks(since=start) == [1, 2, 3, 4, 5]
    assert ranks(since=middle) == [3, 4, 5]
    assert ranks(until=middle) == [1, 2]
    assert ranks(since=middle, until=end) == [3, 4, 5]
    assert ranks(since=end) == []
    # the same instant written other ways: Z, another offset, naive (UTC)
    zulu = middle.isoformat().replace("+00:00", "Z")
    assert ranks(since=zulu) == [3, 4, 5]
    assert ranks(until=middle.astimezone(timezone(timedelta(hours=2))).isoformat()) == [1, 2]
    assert ranks(since=middle.replace(tzinfo=None).isoformat()) == [3, 4, 5]

    assert ranks(limit=2) == [1, 2]
    assert ranks(offset=2, limit=2) == [3, 4]
    assert ranks(offset=4, limit=2) == [5]
    assert ranks(offset=5) == []
    page = admin.journal("jrnl", offset=1, limit=3, operation=TRAITS)
    assert (page["count"], page["offset"], page["limit"]) == (4, 1, 3)
    assert [e["rank"] for e in page["entries"]] == [2, 3, 5]

    # another session's journal is its own
    assert admin.journal("default", nom="PERSONNE", since=start)["count"] == 0
    admin.delete_session("jrnl")


def test_journal_entry_has_the_raw_xml(admin):
    admin.create_session(id="raw")
    sent = traits_request(**ZOE, message_id="uuid:raw-xml-test")
    response = soap(admin, "raw", sent)
    listed = admin.journal("raw")["entries"][0]
    entry = admin.entry("raw", listed["id"])
    assert entry["request_xml"] == sent.decode("utf-8")
    assert entry["response_xml"] == response.text
    assert parse_resultat(entry["response_xml"].encode()).code_cr == "00"
    assert entry["headers"]["message_id"] == "uuid:raw-xml-test"
    assert entry["headers"]["idam"] == "INSI-TEST-IDAM"
    summary = {k: v for k, v in entry.items() if k not in ("request_xml", "response_xml")}
    assert summary == listed
    admin.delete_session("raw")


def test_journal_export(admin, spec):
    admin.create_session(id="export")
    sent = [
        traits_request(**ZOE),
        traits_request(**NOBODY),
        vitale_request(individu=ZOE_INS, nom="ADRUN", date="1975-12-31"),
    ]
    answers = [soap(admin, "export", body) for body in sent]
    journal = admin.journal("export")

    archive = zipfile.ZipFile(io.BytesIO(admin.export_journal("export")))
    names = set(archive.namelist())
    index = json.loads(archive.read("index.json"))
    spec.validate(spec.component("ExportIndex"), index, "index.json")
    assert index["session"] == "export" and index["count"] == 3
    assert len(index["entries"]) == 3
    expected_files = {"index.json", "index.csv"}
    for row, entry, body, answer in zip(index["entries"], journal["entries"], sent, answers, strict=True):
        assert {k: v for k, v in row.items() if k not in ("request_file", "response_file")} == entry
        assert row["request_file"] == f"{entry['rank']:05d}-{entry['id']}-request.xml"
        assert row["response_file"] == f"{entry['rank']:05d}-{entry['id']}-response.xml"
        assert archive.read(row["request_file"]) == body
        assert archive.read(row["response_file"]) == answer.content
        expected_files |= {row["request_file"], row["response_file"]}
    assert names == expected_files

    table = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8"))))
    assert len(table) == 3
    for line, row in zip(table, index["entries"], strict=True):
        assert int(line["id"]) == row["id"] and int(line["rank"]) == row["rank"]
        assert line["time"] == row["time"] and line["operation"] == row["operation"]
        assert int(line["http_status"]) == row["http_status"]
        assert line["code_cr"] == (row["code_cr"] or "") and line["fault"] == (row["fault"] or "")
        assert line["has_findings"] == str(row["has_findings"])
        assert float(line["duration_ms"]) == row["duration_ms"] and line["answer"] == row["answer"]
        assert (line["request_file"], line["response_file"]) == (row["request_file"], row["response_file"])

    # the listing's filters apply to the export
    filtered = zipfile.ZipFile(io.BytesIO(admin.export_journal("export", operation=VITALE)))
    index = json.loads(filtered.read("index.json"))
    assert index["count"] == 1 and [e["rank"] for e in index["entries"]] == [3]
    assert len(filtered.namelist()) == 4
    paged = json.loads(
        zipfile.ZipFile(io.BytesIO(admin.export_journal("export", offset=1, limit=1))).read("index.json")
    )
    assert paged["count"] == 3 and [e["rank"] for e in paged["entries"]] == [2]

    admin.reset_session("export")
    empty = zipfile.ZipFile(io.BytesIO(admin.export_journal("export")))
    assert sorted(empty.namelist()) == ["index.csv", "index.json"]
    assert json.loads(empty.read("index.json"))["entries"] == []
    admin.delete_session("export")


# -- scenario packs ---------------------------------------------------------------------------


def test_builtin_packs_are_listed(admin):
    builtin = [pack for pack in admin.packs() if pack["builtin"]]
    on_disk = {path.stem for path in (data_root() / "scenarios").glob("*.yaml")} - {"default"}
    assert {pack["name"] for pack in builtin} == on_disk
    for pack in builtin:
        assert admin.pack(pack["name"]) == pack


def test_builtin_pack_activation_changes_answers(admin):
    """The shipped packs "errors" and "qualification", listed by the API, activated per session."""
    names = {pack["name"] for pack in admin.packs() if pack["builtin"]}
    assert {"cnda", "errors", "qualification"} <= names
    trigger = {**NOBODY, "nom": "FAUTE-INSI-UN-ZERO-DEUX"}
    admin.create_session(id="builtin")
    assert code_cr(admin, "builtin", **trigger) == "01"
    assert code_cr(admin, "builtin", **NOBODY) == "01"

    admin.activate_pack("builtin", "errors")
    answer = soap(admin, "builtin", traits_request(**trigger))
    assert answer.status_code == 500 and parse_fault(answer.content).detail_code == "insi_102"
    assert code_cr(admin, "builtin", **NOBODY) == "01"
    assert code_cr(admin, "default", **trigger) == "01"  # other sessions are not touched

    assert admin.activate_pack("builtin", "qualification") == ["errors", "qualification"]
    absent = soap(admin, "builtin", traits_request(**NOBODY))
    assert absent.status_code == 500 and parse_fault(absent.content).detail_code == "insi_102"
    assert code_cr(admin, "builtin", **ZOE) == "00"

    assert admin.deactivate_pack("builtin", "errors") == ["qualification"]
    assert admin.deactivate_pack("builtin", "qualification") == []
    assert code_cr(admin, "builtin", **trigger) == "01"
    assert code_cr(admin, "builtin", **NOBODY) == "01"
    faults = admin.journal("builtin", fault="insi_102")["entries"]
    assert len(faults) == 2 and all(e["answer"].startswith("rule ") for e in faults)  # answered by pack rules
    admin.delete_session("builtin")


def test_scenario_pack_changes_answers_in_its_session_only(admin):
    assert "default" not in {pack["name"] for pack in admin.packs()}  # the default rules are not a pack
    uploaded = admin.upload_pack("adrun-02", PACK_YAML)
    assert uploaded == {
        "name": "adrun-02",
        "description": "test pack of the admin API tests",
        "builtin": False,
        "rules": [{"id": "adrun-is-ambiguous", "description": "ADRUN answers CR 02", "cnda": "none"}],
    }
    assert uploaded in admin.packs()

    admin.create_session(id="pack-on")
    admin.create_session(id="pack-off")
    assert code_cr(admin, "pack-on", **ZOE) == "00"
    assert admin.activate_pack("pack-on", "adrun-02") == ["adrun-02"]
    assert admin.activate_pack("pack-on", "adrun-02") == ["adrun-02"]  # once is enough
    assert admin.session("pack-on")["packs"] == ["adrun-02"]
    assert code_cr(admin, "pack-on", **ZOE) == "02"
    assert code_cr(admin, "pack-on", **NOBODY) == "01"  # the rule matches ADRUN only
    assert code_cr(admin, "pack-off", **ZOE) == "00"
    assert code_cr(admin, "default", **ZOE) == "00"
    assert "rule adrun-is-ambiguous" in admin.journal("pack-on", code_cr="02")["entries"][0]["answer"]

    assert admin.deactivate_pack("pack-on", "adrun-02") == []
    assert code_cr(admin, "pack-on", **ZOE) == "00"

    # a session can start with the pack, and a reset keeps it
    admin.create_session(id="pack-born", packs=["adrun-02"])
    assert code_cr(admin, "pack-born", **ZOE) == "02"
    assert admin.reset_session("pack-born")["packs"] == ["adrun-02"]
    assert code_cr(admin, "pack-born", **ZOE) == "02"

    # a sequence pack: 02 on the first match, then 00 (the identity) for good
    sequence = PACK_YAML.replace(
        'answer: {code_cr: "02"}', "answer:\n      sequence: [{code_cr: '02'}, {identity: ADRUN-ZOE}]"
    )
    admin.upload_pack("adrun-seq", sequence)
    admin.create_session(id="pack-seq", packs=["adrun-seq"])
    assert [code_cr(admin, "pack-seq", **ZOE) for _ in range(3)] == ["02", "00", "00"]
    # uploading a new version of an active pack changes the answers of its sessions at once
    admin.upload_pack("adrun-02", PACK_YAML.replace('code_cr: "02"', 'code_cr: "01"'))
    assert code_cr(admin, "pack-born", **ZOE) == "01"
    assert code_cr(admin, "pack-off", **ZOE) == "00"
    admin.upload_pack("adrun-02", PACK_YAML)
    assert code_cr(admin, "pack-born", **ZOE) == "02"
    for session in ("pack-on", "pack-off", "pack-born", "pack-seq"):
        admin.delete_session(session)


# -- identities ----------------------------------------------------------------------------------


def test_identities_change_answers_in_their_session_only(admin):
    admin.create_session(id="ids-a")
    admin.create_session(id="ids-b")
    base = admin.identities("ids-a")["count"]
    assert base == admin.health()["identities"]
    assert code_cr(admin, "ids-a", **NEW_PERSON_TRAITS) == "01"

    assert admin.add_identities("ids-a", [NEW_PERSON]) == {"added": 1, "identities": base + 1}
    found = parse_resultat(soap(admin, "ids-a", traits_request(**NEW_PERSON_TRAITS)).content)
    assert found.code_cr == "00" and found.ins.num == NEW_PERSON["ins"]["matricule"] and found.ins.cle
    assert code_cr(admin, "ids-b", **NEW_PERSON_TRAITS) == "01"
    assert code_cr(admin, "default", **NEW_PERSON_TRAITS) == "01"
    assert admin.session("ids-a")["identities"] == base + 1
    assert admin.session("ids-b")["identities"] == base

    listed = admin.identities("ids-a", offset=base, limit=10)
    assert listed["count"] == base + 1 and (listed["offset"], listed["limit"]) == (base, 10)
    assert listed["identities"] == [
        {
            "id": "TEST-NOUVELLE",
            "nom_naissance": "NOUVELLE",
            "prenoms": ["JEANNE", "MARIE"],
            "sexe": "F",
            "date_naissance": "1980-05-17",
            "lieu_naissance": "75056",
            "matricule": "2800575056123",
            "cle": found.ins.cle,
            "oid": found.ins.oid,
            "code_cr": "00",
            "searchable": True,
        }
    ]
    pages = [admin.identities("ids-a", offset=offset, limit=7)["identities"] for offset in range(0, base + 1, 7)]
    assert [i["id"] for page in pages for i in page] == [
        i["id"] for i in admin.identities("ids-a", limit=1000)["identities"]
    ]

    # the same again is refused (all or nothing), YAML works too
    rejected(lambda: admin.add_identities("ids-a", [NEW_PERSON]), 400)
    other = {**NEW_PERSON, "id": "TEST-AUTRE", "nom_naissance": "AUTRE", "ins": {"matricule": "1800575056124"}}
    other["sexe"] = "M"
    assert admin.add_identities("ids-b", yaml.safe_dump({"identities": [other]}))["identities"] == base + 1
    assert code_cr(admin, "ids-b", nom="AUTRE", prenoms="JEANNE", sexe="M", date="1980-05-17") == "00"
    assert code_cr(admin, "ids-a", nom="AUTRE", prenoms="JEANNE", sexe="M", date="1980-05-17") == "01"

    # removing: an added identity, then one of the shared base (in this session only)
    admin.remove_identity("ids-a", "TEST-NOUVELLE")
    assert code_cr(admin, "ids-a", **NEW_PERSON_TRAITS) == "01"
    admin.remove_identity("ids-a", "ADRUN-ZOE")
    assert code_cr(admin, "ids-a", **ZOE) == "01"
    assert code_cr(admin, "ids-b", **ZOE) == "00"
    assert code_cr(admin, "default", **ZOE) == "00"
    rejected(lambda: admin.remove_identity("ids-a", "ADRUN-ZOE"), 404, "identity")
    assert admin.identities("ids-a")["count"] == base - 1
    assert "ADRUN-ZOE" not in {i["id"] for i in admin.identities("ids-a", limit=1000)["identities"]}

    assert admin.reset_identities("ids-a") == base
    assert code_cr(admin, "ids-a", **ZOE) == "00"
    assert admin.reset_identities("ids-b") == base
    assert code_cr(admin, "ids-b", nom="AUTRE", prenoms="JEANNE", sexe="M", date="1980-05-17") == "01"
    for session in ("ids-a", "ids-b"):
        admin.delete_session(session)


# -- fault injection ------------------------------------------------------------------------


def test_fault_for_the_next_n_requests_then_normal(admin):
    admin.create_session(id="faults")
    admin.create_session(id="faults-other")
    injected = admin.inject_fault("faults", {"fault": "insi_102"}, times=2, id="two-102")
    assert injected == {"id": injected["id"], "rule": "two-102", "remaining": 2, "used": 0}
    assert admin.session("faults")["injected_faults"] == 1

    first = soap(admin, "faults", traits_request(**ZOE))
    assert first.status_code == 500 and parse_fault(first.content).detail_code == "insi_102"
    assert admin.faults("faults") == [{**injected, "remaining": 1, "used": 1}]
    assert code_cr(admin, "faults-other", **ZOE) == "00"  # other sessions are not touched
    second = soap(admin, "faults", traits_request(**ZOE))
    assert parse_fault(second.content).detail_code == "insi_102"
    assert admin.faults("faults") == []
    assert code_cr(admin, "faults", **ZOE) == "00"
    assert [e["fault"] for e in admin.journal("faults")["entries"]] == ["insi_102", "insi_102", None]

    # only the requests it matches use it up
    admin.inject_fault("faults", {"code_cr": "02"}, when={"traits": {"NomNaissance": "PERSONNE"}}, times=1)
    assert code_cr(admin, "faults", **ZOE) == "00"
    assert code_cr(admin, "faults", **NOBODY) == "02"
    assert code_cr(admin, "faults", **NOBODY) == "01"

    # a sequence; a broken HTTP answer; a delay alone answers normally
    admin.inject_fault("faults", {"sequence": [{"code_cr": "02"}, {"code_cr": "01"}]}, times=2)
    assert [code_cr(admin, "faults", **ZOE) for _ in range(3)] == ["02", "01", "00"]
    admin.inject_fault("faults", {"http": {"status": 503, "body": "html"}}, times=1)
    assert soap(admin, "faults", traits_request(**ZOE)).status_code == 503
    admin.inject_fault("faults", {"delay_ms": 50}, times=1)
    started = time.monotonic()
    assert code_cr(admin, "faults", **ZOE) == "00"
    assert time.monotonic() - started >= 0.05

    # until cleared: all of them, or one
    forever = admin.inject_fault("faults", {"code_cr": "01"})
    assert forever["remaining"] is None
    assert [code_cr(admin, "faults", **ZOE) for _ in range(3)] == ["01", "01", "01"]
    assert admin.faults("faults") == [{**forever, "used": 3}]
    assert admin.clear_faults("faults") == 1
    assert code_cr(admin, "faults", **ZOE) == "00"
    one = admin.inject_fault("faults", {"code_cr": "01"})
    two = admin.inject_fault("faults", {"code_cr": "02"})
    assert admin.clear_faults("faults", one["id"]) == 1
    assert [f["id"] for f in admin.faults("faults")] == [two["id"]]
    assert code_cr(admin, "faults", **ZOE) == "02"
    assert admin.clear_faults("faults") == 1
    assert admin.clear_faults("faults") == 0
    for session in ("faults", "faults-other"):
        admin.delete_session(session)


def test_dropped_connection_is_journaled(admin):
    admin.create_session(id="drop")
    admin.inject_fault("drop", {"drop": True}, times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        soap(admin, "drop", traits_request(**ZOE))
    assert code_cr(admin, "drop", **ZOE) == "00"
    entries = admin.journal("drop")["entries"]
    assert [e["http_status"] for e in entries] == [0, 200]
    assert admin.entry("drop", entries[0]["id"])["response_xml"] == ""
    admin.delete_session("drop")


# -- resets -----------------------------------------------------------------------------------


def test_reset_one_session(admin):
    admin.upload_pack("adrun-02", PACK_YAML)
    admin.create_session(id="reset-me", packs=["adrun-02"], profile="qualification")
    admin.create_session(id="keep-me")
    for session in ("reset-me", "keep-me"):
        soap(admin, session, traits_request(**NOBODY, message_id="uuid:same-message"))
    admin.add_identities("reset-me", [NEW_PERSON])
    admin.remove_identity("reset-me", "ADRUN-ZOE")
    admin.inject_fault("reset-me", {"code_cr": "01"})
    before = admin.session("reset-me")
    assert before["calls"] == 1 and before["injected_faults"] == 1

    after = admin.reset_session("reset-me")
    assert after["calls"] == 0 and after["injected_faults"] == 0
    assert after["identities"] == admin.session("default")["identities"]
    assert (after["packs"], after["profile"], after["created"]) == (["adrun-02"], "qualification", before["created"])
    assert admin.journal("reset-me")["count"] == 0
    assert admin.faults("reset-me") == []
    assert admin.journal("keep-me")["count"] == 1  # the other session keeps its journal
    assert admin.session("keep-me")["calls"] == 1

    soap(admin, "reset-me", traits_request(**ZOE, message_id="uuid:same-message"))
    entry = admin.journal("reset-me")["entries"][0]
    assert entry["rank"] == 1
    assert not any(f["rule"] == "message-id-unique" for f in entry["findings"])  # MessageIDs forgotten
    assert entry["code_cr"] == "02"  # the pack is still active, ADRUN-ZOE is back
    for session in ("reset-me", "keep-me"):
        admin.delete_session(session)


def test_reset_everything(admin):
    for name in ("all-1", "all-2"):
        admin.create_session(id=name)
        soap(admin, name, traits_request(**ZOE))
    soap(admin, "default", traits_request(**ZOE))
    admin.inject_fault("default", {"code_cr": "01"})
    admin.remove_identity("default", "ADRUN-ZOE")

    left = admin.reset_all()
    assert [s["id"] for s in left] == ["default"]
    assert left[0]["calls"] == 0 and left[0]["injected_faults"] == 0
    assert left[0]["identities"] == admin.health()["identities"]
    assert [s["id"] for s in admin.sessions()] == ["default"]
    assert admin.journal("default")["count"] == 0
    rejected(lambda: admin.session("all-1"), 404, "session")
    assert soap(admin, "all-2", traits_request(**ZOE)).status_code == 404
    assert code_cr(admin, "default", **ZOE) == "00"
    admin.reset_all()


def test_delete_session(admin):
    admin.create_session(id="gone")
    soap(admin, "gone", traits_request(**ZOE))
    admin.delete_session("gone")
    rejected(lambda: admin.session("gone"), 404, "session")
    assert "gone" not in {s["id"] for s in admin.sessions()}
    assert soap(admin, "gone", traits_request(**ZOE)).status_code == 404
    admin.create_session(id="gone")
    assert admin.journal("gone")["count"] == 0  # the journal went with it
    admin.delete_session("gone")


def test_requests_that_are_not_insi_are_journaled_too(admin):
    """Odd requests make odd entries (no operation, no traits, no headers): the schemas allow them."""
    admin.create_session(id="odd")
    url = admin.soap_url("odd")
    assert requests.get(url, timeout=10).status_code == 405
    assert requests.post(url, data=b"<x/>", headers={"Content-Type": "text/xml"}, timeout=10).status_code == 415
    assert requests.post(url, data=b"not xml", headers={"Content-Type": CONTENT_TYPE}, timeout=10).status_code == 500
    assert requests.get(f"{url}?wsdl", timeout=10).status_code == 200  # not a request: not journaled
    entries = admin.journal("odd")["entries"]
    assert [e["http_status"] for e in entries] == [405, 415, 500]
    assert all(e["operation"] is None and e["traits"] == {} for e in entries)
    assert entries[2]["fault"] and entries[2]["has_findings"]
    for entry in entries:
        admin.entry("odd", entry["id"])
    admin.export_journal("odd")
    admin.delete_session("odd")
