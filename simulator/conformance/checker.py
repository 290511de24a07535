"""Check one INSi request against the INSi rules; return findings, decide nothing.

Pure functions: no I/O, no XML. The soap layer calls :func:`check_request` for
every decoded request and :func:`check_unparsed` for one it refused before
decoding; the journal stores the findings with the request.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..engine.messages import Headers, InsiRequest, MatriculeSent, Operation, TraitsQuery, VitaleQuery
from ..identity.normalize import is_ins_normalized, normalize_trait
from . import findings as r
from .findings import Finding

# Same value as simulator.soap.namespaces.ACTION_PREFIX (a test keeps them equal):
# the soap layer depends on conformance, not the other way round.
ACTION_PREFIX = "urn:ServiceIdentiteCertifiee:1.0.0:"

# [0-9], never \d: \d also matches non-ASCII digits.
_DATE_LUNAIRE = re.compile(r"[0-9]{4}-(0[0-9]|1[0-2])-(0[0-9]|[12][0-9]|3[01])")
_COG = re.compile(r"[0-9]{5}|2[AB][0-9]{3}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# NIR/NIA: sex, year, month, department (2 digits, or 2A/2B), commune, order = 13 characters.
_MATRICULE = re.compile(r"[0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{6}")
_CLE = re.compile(r"[0-9]{2}")
_RANG = re.compile(r"[0-9]+")
_LPS_NOM_PREFIX = "urn:lps:"
_TRAIT_PUNCTUATION = " '-"
_A_TO_Z = re.compile(r"[A-Z]+")
_DOUBLE_SPACE = re.compile(r"\s\s")

_BODY = {Operation.TRAITS: "Body/RECSANSVITALE", Operation.VITALE: "Body/RECVITALE"}
_LPS = "Header/ContexteLPS/LPS"


@dataclass
class ConformanceContext:
    seen_message_ids: frozenset[str] = frozenset()  # MessageIDs already used earlier in the same session
    requires_security: bool = False  # the session says the APM authenticates with a CPx card
    schema_error: str | None = None  # set by the soap layer when the body failed the XSD


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


# -- headers -----------------------------------------------------------------


def _check_contexte_lps(headers: Headers) -> list[Finding]:
    rule = r.CONTEXTE_LPS
    if not headers.contexte_lps_present:
        return [rule.finding("ContexteLPS header is absent", "Header/ContexteLPS")]
    found: list[Finding] = []
    if _blank(headers.idam):
        found.append(rule.finding("LPS/IDAM (CNDA authorization number) is absent or empty", f"{_LPS}/IDAM"))
    elif headers.idam_r != "4":
        seen = "absent" if headers.idam_r is None else f"{headers.idam_r!r}"
        found.append(rule.finding(f'IDAM attribute R must be "4", got {seen}', f"{_LPS}/IDAM/@R"))
    for field, value in (("Version", headers.lps_version), ("Instance", headers.lps_instance)):
        if _blank(value):
            found.append(rule.finding(f"LPS/{field} is absent or empty", f"{_LPS}/{field}"))
    problem = _lps_nom_problem(headers.lps_nom, headers.lps_version)
    if problem:
        found.append(rule.finding(problem, f"{_LPS}/Nom"))
    return found


def _lps_nom_problem(nom: str | None, version: str | None) -> str | None:
    """Nom must read ``urn:lps:<name>:<version>``, <version> being the Version element."""
    if _blank(nom):
        return "LPS/Nom is absent or empty"
    assert nom is not None
    # RFC 8141: the "urn" scheme and the namespace identifier are case-insensitive.
    if not nom.lower().startswith(_LPS_NOM_PREFIX):
        return f"LPS/Nom {nom!r} does not start with {_LPS_NOM_PREFIX!r} (expected urn:lps:<name>:<version>)"
    rest = nom[len(_LPS_NOM_PREFIX) :]
    if not _blank(version):
        assert version is not None
        name = rest[: -len(version) - 1] if rest.endswith(":" + version) else ""
        if not name:
            return f"LPS/Nom {nom!r} does not read urn:lps:<name>:{version} (Version is {version!r})"
        return None
    name, _, nom_version = rest.rpartition(":")
    if not name or not nom_version:
        return f"LPS/Nom {nom!r} does not read urn:lps:<name>:<version>"
    return None


def _check_message_id(headers: Headers, context: ConformanceContext) -> list[Finding]:
    message_id = headers.message_id
    if _blank(message_id):
        return [r.MESSAGE_ID.finding("wsa:MessageID is absent or empty", "Header/MessageID")]
    assert message_id is not None
    found: list[Finding] = []
    if not (message_id.startswith("uuid:") and _UUID.fullmatch(message_id[len("uuid:") :])):
        found.append(
            r.MESSAGE_ID.finding(f"wsa:MessageID {message_id!r} is not of the form uuid:<UUID>", "Header/MessageID")
        )
    if message_id in context.seen_message_ids:
        found.append(
            r.MESSAGE_ID_UNIQUE.finding(
                f"wsa:MessageID {message_id!r} was already used in this session", "Header/MessageID"
            )
        )
    return found


def _check_action(headers: Headers, operation: Operation) -> list[Finding]:
    expected = ACTION_PREFIX + operation.value
    if _blank(headers.action):
        return [r.WSA_ACTION.finding(f"wsa:Action is absent (expected {expected!r})", "Header/Action")]
    if headers.action != expected:
        return [r.WSA_ACTION.finding(f"wsa:Action is {headers.action!r}, expected {expected!r}", "Header/Action")]
    return []


def _check_security(headers: Headers, context: ConformanceContext) -> list[Finding]:
    if not context.requires_security:
        return []
    if not headers.security_present:
        return [
            r.WSSE_SECURITY.finding(
                "wsse:Security is absent but the session authenticates with a CPx card", "Header/Security"
            )
        ]
    if headers.assertion_count < 1:
        return [
            r.WSSE_SECURITY.finding(
                "wsse:Security carries no SAML assertion but the session authenticates with a CPx card",
                "Header/Security/Assertion",
            )
        ]
    return []


def _check_headers(headers: Headers, operation: Operation, context: ConformanceContext) -> list[Finding]:
    found = _check_contexte_lps(headers)
    if not headers.contexte_bam_present:
        found.append(r.CONTEXTE_BAM.finding("ContexteBAM header is absent", "Header/ContexteBAM"))
    found += _check_message_id(headers, context)
    found += _check_action(headers, operation)
    found += _check_security(headers, context)
    return found


# -- body --------------------------------------------------------------------


def _ins_letters(char: str) -> str:
    """``char`` the INS way (``é`` -> ``E``, ``œ`` -> ``OE``); white space is kept as is."""
    return normalize_trait(char) if char.strip() else char


def _trait_problems(value: str) -> list[str]:
    """Why ``value`` is not in INS form, in words (empty when it is)."""
    if is_ins_normalized(value):
        return []
    problems: list[str] = []
    if any(char.islower() for char in value):
        problems.append("lower case")
    if any(
        unicodedata.combining(char) or (char.isalpha() and not char.isascii() and _A_TO_Z.fullmatch(_ins_letters(char)))
        for char in value
    ):
        problems.append("diacritics or ligatures")
    foreign = sorted(
        {
            char
            for char in value
            if not unicodedata.combining(char)
            and char not in _TRAIT_PUNCTUATION
            and not (char.isalpha() and _A_TO_Z.fullmatch(_ins_letters(char)))
        }
    )
    if foreign:
        problems.append("characters not allowed: " + " ".join(repr(char) for char in foreign))
    if value != value.strip():
        problems.append("leading or trailing space")
    if _DOUBLE_SPACE.search(value.strip()):
        problems.append("double space")
    return problems or ["not in INS form"]


def _check_trait(label: str, value: str | None, where: str) -> list[Finding]:
    if _blank(value):  # absence is the business of traits-minimum and one-first-name
        return []
    assert value is not None
    problems = _trait_problems(value)
    if not problems:
        return []
    message = f"{label} {value!r} is not normalized the INS way ({', '.join(problems)})"
    suggestion = normalize_trait(value)
    if suggestion and is_ins_normalized(suggestion):
        message += f"; INS form: {suggestion!r}"
    return [r.TRAITS_NORMALIZED.finding(message, where)]


def _check_date(value: str | None, where: str) -> list[Finding]:
    if value is None or _DATE_LUNAIRE.fullmatch(value):
        return []
    return [
        r.DATE_LUNAIRE.finding(
            f"DateNaissance {value!r} is not a DateLunaire YYYY-MM-DD (month 00-12, day 00-31)", where
        )
    ]


def _check_traits(traits: TraitsQuery) -> list[Finding]:
    body = _BODY[Operation.TRAITS]
    found: list[Finding] = []
    for field, value in (
        ("NomNaissance", traits.nom_naissance),
        ("Sexe", traits.sexe),
        ("DateNaissance", traits.date_naissance),
    ):
        if _blank(value):
            found.append(r.TRAITS_MINIMUM.finding(f"{field} is absent or empty", f"{body}/{field}"))

    found += _check_trait("NomNaissance", traits.nom_naissance, f"{body}/NomNaissance")
    for index, prenom in enumerate(traits.prenoms, start=1):
        found += _check_trait(f"Prenom[{index}]", prenom, f"{body}/Prenom[{index}]")

    count = len(traits.prenoms)
    if count != 1:
        found.append(
            r.ONE_FIRST_NAME.finding(
                f"{count} Prenom elements sent; send exactly one first name per call", f"{body}/Prenom"
            )
        )
    elif _blank(traits.prenoms[0]):
        found.append(r.ONE_FIRST_NAME.finding("the Prenom element is empty", f"{body}/Prenom[1]"))

    if not _blank(traits.sexe) and traits.sexe not in ("M", "F"):
        found.append(r.SEXE_CODE.finding(f"Sexe {traits.sexe!r} is not M or F", f"{body}/Sexe"))
    if not _blank(traits.date_naissance):
        found += _check_date(traits.date_naissance, f"{body}/DateNaissance")
    if traits.lieu_naissance is not None and not _COG.fullmatch(traits.lieu_naissance):
        found.append(
            r.LIEU_NAISSANCE_COG.finding(
                f"LieuNaissance {traits.lieu_naissance!r} is not a COG code (5 digits, or 2A/2B + 3 digits)",
                f"{body}/LieuNaissance",
            )
        )
    return found


def _check_matricule(label: str, matricule: MatriculeSent) -> list[Finding]:
    where = f"{_BODY[Operation.VITALE]}/{label}"
    found: list[Finding] = []
    number = matricule.num_identifiant
    if not _blank(number) and not _MATRICULE.fullmatch(number or ""):
        found.append(
            r.VITALE_BENEFICIARY.finding(
                f"{label}/NumIdentifiant {number!r} is not 13 characters in the NIR shape "
                "(digits, department 2A/2B allowed)",
                f"{where}/NumIdentifiant",
            )
        )
    if matricule.cle is not None and not _CLE.fullmatch(matricule.cle):
        found.append(r.VITALE_BENEFICIARY.finding(f"{label}/Cle {matricule.cle!r} is not 2 digits", f"{where}/Cle"))
    return found


def _check_vitale(vitale: VitaleQuery) -> list[Finding]:
    body = _BODY[Operation.VITALE]
    found: list[Finding] = []
    matricules = [
        (label, matricule)
        for label, matricule in (("MatriculeIndividu", vitale.matricule_individu), ("MatriculeOD", vitale.matricule_od))
        if matricule is not None
    ]
    if not any(not _blank(matricule.num_identifiant) for _, matricule in matricules):
        found.append(
            r.VITALE_BENEFICIARY.finding(
                "neither MatriculeIndividu nor MatriculeOD carries a NumIdentifiant: the beneficiary is not identified",
                body,
            )
        )
    for label, matricule in matricules:
        found += _check_matricule(label, matricule)
    if _blank(vitale.date_naissance):
        found.append(r.VITALE_BENEFICIARY.finding("DateNaissance is absent or empty", f"{body}/DateNaissance"))
    else:
        found += _check_date(vitale.date_naissance, f"{body}/DateNaissance")
    if vitale.rang_naissance is not None and not _RANG.fullmatch(vitale.rang_naissance):
        found.append(
            r.VITALE_BENEFICIARY.finding(
                f"RangNaissance {vitale.rang_naissance!r} is not made of digits", f"{body}/RangNaissance"
            )
        )
    found += _check_trait("NomNaissance", vitale.nom_naissance, f"{body}/NomNaissance")
    return found


# -- entry points ------------------------------------------------------------


def check_request(request: InsiRequest, context: ConformanceContext) -> list[Finding]:
    """All findings for one decoded request: schema, then headers, then body."""
    found: list[Finding] = []
    if context.schema_error:
        found.append(
            r.SCHEMA.finding(
                f"the body does not fit the request schema: {context.schema_error}", _BODY[request.operation]
            )
        )
    found += _check_headers(request.headers, request.operation, context)
    if request.operation is Operation.TRAITS:
        found += _check_traits(request.traits or TraitsQuery())
    else:
        found += _check_vitale(request.vitale or VitaleQuery())
    return found


# fault key (fixtures/faults.yaml) -> (rule, where, what the problem is)
_UNPARSED: dict[str, tuple[r.Rule, str, str]] = {
    "schema_invalid": (r.SCHEMA, "Body", "the body does not fit the request schema"),
    "malformed_xml": (r.ENVELOPE, "Envelope", "the request is not well-formed XML or not a SOAP envelope"),
    "forbidden_dtd": (r.ENVELOPE, "Envelope", "the request carries a DTD (document type declaration)"),
    "soap_version_mismatch": (r.ENVELOPE, "Envelope", "the envelope is SOAP 1.1; INSi speaks SOAP 1.2 only"),
    "unknown_operation": (r.ENVELOPE, "Body", "the body element is not RECSANSVITALE nor RECVITALE, or is missing"),
    "request_too_large": (r.ENVELOPE, "Envelope", "the request is over the size limit"),
    "action_mismatch": (
        r.WSA_ACTION,
        "Header/Action",
        "wsa:Action (or the action parameter of the Content-Type) does not match the body",
    ),
    "lps_context_missing": (r.CONTEXTE_LPS, "Header/ContexteLPS", "ContexteLPS is absent or incomplete"),
}
# Refusals that are the simulator's own doing, not the APM's.
_NOT_THE_APM = frozenset({"internal_error"})


def check_unparsed(fault_key: str, why: str) -> list[Finding]:
    """The finding for a request refused before it was decoded (``fault_key`` from the catalogue)."""
    if fault_key in _NOT_THE_APM:
        return []
    rule, where, problem = _UNPARSED.get(fault_key, (r.ENVELOPE, "Envelope", f"the request was refused ({fault_key})"))
    message = f"{problem}: {why}" if why else problem
    return [rule.finding(message, where)]
