"""XML equivalence for answers: same elements, namespaces, texts and attributes.

Ignored: prefixes, namespace declarations, comments, indentation between
elements. ``schema_order`` puts the children of INSACTIF/INSHISTO in the
order of the XSD (the CNDA 2.04 file puts DateDeb/DateFin first).
"""

from __future__ import annotations

from lxml import etree

from simulator.soap import namespaces as ns

_INS_ORDER = ["IdIndividu", "OID", "DateDeb", "DateFin"]
_INS_TAGS = {ns.qname(ns.RESULTAT, "INSACTIF"), ns.qname(ns.RESULTAT, "INSHISTO")}


def canonical(element: etree._Element, schema_order: bool = False):
    children = [child for child in element if isinstance(child.tag, str)]
    if schema_order and element.tag in _INS_TAGS:
        children.sort(key=lambda child: _INS_ORDER.index(etree.QName(child).localname))
    text = (element.text or "").strip()
    return (
        element.tag,
        tuple(sorted(element.attrib.items())),
        text,
        tuple(canonical(child, schema_order) for child in children),
    )


def resultat_of(data: bytes) -> etree._Element:
    parser = etree.XMLParser(remove_comments=True, resolve_entities=False, no_network=True)
    root = etree.fromstring(data, parser)
    found = root.find(f"{{{ns.SOAP12_ENV}}}Body/{{{ns.RESULTAT}}}RESULTAT")
    assert found is not None, data[:200]
    return found
