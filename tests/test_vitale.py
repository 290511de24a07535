"""rechercherInsAvecCarteVitale (RECVITALE): beneficiaries of the embedded cards."""

from __future__ import annotations

from .soap_helpers import parse_fault, parse_resultat, vitale_request

MARTIN_CARD = "2850575112045"
TWINS_BIRTH = "2015-05-10"


def test_twins_are_told_apart_by_rang_naissance(prod_client):
    first = parse_resultat(prod_client.post(vitale_request(od=MARTIN_CARD, date=TWINS_BIRTH, rang="1")).data)
    second = parse_resultat(prod_client.post(vitale_request(od=MARTIN_CARD, date=TWINS_BIRTH, rang="2")).data)
    assert (first.code_cr, first.ins.num, first.tiq["ListePrenom"]) == ("00", "2150563220311", "LEA")
    assert (second.code_cr, second.ins.num, second.tiq["ListePrenom"]) == ("00", "2150563220312", "LOUISE")


def test_twins_without_rang_answer_cr02(prod_client):
    answer = parse_resultat(prod_client.post(vitale_request(od=MARTIN_CARD, date=TWINS_BIRTH)).data)
    assert answer.code_cr == "02"


def test_card_holder_found_by_individual_matricule(prod_client):
    answer = parse_resultat(prod_client.post(vitale_request(individu=MARTIN_CARD, date="1985-05-12")).data)
    assert (answer.code_cr, answer.ins.num, answer.tiq["NomNaissance"]) == ("00", MARTIN_CARD, "MARTIN")


def test_single_beneficiary_card(prod_client):
    answer = parse_resultat(
        prod_client.post(vitale_request(individu="2751263220749", od="2751263220749", date="1975-12-31")).data
    )
    assert (answer.code_cr, answer.ins.num, answer.ins.cle) == ("00", "2751263220749", "74")


def test_beneficiary_not_on_the_card_answers_cr01(prod_client, qualif_client):
    for client in (prod_client, qualif_client):
        answer = parse_resultat(client.post(vitale_request(od=MARTIN_CARD, date="2001-01-01")).data)
        assert answer.code_cr == "01"


def test_unknown_card_answers_cr01_in_production(prod_client):
    answer = parse_resultat(prod_client.post(vitale_request(od="1991299123456", date="1991-12-01")).data)
    assert answer.code_cr == "01"


def test_unknown_card_answers_insi_101_in_qualification(qualif_client):
    response = qualif_client.post(vitale_request(od="1991299123456", date="1991-12-01"))
    assert response.status_code == 500
    fault = parse_fault(response.data)
    assert (fault.code, fault.subcode, fault.detail_code, fault.severite) == (
        "S:Receiver",
        "S:siram_40",
        "insi_101",
        "fatal",
    )
