"""Sessions and the journal under pressure: isolation, restarts, load, retention, findings.

* two sessions hit in parallel, each with its own identities and injected faults: no cross-talk;
* a restart on the same data folder keeps sessions, journal, call ranks, added identities and the
  MessageIDs already seen;
* 32 keep-alive clients × 200 requests on one session: 6400 entries, ranks 1..6400 once each, and
  every entry's request, traits, headers and response belong together;
* retention purges old entries (at start and in the writer), nothing else;
* conformance findings are stored with the entry and ``has_findings`` filters on them.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import requests
from lxml import etree
from werkzeug.test import Client

from simulator.soap import namespaces as ns
from simulator.store import sqlite as sqlite_module
from simulator.store.journal import JournalEntry, JournalQuery, SessionRecord
from simulator.store.sqlite import SqliteStore

from .conftest import make_simulator
from .soap_helpers import CONTENT_TYPE, parse_fault, parse_resultat, traits_request
from .test_fault_injection import ClosingLiveServer, quiet_logs  # noqa: F401 — quiet_logs: autouse fixture

ADRUN = ("ADRUN", "ZOE", "F", "1975-12-31")
TIMEOUT = 30.0  # seconds, per HTTP request and per thread join
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def person(index: int, nom: str) -> dict:
    """An identity row for a session (base-file format): a NIR made up from ``index``, key computed."""
    return {
        "id": f"{nom}-{index}",
        "nom_naissance": nom,
        "prenoms": ["LUC"],
        "sexe": "M",
        "date_naissance": "1980-05-17",
        "lieu_naissance": "75056",
        "ins": {"matricule": f"1800575056{index:03d}"},
    }


def message_id_of(request: bytes) -> str:
    return etree.fromstring(request).findtext(f"{{{ns.SOAP12_ENV}}}Header/{{{ns.WSA}}}MessageID")


def nom_of(request: bytes) -> str:
    return etree.fromstring(request).findtext(f".//{{{ns.REC_SANS}}}NomNaissance")


def run_threads(target, count: int) -> list[BaseException]:
    """Run ``target(index)`` in ``count`` threads started together; their exceptions, if any."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def guarded(index: int) -> None:
        try:
            barrier.wait(timeout=TIMEOUT)
            target(index)
        except BaseException as error:  # noqa: BLE001 — reported by the test
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    for thread in threads:
        thread.join(timeout=max(0.1, deadline - time.monotonic()))
    hung = sum(thread.is_alive() for thread in threads)
    if hung:
        errors.append(TimeoutError(f"{hung} client threads still running after 120 s"))
    return errors


def all_entries(simulator, session_id: str, **filters) -> list[JournalEntry]:
    count, entries = simulator.store.query(JournalQuery(session=session_id, limit=100_000, **filters))
    assert count == len(entries)
    return entries


# -- isolation ---------------------------------------------------------------------


def test_two_sessions_in_parallel_never_cross_talk(tmp_path):
    simulator = make_simulator(tmp_path)
    rounds, threads_per_session = 25, 4
    own = {"iso-a": person(101, "ISOLA"), "iso-b": person(102, "ISOLB")}
    trigger = {"iso-a": "PANNEA", "iso-b": "PANNEB"}
    sent: dict[str, list[str]] = {"iso-a": [], "iso-b": []}
    with ClosingLiveServer(simulator) as live:
        for session_id, row in own.items():
            assert requests.post(f"{live.url}/_admin/sessions", json={"id": session_id}, timeout=TIMEOUT).ok
            added = requests.post(
                f"{live.url}/_admin/sessions/{session_id}/identities", json={"identities": [row]}, timeout=TIMEOUT
            )
            assert added.status_code == 201, added.text
        faults = {"iso-a": {"http": {"status": 503, "body": "html"}}, "iso-b": {"fault": "insi_102"}}
        for session_id, answer in faults.items():
            injected = requests.post(
                f"{live.url}/_admin/sessions/{session_id}/faults",
                json={"answer": answer, "when": {"traits": {"NomNaissance": trigger[session_id]}}},
                timeout=TIMEOUT,
            )
            assert injected.status_code == 201, injected.text

        def client(index: int) -> None:
            mine = "iso-a" if index % 2 == 0 else "iso-b"
            other = "iso-b" if mine == "iso-a" else "iso-a"
            url = f"{live.url}/s/{mine}/lps"
            with requests.Session() as http:

                def post(nom: str) -> requests.Response:
                    message_id = f"uuid:{uuid.uuid4()}"
                    sent[mine].append(message_id)  # list.append is atomic
                    body = traits_request(nom, "LUC", "M", "1980-05-17", message_id=message_id)
                    return http.post(url, data=body, headers={"Content-Type": CONTENT_TYPE}, timeout=TIMEOUT)

                for _ in range(rounds):
                    found = post(own[mine]["nom_naissance"])
                    assert found.status_code == 200
                    resultat = parse_resultat(found.content)
                    assert (resultat.code_cr, resultat.ins.num) == ("00", own[mine]["ins"]["matricule"])
                    assert parse_resultat(post(own[other]["nom_naissance"]).content).code_cr == "01"
                    faulty = post(trigger[mine])
                    if mine == "iso-a":
                        assert faulty.status_code == 503 and faulty.content.startswith(b"<!DOCTYPE html>")
                    else:
                        assert faulty.status_code == 500
                        assert parse_fault(faulty.content).detail_code == "insi_102"
                    untouched = post(trigger[other])
                    assert untouched.status_code == 200 and parse_resultat(untouched.content).code_cr == "01"

        errors = run_threads(client, 2 * threads_per_session)
        assert not errors, errors[:3]

    per_session = rounds * threads_per_session * 4
    for session_id in ("iso-a", "iso-b"):
        entries = all_entries(simulator, session_id)
        assert len(entries) == per_session
        assert sorted(e.headers["message_id"] for e in entries) == sorted(sent[session_id])
        assert sorted(e.rank for e in entries) == list(range(1, per_session + 1))
        by_nom: dict[str, set] = {}
        for entry in entries:
            assert entry.session == session_id
            assert nom_of(entry.request) == entry.traits["NomNaissance"]
            by_nom.setdefault(entry.traits["NomNaissance"], set()).add((entry.http_status, entry.fault, entry.code_cr))
        other = "iso-b" if session_id == "iso-a" else "iso-a"
        assert by_nom[own[session_id]["nom_naissance"]] == {(200, None, "00")}
        assert by_nom[own[other]["nom_naissance"]] == {(200, None, "01")}
        assert by_nom[trigger[other]] == {(200, None, "01")}
        expected_fault = (503, None, None) if session_id == "iso-a" else (500, "insi_102", None)
        assert by_nom[trigger[session_id]] == {expected_fault}
    assert all_entries(simulator, "default") == []
    simulator.close()


# -- durability ------------------------------------------------------------------------


def test_sessions_journal_ranks_and_identities_survive_a_restart(tmp_path):
    first = make_simulator(tmp_path)
    admin = Client(first)
    created = admin.post("/_admin/sessions", json={"id": "kept", "profile": "qualification"}).json
    assert (
        admin.post("/_admin/sessions/kept/identities", json={"identities": [person(7, "DURABLE")]}).status_code == 201
    )
    assert admin.delete("/_admin/sessions/kept/identities/TCHITCHI-CATARINA").status_code == 204
    message_ids = [f"uuid:{uuid.uuid4()}" for _ in range(3)]
    exchanges = []
    for message_id, query in zip(
        message_ids, [("DURABLE", "LUC", "M", "1980-05-17"), ADRUN, ("INCONNU", "PAUL", "M", "1950-01-01")], strict=True
    ):
        body = traits_request(*query, message_id=message_id)
        response = admin.post("/s/kept/lps", data=body, content_type=CONTENT_TYPE)
        exchanges.append((body, response.status_code, response.data))
    assert [status for _, status, _ in exchanges] == [200, 200, 500]  # unknown person in qualification: insi_102
    before = [(e.id, e.rank, e.time, e.request, e.response) for e in all_entries(first, "kept")]
    assert [(request, response) for *_, request, response in before] == [(b, d) for b, _, d in exchanges]
    first.close()

    second = make_simulator(tmp_path)
    admin = Client(second)
    listed = {s["id"]: s for s in admin.get("/_admin/sessions").json["sessions"]}
    kept = listed["kept"]
    assert kept["created"] == created["created"] and kept["profile"] == "qualification"
    assert kept["calls"] == 3
    assert kept["identities"] == created["identities"]  # one added, one removed
    assert [(e.id, e.rank, e.time, e.request, e.response) for e in all_entries(second, "kept")] == before
    entry = admin.get(f"/_admin/sessions/kept/journal/{before[0][0]}").json
    assert entry["traits"]["NomNaissance"] == "DURABLE" and entry["code_cr"] == "00"
    assert admin.get("/_admin/sessions/kept/journal", query_string={"fault": "insi_102"}).json["count"] == 1

    # the added identity is still found, the removed one still gone
    found = admin.post(
        "/s/kept/lps", data=traits_request("DURABLE", "LUC", "M", "1980-05-17"), content_type=CONTENT_TYPE
    )
    assert parse_resultat(found.data).ins.num == "1800575056007"
    removed = admin.post(
        "/s/kept/lps", data=traits_request("TCHITCHI", "CATARINA", "F", "1936-06-21"), content_type=CONTENT_TYPE
    )
    # gone from this session's base: in qualification, a person the base does not know is the insi_102 fault
    assert removed.status_code == 500 and parse_fault(removed.data).detail_code == "insi_102"

    # a MessageID of before the restart is still known
    admin.post("/s/kept/lps", data=traits_request(*ADRUN, message_id=message_ids[1]), content_type=CONTENT_TYPE)
    entries = all_entries(second, "kept")
    assert [e.rank for e in entries] == [1, 2, 3, 4, 5, 6]
    assert [f["rule"] for f in entries[3].findings] == []
    assert "message-id-unique" in [f["rule"] for f in entries[-1].findings]
    second.close()


def test_the_default_session_keeps_its_ranks_and_message_ids_across_a_restart(tmp_path):
    message_id = f"uuid:{uuid.uuid4()}"
    first = make_simulator(tmp_path)
    Client(first).post("/lps", data=traits_request(*ADRUN, message_id=message_id), content_type=CONTENT_TYPE)
    first.close()
    second = make_simulator(tmp_path)
    Client(second).post("/lps", data=traits_request(*ADRUN, message_id=message_id), content_type=CONTENT_TYPE)
    entries = all_entries(second, "default")
    second.close()
    assert [e.rank for e in entries] == [1, 2]
    assert "message-id-unique" in [f["rule"] for f in entries[1].findings]


def test_a_reset_session_starts_again_from_rank_1_and_forgets_message_ids(tmp_path):
    simulator = make_simulator(tmp_path)
    admin = Client(simulator)
    admin.post("/_admin/sessions", json={"id": "again"})
    body = traits_request(*ADRUN)
    for _ in range(2):
        admin.post("/s/again/lps", data=body, content_type=CONTENT_TYPE)
    assert admin.post("/_admin/sessions/again/reset").json["calls"] == 0
    assert all_entries(simulator, "again") == []
    admin.post("/s/again/lps", data=body, content_type=CONTENT_TYPE)
    (entry,) = all_entries(simulator, "again")
    assert entry.rank == 1 and entry.findings == []
    simulator.close()


# -- load ------------------------------------------------------------------------------

CLIENTS, PER_CLIENT = 32, 200


def load_name(index: int) -> str:
    return "CHARGE" + _ALPHABET[index // 26] + _ALPHABET[index % 26]


def load_message_id(client: int, number: int) -> str:
    return f"uuid:{client:08x}-0000-4000-8000-{number:012x}"


def test_32_keep_alive_clients_200_requests_each_on_one_session(tmp_path):
    simulator = make_simulator(tmp_path)
    rows = [person(200 + i, load_name(i)) for i in range(CLIENTS)]
    for session_id in ("load", "reference"):
        session = simulator.sessions.create(session_id)
        session.identities.add_rows(rows, "load test")
    expected: dict[int, bytes] = {}
    failures: list[str] = []
    with ClosingLiveServer(simulator) as live:
        for i in range(CLIENTS):  # each identity's answer, from another session (same base, same bytes)
            answer = requests.post(
                f"{live.url}/s/reference/lps",
                data=traits_request(load_name(i), "LUC", "M", "1980-05-17"),
                headers={"Content-Type": CONTENT_TYPE},
                timeout=TIMEOUT,
            )
            assert parse_resultat(answer.content).ins.num == rows[i]["ins"]["matricule"]
            expected[i] = answer.content

        def client(index: int) -> None:
            url = f"{live.url}/s/load/lps"
            with requests.Session() as http:
                for number in range(PER_CLIENT):
                    body = traits_request(
                        load_name(index), "LUC", "M", "1980-05-17", message_id=load_message_id(index, number)
                    )
                    response = http.post(url, data=body, headers={"Content-Type": CONTENT_TYPE}, timeout=TIMEOUT)
                    if response.status_code != 200 or response.content != expected[index]:
                        failures.append(f"client {index} request {number}: HTTP {response.status_code}")

        started = time.perf_counter()
        errors = run_threads(client, CLIENTS)
        elapsed = time.perf_counter() - started
    assert not errors, errors[:3]
    assert not failures, failures[:5]

    entries = all_entries(simulator, "load")
    assert len(entries) == CLIENTS * PER_CLIENT, f"{len(entries)} entries after {elapsed:.1f} s"
    assert sorted(e.rank for e in entries) == list(range(1, CLIENTS * PER_CLIENT + 1))
    assert simulator.sessions.get("load").calls == CLIENTS * PER_CLIENT
    seen: dict[int, list[tuple[int, int]]] = {i: [] for i in range(CLIENTS)}
    for entry in entries:
        message_id = message_id_of(entry.request)
        assert entry.headers["message_id"] == message_id
        client, number = int(message_id[5:13], 16), int(message_id[-12:], 16)
        assert nom_of(entry.request) == entry.traits["NomNaissance"] == load_name(client)
        assert entry.response == expected[client], f"entry {entry.id}: the answer of another request"
        assert (entry.http_status, entry.code_cr, entry.findings) == (200, "00", [])
        assert entry.answer == f"found {rows[client]['id']}"
        seen[client].append((number, entry.rank))
    for client, numbers in seen.items():
        numbers.sort()
        assert [number for number, _ in numbers] == list(range(PER_CLIENT)), f"client {client}"
        ranks = [rank for _, rank in numbers]
        assert ranks == sorted(ranks), f"client {client}: ranks do not follow the order it sent in"
    simulator.close()


# -- retention ---------------------------------------------------------------------------


def entry_at(when: datetime, session: str = "old", rank: int = 1) -> JournalEntry:
    return JournalEntry(
        session=session,
        time=when.isoformat(),
        operation="rechercherInsAvecTraitsIdentite",
        rank=rank,
        http_status=200,
        duration_ms=1.0,
        request=b"<request/>",
        response=b"<response/>",
        code_cr="01",
        traits={"NomNaissance": "ADRUN"},
    )


def ranks_of(store: SqliteStore, session: str = "old") -> list[int]:
    return [entry.rank for entry in store.query(JournalQuery(session=session, limit=1000))[1]]


def test_retention_purges_old_entries_when_the_store_opens(tmp_path):
    now = datetime.now(UTC)
    path = tmp_path / "journal.sqlite3"
    store = SqliteStore(path)  # no retention: keeps everything
    store.save_session(SessionRecord("old", (now - timedelta(days=30)).isoformat(), {}))
    for rank, age in enumerate([timedelta(days=40), timedelta(days=8), timedelta(days=6), timedelta(hours=1)], 1):
        store.append(entry_at(now - age, rank=rank))
    store.append(entry_at(now - timedelta(days=40), session="other", rank=1))
    store.flush()
    assert ranks_of(store) == [1, 2, 3, 4]
    store.close()

    store = SqliteStore(path, retention_days=7)
    assert ranks_of(store) == [3, 4]
    assert ranks_of(store, "other") == []  # every session
    assert [record.id for record in store.load_sessions()] == ["old"]  # sessions are not journal entries
    store.close()


def test_retention_also_purges_while_running(tmp_path, monkeypatch):
    """The writer purges once an hour: move its clock two hours on and write."""
    now = datetime.now(UTC)
    store = SqliteStore(tmp_path / "journal.sqlite3", retention_days=1)
    try:
        store.append(entry_at(now - timedelta(days=3), rank=1))
        store.append(entry_at(now, rank=2))
        store.flush()
        assert ranks_of(store) == [1, 2]  # written after the purge at start, kept until the next one
        later = time.monotonic() + 7200
        monkeypatch.setattr(sqlite_module, "time", SimpleNamespace(monotonic=lambda: later, sleep=time.sleep))
        store.append(entry_at(now, rank=3))
        store.flush()
        store.append(entry_at(now, rank=4))  # the writer handles one batch at a time: the purge is done
        store.flush()
        assert ranks_of(store) == [2, 3, 4]
    finally:
        monkeypatch.undo()
        store.close()


def test_an_entry_appended_after_close_is_kept_or_refused_and_flush_returns(tmp_path):
    """A request still running when the server stops (a long injected delay) journals after close()."""
    path = tmp_path / "journal.sqlite3"
    store = SqliteStore(path)
    store.close()
    try:
        store.append(entry_at(datetime.now(UTC), rank=1))
        appended = True
    except RuntimeError:
        appended = False
    flushing = threading.Thread(target=store.flush, daemon=True)
    flushing.start()
    flushing.join(timeout=2)
    assert not flushing.is_alive(), "flush() blocks forever"
    if appended:
        reopened = SqliteStore(path)
        try:
            assert ranks_of(reopened) == [1], "the entry was accepted, then lost"
        finally:
            reopened.close()


def test_purge_older_than_and_retention_through_the_settings(tmp_path):
    now = datetime.now(UTC)
    simulator = make_simulator(tmp_path)
    Client(simulator).post("/lps", data=traits_request(*ADRUN), content_type=CONTENT_TYPE)
    for days in (10, 20):
        simulator.store.append(entry_at(now - timedelta(days=days), session="default", rank=100 + days))
    assert simulator.store.purge_older_than((now - timedelta(days=15)).isoformat()) == 1
    assert sorted(ranks_of(simulator.store, "default")) == [1, 110]
    simulator.close()

    simulator = make_simulator(tmp_path, retention_days=5)
    assert ranks_of(simulator.store, "default") == [1]
    simulator.close()


# -- conformance findings ----------------------------------------------------------------


def test_findings_are_recorded_and_filterable(tmp_path):
    simulator = make_simulator(tmp_path)
    admin = Client(simulator)
    admin.post("/_admin/sessions", json={"id": "checked"})
    requests_sent = [
        traits_request(*ADRUN),
        traits_request("adrun", "zoé", "F", "1975-12-31"),  # lower case, a diacritic
        traits_request(*ADRUN),
    ]
    answers = [admin.post("/s/checked/lps", data=body, content_type=CONTENT_TYPE) for body in requests_sent]
    assert [parse_resultat(a.data).code_cr for a in answers] == ["00", "00", "00"]  # findings never change answers

    listing = admin.get("/_admin/sessions/checked/journal").json
    assert [e["has_findings"] for e in listing["entries"]] == [False, True, False]
    flagged = listing["entries"][1]
    normalized = [f for f in flagged["findings"] if f["rule"] == "traits-normalized"]
    assert normalized and {f["severity"] for f in normalized} == {"error"}
    assert {f["where"] for f in normalized} >= {"Body/RECSANSVITALE/NomNaissance"}

    with_findings = admin.get("/_admin/sessions/checked/journal", query_string={"has_findings": "true"}).json
    assert with_findings["count"] == 1 and with_findings["entries"][0]["id"] == flagged["id"]
    without = admin.get("/_admin/sessions/checked/journal", query_string={"has_findings": "false"}).json
    assert [e["rank"] for e in without["entries"]] == [1, 3]
    wrong = admin.get("/_admin/sessions/checked/journal", query_string={"has_findings": "maybe"})
    assert wrong.status_code == 400 and wrong.json["field"] == "has_findings"
    # the traits are stored as sent; the name filters compare normalized values
    assert flagged["traits"]["NomNaissance"] == "adrun"
    assert admin.get("/_admin/sessions/checked/journal", query_string={"nom": "ADRUN"}).json["count"] == 3
    assert admin.get("/_admin/sessions/checked/journal", query_string={"prenom": "zoe"}).json["count"] == 3
    simulator.close()


def test_findings_of_a_request_refused_before_decoding(tmp_path):
    simulator = make_simulator(tmp_path)
    response = Client(simulator).post("/lps", data=b"<not-closed>", content_type=CONTENT_TYPE)
    assert response.status_code == 500
    (entry,) = all_entries(simulator, "default", has_findings=True)
    assert entry.fault is not None and entry.traits == {} and entry.request == b"<not-closed>"
    assert entry.findings and entry.findings[0]["rule"] == "envelope"
    simulator.close()


def test_journal_and_conformance_can_be_switched_off(tmp_path):
    """The settings the benchmark compares: same answers, nothing journaled or checked."""
    quiet = make_simulator(tmp_path / "quiet", journal=False, conformance=False)
    checked_only = make_simulator(tmp_path / "checked", journal=True, conformance=False)
    body = traits_request("adrun", "ZOE", "F", "1975-12-31")
    answers = [Client(sim).post("/lps", data=body, content_type=CONTENT_TYPE) for sim in (quiet, checked_only)]
    assert answers[0].data == answers[1].data and parse_resultat(answers[0].data).code_cr == "00"
    assert all_entries(quiet, "default") == []
    (entry,) = all_entries(checked_only, "default")
    assert entry.findings == [] and entry.traits["NomNaissance"] == "adrun"
    assert quiet.default_session.calls == 1  # ranks still count without a journal
    quiet.close()
    checked_only.close()


def test_concurrent_appends_and_reads_of_the_store(tmp_path):
    """Readers (the admin API) flush and read while writers append: no entry lost, none duplicated."""
    simulator = make_simulator(tmp_path)
    store = simulator.store
    writers, per_writer = 6, 300
    now = datetime.now(UTC)

    def work(index: int) -> None:
        if index < writers:
            for n in range(per_writer):
                store.append(entry_at(now, session="busy", rank=index * per_writer + n + 1))
        else:
            for _ in range(20):
                count, _entries = store.query(JournalQuery(session="busy", limit=10))
                assert 0 <= count <= writers * per_writer

    errors = run_threads(work, writers + 2)
    assert not errors, errors[:3]
    count, entries = store.query(JournalQuery(session="busy", limit=100_000))
    assert count == writers * per_writer
    assert sorted(e.rank for e in entries) == list(range(1, writers * per_writer + 1))
    simulator.close()
