"""Decode the four header parts of an INSi request (ContexteLPS, ContexteBAM,
wsa:MessageID, wsse:Security), plus wsa:Action, into :class:`Headers`."""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from ..engine.messages import Headers
from . import namespaces as ns

_LPS = ns.qname(ns.CTX_LPS, "ContexteLPS")
_BAM = ns.qname(ns.CTX_BAM, "ContexteBAM")
_MESSAGE_ID = ns.qname(ns.WSA, "MessageID")
_ACTION = ns.qname(ns.WSA, "Action")
_SECURITY = ns.qname(ns.WSSE, "Security")
_ASSERTION = ns.qname(ns.SAML, "Assertion")


def _text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    return (element.text or "").strip()


def decode_headers(children: Iterable[etree._Element] | None) -> Headers:
    """Read the header blocks; a missing block reads as ``None``/``False``."""
    found: dict[str, etree._Element] = {}
    for child in () if children is None else children:
        if isinstance(child.tag, str):
            found.setdefault(child.tag, child)

    values: dict = {}
    lps_context = found.get(_LPS)
    if lps_context is not None:
        values["contexte_lps_present"] = True
        lps = lps_context.find(ns.qname(ns.CTX_LPS, "LPS"))
        if lps is not None:
            idam = lps.find(ns.qname(ns.CTX_LPS, "IDAM"))
            values["idam"] = _text(idam)
            values["idam_r"] = idam.get("R") if idam is not None else None
            values["lps_version"] = _text(lps.find(ns.qname(ns.CTX_LPS, "Version")))
            values["lps_instance"] = _text(lps.find(ns.qname(ns.CTX_LPS, "Instance")))
            values["lps_nom"] = _text(lps.find(ns.qname(ns.CTX_LPS, "Nom")))
    values["contexte_bam_present"] = _BAM in found
    values["message_id"] = _text(found.get(_MESSAGE_ID))
    values["action"] = _text(found.get(_ACTION))
    security = found.get(_SECURITY)
    if security is not None:
        values["security_present"] = True
        values["assertion_count"] = sum(1 for _ in security.iter(_ASSERTION))
    return Headers(**values)
