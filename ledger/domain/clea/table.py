"""The CléA rule table: the Code du travail articles and Certif'Pro's rules, row by row.

Sources as :data:`ledger.domain.clea.rules.SRC` cites them (DOMAIN.md §7 and
``../shared/reference/clea/clea_facts.csv``). Each row names the rules enforcing it, the
events recording it, or why it is not a decision of this system.
"""

from __future__ import annotations

from ledger.domain.catalogue import Provision, Row, provisions

# fmt: off
_ROWS: list[Row] = [
    ("Code du travail D6113-30 I", "Les sept domaines du socle de connaissances et de compétences",
     "rule", ("referential_has_all_domains", "all_domains_acquired_before_jury"),
     ("Candidate.PriorEvaluationRecorded",), ""),
    ("Code du travail D6113-30 II", "Modules complémentaires régionaux", "outside", (), (),
     "regional modules are not certified by Certif'Pro's CléA; the ledger records no decision on them"),
    ("Code du travail D6113-30 III", "Module complémentaire numérique (CléA Numérique)", "rule",
     ("certified_independently",), ("Candidate.Registered",),
     "certified on its own referential (certificate type clea_numerique)"),
    ("Code du travail D6113-31", "Le socle et le module numérique certifiés chacun, sur référentiels de "
     "compétences et d'évaluation proposés par les partenaires sociaux", "rule",
     ("certified_independently", "sub_domain_meets_threshold", "certificate_after_favourable_jury"),
     ("Candidate.CertificateIssued",), ""),
    ("Code du travail D6113-31 (Répertoire spécifique)", "Enregistrement au répertoire spécifique (L6113-6)",
     "outside", (), (), "registration is France compétences' act, not a decision about a candidate"),
    ("Code du travail L6113-8", "Données des titulaires transmises au SI CPF (depuis le 1er juillet 2021, "
     "dans les 3 mois)", "rule",
     ("accrochage_once", "accrochage_after_issue", "deadline_missed_after_due_date"),
     ("Candidate.AccrochageRecorded", "Candidate.DeadlineMissed"),
     "the 3-month due date is computed at issue (rules.accrochage_due); a late report is recorded late"),
    ("Arrêté du 19 février 2019", "Certif'Pro gère CléA ; délivrance par Certif'Pro ou un jury de branche",
     "rule", ("shared.body_has_power", "one_active_certificate", "certificate_is_active"),
     ("Candidate.CertificateIssued", "Candidate.CertificateRevoked"), ""),
    ("Certif'Pro parcours [S22]", "Évaluation préalable, formation, évaluation finale dans les 5 ans ; "
     "évaluateur distinct du formateur ; jury paritaire quand les 7 domaines sont acquis", "rule",
     ("within_five_years_of_prealable", "new_prealable_only_after_window",
      "plan_targets_missing_domains", "training_follows_plan", "final_evaluation_after_training",
      "final_evaluation_of_missing_domains", "evaluator_is_not_trainer",
      "all_domains_acquired_before_jury", "jury_is_paritaire", "submission_by_candidate_evaluator",
      "dossier_submitted_once", "jury_decides_submitted_dossier"),
     ("Candidate.PriorEvaluationRecorded", "Candidate.TrainingPlanAssigned",
      "Candidate.TrainingCompleted", "Candidate.FinalEvaluationRecorded",
      "Candidate.DossierSubmittedToJury", "Candidate.JuryDecided"),
     "the evaluator organisation submits the complete dossier to one jury (SubmitToJury); only that "
     "jury decides on it"),
    ("Habilitation COPANEF / Certif'Pro [S54][S58]", "Évaluateurs habilités par campagne, retrait",
     "rule", ("habilitation_by_certifpro_campaign", "evaluator_habilitated_on_date",
              "withdraw_habilitation_in_force"),
     ("EvaluatorOrganisation.HabilitationGranted", "EvaluatorOrganisation.HabilitationWithdrawn"), ""),
    ("Organismes de formation [S60]", "Plus d'habilitation CléA pour former depuis le 1er juillet 2019",
     "rule", ("training_habilitation_before_2019_07_01",), ("TrainingOrganisation.Registered",),
     "conflict: seed 004 says the habilitation is mandatory to train; the date is configuration "
     "(values.TRAINING_HABILITATION_ENDS) and a deployment states which source it follows"),
    ("Jurys de branche [S52]", "Les CPNE délivrent CléA dans les conditions du COPANEF", "rule",
     ("branch_jury_may_award", "jury_decides_submitted_dossier"),
     ("BranchJury.Registered", "Candidate.DossierSubmittedToJury"),
     "a branch jury decides and issues only on dossiers submitted to it"),
    ("Seuils [S54][S55]", "75 % des critères par sous-domaine, seuils abaissés et critères obligatoires "
     "depuis 2018", "rule", ("sub_domain_meets_threshold",), (),
     "thresholds are configuration per referential version (not confirmed officially)"),
    ("RGPD art. 17", "Droit à l'effacement des données personnelles du candidat : l'identité est "
     "détruite, les décisions restent", "rule",
     ("candidate_not_erased", "erasure_by_candidate_evaluator", "erasure_has_reason"),
     ("Candidate.Erased",),
     "Certif'Pro or the candidate's evaluator organisation decides; the identity store destroys the "
     "identity, its key and its blind-index rows once the decision is saved"),
    ("Tarifs Certif'Pro [S58]", "20 € HT par évaluation préalable, 5 € HT par certificat", "outside", (), (),
     "billing is not a certification decision"),
]

# fmt: on

PROVISIONS: tuple[Provision, ...] = provisions("clea", _ROWS)

LEDGER_PROVISIONS: tuple[Provision, ...] = (
    Provision(
        "clea",
        "ledger",
        "Rules of the ledger itself (no anticipated decision, corrections)",
        "rule",
        (
            "shared.decision_not_in_future",
            "shared.revoke_existing_decision",
            "shared.revocation_has_reason",
            "shared.revoked_by_same_body",
        ),
    ),
)
