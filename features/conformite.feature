# language: fr
@conformite
Fonctionnalité: Conformité des requêtes envoyées par l'APM
  Le simulateur juge chaque requête reçue : schéma, traits normalisés, un prénom par
  appel, en-têtes ContexteLPS et ContexteBAM, wsa:Action, un MessageID neuf par appel.
  Dans des échanges ordinaires, même quand le patient a été saisi avec des accents ou
  en minuscules, ses constats doivent être vides.

  @req-traits-normalises @req-ins-00
  Scénario: Des traits saisis en minuscules, avec accent et apostrophe typographique partent normalisés
    Étant donné un patient "d’Artagnan-Lupin" "jean-charles Arsène" de sexe M né le 1970-06-30
    Quand l'APM recherche l'INS par les traits
    Alors l'APM a envoyé les traits normalisés "D'ARTAGNAN-LUPIN" "JEAN-CHARLES"
    Et l'INSi a répondu le code 00
    Et le dossier porte le matricule INS "1700633190077" clé "36" et l'OID "1.2.250.1.213.1.4.8"
    Et les requêtes envoyées par l'APM sont conformes

  @req-traits-normalises @req-date-lunaire @req-ins-00
  Scénario: Un nom accentué et une date de naissance lunaire partent tels que l'INSi les attend
    Étant donné un patient "Bénali" "Fatima" de sexe F née le 1950-00-00
    Quand l'APM recherche l'INS par les traits
    Alors l'APM a envoyé les traits normalisés "BENALI" "FATIMA"
    Et l'INSi a répondu le code 00
    Et le dossier porte le matricule INS "2509999350123" clé "94" et l'OID "1.2.250.1.213.1.4.8"
    Et les traits stricts du dossier sont ceux renvoyés par l'INSi
    Et les requêtes envoyées par l'APM sont conformes

  @req-un-prenom @req-ins-01-strategie @req-message-id
  Scénario: La stratégie de recherche envoie un prénom par appel et un MessageID neuf à chaque appel
    Étant donné un patient "Tchitchi" "Ola Catarina Bella" de sexe F née le 1936-06-21 à 63220
    Quand l'APM recherche l'INS en appliquant sa stratégie de recherche
    Alors chaque recherche par les traits de l'APM porte un seul prénom
    Et les MessageID des requêtes de l'APM sont tous différents
    Et l'APM indique "found"
    Et le dossier porte le matricule INS "2360663220836" clé "56" et l'OID "1.2.250.1.213.1.4.8"
    Et les requêtes envoyées par l'APM sont conformes

  @req-un-prenom
  Scénario: Un patient aux prénoms multiples est cherché avec son premier prénom seul
    Étant donné un patient "TCHITCHI" "CATARINA BELLA" de sexe F née le 1936-06-21
    Quand l'APM recherche l'INS par les traits
    Alors chaque recherche par les traits de l'APM porte un seul prénom
    Et l'INSi a répondu le code 00
    Et les requêtes envoyées par l'APM sont conformes

  @req-entetes @req-message-id @req-vitale
  Scénario: Plusieurs recherches dans un même scénario : en-têtes complets et un MessageID neuf par appel
    Étant donné un patient "ADRUN" "Zoé" de sexe F née le 1975-12-31
    Quand l'APM recherche l'INS par les traits
    Et l'APM recherche l'INS par les traits
    Et l'APM recherche l'INS avec la carte Vitale "2751263220749" pour le bénéficiaire né le 1975-12-31
    Alors chaque requête de l'APM porte les en-têtes ContexteLPS, ContexteBAM, wsa:Action et wsa:MessageID
    Et les MessageID des requêtes de l'APM sont tous différents
    Et l'INSi a répondu le code 00
    Et les requêtes envoyées par l'APM sont conformes
