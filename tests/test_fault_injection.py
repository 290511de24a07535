"""Injected faults as a real HTTP client sees them (``requests`` with a timeout, over a socket).

Each fault type of ``POST /_admin/sessions/<id>/faults`` is injected in a session of its own, then
seen from the client side (status, body, exception) and from the journal (http status, answer label).
Also: ``times`` (next N matching requests, then normal answers), no ``times`` (until cleared),
``when`` filters, and isolation between sessions.
"""

from __future__ import annotations

import itertools
import logging
import time

import pytest
import requests
from lxml import etree
from waitress.channel import HTTPChannel

from .conftest import LiveServer, make_simulator
from .soap_helpers import CONTENT_TYPE, parse_fault, parse_resultat, traits_request, vitale_request

ADRUN = ("ADRUN", "ZOE", "F", "1975-12-31")
ADRUN_INS = "2751263220749"
TCHITCHI = ("TCHITCHI", "CATARINA", "F", "1936-06-21")
QUIETED = {"spyne": logging.CRITICAL, "waitress.queue": logging.ERROR}
TIMEOUT = 10.0  # seconds: the longest any request of this module may take
_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def quiet_logs():
    """Log as ``insi-harness serve`` does: Spyne's traceback per fault and waitress's queue-depth
    warnings would otherwise be formatted by pytest's log capture for every request (slow)."""
    levels = {name: logging.getLogger(name).level for name in QUIETED}
    for name, level in QUIETED.items():
        logging.getLogger(name).setLevel(level)
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


class ClosingLiveServer(LiveServer):
    """A :class:`LiveServer` that also closes the connections clients left open when it stops.

    ``LiveServer`` closes the listening socket (from waitress's loop); a keep-alive connection still
    held by a ``requests`` response object then keeps that loop running, and the exit waits its whole
    5 s join time-out, leaving the loop and the worker threads behind. Here the loop itself closes every
    connection too (through waitress's trigger, so no socket is closed under its ``select()``), then the
    worker threads are stopped.
    """

    def __exit__(self, *exc):
        def close_everything() -> None:
            for channel in [d for d in self.server._map.values() if isinstance(d, HTTPChannel)]:
                channel.close()
            self.server.close()

        self.server.trigger.pull_trigger(close_everything)
        self.thread.join(timeout=5)
        self.server.task_dispatcher.shutdown(timeout=5)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    simulator = make_simulator(tmp_path_factory.mktemp("faults"))
    with ClosingLiveServer(simulator) as server:
        yield server.url
    simulator.close()


def new_session(url: str) -> str:
    """A fresh session of the live simulator (each test injects in its own)."""
    session_id = f"faults-{next(_ids)}"
    response = requests.post(f"{url}/_admin/sessions", json={"id": session_id}, timeout=TIMEOUT)
    assert response.status_code == 201, response.text
    return session_id


def inject(url: str, session_id: str, answer: dict, when: dict | None = None, times: int | None = None) -> dict:
    body: dict = {"answer": answer}
    if when is not None:
        body["when"] = when
    if times is not None:
        body["times"] = times
    response = requests.post(f"{url}/_admin/sessions/{session_id}/faults", json=body, timeout=TIMEOUT)
    assert response.status_code == 201, response.text
    return response.json()


def endpoint(url: str, session_id: str) -> str:
    return f"{url}/lps" if session_id == "default" else f"{url}/s/{session_id}/lps"


def soap(url: str, session_id: str, data: bytes, timeout: float = TIMEOUT) -> requests.Response:
    return requests.post(endpoint(url, session_id), data=data, headers={"Content-Type": CONTENT_TYPE}, timeout=timeout)


def journal(url: str, session_id: str, **filters) -> list[dict]:
    response = requests.get(f"{url}/_admin/sessions/{session_id}/journal", params=filters, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["count"] == len(data["entries"])  # every test here stays below one page
    return data["entries"]


def assert_adrun(response: requests.Response) -> None:
    """The normal answer to the ADRUN ZOE search: HTTP 200, CR 00 with her INS."""
    assert response.status_code == 200, response.content[:300]
    resultat = parse_resultat(response.content)
    assert (resultat.code_cr, resultat.ins.num) == ("00", ADRUN_INS)


def assert_unparsable(data: bytes) -> None:
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(data)


# -- each fault type -----------------------------------------------------------


def test_a_fixed_delay_sends_the_normal_answer_late(live):
    session_id = new_session(live)
    assert_adrun(soap(live, session_id, traits_request(*ADRUN)))  # warm: the first call pays no extra cost
    inject(live, session_id, {"delay_ms": 300}, times=1)
    started = time.perf_counter()
    response = soap(live, session_id, traits_request(*ADRUN))
    elapsed = time.perf_counter() - started
    assert_adrun(response)
    assert elapsed >= 0.3
    assert_adrun(soap(live, session_id, traits_request(*ADRUN)))  # times: 1, so no delay any more
    entries = journal(live, session_id)
    assert [e["http_status"] for e in entries] == [200, 200, 200]
    assert entries[1]["code_cr"] == "00" and entries[1]["duration_ms"] >= 300
    assert entries[2]["duration_ms"] < 300  # server side: what the client waited, minus the network


def test_a_delay_injection_is_named_in_the_journal(live):
    session_id = new_session(live)
    injected = inject(live, session_id, {"delay_ms": 50}, times=1)
    assert_adrun(soap(live, session_id, traits_request(*ADRUN)))
    assert_adrun(soap(live, session_id, traits_request(*ADRUN)))
    delayed, normal = journal(live, session_id)
    assert delayed["answer"].startswith("found ADRUN-ZOE")  # the answer is the normal one…
    assert f"delayed 50 ms by injected {injected['id']}" in delayed["answer"]  # …and the label says it was late
    assert "delayed" not in normal["answer"]


def test_a_delay_beyond_the_client_timeout_makes_the_client_time_out(live):
    session_id = new_session(live)
    inject(live, session_id, {"delay_ms": 3000}, times=1)
    started = time.perf_counter()
    with pytest.raises(requests.exceptions.Timeout):
        soap(live, session_id, traits_request(*ADRUN), timeout=0.5)
    assert time.perf_counter() - started < 2.5  # the client gave up, it did not wait for the answer
    # the server still answers (late, to nobody) and journals it; wait for it, bounded
    deadline = time.monotonic() + TIMEOUT
    entries: list[dict] = []
    while time.monotonic() < deadline and not entries:
        entries = journal(live, session_id)
        if not entries:
            time.sleep(0.1)
    assert len(entries) == 1, "the delayed exchange never reached the journal"
    assert entries[0]["http_status"] == 200 and entries[0]["code_cr"] == "00"
    assert entries[0]["duration_ms"] >= 3000
    assert_adrun(soap(live, session_id, traits_request(*ADRUN), timeout=2))  # times: 1 — back to normal


def test_http_500_with_an_empty_body(live):
    session_id = new_session(live)
    inject(live, session_id, {"http": {"status": 500}}, times=1)
    response = soap(live, session_id, traits_request(*ADRUN))
    assert response.status_code == 500
    assert response.content == b""
    assert response.headers["Content-Length"] == "0"
    (entry,) = journal(live, session_id)
    assert entry["http_status"] == 500
    assert entry["answer"].startswith("HttpAnswer") and "injected" in entry["answer"]
    assert entry["fault"] is None and entry["code_cr"] is None


def test_http_503_with_an_html_page(live):
    session_id = new_session(live)
    inject(live, session_id, {"http": {"status": 503, "body": "html"}}, times=1)
    response = soap(live, session_id, traits_request(*ADRUN))
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.content.startswith(b"<!DOCTYPE html>") and b"Service Unavailable" in response.content
    (entry,) = journal(live, session_id)
    assert entry["http_status"] == 503
    assert entry["answer"].startswith("HttpAnswer")


@pytest.mark.parametrize("kind", ["truncated", "not-xml"])
def test_a_malformed_body_with_status_200(live, kind):
    session_id = new_session(live)
    inject(live, session_id, {"malformed": kind}, times=1)
    response = soap(live, session_id, traits_request(*ADRUN))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/soap+xml")
    assert response.content, "a malformed answer still has a body"
    assert_unparsable(response.content)
    if kind == "truncated":
        assert response.content.startswith(b"<?xml")  # it starts as the real answer would
    (entry,) = journal(live, session_id)
    assert entry["http_status"] == 200
    assert entry["answer"].startswith("MalformedAnswer")


def test_a_dropped_connection(live):
    session_id = new_session(live)
    inject(live, session_id, {"drop": True}, times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        soap(live, session_id, traits_request(*ADRUN))
    assert_adrun(soap(live, session_id, traits_request(*ADRUN)))  # the server is fine, the fault used up
    first, second = journal(live, session_id)
    assert first["http_status"] == 0 and first["answer"].startswith("DropAnswer")
    assert second["http_status"] == 200


def test_a_dropped_connection_on_a_keep_alive_session(live):
    """A client that reuses its connection gets the drop, then a new connection works."""
    session_id = new_session(live)
    with requests.Session() as http:
        post = lambda: http.post(  # noqa: E731
            endpoint(live, session_id), data=traits_request(*ADRUN), headers={"Content-Type": CONTENT_TYPE}, timeout=5
        )
        assert_adrun(post())
        inject(live, session_id, {"drop": True}, times=1)
        with pytest.raises(requests.exceptions.ConnectionError):
            post()
        assert_adrun(post())
    assert [e["http_status"] for e in journal(live, session_id)] == [200, 0, 200]


def test_a_catalogue_fault_is_a_soap_fault_with_http_500(live):
    session_id = new_session(live)
    inject(live, session_id, {"fault": "insi_102"}, times=1)
    response = soap(live, session_id, traits_request(*ADRUN))
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("application/soap+xml")
    fault = parse_fault(response.content)
    assert (fault.code, fault.subcode, fault.detail_code, fault.severite) == (
        "S:Receiver",
        "S:siram_40",
        "insi_102",
        "fatal",
    )
    (entry,) = journal(live, session_id)
    assert entry["http_status"] == 500
    assert entry["fault"] == "insi_102"
    assert "injected" in entry["answer"]
    assert journal(live, session_id, fault="insi_102") == [entry]


def test_a_sequence_answers_its_steps_in_order(live):
    session_id = new_session(live)
    inject(live, session_id, {"sequence": [{"http": {"status": 503}}, {"fault": "insi_102"}]}, times=2)
    assert soap(live, session_id, traits_request(*ADRUN)).status_code == 503
    assert parse_fault(soap(live, session_id, traits_request(*ADRUN)).content).detail_code == "insi_102"
    assert_adrun(soap(live, session_id, traits_request(*ADRUN)))
    assert [(e["http_status"], e["fault"]) for e in journal(live, session_id)] == [
        (503, None),
        (500, "insi_102"),
        (200, None),
    ]


# -- how long a fault lasts ------------------------------------------------------


def test_times_2_applies_to_the_next_two_matching_requests_only(live):
    session_id = new_session(live)
    injected = inject(live, session_id, {"http": {"status": 503}}, times=2)
    assert injected["remaining"] == 2 and injected["used"] == 0
    statuses = [soap(live, session_id, traits_request(*ADRUN)).status_code for _ in range(4)]
    assert statuses == [503, 503, 200, 200]
    listing = requests.get(f"{live}/_admin/sessions/{session_id}/faults", timeout=TIMEOUT).json()
    assert listing["faults"] == []  # used up, gone
    assert [e["http_status"] for e in journal(live, session_id)] == [503, 503, 200, 200]
    assert [e["rank"] for e in journal(live, session_id)] == [1, 2, 3, 4]


def test_without_times_a_fault_lasts_until_cleared(live):
    session_id = new_session(live)
    injected = inject(live, session_id, {"http": {"status": 500}})
    assert injected["remaining"] is None
    assert [soap(live, session_id, traits_request(*ADRUN)).status_code for _ in range(5)] == [500] * 5
    (listed,) = requests.get(f"{live}/_admin/sessions/{session_id}/faults", timeout=TIMEOUT).json()["faults"]
    assert listed["id"] == injected["id"] and listed["used"] == 5 and listed["remaining"] is None
    cleared = requests.delete(f"{live}/_admin/sessions/{session_id}/faults", timeout=TIMEOUT)
    assert cleared.status_code == 200 and cleared.json() == {"cleared": 1}
    assert_adrun(soap(live, session_id, traits_request(*ADRUN)))
    assert [e["http_status"] for e in journal(live, session_id)] == [500] * 5 + [200]


def test_one_injected_fault_can_be_cleared_by_id(live):
    session_id = new_session(live)
    keep = inject(live, session_id, {"http": {"status": 503}}, when={"traits": {"NomNaissance": "TCHITCHI"}})
    drop = inject(live, session_id, {"http": {"status": 500}})
    assert soap(live, session_id, traits_request(*ADRUN)).status_code == 500
    gone = requests.delete(f"{live}/_admin/sessions/{session_id}/faults/{drop['id']}", timeout=TIMEOUT)
    assert gone.status_code == 204
    assert_adrun(soap(live, session_id, traits_request(*ADRUN)))
    assert soap(live, session_id, traits_request(*TCHITCHI)).status_code == 503
    again = requests.delete(f"{live}/_admin/sessions/{session_id}/faults/{drop['id']}", timeout=TIMEOUT)
    assert again.status_code == 404
    listing = requests.get(f"{live}/_admin/sessions/{session_id}/faults", timeout=TIMEOUT).json()["faults"]
    assert [fault["id"] for fault in listing] == [keep["id"]]


# -- which requests a fault applies to ----------------------------------------------


def test_when_operation_leaves_the_other_operation_alone(live):
    session_id = new_session(live)
    inject(live, session_id, {"fault": "insi_102"}, when={"operation": "rechercherInsAvecCarteVitale"}, times=1)
    assert_adrun(soap(live, session_id, traits_request(*ADRUN)))  # not matching: normal, fault kept
    vitale = soap(live, session_id, vitale_request(individu=ADRUN_INS, nom="ADRUN", date="1975-12-31"))
    assert vitale.status_code == 500 and parse_fault(vitale.content).detail_code == "insi_102"
    vitale = soap(live, session_id, vitale_request(individu=ADRUN_INS, nom="ADRUN", date="1975-12-31"))
    assert vitale.status_code == 200  # times: 1, used by the first matching request only
    operations = [(e["operation"], e["http_status"]) for e in journal(live, session_id)]
    assert operations == [
        ("rechercherInsAvecTraitsIdentite", 200),
        ("rechercherInsAvecCarteVitale", 500),
        ("rechercherInsAvecCarteVitale", 200),
    ]


def test_when_traits_matches_normalized_traits_only(live):
    session_id = new_session(live)
    # given in lower case: the rule normalizes it, as it normalizes what requests send
    inject(live, session_id, {"http": {"status": 503, "body": "html"}}, when={"traits": {"NomNaissance": "adrun"}})
    tchitchi = soap(live, session_id, traits_request(*TCHITCHI))
    assert tchitchi.status_code == 200 and parse_resultat(tchitchi.content).code_cr == "00"
    assert soap(live, session_id, traits_request(*ADRUN)).status_code == 503
    assert soap(live, session_id, traits_request("adrun", "zoe", "F", "1975-12-31")).status_code == 503
    entries = journal(live, session_id)
    assert [(e["traits"]["NomNaissance"], e["http_status"]) for e in entries] == [
        ("TCHITCHI", 200),
        ("ADRUN", 503),
        ("adrun", 503),
    ]
    assert entries[2]["findings"]  # lower case traits: a conformance finding, and still the fault


def test_when_traits_on_first_name_and_sex(live):
    session_id = new_session(live)
    inject(live, session_id, {"http": {"status": 500}}, when={"traits": {"Prenom": "ZOE", "Sexe": "F"}})
    assert soap(live, session_id, traits_request("ADRUN", "ZOE", "F", "1975-12-31")).status_code == 500
    assert soap(live, session_id, traits_request("ADRUN", "ZOE", "M", "1975-12-31")).status_code == 200
    assert soap(live, session_id, traits_request("ADRUN", "LEA", "F", "1975-12-31")).status_code == 200


# -- sessions -------------------------------------------------------------------------


def test_faults_of_one_session_never_affect_another(live):
    faulty, clean = new_session(live), new_session(live)
    inject(live, faulty, {"http": {"status": 503}})  # until cleared
    inject(live, faulty, {"drop": True}, when={"traits": {"NomNaissance": "TCHITCHI"}})
    for _ in range(3):
        assert soap(live, faulty, traits_request(*ADRUN)).status_code == 503
        assert_adrun(soap(live, clean, traits_request(*ADRUN)))
        assert_adrun(soap(live, "default", traits_request(*ADRUN)))
        assert soap(live, clean, traits_request(*TCHITCHI)).status_code == 200
    assert requests.get(f"{live}/_admin/sessions/{clean}/faults", timeout=TIMEOUT).json()["faults"] == []
    assert {e["http_status"] for e in journal(live, clean)} == {200}
    assert [e["http_status"] for e in journal(live, faulty)] == [503] * 3
    assert all(e["http_status"] == 200 for e in journal(live, "default"))


def test_faults_are_refused_for_an_unknown_session_or_a_bad_answer(live):
    missing = requests.post(
        f"{live}/_admin/sessions/no-such-session/faults", json={"answer": {"drop": True}}, timeout=TIMEOUT
    )
    assert missing.status_code == 404
    session_id = new_session(live)
    for body in (
        {"answer": {"fault": "no_such_fault"}},
        {"answer": {"http": {"status": 200}}},
        {"answer": {"malformed": "half"}},
        {"answer": {"drop": True}, "times": 0},
        {"answer": {"drop": True}, "when": {"operation": "rechercher"}},
        {"answer": {"http": {"status": 500}, "drop": True}},
    ):
        response = requests.post(f"{live}/_admin/sessions/{session_id}/faults", json=body, timeout=TIMEOUT)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]
    assert requests.get(f"{live}/_admin/sessions/{session_id}/faults", timeout=TIMEOUT).json()["faults"] == []
