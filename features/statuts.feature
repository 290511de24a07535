# language: fr
@statuts
Fonctionnalité: Statuts de l'identité et diffusion du matricule INS
  Le statut d'une identité locale suit deux faits : l'INS a été obtenu de l'INSi, et
  l'identité a été contrôlée sur une pièce d'identité à haut niveau de confiance.
  Provisoire (ni l'un ni l'autre), récupérée (l'INS seul), validée (la pièce seule),
  qualifiée (les deux). Seule une identité qualifiée diffuse son matricule INS (HL7
  PID-3, FHIR Patient.identifier). Une incohérence entre l'identité locale et les
  traits INS renvoyés arrête la mise à jour automatique.

  @req-statut-provisoire @req-statut-recuperee @req-statut-qualifiee @req-export-ins
  Scénario: Provisoire, puis récupérée quand l'INS est obtenu, puis qualifiée une fois la pièce d'identité contrôlée
    Étant donné un patient "NESSI" "MICHELANGELO ANTHONY" de sexe M né le 2010-08-07
    Alors le statut de l'identité est "provisoire"
    Quand l'APM recherche l'INS par les traits
    Alors l'APM indique "found"
    Et le statut de l'identité est "recuperee"
    Et l'export "hl7" ne porte pas de matricule INS
    Et l'export "fhir" ne porte pas de matricule INS
    Quand l'utilisateur vérifie son identité sur une pièce d'identité à haut niveau de confiance
    Alors le statut de l'identité est "qualifiee"
    Et le dossier porte le matricule INS "1100863220830" clé "60" et l'OID "1.2.250.1.213.1.4.8"
    Et l'export "hl7" porte le matricule INS "1100863220830" avec l'OID "1.2.250.1.213.1.4.8"
    Et l'export "fhir" porte le matricule INS "1100863220830" avec l'OID "1.2.250.1.213.1.4.8"

  @req-statut-validee @req-statut-qualifiee @req-export-ins
  Scénario: Validée sur pièce d'identité sans INS, puis qualifiée quand l'INS est obtenu
    Étant donné un patient "ADRTROIS" "TOUSSAINT" de sexe M né le 1960-01-01 à 2B020
    Et son identité a été vérifiée sur une pièce d'identité à haut niveau de confiance
    Alors le statut de l'identité est "validee"
    Et le dossier ne porte pas de matricule INS
    Et l'export "hl7" ne porte pas de matricule INS
    Quand l'APM recherche l'INS par les traits
    Alors l'APM indique "found"
    Et le statut de l'identité est "qualifiee"
    Et l'export "hl7" porte le matricule INS "160012B020777" avec l'OID "1.2.250.1.213.1.4.8"
    Et l'export "fhir" porte le matricule INS "160012B020777" avec l'OID "1.2.250.1.213.1.4.8"

  @req-statut-recuperee @req-statut-qualifiee @req-export-ins
  Scénario: Sans pièce à haut niveau de confiance l'identité reste récupérée et ne diffuse pas son INS
    Étant donné un patient "ADRUN" "ZOE" de sexe F née le 1975-12-31
    Quand l'APM recherche l'INS par les traits
    Et l'utilisateur enregistre un acte de naissance, pièce à faible niveau de confiance
    Alors le statut de l'identité est "recuperee"
    Et le dossier porte le matricule INS "2751263220749" clé "74" et l'OID "1.2.250.1.213.1.4.8"
    Et l'export "hl7" ne porte pas de matricule INS
    Et l'export "fhir" ne porte pas de matricule INS

  @req-incoherence @req-vitale
  Scénario: Un sexe local contredit par les traits INS arrête la mise à jour automatique
    Étant donné un patient "MARTIN" "LEA" de sexe M né le 2015-05-10
    Quand l'APM recherche l'INS avec la carte Vitale "2850575112045" pour le bénéficiaire né le 2015-05-10 de rang 1
    Alors l'INSi a répondu le code 00
    Et l'APM refuse l'INS renvoyé car le sexe des traits INS (F) contredit le sexe local (M)
    Et l'identité du dossier est inchangée
    Et le dossier ne porte pas de matricule INS
    Et le statut de l'identité est "provisoire"
    Et l'APM a prévenu l'utilisateur

  @req-incoherence
  Scénario: Une date de naissance locale contredite par les traits INS arrête la mise à jour automatique
    Étant donné un patient "ADRUN" "ZOE" de sexe F née le 1975-12-30
    Et le simulateur répondra l'identité "ADRUN-ZOE" à la prochaine requête
    Quand l'APM recherche l'INS par les traits
    Alors l'INSi a répondu le code 00
    Et l'APM refuse l'INS renvoyé car la date de naissance des traits INS (1975-12-31) contredit la date locale (1975-12-30)
    Et l'identité du dossier est inchangée
    Et le dossier ne porte pas de matricule INS
    Et l'APM a prévenu l'utilisateur
