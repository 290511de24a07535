"""Hostile or broken input: never a crash, never a hang, always the exact answer.

Each case asserts the whole answer — the catalogue fault (code, subcode,
reason, detail) with its HTTP status, or a 405/415 with a text/plain message —
and then that the server still answers a normal request. The XML cases go
through the in-process client; the HTTP ones (methods, media types, size
limit, chunked bodies, broken connections) through a real waitress server.

No assertion measures time: every request over a socket has a generous
timeout, so a hang fails the test instead of blocking the run.
"""

from __future__ import annotations

import gzip
import http.client
import random
import socket
import sys
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
import requests
from lxml import etree

from simulator.config import fixture
from simulator.soap import namespaces as ns
from simulator.soap.catalogue import FaultCatalogue

from .conftest import LiveServer, SoapClient, make_simulator
from .soap_helpers import (
    CONTENT_TYPE,
    TRAITS_ACTION,
    VITALE_ACTION,
    Envelope,
    parse_fault,
    parse_resultat,
    traits_body,
    traits_request,
    vitale_request,
)

TIMEOUT = 10  # seconds; only there so that a hang fails instead of blocking
CATALOGUE = FaultCatalogue.load(fixture("faults.yaml"))
SOAP_ANSWER_TYPE = "application/soap+xml; charset=utf-8"
HOSTILE_NS = "urn:example:hostile"
SMALL_LIMIT = 4096


def good_request() -> bytes:
    """The normal request every test replays afterwards: it answers CodeCR 00."""
    return traits_request("ADRUN", "ZOE", "F", "1975-12-31")


def strip_declaration(document: bytes) -> bytes:
    return document.split(b"?>", 1)[1].lstrip() if document.startswith(b"<?xml") else document


def declared(encoding: str, document: bytes) -> bytes:
    """``document`` under another XML declaration (its bytes unchanged)."""
    return f'<?xml version="1.0" encoding="{encoding}"?>\n'.encode("ascii") + strip_declaration(document)


def with_nom(raw: bytes, dtd: bytes = b"") -> bytes:
    """A normal traits request whose NomNaissance content is ``raw`` bytes, after an optional DTD."""
    document = strip_declaration(traits_request("@@NOM@@", "ZOE", "F", "1975-12-31"))
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + dtd + document.replace(b"@@NOM@@", raw)


def with_payload(raw: bytes) -> bytes:
    """A request with complete headers whose soap:Body holds ``raw`` bytes."""
    document = Envelope().build(etree.Element(ns.qname(HOSTILE_NS, "Marker")))
    start = document.index(b"<ns0:Marker")
    end = document.index(b"/>", start) + 2
    return document[:start] + raw + document[end:]


def soap12(inner: bytes) -> bytes:
    return f'<soap:Envelope xmlns:soap="{ns.SOAP12_ENV}">'.encode() + inner + b"</soap:Envelope>"


def edited(mutate) -> bytes:
    """The normal request, parsed, changed by ``mutate(envelope)``, serialized again."""
    envelope = etree.fromstring(good_request())
    mutate(envelope)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def soap_body(envelope):
    return envelope.find(ns.qname(ns.SOAP12_ENV, "Body"))


def traits(*edits) -> bytes:
    """A RECSANSVITALE body (ADRUN ZOE F 1975-12-31) with edits applied to it."""
    body = traits_body("ADRUN", "ZOE", "F", "1975-12-31")
    for edit in edits:
        edit(body)
    return Envelope().build(body)


# -- asserting answers -------------------------------------------------------


def answer(response) -> tuple[int, object, bytes]:
    """(status, headers, body) of a werkzeug or a requests response."""
    if isinstance(response, requests.Response):
        return response.status_code, response.headers, response.content
    return response.status_code, response.headers, response.data


def assert_fault(response, key: str) -> None:
    """The answer is exactly the catalogue fault ``key``."""
    status, headers, body = answer(response)
    entry = CATALOGUE[key]
    assert status == entry.http_status, body[:500]
    assert headers["Content-Type"] == SOAP_ANSWER_TYPE
    fault = parse_fault(body)
    assert fault.detail_code == entry.detail_code, fault
    assert fault.code == f"{entry.prefix}:{entry.code}"
    assert fault.subcode == f"{entry.prefix}:{entry.subcode}"
    assert (fault.reason, fault.lang) == (entry.reason_text, entry.reason_lang)
    assert (fault.severite, fault.detail_text) == (entry.detail_severite, entry.detail_text)


def assert_code_cr(response, code_cr: str) -> None:
    status, headers, body = answer(response)
    assert status == 200, body[:500]
    assert headers["Content-Type"] == SOAP_ANSWER_TYPE
    assert parse_resultat(body).code_cr == code_cr


def assert_text(response, status: int, *needles: str) -> str:
    """A plain-text HTTP answer (405/415) whose message says each of ``needles``."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    for needle in needles:
        assert needle in response.text
    return response.text


def post_live(base_url: str, data, content_type: str | None = CONTENT_TYPE, **kwargs) -> requests.Response:
    headers = {} if content_type is None else {"Content-Type": content_type}
    return requests.post(f"{base_url}/lps", data=data, headers=headers, timeout=TIMEOUT, **kwargs)


def assert_still_answers(client) -> None:
    """The server answers a normal request normally (client: in-process, or a base URL)."""
    if isinstance(client, str):
        assert_code_cr(post_live(client, good_request()), "00")
    else:
        assert_code_cr(client.post(good_request()), "00")


# -- not XML, or not the XML of a SOAP 1.2 request ---------------------------

BROKEN_XML = [
    pytest.param(b"this is not XML at all, just a line of text\n", id="plain-text"),
    pytest.param(b'{"NomNaissance": "ADRUN"}', id="json"),
    pytest.param(good_request()[: len(good_request()) // 2], id="truncated-half"),
    pytest.param(good_request()[:-1], id="truncated-last-byte"),
    pytest.param(b"", id="empty"),
    pytest.param(b" \r\n\t ", id="whitespace-only"),
    pytest.param(bytes(range(256)) * 8, id="binary-all-bytes"),
    pytest.param(random.Random(20261204).randbytes(4000), id="binary-random"),
    pytest.param(gzip.compress(good_request()), id="gzip-compressed-request"),
    pytest.param(b"\x00" * 1000, id="nul-bytes"),
    pytest.param(declared("X-NO-SUCH-CHARSET", good_request()), id="unknown-encoding-declared"),
    pytest.param(declared("UTF-16", good_request()), id="utf16-declared-utf8-sent"),
    pytest.param(declared("UTF-8", good_request()).replace(b"ZOE", b"ZO\xc9"), id="utf8-declared-latin1-sent"),
    pytest.param(with_nom(b"ADR&#0;UN"), id="nul-character-reference"),
    pytest.param(with_nom(b"&undefined;"), id="undeclared-entity"),
    pytest.param(b"<?xml version='1.0'?><foo/>", id="root-foo"),
    pytest.param(etree.tostring(traits_body("ADRUN", "ZOE", "F", "1975-12-31")), id="root-recsansvitale-no-envelope"),
    pytest.param(b"<Envelope><Body/></Envelope>", id="root-envelope-without-namespace"),
    pytest.param(f'<soap:Body xmlns:soap="{ns.SOAP12_ENV}"/>'.encode(), id="root-soap-body"),
    pytest.param(good_request().replace(b"<soap:Body>", b"<soap:Body><foo:Bar/>"), id="undeclared-prefix"),
    pytest.param(with_payload(b"<" + b"a" * 100_000 + b"/>"), id="element-name-100k"),
]


@pytest.mark.parametrize("body", BROKEN_XML)
def test_broken_xml_is_malformed_xml(prod_client, body):
    assert_fault(prod_client.post(body), "malformed_xml")
    assert_still_answers(prod_client)


def test_wrong_but_consistent_encoding_declaration_is_read_as_declared(prod_client):
    """UTF-8 bytes under a Latin-1 declaration are well-formed (mojibake): a normal search, no identity found."""
    body = declared("ISO-8859-1", traits_request("ADRUN", "ZOÉ", "F", "1975-12-31"))
    assert_code_cr(prod_client.post(body), "01")
    assert_still_answers(prod_client)


def test_a_request_in_utf16_with_its_bom_is_answered(prod_client):
    body = good_request().decode("utf-8").replace("UTF-8", "UTF-16", 1).encode("utf-16")
    assert_code_cr(prod_client.post(body), "00")


SOAP11_ENVELOPES = [
    pytest.param(good_request().replace(ns.SOAP12_ENV.encode(), ns.SOAP11_ENV.encode()), id="full-request"),
    pytest.param(soap12(b"<soap:Body/>").replace(ns.SOAP12_ENV.encode(), ns.SOAP11_ENV.encode()), id="empty-body"),
]


@pytest.mark.parametrize("body", SOAP11_ENVELOPES)
def test_soap11_envelope_is_a_version_mismatch(prod_client, body):
    assert_fault(prod_client.post(body), "soap_version_mismatch")
    assert_still_answers(prod_client)


NO_OPERATION = [
    pytest.param(edited(lambda env: soap_body(env).clear()), id="empty-body"),
    pytest.param(edited(lambda env: env.remove(soap_body(env))), id="no-body"),
    pytest.param(soap12(b""), id="bare-envelope"),
    pytest.param(soap12(b"<soap:Header/>"), id="header-only"),
    pytest.param(with_payload(b"just some text"), id="body-with-text-only"),
    pytest.param(with_payload(b"<!-- a comment --><?pi data?>"), id="body-with-comment-and-pi-only"),
    pytest.param(Envelope().build(etree.Element(ns.qname(HOSTILE_NS, "Bar"))), id="unknown-element"),
    pytest.param(Envelope().build(etree.Element(ns.qname(ns.RESULTAT, "RESULTAT"))), id="resultat-as-request"),
    pytest.param(Envelope().build(etree.Element("RECSANSVITALE")), id="recsansvitale-without-namespace"),
    pytest.param(Envelope().build(etree.Element(ns.qname(ns.REC_VIT, "RECSANSVITALE"))), id="recsansvitale-wrong-ns"),
]


@pytest.mark.parametrize("body", NO_OPERATION)
def test_missing_or_unknown_body_element_is_unknown_operation(prod_client, body):
    assert_fault(prod_client.post(body), "unknown_operation")
    assert_still_answers(prod_client)


def _append(local, namespace=ns.REC_SANS):
    return lambda body: etree.SubElement(body, ns.qname(namespace, local) if namespace else local)


def _move_last_first(body):
    body.insert(0, body[-1])


def _swap_nom_and_prenom(body):
    body.insert(0, body[1])


def _child_in_prenom(body):
    etree.SubElement(body.find(ns.qname(ns.REC_SANS, "Prenom")), ns.qname(ns.REC_SANS, "Prenom"))


def _set(attribute, value):
    return lambda body: body.set(attribute, value)


XSI = "http://www.w3.org/2001/XMLSchema-instance"

SCHEMA_INVALID = [
    pytest.param(traits(_append("Foo")), id="unexpected-child-Foo"),
    pytest.param(traits(_append("Foo", None)), id="unexpected-child-Foo-no-namespace"),
    pytest.param(traits(_append("NomNaissance")), id="second-NomNaissance-at-the-end"),
    pytest.param(traits(_move_last_first), id="wrong-order-date-first"),
    pytest.param(traits(_swap_nom_and_prenom), id="wrong-order-prenom-before-nom"),
    pytest.param(traits(_child_in_prenom), id="element-inside-Prenom"),
    pytest.param(traits(_set("foo", "bar")), id="unexpected-attribute"),
    pytest.param(traits(_set(ns.qname(XSI, "nil"), "true")), id="xsi-nil-body"),
    pytest.param(traits(_set(ns.qname(XSI, "type"), "xsd:string")), id="xsi-type-body"),
    pytest.param(
        traits(*(_set(f"a{i}", "x") for i in range(5000))),
        id="5000-attributes",
    ),
]


@pytest.mark.parametrize("body", SCHEMA_INVALID)
def test_recsansvitale_off_schema_is_schema_invalid(prod_client, body):
    assert_fault(prod_client.post(body), "schema_invalid")
    assert_still_answers(prod_client)


ACTION_MISMATCH = [
    pytest.param(
        traits_request("ADRUN", "ZOE", "F", "1975-12-31", action=VITALE_ACTION), id="traits-body-vitale-action"
    ),
    pytest.param(vitale_request(individu="275126322074974", action=TRAITS_ACTION), id="vitale-body-traits-action"),
    pytest.param(
        traits_request("ADRUN", "ZOE", "F", "1975-12-31", action=ns.ACTION_PREFIX + "x" * 5000),
        id="unknown-long-action",
    ),
]


@pytest.mark.parametrize("body", ACTION_MISMATCH)
def test_wsa_action_of_another_operation_is_action_mismatch(prod_client, body):
    assert_fault(prod_client.post(body), "action_mismatch")
    assert_still_answers(prod_client)


@pytest.mark.parametrize(
    "content_type",
    [f'{CONTENT_TYPE}; action="{VITALE_ACTION}"', f"{CONTENT_TYPE}; action={VITALE_ACTION}"],
    ids=["quoted", "unquoted"],
)
def test_content_type_action_of_another_operation_is_action_mismatch(prod_client, content_type):
    assert_fault(prod_client.post(good_request(), content_type=content_type), "action_mismatch")
    assert_still_answers(prod_client)


def test_content_type_action_of_the_right_operation_is_answered(prod_client):
    assert_code_cr(prod_client.post(good_request(), content_type=f'{CONTENT_TYPE}; action="{TRAITS_ACTION}"'), "00")


# -- DTDs and entities (XXE, entity expansion) -------------------------------


def _doctype(*declarations: str, root: str = "soap:Envelope") -> bytes:
    return f"<!DOCTYPE {root} [{''.join(declarations)}]>\n".encode()


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-7f3a9c hostile test marker\n", encoding="utf-8")
    return path


def test_external_entity_on_a_local_file_is_refused_and_never_read(prod_client, secret_file):
    for uri in (secret_file.as_uri(), "file:///etc/passwd"):
        response = prod_client.post(with_nom(b"&xxe;", _doctype(f'<!ENTITY xxe SYSTEM "{uri}">')))
        assert_fault(response, "forbidden_dtd")
        assert b"TOP-SECRET" not in response.data
        assert b"root:" not in response.data
    assert_still_answers(prod_client)


def test_xinclude_of_a_local_file_is_off_schema_and_never_read(prod_client, secret_file):
    include = f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{secret_file.as_uri()}" parse="text"/>'
    response = prod_client.post(with_nom(include.encode()))
    assert_fault(response, "schema_invalid")
    assert b"TOP-SECRET" not in response.data
    assert_still_answers(prod_client)


@contextmanager
def listening_socket():
    """A TCP server nobody should ever connect to; yields (port, count of connections made)."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)

        def connections() -> int:
            count = 0
            while True:
                try:
                    client, _ = server.accept()
                except BlockingIOError:
                    return count
                client.close()
                count += 1

        yield server.getsockname()[1], connections


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


NETWORK_DTDS = [
    pytest.param(lambda url: _doctype(f'<!ENTITY xxe SYSTEM "{url}">'), b"&xxe;", id="external-entity"),
    pytest.param(
        lambda url: _doctype(f'<!ENTITY % remote SYSTEM "{url}remote.dtd"> %remote;'), b"ADRUN", id="param-entity"
    ),
    pytest.param(
        lambda url: f'<!DOCTYPE soap:Envelope SYSTEM "{url}x.dtd">\n'.encode(), b"ADRUN", id="external-subset"
    ),
]


@pytest.mark.parametrize(("dtd", "nom"), NETWORK_DTDS)
def test_network_entities_are_refused_without_any_connection(live_url, dtd, nom):
    with listening_socket() as (port, connections):
        for url in (f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{closed_port()}/"):
            assert_fault(post_live(live_url, with_nom(nom, dtd(url))), "forbidden_dtd")
        assert connections() == 0, "the simulator opened a connection to a URL of the request"
    assert_still_answers(live_url)


BENIGN_DTDS = [
    pytest.param(b"<!DOCTYPE soap:Envelope>\n", b"ADRUN", id="bare-doctype"),
    pytest.param(_doctype('<!ENTITY nom "ADRUN">'), b"&nom;", id="internal-entity"),
    pytest.param(_doctype('<!ENTITY nom "ADRUN">'), b"ADRUN", id="unused-internal-entity"),
    pytest.param(_doctype('<!ELEMENT soap:Envelope ANY><!ATTLIST soap:Envelope a CDATA "x">'), b"ADRUN", id="attlist"),
]


@pytest.mark.parametrize(("dtd", "nom"), BENIGN_DTDS)
def test_any_dtd_is_refused(prod_client, dtd, nom):
    assert_fault(prod_client.post(with_nom(nom, dtd)), "forbidden_dtd")
    assert_still_answers(prod_client)


def _billion_laughs() -> bytes:
    """``lol9`` expands to 10**9 times "lol" (3 GB)."""
    levels = [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return with_nom(b"&lol9;", _doctype('<!ENTITY lol0 "lol">', *levels))


def _quadratic_blowup() -> bytes:
    return with_nom(b"&big;" * 10_000, _doctype(f'<!ENTITY big "{"X" * 50_000}">'))  # 500 MB if expanded


def _entity_loop() -> bytes:
    return with_nom(b"&a;", _doctype('<!ENTITY a "&b;">', '<!ENTITY b "&a;">'))


def _nested_in_attribute() -> bytes:
    levels = ['<!ENTITY e0 "xxxxxxxxxx">'] + [f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 8)]
    return with_nom(b"ADRUN", _doctype(*levels, '<!ATTLIST NomNaissance a CDATA "&e7;">'))


def in_utf16(document: bytes) -> bytes:
    """The same document encoded in UTF-16 (with its BOM), its declaration saying so."""
    return document.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"', 1).encode("utf-16")


ENTITY_EXPANSIONS = [
    pytest.param(_billion_laughs(), id="billion-laughs"),
    pytest.param(_quadratic_blowup(), id="quadratic-blowup"),
    pytest.param(_entity_loop(), id="entity-loop"),
    pytest.param(_nested_in_attribute(), id="nested-entities-in-attribute-default"),
    pytest.param(in_utf16(_billion_laughs()), id="billion-laughs-utf16"),
    pytest.param(in_utf16(_entity_loop()), id="entity-loop-utf16"),
    pytest.param(in_utf16(_nested_in_attribute()), id="nested-entities-in-attribute-default-utf16"),
]


@pytest.mark.parametrize("body", ENTITY_EXPANSIONS)
def test_entity_expansion_is_refused_as_a_dtd(prod_client, body):
    assert_fault(prod_client.post(body), "forbidden_dtd")
    assert_still_answers(prod_client)


def _peak_rss_mib() -> float | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


@pytest.mark.parametrize("body", [pytest.param(*param.values, id=param.id) for param in ENTITY_EXPANSIONS])
def test_entity_expansion_is_answered_without_blowing_up(prod_client, live_url, body):
    """Whatever the code, a Sender fault, nothing expanded, memory flat; over HTTP too (a hang fails by timeout)."""
    before = _peak_rss_mib()
    response = prod_client.post(body)
    after = _peak_rss_mib()
    status, headers, data = answer(response)
    assert status == 500
    assert headers["Content-Type"] == SOAP_ANSWER_TYPE
    fault = parse_fault(data)
    assert fault.code == "soap:Sender"
    assert fault.detail_code in {"sim_dtd", "sim_xml"}  # which one: test_entity_expansion_is_refused_as_a_dtd
    assert b"lollol" not in data and b"XXXXXXXXXX" not in data and b"xxxxxxxxxx" not in data
    if before is not None:
        assert after - before < 256, f"peak memory grew by {after - before:.0f} MiB"
    assert parse_fault(post_live(live_url, body).content).code == "soap:Sender"
    assert_still_answers(prod_client)
    assert_still_answers(live_url)


# -- size and shape: deep, wide, long ----------------------------------------

DEEP = b"<d>" * 10_000 + b"</d>" * 10_000

TOO_DEEP = [
    pytest.param(with_payload(DEEP), id="body-payload"),
    pytest.param(with_nom(DEEP), id="inside-NomNaissance"),
    pytest.param(good_request().replace(b"<soap:Header>", b"<soap:Header>" + DEEP), id="inside-Header"),
]


@pytest.mark.parametrize("body", TOO_DEEP)
def test_10000_nested_elements_are_a_fault_not_a_crash(prod_client, body):
    # lxml (huge_tree off) refuses a depth over 256: the request is answered as malformed XML.
    assert_fault(prod_client.post(body), "malformed_xml")
    assert_still_answers(prod_client)


def test_a_huge_number_of_prenoms_under_the_limit_is_answered(prod_client, production):
    prenoms = ["ZOE"] + [f"PRENOM{i}" for i in range(30_000)]
    body = traits_request("ADRUN", prenoms, "F", "1975-12-31")
    assert len(body) < production.settings.max_body_bytes
    assert_code_cr(prod_client.post(body), "01")
    assert_still_answers(prod_client)


def test_a_huge_nom_under_the_limit_is_answered(prod_client, production):
    body = traits_request("A" * 500_000, "ZOE", "F", "1975-12-31")
    assert len(body) < production.settings.max_body_bytes
    assert_code_cr(prod_client.post(body), "01")
    assert_still_answers(prod_client)


def test_thousands_of_namespace_declarations_are_harmless(prod_client):
    declarations = b" ".join(b'xmlns:n%d="urn:example:n%d"' % (i, i) for i in range(5000))
    body = good_request().replace(b"<soap:Envelope ", b"<soap:Envelope " + declarations + b" ", 1)
    assert_code_cr(prod_client.post(body), "00")


# -- size limit (a simulator with max_body_bytes=4096, served by waitress) ---


@pytest.fixture(scope="module")
def small_url(tmp_path_factory):
    simulator = make_simulator(tmp_path_factory.mktemp("small"), max_body_bytes=SMALL_LIMIT)
    with LiveServer(simulator) as live:
        yield live.url


def padded(size: int) -> bytes:
    """The normal request padded with trailing whitespace (legal after the root) to ``size`` bytes."""
    body = good_request()
    assert len(body) <= size
    return body + b" " * (size - len(body))


def post_chunked(base_url: str, data: bytes, chunk: int = 1000) -> tuple[int, dict, bytes]:
    """POST with Transfer-Encoding: chunked and no Content-Length; (status, headers, body)."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
    try:
        connection.request(
            "POST",
            "/lps",
            body=(data[i : i + chunk] for i in range(0, len(data), chunk)),
            headers={"Content-Type": CONTENT_TYPE, "Transfer-Encoding": "chunked"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        return response.status, {k.title(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


class Raw:
    """(status, headers, body) as the answer() helper reads it."""

    def __init__(self, status, headers, body):
        self.status_code, self.headers, self.data = status, headers, body


@pytest.mark.parametrize("size", [SMALL_LIMIT + 1, 5000, 64 * 1024])
def test_body_over_the_limit_with_content_length_is_413(small_url, size):
    response = post_live(small_url, padded(size))
    assert response.request.headers["Content-Length"] == str(size)
    assert_fault(response, "request_too_large")
    assert response.status_code == 413
    assert_still_answers(small_url)


@pytest.mark.parametrize("size", [SMALL_LIMIT + 1, 5000, 64 * 1024])
def test_body_over_the_limit_sent_chunked_is_413(small_url, size):
    assert_fault(Raw(*post_chunked(small_url, padded(size))), "request_too_large")
    assert_still_answers(small_url)


def test_garbage_over_the_limit_is_413_before_any_parsing(small_url):
    assert_fault(post_live(small_url, b"<" * 5000), "request_too_large")
    assert_fault(Raw(*post_chunked(small_url, _billion_laughs() + b" " * SMALL_LIMIT)), "request_too_large")


def test_body_exactly_at_the_limit_is_processed(small_url):
    assert_code_cr(post_live(small_url, padded(SMALL_LIMIT)), "00")
    assert_code_cr(Raw(*post_chunked(small_url, padded(SMALL_LIMIT))), "00")


def test_size_limit_applies_in_process_too(tmp_path):
    client = SoapClient(make_simulator(tmp_path, max_body_bytes=SMALL_LIMIT))
    assert_fault(client.post(padded(5000)), "request_too_large")
    assert_code_cr(client.post(padded(SMALL_LIMIT)), "00")


# -- HTTP: method, media type, broken connections ----------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_405_with_allow(live_url, method):
    data = good_request() if method in {"PUT", "PATCH"} else None
    response = requests.request(
        method, f"{live_url}/lps", data=data, headers={"Content-Type": CONTENT_TYPE}, timeout=TIMEOUT
    )
    assert_text(response, 405, "POST", method)
    assert "POST" in [part.strip() for part in response.headers["Allow"].split(",")]
    assert_still_answers(live_url)


def test_get_with_wsdl_is_still_the_wsdl(live_url):
    response = requests.get(f"{live_url}/lps?wsdl", timeout=TIMEOUT)
    assert response.status_code == 200
    assert etree.fromstring(response.content).tag == "{http://schemas.xmlsoap.org/wsdl/}definitions"


def test_text_xml_is_415_saying_soap_12(live_url):
    text = assert_text(post_live(live_url, good_request(), "text/xml; charset=utf-8"), 415, "application/soap+xml")
    assert "SOAP 1.2" in text and "text/xml" in text
    assert_still_answers(live_url)


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "text/plain", "application/x-www-form-urlencoded", "application/soap+xmlx", "", None],
)
def test_other_media_types_are_415(live_url, content_type):
    assert_text(post_live(live_url, good_request(), content_type), 415, "application/soap+xml")
    assert_still_answers(live_url)


def _raw_exchange(base_url: str, request: bytes, half_close: bool = False) -> bytes:
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT) as connection:
        connection.sendall(request)
        if half_close:
            connection.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
        return received


def test_not_http_at_all_is_400(live_url):
    received = _raw_exchange(live_url, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not HTTP\r\n\r\n")
    assert received.split(b"\r\n", 1)[0].endswith(b"400 Bad Request")
    assert_still_answers(live_url)


def test_invalid_chunk_size_is_400(live_url):
    head = b"POST /lps HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml\r\nTransfer-Encoding: chunked\r\n\r\n"
    received = _raw_exchange(live_url, head + b"zz\r\n<soap:Envelope/>\r\n0\r\n\r\n")
    assert received.split(b"\r\n", 1)[0] == b"HTTP/1.1 400 Bad Request"
    assert_still_answers(live_url)


def test_client_gone_in_the_middle_of_the_body_does_not_hurt(live_url):
    head = b"POST /lps HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml\r\nContent-Length: 5000\r\n\r\n"
    try:
        received = _raw_exchange(live_url, head + good_request()[:100], half_close=True)
    except ConnectionResetError:  # some platforms reset instead of closing
        received = b""
    assert received == b""  # nothing was dispatched: no answer for a body that never came
    assert_still_answers(live_url)


# -- last: the shared live server is still fine ------------------------------


def test_live_server_still_answers_adrun_zoe_after_everything(live_url):
    response = post_live(live_url, good_request())
    assert_code_cr(response, "00")
    resultat = parse_resultat(response.content)
    assert (resultat.ins.num, resultat.ins.cle) == ("2751263220749", "74")
