# language: fr
@erreurs
Fonctionnalité: Erreurs de l'INSi et du transport
  Sur une faute SOAP, une erreur HTTP, un délai dépassé ou une réponse illisible,
  l'APM prévient l'utilisateur, ne change rien à l'identité et ne réessaie pas en
  boucle : une action de l'utilisateur, une requête. L'environnement de qualification
  ne produit pas ces cas ; le simulateur les injecte (fautes du catalogue, pack errors).

  @req-erreur @req-pas-de-boucle
  Plan du scénario: La faute <faute> sur une recherche par les traits
    Étant donné un patient "ADRUN" "ZOE" de sexe F née le 1975-12-31
    Et le simulateur répondra la faute "<faute>" à toutes les requêtes
    Quand l'APM recherche l'INS par les traits
    Alors l'INSi a répondu la faute "<code>"
    Et l'APM signale l'erreur à l'utilisateur
    Et l'identité du dossier est inchangée
    Et le dossier ne porte pas de matricule INS
    Et l'APM a envoyé exactement 1 requête à l'INSi
    Et les requêtes envoyées par l'APM sont conformes

    Exemples: fautes observées sur le service réel
      | faute     | code      |
      | insi_102  | insi_102  |
      | desir_550 | desir_550 |

    Exemples: fautes du catalogue dont les textes réels ne sont pas publics
      | faute                 | code          |
      | lps_context_missing   | sim_ctxlps    |
      | schema_invalid        | sim_schema    |
      | malformed_xml         | sim_xml       |
      | forbidden_dtd         | sim_dtd       |
      | soap_version_mismatch | sim_version   |
      | unknown_operation     | sim_operation |
      | action_mismatch       | sim_action    |
      | request_too_large     | sim_size      |
      | internal_error        | sim_internal  |

  @req-erreur @req-pas-de-boucle @pack-errors
  Scénario: La faute insi_101 sur une recherche par carte Vitale d'une carte inconnue
    Étant donné un patient "DURAND" "PAUL" de sexe M né le 1980-01-01
    Quand l'APM recherche l'INS avec la carte Vitale "1800175999999" pour le bénéficiaire né le 1980-01-01
    Alors l'INSi a répondu la faute "insi_101"
    Et l'APM signale l'erreur à l'utilisateur
    Et l'identité du dossier est inchangée
    Et le dossier ne porte pas de matricule INS
    Et l'APM a envoyé exactement 1 requête à l'INSi
    Et les requêtes envoyées par l'APM sont conformes

  @req-erreur @req-pas-de-boucle @pack-errors
  Scénario: La faute insi_102 déclenchée par les traits du pack errors
    Étant donné un patient "FAUTE-INSI-UN-ZERO-DEUX" "JEAN" de sexe M né le 1980-01-01
    Quand l'APM recherche l'INS par les traits
    Alors l'INSi a répondu la faute "insi_102"
    Et l'APM signale l'erreur à l'utilisateur
    Et l'identité du dossier est inchangée
    Et le dossier ne porte pas de matricule INS
    Et l'APM a envoyé exactement 1 requête à l'INSi
    Et les requêtes envoyées par l'APM sont conformes

  @req-erreur @req-pas-de-boucle
  Plan du scénario: Une réponse inexploitable : <cas>
    Étant donné un patient "ADRUN" "ZOE" de sexe F née le 1975-12-31
    Et le simulateur <panne>
    Quand l'APM recherche l'INS par les traits
    Alors l'APM signale l'erreur à l'utilisateur
    Et l'identité du dossier est inchangée
    Et le dossier ne porte pas de matricule INS
    Et l'APM a envoyé exactement 1 requête à l'INSi
    Et les requêtes envoyées par l'APM sont conformes

    Exemples: transport
      | cas                                   | panne                                                      |
      | délai d'attente de l'APM dépassé      | répondra après le délai d'attente de l'APM                 |
      | page HTML « 503 Service Unavailable » | répondra HTTP 503 avec une page HTML à toutes les requêtes |
      | erreur HTTP 500 sans contenu          | répondra HTTP 500 sans contenu à toutes les requêtes       |
      | connexion coupée sans réponse         | coupera la connexion à toutes les requêtes                 |

    Exemples: réponse mal formée
      | cas                     | panne                                                            |
      | message tronqué         | répondra un message tronqué à toutes les requêtes                |
      | message qui n'est pas du XML | répondra un message qui n'est pas du XML à toutes les requêtes |

  @req-erreur @req-pas-de-boucle
  Scénario: Une faute sur une identité déjà récupérée ne lui retire rien
    Étant donné un patient "ADRUN" "ZOE" de sexe F née le 1975-12-31
    Quand l'APM recherche l'INS par les traits
    Alors le statut de l'identité est "recuperee"
    Étant donné l'état actuel du dossier est noté
    Et le simulateur répondra la faute "insi_102" à toutes les requêtes
    Quand l'APM recherche l'INS par les traits
    Alors l'INSi a répondu la faute "insi_102"
    Et l'APM signale l'erreur à l'utilisateur
    Et l'identité du dossier est inchangée
    Et le dossier porte le matricule INS "2751263220749" clé "74" et l'OID "1.2.250.1.213.1.4.8"
    Et l'APM a envoyé exactement 2 requêtes à l'INSi

  @req-erreur @req-pas-de-boucle @req-ins-01-strategie
  Scénario: Une faute arrête la stratégie de recherche au lieu d'enchaîner les requêtes
    Étant donné un patient "TCHITCHI" "OLA CATARINA BELLA" de sexe F née le 1936-06-21 à 63220
    Et le simulateur répondra la faute "insi_102" à toutes les requêtes
    Quand l'APM recherche l'INS en appliquant sa stratégie de recherche
    Alors l'APM signale l'erreur à l'utilisateur
    Et l'identité du dossier est inchangée
    Et le dossier ne porte pas de matricule INS
    Et l'APM a envoyé exactement 1 requête à l'INSi
