"""Bad data files are refused at start with the file and the line."""

from __future__ import annotations

import pytest

from simulator.config import fixture, scenario
from simulator.datafile import DataFileError
from simulator.engine.rules import load_rules
from simulator.identity.base import load_base
from simulator.soap.catalogue import FaultCatalogue
from simulator.soap.layout import load_layouts

from .conftest import make_simulator

GOOD_ROW = """identities:
  - id: A
    nom_naissance: A
    prenoms: [B]
    sexe: M
    date_naissance: "2000-01-01"
    ins: {matricule: "1000163220001"}
"""


def _write(tmp_path, text, name="base.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(callable_, *args) -> DataFileError:
    with pytest.raises(DataFileError) as caught:
        callable_(*args)
    return caught.value


def test_embedded_files_load():
    base = load_base([fixture("cnda-base.yaml")])
    assert len(base) >= 19
    assert load_rules([scenario("default.yaml")], base, FaultCatalogue.load(fixture("faults.yaml")).keys())
    layouts, default = load_layouts(fixture("wire-layouts.yaml"))
    assert default == "live" and {"live", "cnda"} <= set(layouts)


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    path = _write(tmp_path, GOOD_ROW + "  - id: [unclosed\n")
    error = _error(load_base, [path])
    assert error.path == str(path) and error.line == 9
    assert str(error).startswith(f"{path}:9: not valid YAML")


def test_schema_error_points_at_the_faulty_field(tmp_path):
    path = _write(tmp_path, GOOD_ROW.replace("sexe: M", "sexe: X"))
    error = _error(load_base, [path])
    assert error.line == 5
    assert "identities/0/sexe" in str(error)


def test_unknown_field_is_refused_with_its_line(tmp_path):
    path = _write(tmp_path, GOOD_ROW + "    prenom_usuel: X\n")
    error = _error(load_base, [path])
    assert error.line == 2 and "prenom_usuel" in str(error)


def test_wrong_key_is_refused_unless_declared(tmp_path):
    path = _write(tmp_path, GOOD_ROW.replace('"1000163220001"}', '"1000163220001", cle: "11"}'))
    error = _error(load_base, [path])
    assert error.line == 7 and "the right key is" in str(error)
    ok = _write(tmp_path, GOOD_ROW.replace('"1000163220001"}', '"1000163220001", cle: "11", cle_invalide: true}'))
    assert load_base([ok]).identities["A"].ins.cle == "11"


def test_lunar_date_is_accepted_and_bad_date_shape_refused(tmp_path):
    lunar = _write(tmp_path, GOOD_ROW.replace("2000-01-01", "1950-00-00"))
    assert load_base([lunar]).identities["A"].date_naissance == "1950-00-00"
    bad = _write(tmp_path, GOOD_ROW.replace('"2000-01-01"', '"01/01/2000"'))
    assert _error(load_base, [bad]).line == 6


def test_duplicate_identity_id(tmp_path):
    path = _write(tmp_path, GOOD_ROW + GOOD_ROW.split("\n", 1)[1])
    error = _error(load_base, [path])
    assert error.line == 8 and "used twice" in str(error)


def test_rule_naming_unknown_identity_or_fault(tmp_path):
    base = load_base([_write(tmp_path, GOOD_ROW)])
    rules = _write(tmp_path, "rules:\n  - id: r\n    answer: {identity: NOBODY}\n", "rules.yaml")
    error = _error(load_rules, [rules], base, ["desir_550"])
    assert error.line == 3 and "NOBODY" in str(error)
    rules = _write(tmp_path, "rules:\n  - id: r\n    answer:\n      fault: nope\n", "rules.yaml")
    assert "nope" in str(_error(load_rules, [rules], base, ["desir_550"]))


def test_catalogue_missing_a_required_entry(tmp_path):
    text = fixture("faults.yaml").read_text(encoding="utf-8").replace("  insi_101:", "  insi_101_renamed:")
    error = _error(FaultCatalogue.load, _write(tmp_path, text, "faults.yaml"))
    assert "insi_101" in str(error)


def test_layout_that_does_not_open_an_envelope(tmp_path):
    text = fixture("wire-layouts.yaml").read_text(encoding="utf-8").replace("<env:Body xmlns:S=", "<env:Bodie xmlns:S=")
    text = text.replace("</env:Body></soap:Envelope>", "</env:Bodie></soap:Envelope>")
    error = _error(load_layouts, _write(tmp_path, text, "layouts.yaml"))
    assert "layout live" in str(error) and error.line == 19


def test_simulator_start_fails_with_the_file_name(tmp_path):
    bad = _write(tmp_path, GOOD_ROW.replace("sexe: M", "sexe: 3"))
    with pytest.raises(DataFileError, match=str(bad)):
        make_simulator(tmp_path, base_files=[bad])
