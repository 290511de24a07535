"""The published WSDL, laid out as the official ``DESIR_ICIR_EXP_1.5.0.wsdl``.

Spyne's stock WSDL 1.1 generator names everything after the application and
the methods (soapAction = operation name, one message per header, binding
named after the service). Clients generated from the official contract need
the official names, so :class:`InsiWsdl11` keeps Spyne's schema generation
for the body types and writes messages, portType, binding and service the
official way: service ``ICIR-v1``, port and portType ``ICIRService``, binding
``ICIRServiceBinding``, soapAction/wsaw:Action ``urn:ServiceIdentiteCertifiee:
1.0.0:<operation>``, the four header parts on each input message.

The document is self-contained (header schemas inline) so that a client can
build itself from ``/lps?wsdl`` without network access.

Moving a schema into the document lets lxml drop the schema's namespace
declarations that the ``definitions`` element already makes under another
prefix (``s0`` of Spyne, ``lps``/``bam`` of the header schemas): element names
follow, but QName *values* (``type="s0:Matricule"``) are plain text and would
be left with an undeclared prefix, which strict clients (zeep, .NET, JAX-WS)
refuse. :func:`embed_schema` re-resolves those values after the move.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree  # noqa: E402
from spyne.interface.wsdl.wsdl11 import Wsdl11  # noqa: E402

from . import namespaces as ns  # noqa: E402
from . import spyne_compat  # noqa: F401

WSDL = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP12 = "http://schemas.xmlsoap.org/wsdl/soap12/"
WSAW = "http://www.w3.org/2006/02/addressing/wsdl"
HTTP_TRANSPORT = "http://schemas.xmlsoap.org/soap/http"

SERVICE_NAME = "ICIR-v1"
PORT_NAME = "ICIRService"
PORT_TYPE_NAME = "ICIRService"
BINDING_NAME = "ICIRServiceBinding"
DEFINITIONS_NAME = "ServiceIdentiteCertifiee-v1"

_XSD_DIR = Path(__file__).parent / "xsd"
# (part name, element namespace, element local name, schema file)
HEADER_PARTS = [
    ("NO1_Security", ns.WSSE, "Security", "wsse.xsd"),
    ("NO1_ContexteLPS", ns.CTX_LPS, "ContexteLPS", "ctxlps.xsd"),
    ("NO1_MessageID", ns.WSA, "MessageID", "wsa.xsd"),
    ("NO1_ContexteBAM", ns.CTX_BAM, "ContexteBAM", "ctxbam.xsd"),
]

NSMAP = {
    "wsdl": WSDL,
    "soap12": WSDL_SOAP12,
    "wsaw": WSAW,
    "xs": ns.XSD,
    "tns": ns.WEBSERVICE,
    "insi_recsans_ins": ns.REC_SANS,
    "insi_recvit_ins": ns.REC_VIT,
    "insi_resultat_ins": ns.RESULTAT,
    "wsa": ns.WSA,
    "wsse": ns.WSSE,
    "ctxbam": ns.CTX_BAM,
    "ctxlps": ns.CTX_LPS,
    "siram": ns.SIRAM,
}
_PREFIX = {uri: prefix for prefix, uri in NSMAP.items()}


def _w(local: str) -> str:
    return ns.qname(WSDL, local)


def _s(local: str) -> str:
    return ns.qname(WSDL_SOAP12, local)


def _qref(namespace: str, local: str) -> str:
    return f"{_PREFIX[namespace]}:{local}"


# XSD attributes whose value is a QName (memberTypes: a list of QNames).
_QNAME_ATTRIBUTES = ("type", "base", "ref", "itemType", "substitutionGroup", "refer", "memberTypes")


def _resolve(element: etree._Element, value: str) -> etree.QName:
    """A QName value read where it stands (unprefixed = the default namespace)."""
    prefix, _, local = value.rpartition(":")
    namespace = element.nsmap.get(prefix or None)
    if prefix and namespace is None:
        raise ValueError(f"undeclared prefix {prefix!r} in {value!r} on <{etree.QName(element).localname}>")
    return etree.QName(namespace, local) if namespace else etree.QName(local)


def _prefixed(element: etree._Element, name: etree.QName) -> str:
    """``name`` written with a prefix in scope at ``element``."""
    if name.namespace is None:
        return name.localname
    in_scope = element.nsmap
    prefixes = sorted((p for p, uri in in_scope.items() if uri == name.namespace and p), key=len)
    if prefixes:
        return f"{prefixes[0]}:{name.localname}"
    if in_scope.get(None) == name.namespace:
        return name.localname
    raise ValueError(f"namespace {name.namespace} has no prefix in the WSDL: add it to NSMAP")


def embed_schema(parent: etree._Element, schema: etree._Element) -> None:
    """Append ``schema`` to ``parent``, keeping the meaning of its QName values."""
    resolved = []
    value_prefixes = set()
    for element in schema.iter(ns.qname(ns.XSD, "*")):
        for attribute in _QNAME_ATTRIBUTES:
            value = element.get(attribute)
            if value:
                tokens = value.split()
                resolved.append((element, attribute, [_resolve(element, token) for token in tokens]))
                value_prefixes.update(token.rpartition(":")[0] for token in tokens if ":" in token)
    parent.append(schema)
    # Drop what only Spyne's generator declared (xsi, plink, an older wsa…), but
    # not a prefix that a QName value still needs.
    etree.cleanup_namespaces(schema, keep_ns_prefixes=sorted(value_prefixes))
    for element, attribute, names in resolved:
        element.set(attribute, " ".join(_prefixed(element, name) for name in names))


class InsiWsdl11(Wsdl11):
    """Spyne's WSDL generator with the official names and message layout."""

    def body_schemas(self) -> list[etree._Element]:
        """Spyne's schemas of the body types, minus its copy of the elements in
        the application namespace (INSi declares them in their own namespaces)."""
        self.build_schema_nodes()
        schemas = []
        for schema in self.schema_dict.values():
            if schema.get("targetNamespace") == ns.WEBSERVICE:
                continue
            for imported in schema.findall(ns.qname(ns.XSD, "import")):
                if imported.get("namespace") == ns.WEBSERVICE:
                    schema.remove(imported)
            schemas.append(schema)
        return schemas

    def build_interface_document(self, url):
        root = etree.Element(_w("definitions"), nsmap=NSMAP)
        root.set("name", DEFINITIONS_NAME)
        root.set("targetNamespace", ns.WEBSERVICE)
        documentation = etree.SubElement(root, _w("documentation"))
        documentation.text = "INSi simulator (insi-harness): recherche de l'Identifiant National de Santé (INS)"

        types = etree.SubElement(root, _w("types"))
        for schema in self.body_schemas():
            embed_schema(types, schema)
        for *_, schema_file in HEADER_PARTS + [("Erreur", ns.SIRAM, "Erreur", "siram.xsd")]:
            embed_schema(types, etree.parse(str(_XSD_DIR / schema_file)).getroot())

        methods = sorted(
            (descriptors[0] for descriptors in self.interface.service_method_map.values()),
            key=lambda method: method.operation_name,
        )
        for method in methods:
            request = etree.SubElement(root, _w("message"), name=method.operation_name)
            body = method.in_message.Attributes
            etree.SubElement(request, _w("part"), name=method.operation_name, element=_qref(body.sub_ns, body.sub_name))
            for part, namespace, local, _ in HEADER_PARTS:
                etree.SubElement(request, _w("part"), name=part, element=_qref(namespace, local))
            response = etree.SubElement(root, _w("message"), name=method.operation_name + "Response")
            out = method.out_message.Attributes
            etree.SubElement(
                response, _w("part"), name=method.operation_name + "Response", element=_qref(out.sub_ns, out.sub_name)
            )
        erreur = etree.SubElement(root, _w("message"), name="Erreur")
        etree.SubElement(erreur, _w("part"), name="Erreur", element=_qref(ns.SIRAM, "Erreur"))

        port_type = etree.SubElement(root, _w("portType"), name=PORT_TYPE_NAME)
        for method in methods:
            action = ns.ACTION_PREFIX + method.operation_name
            operation = etree.SubElement(port_type, _w("operation"), name=method.operation_name)
            op_in = etree.SubElement(
                operation, _w("input"), name=method.operation_name, message=f"tns:{method.operation_name}"
            )
            op_in.set(ns.qname(WSAW, "Action"), action)
            op_out = etree.SubElement(
                operation,
                _w("output"),
                name=method.operation_name + "Response",
                message=f"tns:{method.operation_name}Response",
            )
            op_out.set(ns.qname(WSAW, "Action"), action + "Response")
            etree.SubElement(operation, _w("fault"), name="Erreur", message="tns:Erreur")

        binding = etree.SubElement(root, _w("binding"), name=BINDING_NAME, type=f"tns:{PORT_TYPE_NAME}")
        etree.SubElement(binding, _s("binding"), style="document", transport=HTTP_TRANSPORT)
        for method in methods:
            operation = etree.SubElement(binding, _w("operation"), name=method.operation_name)
            etree.SubElement(operation, _s("operation"), soapAction=ns.ACTION_PREFIX + method.operation_name)
            op_in = etree.SubElement(operation, _w("input"), name=method.operation_name)
            etree.SubElement(op_in, _s("body"), parts=method.operation_name, use="literal")
            for part, *_ in HEADER_PARTS:
                etree.SubElement(op_in, _s("header"), message=f"tns:{method.operation_name}", part=part, use="literal")
            op_out = etree.SubElement(operation, _w("output"), name=method.operation_name + "Response")
            etree.SubElement(op_out, _s("body"), parts=method.operation_name + "Response", use="literal")
            fault = etree.SubElement(operation, _w("fault"), name="Erreur")
            etree.SubElement(fault, _s("fault"), name="Erreur", use="literal")

        service = etree.SubElement(root, _w("service"), name=SERVICE_NAME)
        port = etree.SubElement(service, _w("port"), name=PORT_NAME, binding=f"tns:{BINDING_NAME}")
        etree.SubElement(port, _s("address"), location=url)

        self._Wsdl11__wsdl = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def build_wsdl(interface, url: str) -> bytes:
    """The WSDL document with ``url`` as the endpoint address."""
    generator = InsiWsdl11(interface)
    generator.build_interface_document(url)
    return generator.get_interface_document()
