"""More steps of the accreditation features (Vitale search, special cases, errors, statuses, conformity).

Same convention as ``insi_steps.py``: every assertion names the INS rule it
checks ("référentiel INS (…)" for what the APM does with an answer, "contrat
INSi (…)" for what it sends), so that a failure in the report, the evidence
pack and the defect tests says which rule the APM broke. Checks of what the
scenario itself set up (the simulator's answer) say "préparation du scénario".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from behave import given, step, then, when
from lxml import etree

from simulator.soap import namespaces as ns

RNIV = "référentiel INS"
CONTRAT = "contrat INSi"
SETUP = "préparation du scénario"
CTXLPS_NS = "urn:siram:lps:ctxlps"
WSA_ACTION = "urn:ServiceIdentiteCertifiee:1.0.0:"
UUID = re.compile(r"uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
INS_TRAIT = re.compile(r"[A-Z'-]+( [A-Z'-]+)*")
# A request's ContexteLPS/Temps is "current" within this margin (clock skew of a test machine included).
FRESH = timedelta(minutes=5)


# -- helpers --------------------------------------------------------------------------------------


def _entries(context) -> list[dict]:
    return context.admin.journal(context.session, limit=1000)["entries"]


def _last_entry(context) -> dict:
    entries = _entries(context)
    assert entries, f"{SETUP}: l'APM n'a envoyé aucune requête à l'INSi"
    return context.admin.entry(context.session, entries[-1]["id"])


def _patient(context) -> dict:
    return context.driver.patient(context.patient_id)


def _outcome(context) -> tuple[str | None, str]:
    outcome = context.outcome
    return (outcome.outcome, outcome.message) if outcome else (None, "")


def _inject(context, answer: dict, times: int | None = None) -> None:
    context.admin.inject_fault(context.session, answer, times=times)


# -- Étant donné -----------------------------------------------------------------------------------


@given('le simulateur répondra l\'identité "{identity}" à la prochaine requête')
def inject_identity(context, identity):
    """An answer the traits sent would not give: how an incoherent TIQ is put in front of the APM."""
    _inject(context, {"identity": identity}, times=1)


@given("le simulateur répondra un message qui n'est pas du XML à toutes les requêtes")
def inject_not_xml(context):
    _inject(context, {"malformed": "not-xml"})


@given("le simulateur répondra HTTP {status:d} sans contenu à toutes les requêtes")
def inject_empty_http(context, status):
    _inject(context, {"http": {"status": status}})


@given("le simulateur coupera la connexion à toutes les requêtes")
def inject_drop(context):
    _inject(context, {"drop": True})


@step("l'état actuel du dossier est noté")
def snapshot(context):
    """What ``l'identité du dossier est inchangée`` compares with from now on."""
    context.initial = _patient(context)


@when("l'utilisateur enregistre un acte de naissance, pièce à faible niveau de confiance")
def low_trust_document(context):
    context.driver.record_id_document(context.patient_id, "ACTE_NAISSANCE", False)


# -- Alors: the simulator's answer (set up by the scenario) ---------------------------------------


@then('l\'INSi a répondu la faute "{code}"')
def insi_fault(context, code):
    entry = _last_entry(context)
    seen = entry.get("fault") or f"le code {entry.get('code_cr')}"
    assert entry.get("fault") == code, f"{SETUP}: l'INSi devait répondre la faute {code}, il a répondu {seen}"


# -- Alors: what the APM did with the answer -------------------------------------------------------


@then("l'APM signale l'erreur à l'utilisateur")
def apm_reports_error(context):
    outcome, message = _outcome(context)
    assert outcome == "error", (
        f"{RNIV} (erreur INSi): une recherche sans réponse exploitable est une erreur pour l'APM; "
        f"il indique {outcome!r} ({message})"
    )
    shown = message or context.driver.last_message()
    assert shown, f"{RNIV} (erreur INSi): sur une erreur l'APM prévient l'utilisateur; aucun message affiché"


@then("l'APM refuse l'INS renvoyé car {reason}")
def apm_refuses(context, reason):
    outcome, message = _outcome(context)
    assert outcome == "rejected", (
        f"{RNIV}: l'APM ne doit pas utiliser cet INS ({reason}); il indique {outcome!r} ({message})"
    )


@then("l'APM accepte l'INS renvoyé car {reason}")
def apm_accepts(context, reason):
    outcome, message = _outcome(context)
    assert outcome == "found", f"{RNIV}: l'APM doit accepter cet INS ({reason}); il indique {outcome!r} ({message})"


@then("aucun INS historique renvoyé n'est devenu l'INS du dossier")
def no_histo_as_ins(context):
    root = etree.fromstring(_last_entry(context)["response_xml"].encode("utf-8"))
    histo = {
        element.findtext(f"{{{ns.RESULTAT}}}IdIndividu/{{{ns.RESULTAT}}}NumIdentifiant")
        for element in root.iter(f"{{{ns.RESULTAT}}}INSHISTO")
    }
    assert histo, f"{SETUP}: la dernière réponse de l'INSi devait contenir des INSHISTO"
    matricule = _patient(context).get("matricule")
    assert matricule not in histo, (
        f"{RNIV} (INS historique, CNDA 2.04): seul INSACTIF devient l'INS du dossier, jamais un INSHISTO; "
        f"le dossier porte l'INS historique {matricule}"
    )


@then('le dossier ne porte pas le matricule INS "{num}"')
def record_not_ins(context, num):
    patient = _patient(context)
    assert patient.get("matricule") != num, (
        f"{RNIV} (incohérence): l'INS {num} renvoyé pour une autre identité ne remplace pas l'INS du dossier"
    )


# -- Alors: what the APM sent -----------------------------------------------------------------------


@then("les MessageID des requêtes de l'APM sont tous différents")
def message_ids_unique(context):
    ids = [entry["headers"].get("message_id") for entry in _entries(context)]
    assert len(ids) > 1, f"{SETUP}: il faut au moins deux requêtes pour comparer leurs MessageID ({len(ids)})"
    reused = sorted({value for value in ids if ids.count(value) > 1})
    assert not reused, f"{CONTRAT} (message-id-unique): un nouveau wsa:MessageID à chaque appel; réutilisé: {reused}"


@then("chaque requête de l'APM porte les en-têtes ContexteLPS, ContexteBAM, wsa:Action et wsa:MessageID")
def headers_present(context):
    entries = _entries(context)
    assert entries, f"{SETUP}: l'APM n'a envoyé aucune requête à l'INSi"
    problems = []
    for entry in entries:
        headers, rank = entry["headers"], entry["rank"]
        if not headers.get("contexte_lps_present"):
            problems.append(f"requête {rank}: pas de ContexteLPS")
        if not headers.get("idam") or headers.get("idam_r") != "4":
            problems.append(f'requête {rank}: ContexteLPS/LPS/IDAM absent ou sans R="4"')
        version, nom = headers.get("lps_version"), headers.get("lps_nom") or ""
        if not (version and headers.get("lps_instance") and nom.startswith("urn:lps:") and nom.endswith(f":{version}")):
            problems.append(
                f"requête {rank}: ContexteLPS/LPS incomplet (Version, Instance, Nom urn:lps:<nom>:<version>)"
            )
        if not headers.get("contexte_bam_present"):
            problems.append(f"requête {rank}: pas de ContexteBAM")
        if headers.get("action") != WSA_ACTION + entry["operation"]:
            problems.append(f"requête {rank}: wsa:Action {headers.get('action')!r} ne nomme pas {entry['operation']}")
        if not UUID.fullmatch(headers.get("message_id") or ""):
            problems.append(f"requête {rank}: wsa:MessageID {headers.get('message_id')!r} n'est pas uuid:<uuid>")
    assert not problems, f"{CONTRAT} (en-têtes de la requête): " + "; ".join(problems)


@then("chaque recherche par les traits de l'APM porte un seul prénom")
def one_first_name(context):
    searches = [entry for entry in _entries(context) if entry["operation"] == "rechercherInsAvecTraitsIdentite"]
    assert searches, f"{SETUP}: l'APM n'a fait aucune recherche par les traits"
    several = [
        (entry["rank"], entry["traits"].get("Prenom"))
        for entry in searches
        if len(entry["traits"].get("Prenom") or []) != 1
    ]
    assert not several, f"{CONTRAT} (un prénom par appel): chaque recherche porte un seul élément Prenom; vu: {several}"


@then('l\'APM a envoyé les traits normalisés "{nom}" "{prenom}"')
def normalized_traits_sent(context, nom, prenom):
    entries = [entry for entry in _entries(context) if entry["operation"] == "rechercherInsAvecTraitsIdentite"]
    assert entries, f"{SETUP}: l'APM n'a fait aucune recherche par les traits"
    traits = entries[0]["traits"]
    sent = (traits.get("NomNaissance"), (traits.get("Prenom") or [None])[0])
    assert sent == (nom, prenom), (
        f"{RNIV} (traits normalisés): la requête porte les traits en majuscules, sans diacritiques, lettres, "
        f"espace, tiret et apostrophe seulement: {(nom, prenom)} attendu, {sent} envoyé"
    )
    for entry in entries:
        values = [entry["traits"].get("NomNaissance") or "", *(entry["traits"].get("Prenom") or [])]
        bad = [value for value in values if not INS_TRAIT.fullmatch(value)]
        assert not bad, f"{RNIV} (traits normalisés): requête {entry['rank']}: traits non normalisés {bad}"


@then("chaque requête de l'APM porte un horodatage ContexteLPS courant")
def fresh_context(context):
    now = datetime.now(UTC)
    entries = _entries(context)
    assert entries, f"{SETUP}: l'APM n'a envoyé aucune requête à l'INSi"
    stale = []
    for item in entries:
        root = etree.fromstring(context.admin.entry(context.session, item["id"])["request_xml"].encode("utf-8"))
        contexte = root.find(f".//{{{CTXLPS_NS}}}ContexteLPS")
        times = (
            [] if contexte is None else [child.text for child in contexte if etree.QName(child).localname == "Temps"]
        )
        text = times[0] if times else None
        try:
            when_sent = datetime.fromisoformat((text or "").replace("Z", "+00:00"))
        except ValueError:
            stale.append(f"requête {item['rank']}: Temps {text!r} illisible")
            continue
        if when_sent.tzinfo is None:
            when_sent = when_sent.replace(tzinfo=UTC)
        if abs(now - when_sent) > FRESH:
            stale.append(f"requête {item['rank']}: Temps {text}")
    assert not stale, (
        f"{CONTRAT} (contexte de la requête, CNDA 1.02 dans la mesure observable): chaque appel porte un "
        f"ContexteLPS horodaté de l'instant de l'appel, jamais un contexte rejoué; {stale}"
    )
