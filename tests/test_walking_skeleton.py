"""One request answered end to end over HTTP, through waitress."""

import requests

from .soap_helpers import CONTENT_TYPE, parse_resultat, traits_request


def test_traits_search_over_http_answers_cr00(live_url):
    response = requests.post(
        f"{live_url}/lps",
        data=traits_request("ADRUN", "ZOE", "F", "1975-12-31"),
        headers={"Content-Type": CONTENT_TYPE},
        timeout=10,
    )
    assert response.status_code == 200
    answer = parse_resultat(response.content)
    assert (answer.code_cr, answer.libelle_cr) == ("00", "OK")
    assert (answer.ins.num, answer.ins.cle, answer.ins.oid) == ("2751263220749", "74", "1.2.250.1.213.1.4.8")


def test_health_reports_profile_and_identities(live_url):
    health = requests.get(f"{live_url}/_admin/health", timeout=10).json()
    assert health["status"] == "ok"
    assert health["profile"] == "production"
    assert health["identities"] >= 10
