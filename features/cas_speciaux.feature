# language: fr
@cas-speciaux
Fonctionnalité: Cas particuliers du plan de tests CNDA (2.04, 2.05, 2.08)
  Les réponses que l'environnement de qualification ne produit pas : un INS avec des
  INS historiques (2.04), un INS-NIA (2.05), la clé d'un matricule né en Corse (2.08
  cas 1) et une clé invalide (2.08 cas 2). Le simulateur les sert pour les traits des
  fichiers d'injection du kit CNDA.

  @cnda-2.04 @req-ins-histo @req-ins-00 @req-tiq
  Scénario: 2.04, forme du service réel : seul INSACTIF devient l'INS, l'INSHISTO est gardé en historique
    Étant donné un patient "ECETINSI" "PIERRE-ALAIN MURIEL FLORIANT" de sexe M né le 2009-07-14
    Quand l'APM recherche l'INS par les traits
    Alors l'INSi a répondu le code 00
    Et l'APM indique "found"
    Et aucun INS historique renvoyé n'est devenu l'INS du dossier
    Et le dossier porte le matricule INS "1090763220834" clé "89" et l'OID "1.2.250.1.213.1.4.8"
    Et l'historique des INS du dossier contient "2090763220834"
    Et les traits stricts du dossier sont ceux renvoyés par l'INSi
    Et les requêtes envoyées par l'APM sont conformes

  @cnda-2.04 @req-ins-histo @req-ins-00
  Scénario: 2.04 cas 2, forme du fichier CNDA (deux INSHISTO) : seul INSACTIF devient l'INS
    Étant donné un patient "ECETINSI" "PIERRE-ALAIN MURIEL FLORIANT" de sexe M né le 2009-07-14
    Quand l'APM recherche l'INS par les traits avec le prénom "FLORIANT"
    Alors l'INSi a répondu le code 00
    Et l'APM indique "found"
    Et aucun INS historique renvoyé n'est devenu l'INS du dossier
    Et le dossier porte le matricule INS "1090763220834" clé "89" et l'OID "1.2.250.1.213.1.4.8"
    Et l'historique des INS du dossier contient "2090763220834"
    Et l'historique des INS du dossier contient "2090663220123"
    Et les requêtes envoyées par l'APM sont conformes

  @cnda-2.04 @req-ins-histo @req-ins-01 @pack-cnda
  Scénario: 2.04 après un code 01, la nouvelle recherche renvoie l'INS avec son historique
    Étant donné un patient "ECETINSI" "MURIEL" de sexe M né le 2009-07-14
    Quand l'APM recherche l'INS par les traits
    Alors l'INSi a répondu le code 01
    Et l'APM indique "not_found"
    Et l'identité du dossier est inchangée
    Quand l'APM recherche l'INS par les traits
    Alors l'INSi a répondu le code 00
    Et aucun INS historique renvoyé n'est devenu l'INS du dossier
    Et le dossier porte le matricule INS "1090763220834" clé "89" et l'OID "1.2.250.1.213.1.4.8"
    Et l'historique des INS du dossier contient "2090763220834"
    Et les traits stricts du dossier sont ceux renvoyés par l'INSi
    Et les requêtes envoyées par l'APM sont conformes

  @cnda-2.05 @req-ins-nia @req-tiq @req-export-ins
  Scénario: 2.05, un INS-NIA (OID .9) est accepté comme INS et exporté avec son OID une fois qualifié
    Étant donné un patient "PROVISOIRE" "MATRICULE" de sexe M né le 2009-07-01
    Quand l'APM recherche l'INS par les traits
    Alors l'INSi a répondu le code 00
    Et l'APM accepte l'INS renvoyé car un INS-NIA (OID 1.2.250.1.213.1.4.9) est un INS à part entière
    Et le dossier porte le matricule INS "1090763220888" clé "35" et l'OID "1.2.250.1.213.1.4.9"
    Et les traits stricts du dossier sont ceux renvoyés par l'INSi
    Et le statut de l'identité est "recuperee"
    Quand l'utilisateur vérifie son identité sur une pièce d'identité à haut niveau de confiance
    Alors le statut de l'identité est "qualifiee"
    Et l'export "fhir" porte le matricule INS "1090763220888" avec l'OID "1.2.250.1.213.1.4.9"
    Et les requêtes envoyées par l'APM sont conformes

  @cnda-2.08 @req-cle @req-ins-00
  Plan du scénario: 2.08 cas 1, né en <departement> : la clé se calcule avec <lu> et l'INS est accepté
    Étant donné un patient "<nom>" "<prenom>" de sexe <sexe> né le <date> à <lieu>
    Quand l'APM recherche l'INS par les traits
    Alors l'INSi a répondu le code 00
    Et l'APM accepte l'INS renvoyé car la clé <cle> de <matricule> est valide une fois <lu>
    Et le dossier porte le matricule INS "<matricule>" clé "<cle>" et l'OID "1.2.250.1.213.1.4.8"
    Et les traits stricts du dossier sont ceux renvoyés par l'INSi
    Et les requêtes envoyées par l'APM sont conformes

    Exemples: le cas du kit CNDA
      | departement | nom   | prenom  | sexe | date       | lieu  | matricule     | cle | lu          |
      | Haute-Corse | CORSE | ANTHONY | M    | 1980-03-02 | 2B020 | 180032B020401 | 23  | 2B lu 18    |

    Exemples: la base de test de qualification
      | departement  | nom      | prenom    | sexe | date       | lieu  | matricule     | cle | lu       |
      | Corse-du-Sud | ADRTROIS | DOMINIQUE | F    | 1997-02-26 | 2A020 | 297022A020778 | 78  | 2A lu 19 |

  @cnda-2.08 @req-cle
  Scénario: 2.08 cas 2, un INS dont la clé est invalide est refusé, rien n'est enregistré et l'utilisateur est prévenu
    Étant donné un patient "HERMANN" "GATIEN" de sexe M né le 1981-03-24
    Quand l'APM recherche l'INS par les traits
    Alors l'INSi a répondu le code 00
    Et l'APM refuse l'INS renvoyé car la clé 60 du matricule 1810363220456 est invalide (la bonne clé est 76)
    Et le dossier ne porte pas de matricule INS
    Et l'identité du dossier est inchangée
    Et l'APM a prévenu l'utilisateur
    Et les requêtes envoyées par l'APM sont conformes
