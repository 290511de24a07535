"""Synthetic identities (Faker fr_FR + COG subset): deterministic, valid keys, homonyms, loadable, served."""

from __future__ import annotations

import re
from collections import defaultdict

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from stdnum.fr import nir as stdnum_nir

from harness.cli import main
from simulator.config import fixture
from simulator.datafile import _UNPARSED, DataFileError, _parse_untracked, fast_schema_check
from simulator.engine.messages import TraitsQuery
from simulator.identity.base import BASE_SCHEMA, FirstNameMatch, load_base
from simulator.identity.matricule import MatriculeKind, compute_key, key_is_valid
from simulator.identity.normalize import is_ins_normalized
from simulator.identity.synthetic import (
    InsIdentityProvider,
    dump_base,
    generate_base,
    load_cog,
    synthetic_faker,
    write_base,
)

from .conftest import SoapClient, make_simulator
from .soap_helpers import parse_resultat, traits_request

COUNT = 3000
SEED = 20261204
PARTICLE = re.compile(r"^(DE|DU|LE|LA|DES|DE LA) [A-Z]")


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return generate_base(COUNT, SEED)["identities"]


@pytest.fixture(scope="module")
def base_file(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("synthetic") / "synthetic.yaml"
    write_base(path, {"identities": rows}, ["a synthetic base for tests"])
    return path


@pytest.fixture(scope="module")
def base(base_file):
    return load_base([base_file])


def _homonym_groups(rows) -> list[list[dict]]:
    groups = defaultdict(list)
    for row in rows:
        groups[(row["nom_naissance"], row["sexe"], row["date_naissance"], row["prenoms"][0])].append(row)
    return [group for group in groups.values() if len(group) > 1]


def _query(row, lieu=None, prenom=None) -> TraitsQuery:
    return TraitsQuery(
        nom_naissance=row["nom_naissance"],
        prenoms=[prenom or row["prenoms"][0]],
        sexe=row["sexe"],
        date_naissance=row["date_naissance"],
        lieu_naissance=lieu,
    )


# -- determinism -------------------------------------------------------------


def test_same_count_and_seed_give_the_same_bytes(tmp_path):
    first, second, other = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml"
    write_base(first, generate_base(500, 7), ["x"])
    write_base(second, generate_base(500, 7), ["x"])
    write_base(other, generate_base(500, 8), ["x"])
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()


def test_the_provider_alone_is_deterministic_per_seed():
    fake_a, fake_b = synthetic_faker(3), synthetic_faker(3)
    assert [fake_a.ins_identity() for _ in range(50)] == [fake_b.ins_identity() for _ in range(50)]
    assert fake_a.date_lunaire() == fake_b.date_lunaire()


def test_ids_are_unique_and_in_order(rows):
    assert [row["id"] for row in rows] == [f"SYN-{n:06d}" for n in range(1, COUNT + 1)]


# -- matricules ----------------------------------------------------------------


def test_every_key_is_valid_and_every_matricule_unique(rows):
    matricules = [row["ins"]["matricule"] for row in rows]
    assert len(set(matricules)) == len(matricules)
    for row in rows:
        ins = row["ins"]
        assert ins["cle"] == compute_key(ins["matricule"]) and key_is_valid(ins["matricule"], ins["cle"])
        assert stdnum_nir.is_valid(ins["matricule"] + ins["cle"])
        assert ins.get("kind", "NIR") in ("NIR", "NIA")


def test_matricule_follows_the_traits(rows):
    for row in rows:
        matricule, date = row["ins"]["matricule"], row["date_naissance"]
        assert matricule[0] == ("1" if row["sexe"] == "M" else "2")
        assert matricule[1:3] == date[2:4]
        assert matricule[3:5] == (date[5:7] if date[5:7] != "00" else "20")
        assert matricule[5:10] == row["lieu_naissance"]
        assert 1 <= int(matricule[10:13]) <= 999


def test_corsica_keeps_its_letters_and_has_valid_keys(rows):
    corsica = [row for row in rows if row["lieu_naissance"][:2] in ("2A", "2B")]
    assert {row["lieu_naissance"][:2] for row in corsica} == {"2A", "2B"}
    for row in corsica:
        matricule = row["ins"]["matricule"]
        assert matricule[5:7] in ("2A", "2B")
        as_digits = matricule[:5] + ("19" if matricule[5:7] == "2A" else "18") + matricule[7:]
        assert row["ins"]["cle"] == f"{97 - int(as_digits) % 97:02d}"


def test_nia_for_some_people_born_abroad(rows):
    nias = [row for row in rows if row["ins"].get("kind") == "NIA"]
    assert nias and all(row["lieu_naissance"].startswith("99") for row in nias)


def test_nir_and_nia_reproduce_the_cnda_numbers():
    fake = synthetic_faker(0)
    assert fake.nir("F", "1975-12-31", "63220", order=749) == ("2751263220749", "74", MatriculeKind.NIR)
    assert fake.nir("F", "1997-02-26", "2A020", order=778)[:2] == ("297022A020778", "78")
    assert fake.nir("M", "1960-01-01", "2B020", order=777)[:2] == ("160012B020777", "13")
    assert fake.nir("M", "1980-03-02", "2B020", order=401)[:2] == ("180032B020401", "23")
    nia = fake.nia("M", "2009-07-01", "63220", order=888)
    assert nia == ("1090763220888", "35", MatriculeKind.NIA) and nia.as_yaml()["kind"] == "NIA"
    # an unknown month is 20 in the matricule; an unknown day changes nothing
    assert fake.nir("F", "1950-00-00", "99350", order=123).matricule == "2502099350123"
    assert fake.nir("F", "1950-04-00", "99350", order=123).matricule == "2500499350123"
    with pytest.raises(ValueError):
        fake.nir("X", "1950-04-00", "99350")
    with pytest.raises(ValueError):
        fake.nir("M", "1950-04-00", "2C004")


# -- traits --------------------------------------------------------------------


def test_lunar_dates_are_there_and_have_the_shape(rows):
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["date_naissance"]) for row in rows)
    lunar = [row["date_naissance"] for row in rows if "-00" in row["date_naissance"][4:]]
    assert lunar and len(lunar) < len(rows) / 10
    assert any(date.endswith("-00-00") for date in lunar) and any(date[5:7] != "00" for date in lunar)


def test_lunar_date_kinds_from_the_provider():
    fake = synthetic_faker(5)
    dates = [fake.date_lunaire(lunar_share=1.0) for _ in range(400)]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) and "-00" in date[4:] for date in dates)
    assert {"day", "both", "month"} == {
        "both" if d[5:] == "00-00" else "day" if d[8:] == "00" else "month" for d in dates
    }
    assert all("-00" not in fake.date_lunaire(lunar_share=0.0)[4:] for _ in range(200))


def test_birth_places_come_from_the_cog_subset(rows):
    cog = load_cog()
    assert {row["lieu_naissance"] for row in rows} <= cog.codes
    places = {row["lieu_naissance"] for row in rows}
    for kind in ("metropole", "corse", "outre_mer", "pays"):
        assert places & set(cog.of_kind(kind)), kind
    assert all(code.startswith("99") for code in cog.pays) and len(cog.pays) >= 10
    assert 60 <= len(cog.codes) <= 150


def test_names_are_ins_normalized_with_hyphens_apostrophes_and_particles(rows):
    noms = [row["nom_naissance"] for row in rows]
    prenoms = [name for row in rows for name in row["prenoms"]]
    assert all(is_ins_normalized(name) for name in noms + prenoms)
    assert any("-" in nom for nom in noms)
    assert any(re.match(r"^[DL]'[A-Z]", nom) for nom in noms)
    assert any(PARTICLE.match(nom) for nom in noms)
    assert any("-" in name for name in prenoms)
    assert any(len(row["prenoms"]) >= 3 for row in rows)
    assert all(len(set(row["prenoms"])) == len(row["prenoms"]) for row in rows)


# -- homonyms and searches ---------------------------------------------------------


def test_homonym_groups_share_the_traits_but_not_the_birth_place(rows):
    groups = _homonym_groups(rows)
    in_groups = sum(len(group) for group in groups)
    assert in_groups == round(COUNT * 0.02)
    for group in groups:
        assert len({row["prenoms"][0] for row in group}) == 1
        assert len({row["lieu_naissance"] for row in group}) == len(group)
        assert all("homonym of" in row["note"] for row in group)
    assert sum("note" in row for row in rows) == in_groups


def test_homonyms_answer_several_without_birth_place_and_one_with_it(base, rows):
    for group in _homonym_groups(rows):
        found = base.search_traits(_query(group[0]), FirstNameMatch.FIRST_OR_LIST)
        assert {identity.id for identity in found} == {row["id"] for row in group}  # CR 02
        for row in group:
            found = base.search_traits(_query(row, lieu=row["lieu_naissance"]), FirstNameMatch.FIRST_OR_LIST)
            assert [identity.id for identity in found] == [row["id"]]  # CR 00


def test_everyone_else_is_found_alone(base, rows):
    homonyms = {row["id"] for group in _homonym_groups(rows) for row in group}
    for row in rows[::7]:
        if row["id"] in homonyms:
            continue
        found = base.search_traits(_query(row), FirstNameMatch.FIRST_OR_LIST)
        assert [identity.id for identity in found] == [row["id"]]
        whole_list = base.search_traits(_query(row, prenom=" ".join(row["prenoms"])), FirstNameMatch.FIRST_OR_LIST)
        assert [identity.id for identity in whole_list] == [row["id"]]


def test_homonym_share_zero_and_tiny_bases():
    assert not _homonym_groups(generate_base(300, 1, homonym_share=0.0)["identities"])
    assert len(generate_base(1, 1)["identities"]) == 1
    assert generate_base(0, 1) == {"identities": []}
    assert len(_homonym_groups(generate_base(10, 1, homonym_share=0.5)["identities"])) >= 2
    with pytest.raises(ValueError):
        generate_base(10, 1, homonym_share=1.5)


# -- files, loading, CLI, SOAP ------------------------------------------------------


def test_written_file_is_yaml_and_json_and_reads_the_same(base_file, rows):
    text = base_file.read_text(encoding="utf-8")
    assert text.startswith("# a synthetic base for tests\n")
    assert _parse_untracked(text) == {"identities": rows}  # read as JSON
    lines = text.splitlines()
    assert sum(line.lstrip().startswith('{"id": "SYN-') for line in lines) == len(rows)  # one row per line
    small = dump_base({"identities": rows[:300]}, ["a comment", "", "another"])
    assert yaml.safe_load(small) == {"identities": rows[:300]}  # and it is YAML (PyYAML's own parser)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": [1, -0, true, null, "x"]}',
        '# head\n{"a": 1,\n  # a comment line inside\n  "b": "2000-01-01"}\n',
        '{"a": 1e5, "b": 1.5, "c": 1.0e+5}',  # floats: YAML 1.1 reads 1e5 as a string
        '{"a": "\\u00e9\\/x"}',  # escapes: left to YAML
        '{"a":\t1}',  # a tab: YAML refuses it
        '{"a": "é"}',
        '[{"a": NaN}]',
        '{"a": 1, "a": 2}',
        "a: 1\n",
        '{"a": 1} # trailing comment\n',
    ],
)
def test_fast_parser_reads_what_the_yaml_parser_reads(text):
    try:
        expected = yaml.safe_load(text)
    except yaml.YAMLError:
        expected = "refused"
    got = _parse_untracked(text)
    assert ("refused" if got is _UNPARSED else got) == expected
    assert [type(v) for v in (got.values() if isinstance(got, dict) else [])] == [
        type(v) for v in (expected.values() if isinstance(expected, dict) else [])
    ]


def test_block_style_and_flow_style_load_to_the_same_base(tmp_path, rows, base):
    block = tmp_path / "block.yaml"
    block.write_text(yaml.safe_dump({"identities": rows[:200]}, sort_keys=False), encoding="utf-8")
    loaded = load_base([block])
    assert [loaded.identities[row["id"]] for row in rows[:200]] == [base.identities[row["id"]] for row in rows[:200]]


def test_an_error_in_a_generated_file_names_its_line(tmp_path, rows):
    lines = dump_base({"identities": rows[:50]}).splitlines()
    index = next(i for i, line in enumerate(lines) if "SYN-000040" in line)
    right = rows[39]["ins"]["cle"]
    lines[index] = lines[index].replace(f'"cle": "{right}"', f'"cle": "{(int(right) + 1) % 97:02d}"')
    path = tmp_path / "wrong-key.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        load_base([path])
    assert caught.value.line == index + 1 and "the right key is" in str(caught.value)
    lines[index] = lines[index].replace('"sexe": ', '"sexe": "X", "sex": ')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        load_base([path])
    assert caught.value.line == index + 1


def test_compiled_schema_check_never_accepts_what_jsonschema_refuses(rows):
    check = fast_schema_check(BASE_SCHEMA)
    validator = jsonschema.Draft202012Validator(BASE_SCHEMA)
    good = {"identities": [dict(row) for row in rows[:20]]}
    assert check(good) and validator.is_valid(good)
    mutations = [
        ("sexe", "X"),
        ("sexe", None),
        ("date_naissance", "01/01/2000"),
        ("prenoms", []),
        ("prenoms", [""]),
        ("prenoms", "JEAN"),
        ("lieu_naissance", "2A0044"),
        ("ins", {"matricule": "12345"}),
        ("ins", {"cle": "12"}),
        ("ins", {"matricule": "1000163220001", "cle": 12}),
        ("ins", {"matricule": "1000163220001", "kind": "NIX"}),
        ("searchable", "yes"),
        ("searchable", 1),
        ("code_cr", "02"),
        ("unknown_field", "x"),
        ("id", ""),
    ]
    for key, value in mutations:
        document = {"identities": [*good["identities"], {**rows[0], key: value}]}
        assert not validator.is_valid(document), key
        assert not check(document), key
    assert not check({"identities": "nobody"}) and not check([]) and not check({"identities": [], "x": 1})


def test_cli_generates_a_file_that_load_base_accepts(tmp_path):
    out = tmp_path / "cli.yaml"
    runner = CliRunner()
    result = runner.invoke(main, ["identities", "generate", "--count", "250", "--seed", "42", "--out", str(out)])
    assert result.exit_code == 0, result.output
    first = out.read_bytes()
    assert b"--count 250 --seed 42" in first
    assert len(load_base([out])) == 250
    again = runner.invoke(main, ["identities", "generate", "--count", "250", "--seed", "42", "--out", str(out)])
    assert again.exit_code == 0 and out.read_bytes() == first
    assert runner.invoke(main, ["identities", "generate", "--count", "0", "--seed", "1", "--out", str(out)]).exit_code


def test_generated_base_answers_through_the_soap_endpoint(tmp_path, base_file, rows):
    client = SoapClient(make_simulator(tmp_path, base_files=[fixture("cnda-base.yaml"), base_file]))
    groups = _homonym_groups(rows)
    homonyms = {row["id"] for group in groups for row in group}
    alone = next(row for row in rows if row["id"] not in homonyms and row["lieu_naissance"][:2] == "2B")
    answer = parse_resultat(
        client.post(
            traits_request(alone["nom_naissance"], alone["prenoms"][0], alone["sexe"], alone["date_naissance"])
        ).data
    )
    assert answer.code_cr == "00"
    assert (answer.ins.num, answer.ins.cle) == (alone["ins"]["matricule"], alone["ins"]["cle"])
    assert answer.ins.oid == "1.2.250.1.213.1.4.8"
    assert answer.tiq["ListePrenom"] == " ".join(alone["prenoms"])

    nia = next(row for row in rows if row["id"] not in homonyms and row["ins"].get("kind") == "NIA")
    answer = parse_resultat(
        client.post(traits_request(nia["nom_naissance"], nia["prenoms"][0], nia["sexe"], nia["date_naissance"])).data
    )
    assert answer.code_cr == "00" and answer.ins.oid == "1.2.250.1.213.1.4.9"

    group = groups[0]
    row = group[0]
    several = parse_resultat(
        client.post(traits_request(row["nom_naissance"], row["prenoms"][0], row["sexe"], row["date_naissance"])).data
    )
    assert several.code_cr == "02" and several.ins is None
    one = parse_resultat(
        client.post(
            traits_request(
                row["nom_naissance"], row["prenoms"][0], row["sexe"], row["date_naissance"], row["lieu_naissance"]
            )
        ).data
    )
    assert one.code_cr == "00" and one.ins.num == row["ins"]["matricule"]


def test_provider_is_a_faker_provider():
    assert issubclass(InsIdentityProvider, __import__("faker").providers.BaseProvider)
    fake = synthetic_faker(9)
    assert fake.cog_naissance("corse")[:2] in ("2A", "2B")
    assert fake.cog_naissance("pays").startswith("99")
    with pytest.raises(ValueError):
        fake.cog_naissance("mars")


def test_cog_subset_file_is_documented_and_checked(tmp_path):
    text = fixture("cog-subset.yaml").read_text(encoding="utf-8")
    assert "INSEE" in text.split("communes:")[0] and "Code officiel géographique" in text
    bad = tmp_path / "cog.yaml"
    bad.write_text(
        'communes:\n  - {code: "75101", nom: A}\n  - {code: "75101", nom: B}\npays: [{code: "99109", nom: C}]\n'
    )
    with pytest.raises(DataFileError) as caught:
        load_cog(bad)
    assert caught.value.line == 3 and "twice" in str(caught.value)
    bad.write_text('communes:\n  - {code: "7510", nom: A}\npays: [{code: "99109", nom: C}]\n')
    with pytest.raises(DataFileError) as caught:
        load_cog(bad)
    assert caught.value.line == 2
