"""Steps of the accreditation features, in French (``# language: fr``).

Each assertion says which INS rule it checks, so that a failure names the
rule the APM broke (the evidence pack and the defect tests rely on it).
"""

from __future__ import annotations

import json
import time

from behave import given, then, when
from lxml import etree

from simulator.soap import namespaces as ns

RNIV = "référentiel INS"


def _patient_id(context) -> str:
    return context.patient_id


def _journal(context, **filters) -> dict:
    return context.admin.journal(context.session, **filters)


def _last_entry(context) -> dict:
    page = _journal(context, limit=1000)
    assert page["count"], "l'APM n'a envoyé aucune requête à l'INSi"
    return context.admin.entry(context.session, page["entries"][-1]["id"])


def _tiq_of(entry: dict) -> dict:
    root = etree.fromstring(entry["response_xml"].encode("utf-8"))
    tiq = root.find(f".//{{{ns.RESULTAT}}}TIQ")
    assert tiq is not None, "la dernière réponse de l'INSi ne contient pas de TIQ"
    return {etree.QName(child).localname: child.text for child in tiq}


def _create(context, nom: str, prenoms: str, sexe: str, date: str, lieu: str | None = None) -> None:
    traits = {"nom_naissance": nom, "prenoms": prenoms.split(), "sexe": sexe, "date_naissance": date}
    if lieu:
        traits["lieu_naissance"] = lieu
    context.patient_id = context.driver.create_patient(traits)
    context.initial = context.driver.patient(context.patient_id)


# -- Étant donné ----------------------------------------------------------------


@given('un patient "{nom}" "{prenoms}" de sexe {sexe} né le {date} à {lieu}')
@given('un patient "{nom}" "{prenoms}" de sexe {sexe} née le {date} à {lieu}')
def given_patient_with_place(context, nom, prenoms, sexe, date, lieu):
    _create(context, nom, prenoms, sexe, date, lieu)


@given('un patient "{nom}" "{prenoms}" de sexe {sexe} né le {date}')
@given('un patient "{nom}" "{prenoms}" de sexe {sexe} née le {date}')
def given_patient(context, nom, prenoms, sexe, date):
    _create(context, nom, prenoms, sexe, date)


@given("son identité a été vérifiée sur une pièce d'identité à haut niveau de confiance")
@when("l'utilisateur vérifie son identité sur une pièce d'identité à haut niveau de confiance")
def id_document(context):
    context.driver.record_id_document(_patient_id(context), "CNI", True)


@given('le simulateur répondra la faute "{key}" à la prochaine requête')
def inject_fault_once(context, key):
    context.admin.inject_fault(context.session, {"fault": key}, times=1)


@given('le simulateur répondra la faute "{key}" à toutes les requêtes')
def inject_fault_always(context, key):
    context.admin.inject_fault(context.session, {"fault": key})


@given("le simulateur répondra HTTP {status:d} avec une page HTML à toutes les requêtes")
def inject_http(context, status):
    context.admin.inject_fault(context.session, {"http": {"status": status, "body": "html"}})


@given("le simulateur répondra un message tronqué à toutes les requêtes")
def inject_malformed(context):
    context.admin.inject_fault(context.session, {"malformed": "truncated"})


@given("le simulateur répondra après le délai d'attente de l'APM")
def inject_timeout(context):
    context.admin.inject_fault(context.session, {"delay_ms": context.timeout_delay_ms})


# -- Quand ----------------------------------------------------------------------


@when("l'APM recherche l'INS par les traits")
def search_traits(context):
    context.outcome = context.driver.search_traits(_patient_id(context))


@when("l'APM recherche l'INS par les traits avec le prénom \"{prenom}\"")
def search_traits_prenom(context, prenom):
    context.outcome = context.driver.search_traits(_patient_id(context), prenom=prenom)


@when("l'APM recherche l'INS par les traits avec le lieu de naissance")
def search_traits_place(context):
    context.outcome = context.driver.search_traits(_patient_id(context), with_birth_place=True)


@when("l'APM recherche l'INS en appliquant sa stratégie de recherche")
def search_strategy(context):
    context.outcome = context.driver.search_traits(_patient_id(context), strategy=True)


@when("l'APM recherche l'INS avec la carte Vitale \"{od}\" pour le bénéficiaire né le {date} de rang {rang}")
def search_vitale_rang(context, od, date, rang):
    card = {"matricule_od": od, "date_naissance": date, "rang_naissance": rang}
    context.outcome = context.driver.search_vitale(_patient_id(context), card)


@when("l'APM recherche l'INS avec la carte Vitale \"{od}\" pour le bénéficiaire né le {date}")
def search_vitale(context, od, date):
    context.outcome = context.driver.search_vitale(_patient_id(context), {"matricule_od": od, "date_naissance": date})


# -- Alors ----------------------------------------------------------------------


@then("l'INSi a répondu le code {code}")
def insi_answered(context, code):
    entry = _last_entry(context)
    assert entry["code_cr"] == code, (
        f"préparation du scénario (contrat INSi): l'INSi a répondu {entry['code_cr'] or entry['fault']}, "
        f"le scénario attend {code}"
    )


@then('l\'APM indique "{outcome}"')
def apm_outcome(context, outcome):
    seen = context.outcome.outcome if context.outcome else None
    assert seen == outcome, (
        f"{RNIV}: après la réponse de l'INSi l'APM devait indiquer {outcome!r}, il indique {seen!r} "
        f"({context.outcome.message if context.outcome else ''})"
    )


@then('le dossier porte le matricule INS "{num}" clé "{cle}" et l\'OID "{oid}"')
def record_has_ins(context, num, cle, oid):
    patient = context.driver.patient(_patient_id(context))
    seen = (patient.get("matricule"), patient.get("cle"), patient.get("oid"))
    assert seen == (num, cle, oid), f"{RNIV}: le dossier devait porter l'INS {num} {cle} {oid}, il porte {seen}"


@then("le dossier ne porte pas de matricule INS")
def record_has_no_ins(context):
    patient = context.driver.patient(_patient_id(context))
    assert not patient.get("matricule"), (
        f"{RNIV}: aucun INS ne doit être enregistré ici, le dossier porte {patient.get('matricule')}"
    )


@then('le statut de l\'identité est "{status}"')
def identity_status(context, status):
    seen = context.driver.patient(_patient_id(context)).get("status")
    assert seen == status, f"{RNIV} (statuts de l'identité): le statut devait être {status!r}, il est {seen!r}"


@then("les traits stricts du dossier sont ceux renvoyés par l'INSi")
def traits_are_tiq(context):
    tiq = _tiq_of(_last_entry(context))
    patient = context.driver.patient(_patient_id(context))
    expected = {
        "nom_naissance": tiq.get("NomNaissance"),
        "prenoms": (tiq.get("ListePrenom") or "").split(),
        "sexe": tiq.get("Sexe"),
        "date_naissance": tiq.get("DateNaissance"),
        "lieu_naissance": tiq.get("LieuNaissance"),
    }
    seen = {key: patient.get(key) for key in expected}
    assert seen == expected, f"{RNIV}: sur un code 00 les traits INS remplacent les traits locaux: {seen} ≠ {expected}"


@then("l'identité du dossier est inchangée")
def identity_unchanged(context):
    patient = context.driver.patient(_patient_id(context))
    keys = ("nom_naissance", "prenoms", "sexe", "date_naissance", "lieu_naissance", "matricule", "status")
    changed = {
        key: (context.initial.get(key), patient.get(key))
        for key in keys
        if context.initial.get(key) != patient.get(key)
    }
    assert not changed, f"{RNIV}: l'identité ne devait pas changer; changé: {changed}"


@then('l\'historique des INS du dossier contient "{num}"')
def history_contains(context, num):
    histo = [item.get("matricule") for item in context.driver.patient(_patient_id(context)).get("ins_histo") or []]
    assert num in histo, f"{RNIV}: l'INS historique {num} doit être gardé en historique (vu: {histo})"


@then("l'APM a prévenu l'utilisateur")
def user_warned(context):
    message = (context.outcome.message if context.outcome else "") or context.driver.last_message()
    assert message, f"{RNIV}: sur un code 01, 02 ou une erreur, l'APM prévient l'utilisateur (aucun message affiché)"


@then("l'APM a envoyé {count:d} requête à l'INSi")
@then("l'APM a envoyé {count:d} requêtes à l'INSi")
@then("l'APM a envoyé exactement {count:d} requête à l'INSi")
@then("l'APM a envoyé exactement {count:d} requêtes à l'INSi")
def request_count(context, count):
    """Counts the session's journal, waiting for requests whose answer the simulator delays
    (they are journaled when the delayed answer leaves, after the APM gave up)."""
    deadline = time.monotonic() + context.timeout_delay_ms / 1000 + 2.0
    seen = _journal(context, limit=1)["count"]
    while seen < count and time.monotonic() < deadline:
        time.sleep(0.1)
        seen = _journal(context, limit=1)["count"]
    assert seen == count, (
        f"{RNIV} (pas de nouvel essai en boucle): sur une erreur l'APM prévient l'utilisateur et ne réessaie pas "
        f"de lui-même; {count} requête(s) attendue(s), {seen} reçue(s) par l'INSi"
    )


@then('l\'export "{fmt}" porte le matricule INS "{num}" avec l\'OID "{oid}"')
def export_has_ins(context, fmt, num, oid):
    content = context.driver.export(_patient_id(context), fmt)
    assert num in content and oid in content, f"{RNIV}: l'export {fmt} d'une identité qualifiée porte l'INS et son OID"


@then('l\'export "{fmt}" ne porte pas de matricule INS')
def export_has_no_ins(context, fmt):
    content = context.driver.export(_patient_id(context), fmt)
    patient = context.driver.patient(_patient_id(context))
    leaked = [
        value
        for value in (patient.get("matricule"), "1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9")
        if value and value in content
    ]
    assert not leaked, f"{RNIV}: seule une identité qualifiée exporte son matricule INS; l'export contient {leaked}"


@then("les requêtes envoyées par l'APM sont conformes")
def requests_conform(context):
    page = _journal(context, has_findings="true", limit=50)
    findings = [finding for entry in page["entries"] for finding in entry["findings"]]
    assert not findings, "requêtes non conformes aux règles INSi: " + json.dumps(
        [f"{f['rule']} ({f['where']}): {f['message']}" for f in findings], ensure_ascii=False
    )
