"""Wire layouts: the exact bytes of an answer around its XML payload.

An XML library chooses prefixes and quotes by itself; the real INSi does not
answer the way lxml would write (``env:Body`` declared with an unused ``S``
prefix, double-quoted declaration…). A :class:`WireLayout` holds those bytes
as data (``fixtures/wire-layouts.yaml``); the payload itself is always built
and serialized by lxml, so it is well-formed by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ..datafile import DataFileError, line_of, load_yaml
from . import namespaces as ns
from .catalogue import CatalogueFault

LAYOUTS_SCHEMA = {
    "type": "object",
    "required": ["default", "layouts"],
    "additionalProperties": False,
    "properties": {
        "default": {"type": "string"},
        "layouts": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "object",
                "required": ["declaration", "result_open", "result_close", "result_namespaces", "content_type"],
                "additionalProperties": False,
                "properties": {
                    "description": {"type": "string"},
                    "declaration": {"type": "string"},
                    "result_open": {"type": "string", "minLength": 1},
                    "result_close": {"type": "string", "minLength": 1},
                    "result_namespaces": {
                        "type": "array",
                        "items": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2},
                    },
                    "content_type": {"type": "string", "minLength": 1},
                },
            },
        },
    },
}


@dataclass(frozen=True)
class WireLayout:
    name: str
    declaration: bytes
    result_open: bytes
    result_close: bytes
    result_nsmap: dict[str | None, str]
    content_type: str

    def render_result(self, resultat: etree._Element) -> bytes:
        return (
            self.declaration
            + self.result_open
            + etree.tostring(resultat, encoding="UTF-8", xml_declaration=False)
            + self.result_close
        )

    def render_fault(self, fault: CatalogueFault, message_id: str | None = None) -> bytes:
        """A SOAP 1.2 fault in the fault's own prefix (``soap:`` or ``S:``)."""
        p = fault.prefix
        env = lambda local: ns.qname(ns.SOAP12_ENV, local)  # noqa: E731
        envelope = etree.Element(env("Envelope"), nsmap={p: ns.SOAP12_ENV})
        body = etree.SubElement(envelope, env("Body"))
        soap_fault = etree.SubElement(body, env("Fault"))
        code = etree.SubElement(soap_fault, env("Code"))
        etree.SubElement(code, env("Value")).text = f"{p}:{fault.code}"
        subcode = etree.SubElement(code, env("Subcode"))
        etree.SubElement(subcode, env("Value")).text = f"{p}:{fault.subcode}"
        reason = etree.SubElement(soap_fault, env("Reason"))
        text = etree.SubElement(reason, env("Text"))
        text.set(ns.qname(ns.XML, "lang"), fault.reason_lang)
        text.text = fault.reason_text
        detail = etree.SubElement(soap_fault, env("Detail"))
        erreur = etree.SubElement(detail, ns.qname(ns.SIRAM, "Erreur"), nsmap={"siram": ns.SIRAM})
        erreur.set("code", fault.detail_code)
        erreur.set("severite", fault.detail_severite)
        if message_id:
            erreur.set("messageID", message_id)
        erreur.text = fault.detail_text
        return self.declaration + etree.tostring(envelope, encoding="UTF-8", xml_declaration=False)


def _check_envelope(path: Path, data, name: str, layout: WireLayout) -> None:
    """The open/close bytes must wrap a payload into a SOAP 1.2 Envelope/Body."""
    probe = layout.result_open + b"<probe/>" + layout.result_close
    try:
        root = etree.fromstring(probe)
    except etree.XMLSyntaxError as error:
        raise DataFileError(
            path,
            line_of(data, ["layouts", name, "result_open"]),
            f"layout {name}: result_open/result_close do not form XML: {error}",
        ) from None
    body = root[0] if len(root) else None
    if root.tag != ns.qname(ns.SOAP12_ENV, "Envelope") or body is None or body.tag != ns.qname(ns.SOAP12_ENV, "Body"):
        raise DataFileError(
            path,
            line_of(data, ["layouts", name, "result_open"]),
            f"layout {name}: must open a SOAP 1.2 Envelope then its Body",
        )


def load_layouts(path: Path | str) -> tuple[dict[str, WireLayout], str]:
    """All layouts of the file, and the name of the default one."""
    path = Path(path)
    data = load_yaml(path, LAYOUTS_SCHEMA)
    layouts = {}
    for name, entry in data["layouts"].items():
        layout = WireLayout(
            name=name,
            declaration=entry["declaration"].encode("utf-8"),
            result_open=entry["result_open"].encode("utf-8"),
            result_close=entry["result_close"].encode("utf-8"),
            result_nsmap={(prefix or None): uri for prefix, uri in entry["result_namespaces"]},
            content_type=entry["content_type"],
        )
        _check_envelope(path, data, name, layout)
        layouts[name] = layout
    if data["default"] not in layouts:
        raise DataFileError(path, line_of(data, ["default"]), f"default layout {data['default']!r} is not defined")
    return layouts, data["default"]
