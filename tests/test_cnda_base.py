"""Every row of the CNDA test base (insi-domain.md §3), in both profiles.

Each row says what the simulator must answer for the traits the CNDA test
plan sends: CodeCR, matricule + key, OID, TIQ, INSHISTO — or the fault the
qualification environment answers.
"""

from __future__ import annotations

import pytest

from .soap_helpers import parse_fault, parse_resultat, traits_request

NIR = "1.2.250.1.213.1.4.8"
NIA = "1.2.250.1.213.1.4.9"

# (traits sent) -> (CodeCR, matricule, key, OID, ListePrenom of TIQ, INSHISTO [(num, key, deb, fin)])
FOUND = [
    (("ADRUN", "ZOE", "F", "1975-12-31", None), ("2751263220749", "74", NIR, "ZOE", [])),
    (("ADRTROIS", "DOMINIQUE", "F", "1997-02-26", None), ("297022A020778", "78", NIR, "DOMINIQUE", [])),
    (("ADRTROIS", "TOUSSAINT", "M", "1960-01-01", None), ("160012B020777", "13", NIR, "TOUSSAINT", [])),
    (("TCHITCHI", "CATARINA", "F", "1936-06-21", None), ("2360663220836", "56", NIR, "CATARINA BELLA", [])),
    (
        ("ECETINSI", "PIERRE-ALAIN", "M", "2009-07-14", None),
        (
            "1090763220834",
            "89",
            NIR,
            "PIERRE-ALAIN MURIEL FLORIANT",
            [("2090763220834", "39", "2019-03-01", "2019-02-28")],
        ),
    ),
    (("NESSI", "MICHELANGELO", "M", "2010-08-07", None), ("1100863220830", "60", NIR, "MICHELANGELO ANTHONY", [])),
    # CNDA special cases reachable by traits
    (
        ("ECETINSI", "FLORIANT", "M", "2009-07-14", None),
        (
            "1090763220834",
            "89",
            NIR,
            "PIERRE-ALAIN MURIEL FLORIANT",
            [("2090763220834", "39", "2019-03-01", "2019-02-28"), ("2090663220123", "55", None, None)],
        ),
    ),
    (("PROVISOIRE", "MATRICULE", "M", "2009-07-01", None), ("1090763220888", "35", NIA, "MATRICULE", [])),
    (
        ("CORSE", "ANTHONY", "M", "1980-03-02", None),
        ("180032B020401", "23", NIR, "ANTHONY", [("180032B020401", "23", None, None)]),
    ),
    (
        ("HERMANN", "GATIEN", "M", "1981-03-24", None),
        (
            "1810363220456",
            "60",
            NIR,
            "GATIEN",
            [("1810363220456", "60", None, None), ("2810363220456", "10", None, None)],
        ),
    ),
    # synthetic rows
    (("DE VINCI", "LEONARDO", "M", "2014-02-01", "75115"), ("1140275115202", "21", NIR, "LEONARDO PIERO", [])),
    (("DE VINCI", "LEONARDO", "M", "2014-02-01", "63220"), ("1140263220101", "12", NIR, "LEONARDO", [])),
    (("BENALI", "FATIMA", "F", "1950-00-00", None), ("2509999350123", "94", NIR, "FATIMA", [])),
    (
        ("D'ARTAGNAN-LUPIN", "JEAN-CHARLES", "M", "1970-06-30", None),
        ("1700633190077", "36", NIR, "JEAN-CHARLES ARSENE", []),
    ),
]

NOT_FOUND_BUT_KNOWN = [  # rows of the test base observed answering CR 01 in both environments
    ("TCHITCHI", "OLA", "F", "1936-06-21", None),
    ("DE VINCI", "LEONARDODINO", "M", "2004-02-01", None),
    ("DE VINCI", "LEONARDODINO DICAPRIO BUFFALO", "M", "2004-02-01", None),
    ("HOUILLES", "PIERRE", "M", "1993-01-27", None),
    ("HOUILLES", "PAUL", "M", "1993-01-27", None),
    ("HOUILLES", "JACQUES", "M", "1993-01-27", None),
    ("HOUILLES", "PIERRE PAUL JACQUES", "M", "1993-01-27", None),
]

ABSENT = ("D'AEION", "COEUR", "M", "1987-01-25", None)


def _ids(rows):
    return [" ".join(filter(None, row[0] if isinstance(row[0], tuple) else row)) for row in rows]


@pytest.fixture(params=["production", "qualification"])
def client(request, prod_client, qualif_client):
    return prod_client if request.param == "production" else qualif_client


@pytest.mark.parametrize(("traits", "expected"), FOUND, ids=_ids(FOUND))
def test_found_rows_answer_cr00_with_ins_oid_tiq_and_inshisto(client, traits, expected):
    nom, prenom, sexe, date, lieu = traits
    num, cle, oid, liste_prenom, histo = expected
    response = client.post(traits_request(nom, prenom, sexe, date, lieu))
    assert response.status_code == 200
    answer = parse_resultat(response.data)
    assert (answer.code_cr, answer.libelle_cr) == ("00", "OK")
    assert (answer.ins.num, answer.ins.cle, answer.ins.oid) == (num, cle, oid)
    assert answer.tiq["NomNaissance"] == nom
    assert answer.tiq["ListePrenom"] == liste_prenom
    assert answer.tiq["Sexe"] == sexe
    assert answer.tiq["DateNaissance"] == date
    assert [(h.num, h.cle, h.date_deb, h.date_fin) for h in answer.histo] == histo
    assert all(h.oid == NIR for h in answer.histo)


@pytest.mark.parametrize("traits", NOT_FOUND_BUT_KNOWN, ids=_ids(NOT_FOUND_BUT_KNOWN))
def test_rows_observed_answering_cr01(client, traits):
    answer = parse_resultat(client.post(traits_request(*traits)).data)
    assert (answer.code_cr, answer.libelle_cr) == ("01", "Aucune identite trouvee")
    assert answer.ins is None


def test_homonyms_answer_cr02_by_real_matching(client):
    answer = parse_resultat(client.post(traits_request("DE VINCI", "LEONARDO", "M", "2014-02-01")).data)
    assert (answer.code_cr, answer.libelle_cr) == ("02", "Plusieurs identites trouvees")
    assert answer.ins is None and answer.element.find("{*}INDIVIDU") is None


def test_absent_person_answers_cr01_in_production(prod_client):
    answer = parse_resultat(prod_client.post(traits_request(*ABSENT)).data)
    assert answer.code_cr == "01"


def test_absent_person_answers_insi_102_in_qualification(qualif_client):
    response = qualif_client.post(traits_request(*ABSENT))
    assert response.status_code == 500
    fault = parse_fault(response.data)
    assert (fault.code, fault.subcode) == ("S:Receiver", "S:siram_40")
    assert (fault.detail_code, fault.severite, fault.lang) == ("insi_102", "fatal", "en")


def test_whole_first_name_list_finds_the_person(client):
    answer = parse_resultat(client.post(traits_request("TCHITCHI", "CATARINA BELLA", "F", "1936-06-21")).data)
    assert answer.code_cr == "00"


def test_later_first_name_alone_does_not_match_by_default(client):
    answer = parse_resultat(client.post(traits_request("TCHITCHI", "BELLA", "F", "1936-06-21")).data)
    assert answer.code_cr == "01"


def test_any_first_name_setting_matches_a_later_first_name(tmp_path):
    from simulator.identity.base import FirstNameMatch

    from .conftest import SoapClient, make_simulator

    client = SoapClient(make_simulator(tmp_path, first_names=FirstNameMatch.ANY))
    answer = parse_resultat(client.post(traits_request("TCHITCHI", "BELLA", "F", "1936-06-21")).data)
    assert (answer.code_cr, answer.ins.num) == ("00", "2360663220836")


def test_birth_place_that_differs_excludes_the_person(client):
    answer = parse_resultat(client.post(traits_request("ADRUN", "ZOE", "F", "1975-12-31", "75056")).data)
    assert answer.code_cr == "01"


def test_traits_are_compared_after_ins_normalization(client):
    answer = parse_resultat(client.post(traits_request("  adrun ", "Zoé", "f", "1975-12-31")).data)
    assert (answer.code_cr, answer.ins.num) == ("00", "2751263220749")


def test_nia_and_corsican_tiq_carry_prenom(client):
    nia = parse_resultat(client.post(traits_request("PROVISOIRE", "MATRICULE", "M", "2009-07-01")).data)
    assert nia.tiq["Prenom"] == "MATRICULE"
    corse = parse_resultat(client.post(traits_request("CORSE", "ANTHONY", "M", "1980-03-02")).data)
    assert corse.tiq["LieuNaissance"] == "2B020" and corse.tiq["Prenom"] == "ANTHONY"
