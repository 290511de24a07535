"""XML namespaces and names of the INSi contract (facts from the official WSDL)."""

SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XML = "http://www.w3.org/XML/1998/namespace"
XSD = "http://www.w3.org/2001/XMLSchema"

WEBSERVICE = "http://www.cnamts.fr/webservice"
REC_SANS = "http://www.cnamts.fr/INSiRecSans"
REC_VIT = "http://www.cnamts.fr/INSiRecVit"
RESULTAT = "http://www.cnamts.fr/INSiResultat"
SIRAM = "urn:siram"
CTX_LPS = "urn:siram:lps:ctxlps"
CTX_BAM = "urn:siram:bam:ctxbam"
WSA = "http://www.w3.org/2005/08/addressing"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"

ACTION_PREFIX = "urn:ServiceIdentiteCertifiee:1.0.0:"


def qname(namespace: str, local: str) -> str:
    """Clark notation, as lxml spells a qualified name."""
    return f"{{{namespace}}}{local}"
