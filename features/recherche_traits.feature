# language: fr
@recherche-traits
Fonctionnalité: Recherche de l'INS par les traits d'identité
  L'APM interroge l'INSi avec les traits du patient (un prénom par appel),
  enregistre l'INS renvoyé et remplace ses traits stricts par ceux de l'INSi.

  @req-ins-00 @req-tiq
  Scénario: Une identité trouvée (code 00) est récupérée avec son INS, son OID et les traits INS
    Étant donné un patient "ADRUN" "Zoé" de sexe F née le 1975-12-31
    Quand l'APM recherche l'INS par les traits
    Alors l'INSi a répondu le code 00
    Et l'APM indique "found"
    Et le dossier porte le matricule INS "2751263220749" clé "74" et l'OID "1.2.250.1.213.1.4.8"
    Et les traits stricts du dossier sont ceux renvoyés par l'INSi
    Et le statut de l'identité est "recuperee"
    Et les requêtes envoyées par l'APM sont conformes

  @req-ins-01
  Scénario: Aucune identité trouvée (code 01) : l'identité reste inchangée
    Étant donné un patient "TCHITCHI" "OLA" de sexe F née le 1936-06-21
    Quand l'APM recherche l'INS par les traits
    Alors l'INSi a répondu le code 01
    Et l'APM indique "not_found"
    Et l'identité du dossier est inchangée
    Et le dossier ne porte pas de matricule INS
    Et l'APM a prévenu l'utilisateur
    Et les requêtes envoyées par l'APM sont conformes

  @req-ins-01-strategie
  Scénario: Après un code 01 l'APM essaie un autre prénom puis la liste puis le lieu de naissance
    Étant donné un patient "TCHITCHI" "OLA CATARINA BELLA" de sexe F née le 1936-06-21 à 63220
    Quand l'APM recherche l'INS en appliquant sa stratégie de recherche
    Alors l'APM indique "found"
    Et le dossier porte le matricule INS "2360663220836" clé "56" et l'OID "1.2.250.1.213.1.4.8"
    Et les requêtes envoyées par l'APM sont conformes

  @req-ins-02
  Scénario: Plusieurs identités (code 02) : l'APM demande le lieu de naissance, qui lève l'ambiguïté
    Étant donné un patient "DE VINCI" "LEONARDO" de sexe M né le 2014-02-01 à 63220
    Quand l'APM recherche l'INS par les traits
    Alors l'INSi a répondu le code 02
    Et l'APM indique "several"
    Et le dossier ne porte pas de matricule INS
    Et l'APM a prévenu l'utilisateur
    Quand l'APM recherche l'INS par les traits avec le lieu de naissance
    Alors l'INSi a répondu le code 00
    Et le dossier porte le matricule INS "1140263220101" clé "12" et l'OID "1.2.250.1.213.1.4.8"
    Et les requêtes envoyées par l'APM sont conformes
