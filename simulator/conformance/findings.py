"""What the conformance checks report: findings, and the catalogue of rules.

A :class:`Finding` is one breach of one rule by one request; :data:`RULES` is
the catalogue, kept as data so that the README and the admin API can list it.
Findings never change the simulator's answer: they are stored in the journal.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    message: str
    where: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Rule:
    id: str
    what: str
    why: str
    severity: str

    def finding(self, message: str, where: str) -> Finding:
        return Finding(self.id, self.severity, message, where)


SCHEMA = Rule(
    "schema",
    "The body element is valid against the INSi request schema (RECSANSVITALE or RECVITALE).",
    "INSi contract: WSDL DESIR_ICIR_EXP_1.5.0 imports INSi_RECSANS_INS.xsd and INSi_RECVITALE_INS.xsd for the bodies.",
    ERROR,
)
ENVELOPE = Rule(
    "envelope",
    "The request is a well-formed SOAP 1.2 envelope without DTD, within the size limit, for a known operation.",
    "INSi contract: SOAP 1.2 document/literal, HTTP POST, the WSDL has exactly two operations.",
    ERROR,
)
TRAITS_MINIMUM = Rule(
    "traits-minimum",
    "A traits search sends NomNaissance, Sexe and DateNaissance (the first name is checked by one-first-name).",
    "INSi traits search: it matches on birth name, first name, sex and birth date; only the birth place is optional.",
    ERROR,
)
TRAITS_NORMALIZED = Rule(
    "traits-normalized",
    "NomNaissance and each Prenom are upper case, without diacritics, letters/space/hyphen/apostrophe only, "
    "without leading, trailing or double spaces.",
    "INS referential: requests carry traits normalized the INS way (upper case, no diacritics, A-Z space - ').",
    ERROR,
)
ONE_FIRST_NAME = Rule(
    "one-first-name",
    "A traits search carries exactly one non-empty Prenom element.",
    "INSi usage: clients send one birth first name per call, then the next one, then the whole list.",
    WARNING,
)
SEXE_CODE = Rule(
    "sexe-code",
    "Sexe, when sent, is M or F.",
    "INSi request body: RECSANSVITALE Sexe is M or F (CodSexe; insi-domain.md §2).",
    ERROR,
)
DATE_LUNAIRE = Rule(
    "date-lunaire",
    "DateNaissance is YYYY-MM-DD with month 00-12 and day 00-31 (00 = unknown part).",
    "INSi contract: DateNaissance is a DateLunaire (\\d{4}-\\d{2}-\\d{2}), not an xsd:date; civil registries hold 00.",
    ERROR,
)
LIEU_NAISSANCE_COG = Rule(
    "lieu-naissance-cog",
    "LieuNaissance, when sent, is a COG code: 5 digits (99xxx abroad) or 2A/2B followed by 3 digits (Corsica).",
    "INSi contract: LieuNaissance is the INSEE COG code of the birth place.",
    ERROR,
)
CONTEXTE_LPS = Rule(
    "contexte-lps",
    'ContexteLPS is present with LPS/IDAM (R="4"), Version, Instance and Nom = urn:lps:<name>:<Version>.',
    'INSi contract: ContexteLPS/LPS/IDAM R="4" is the CNDA authorization number; Nom is urn:lps:<name>:<version>.',
    ERROR,
)
CONTEXTE_BAM = Rule(
    "contexte-bam",
    "ContexteBAM is present.",
    "INSi contract: ctxbam:ContexteBAM is a header part of both operations in the WSDL.",
    ERROR,
)
MESSAGE_ID = Rule(
    "message-id",
    "wsa:MessageID is present and of the form uuid:<UUID>.",
    "INSi contract: WS-Addressing MessageID is uuid:<uuid>, a new one per call.",
    ERROR,
)
MESSAGE_ID_UNIQUE = Rule(
    "message-id-unique",
    "wsa:MessageID is not reused within the session.",
    "INSi contract: a new MessageID per call.",
    ERROR,
)
WSA_ACTION = Rule(
    "wsa-action",
    "wsa:Action is present and equals urn:ServiceIdentiteCertifiee:1.0.0:<operation> of the body.",
    "INSi contract: the WSDL soapAction of each operation is urn:ServiceIdentiteCertifiee:1.0.0:<operation>.",
    ERROR,
)
WSSE_SECURITY = Rule(
    "wsse-security",
    "wsse:Security with at least one SAML assertion is present when the session authenticates with a CPx card.",
    "INSi contract: with a CPx card the user is authenticated by a SAML/VIHF assertion in wsse:Security.",
    ERROR,
)
VITALE_BENEFICIARY = Rule(
    "vitale-beneficiary",
    "RECVITALE identifies the beneficiary: MatriculeIndividu or MatriculeOD NumIdentifiant of 13 characters "
    "(NIR shape), Cle of 2 digits when sent, DateNaissance present, RangNaissance digits when sent.",
    "INSi contract: RECVITALE (Beneficiaire) carries the matricule and birth date read on the Vitale card.",
    ERROR,
)

RULES: tuple[Rule, ...] = (
    SCHEMA,
    ENVELOPE,
    TRAITS_MINIMUM,
    TRAITS_NORMALIZED,
    ONE_FIRST_NAME,
    SEXE_CODE,
    DATE_LUNAIRE,
    LIEU_NAISSANCE_COG,
    CONTEXTE_LPS,
    CONTEXTE_BAM,
    MESSAGE_ID,
    MESSAGE_ID_UNIQUE,
    WSA_ACTION,
    WSSE_SECURITY,
    VITALE_BENEFICIARY,
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
