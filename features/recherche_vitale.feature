# language: fr
@recherche-vitale
Fonctionnalité: Recherche de l'INS avec la carte Vitale
  L'APM interroge l'INSi avec le bénéficiaire lu sur la carte Vitale : le matricule de
  la carte, la date de naissance et, pour des jumeaux, le rang de naissance. L'INSi
  renvoie l'INS du bénéficiaire ; l'APM ne le rattache à l'identité locale que s'il
  est cohérent avec elle.
  Le simulateur ne lit pas l'assertion Vitale (jeton de sécurité de la carte) : les
  tests 1.01 à 1.03 du plan CNDA sont vérifiés dans la mesure où ils s'observent dans
  les échanges (requête RECVITALE, réponse, ce que l'APM en fait).

  @cnda-1.01 @req-vitale @req-ins-00 @req-tiq
  Scénario: Le titulaire de la carte est trouvé et son identité récupérée avec les traits INS
    Étant donné un patient "MARTIN" "Claire Marie" de sexe F née le 1985-05-12
    Quand l'APM recherche l'INS avec la carte Vitale "2850575112045" pour le bénéficiaire né le 1985-05-12
    Alors l'INSi a répondu le code 00
    Et l'APM indique "found"
    Et le dossier porte le matricule INS "2850575112045" clé "85" et l'OID "1.2.250.1.213.1.4.8"
    Et les traits stricts du dossier sont ceux renvoyés par l'INSi
    Et le statut de l'identité est "recuperee"
    Et les requêtes envoyées par l'APM sont conformes

  @req-vitale @req-vitale-rang @req-ins-00
  Plan du scénario: Jumeaux distingués par le rang <rang> lu sur la carte (<prenom>)
    Étant donné un patient "MARTIN" "<prenom>" de sexe F née le 2015-05-10
    Quand l'APM recherche l'INS avec la carte Vitale "2850575112045" pour le bénéficiaire né le 2015-05-10 de rang <rang>
    Alors l'INSi a répondu le code 00
    Et l'APM indique "found"
    Et le dossier porte le matricule INS "<matricule>" clé "<cle>" et l'OID "1.2.250.1.213.1.4.8"
    Et les traits stricts du dossier sont ceux renvoyés par l'INSi
    Et les requêtes envoyées par l'APM sont conformes

    Exemples:
      | prenom | rang | matricule     | cle |
      | LEA    | 1    | 2150563220311 | 42  |
      | LOUISE | 2    | 2150563220312 | 41  |

  @req-vitale-rang @req-ins-02
  Scénario: Sans rang de naissance les jumeaux donnent plusieurs identités (code 02), le rang lève l'ambiguïté
    Étant donné un patient "MARTIN" "LEA" de sexe F née le 2015-05-10
    Quand l'APM recherche l'INS avec la carte Vitale "2850575112045" pour le bénéficiaire né le 2015-05-10
    Alors l'INSi a répondu le code 02
    Et l'APM indique "several"
    Et l'identité du dossier est inchangée
    Et le dossier ne porte pas de matricule INS
    Et l'APM a prévenu l'utilisateur
    Quand l'APM recherche l'INS avec la carte Vitale "2850575112045" pour le bénéficiaire né le 2015-05-10 de rang 1
    Alors l'INSi a répondu le code 00
    Et le dossier porte le matricule INS "2150563220311" clé "42" et l'OID "1.2.250.1.213.1.4.8"
    Et les requêtes envoyées par l'APM sont conformes

  @cnda-1.03 @req-vitale-beneficiaire @req-ins-01
  Scénario: Un bénéficiaire qui n'est pas sur la carte n'est pas trouvé (code 01) et l'identité reste inchangée
    Étant donné un patient "DURAND" "Paul" de sexe M né le 1990-01-01
    Quand l'APM recherche l'INS avec la carte Vitale "2850575112045" pour le bénéficiaire né le 1990-01-01
    Alors l'INSi a répondu le code 01
    Et l'APM indique "not_found"
    Et l'identité du dossier est inchangée
    Et le dossier ne porte pas de matricule INS
    Et l'APM a prévenu l'utilisateur
    Et les requêtes envoyées par l'APM sont conformes

  @req-vitale-rang @req-incoherence
  Scénario: Le mauvais rang lu ensuite ne remplace pas l'INS d'un jumeau par celui de l'autre
    Étant donné un patient "MARTIN" "LEA" de sexe F née le 2015-05-10
    Quand l'APM recherche l'INS avec la carte Vitale "2850575112045" pour le bénéficiaire né le 2015-05-10 de rang 1
    Alors le dossier porte le matricule INS "2150563220311" clé "42" et l'OID "1.2.250.1.213.1.4.8"
    Et l'état actuel du dossier est noté
    Quand l'APM recherche l'INS avec la carte Vitale "2850575112045" pour le bénéficiaire né le 2015-05-10 de rang 2
    Alors l'INSi a répondu le code 00
    Et l'APM refuse l'INS renvoyé car l'identité porte déjà un autre INS (celui de sa jumelle)
    Et le dossier ne porte pas le matricule INS "2150563220312"
    Et l'identité du dossier est inchangée
    Et l'APM a prévenu l'utilisateur

  @cnda-1.02 @req-vitale @req-contexte-frais @req-message-id
  Scénario: Chaque recherche par carte Vitale porte un contexte de l'instant de l'appel (1.02, partie observable)
    Étant donné un patient "MARTIN" "CLAIRE" de sexe F née le 1985-05-12
    Quand l'APM recherche l'INS avec la carte Vitale "2850575112045" pour le bénéficiaire né le 1985-05-12
    Et l'APM recherche l'INS avec la carte Vitale "2850575112045" pour le bénéficiaire né le 1985-05-12
    Alors chaque requête de l'APM porte un horodatage ContexteLPS courant
    Et les MessageID des requêtes de l'APM sont tous différents
    Et les requêtes envoyées par l'APM sont conformes
