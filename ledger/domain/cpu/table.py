"""The CPU rule table: Art. 1-11 of the Arrêté of 29 August 2018, provision by provision.

Written from the consolidated text (``../shared/seeds/003_*.txt``), not from a summary. Each
row names the rules that enforce the provision, the events that record what it governs, or
why it is not a decision of this system. Citations follow :func:`ledger.domain.cpu.rules.art`.
"""

from __future__ import annotations

from ledger.domain.catalogue import Provision, Verdict

_ROWS: list[tuple[str, str, Verdict, tuple[str, ...], tuple[str, ...], str]] = [
    # article, text (short), verdict, rules (cpu.* unless shared.*), facts (events), why
    ("art. 1", "Les 15 OBG organisées en CPU 4-5-6 à partir de la 4e année au 1er septembre 2018",
     "rule", ("option_listed_in_art1", "option_opened_from_2018"), ("SchoolOption.Opened",), ""),
    ("art. 1 1°", "TQ : systèmes d'usinage, mécanicien polyvalent automobile, esthéticien", "fact",
     (), ("SchoolOption.Opened",), "the form (TQ) of each option is reference data (cpu_options_art1.csv)"),
    ("art. 1 2°", "P : les 12 options de l'enseignement professionnel", "fact",
     (), ("SchoolOption.Opened",), "the form (P) of each option is reference data (cpu_options_art1.csv)"),
    ("art. 2 1°", "PMO : document de l'établissement (organisation, remédiation, ressources)",
     "outside", (), (), "the PMO is the school's planning document, not a decision the ledger records"),
    ("art. 2 2°", "UAA : ensemble cohérent d'acquis d'apprentissage évalué et validé", "fact",
     ("uaa_in_learner_profile",), ("Learner.UnitValidated",), ""),
    ("art. 2 3°", "PC : profil de certification approuvé par le Gouvernement", "fact",
     (), ("Learner.Admitted",), "profiles are versioned reference data; the admission records the version"),
    ("art. 2 4°", "Dossier d'apprentissage CPU communiqué en début d'année", "outside",
     (), ("Learner.ReorientationSupportStarted",),
     "a document handed to the pupil; the ledger records the réorientation support its part d) traces"),
    ("art. 2 5°", "Conseil de classe : attestations, C2D, PSSA, rapport de compétences", "rule",
     ("shared.body_has_power", "decision_at_enrolled_school"), (), ""),
    ("art. 2 6°", "Conseil d'admission : admissions (art. 5)", "rule",
     ("shared.body_has_power", "route_decided_by_conseil_admission"), (), ""),
    ("art. 2 7°", "Jury de qualification : valide les UAA, délivre le CQ", "rule",
     ("shared.body_has_power", "uaa_not_already_validated", "validation_by_passed_test",
      "certificate_in_sixth_year", "one_active_certificate", "revoke_active_certificate",
      "cq_needs_all_uaa_or_sovereign_decision"), ("Learner.CertificateIssued",), ""),
    ("art. 2 8°", "TQ : enseignement technique de qualification", "fact", (), ("SchoolOption.Opened",),
     "a form value (TQ) recorded with the option"),
    ("art. 2 9°", "P : enseignement professionnel", "rule", ("route_only_in_p", "ce6p_only_in_p"),
     ("SchoolOption.Opened",), ""),
    ("art. 3 §1 al. 1", "Les PC comportent des UAA complétées par une durée en semaines", "rule",
     ("profile_uaa_have_weeks",), (), ""),
    ("art. 3 §1 al. 2", "Ordre logique recommandé, obligatoire si le PC le dit ; sinon justifié au PMO",
     "fact", (), (), "order_mandatory is profile data; the school's order and its justification are in the PMO"),
    ("art. 3 §1 al. 3", "UAA présentées par année scolaire ; exceptionnellement sur deux années",
     "rule", ("profile_uaa_by_school_year",), (), ""),
    ("art. 3 §1 al. 4", "25 à 27 semaines d'UAA par année ; jusqu'à 5 semaines-projets", "rule",
     ("profile_uaa_weeks_per_year", "profile_project_weeks_at_most_five"), (), ""),
    ("art. 3 §2", "Usage libre des semaines-projets, repris au PMO", "outside", (), (),
     "the school's use of project weeks is planned in its PMO, not a decision about a learner"),
    ("art. 4 §1 al. 1", "Attestations d'orientation en fin de 4e année", "rule",
     ("attestation_only_in_fourth_year", "attestation_in_current_school_year",
      "one_attestation_per_year"), ("Learner.AttestationIssued",), ""),
    ("art. 4 §1 1°", "AOA : année terminée avec fruit", "rule", ("promotion_needs_passed_fourth",),
     ("Learner.AttestationIssued",), ""),
    ("art. 4 §1 2°", "AOB : avec restriction ; réinscription en 4e = C2D ; PSSA avant le 15 octobre",
     "rule", ("promotion_needs_passed_fourth", "fourth_year_repeat_only_as_c2d",
              "c2d_admission_needs_c2d_or_aob", "pssa_for_c2d_pupil", "one_pssa_per_year",
              "pssa_before_15_october", "deadline_actually_missed"),
     ("Learner.PssaWritten", "Learner.DeadlineMissed"),
     "the AOB's restrictions themselves are not recorded (the attestation event has no field for them)"),
    ("art. 4 §1 3°", "Réorientation : pas de réinscription dans la même orientation ; conseil de "
     "réorientation ; accompagnement pendant les quatre derniers mois de l'année scolaire", "rule",
     ("reorientation_includes_advice", "reorientation_support_covers_last_four_months",
      "no_reenrolment_after_reorientation", "promotion_needs_passed_fourth"),
     ("Learner.ReorientationSupportStarted", "Learner.AttestationIssued"), ""),
    ("art. 4 §1 4°", "C2D : réinscription dans la même OBG, PSSA du conseil de classe, inscrit en 4e",
     "rule", ("fourth_year_repeat_only_as_c2d", "c2d_admission_needs_c2d_or_aob",
              "pssa_for_c2d_pupil", "one_pssa_per_year"), ("Learner.C2DProgrammeWritten",),
     "the text sets no date for this PSSA: no deadline is computed or flagged"),
    ("art. 4 §1 4° al. 2", "Avant le 15 janvier : poursuite de la C2D (AOA en fin d'année) ou "
     "réorientation immédiate", "rule",
     ("c2d_decision_only_for_c2d_pupil", "c2d_decision_before_15_january",
      "one_c2d_decision_per_year", "c2d_continue_leads_to_aoa", "reorientation_includes_advice",
      "deadline_actually_missed"), ("Learner.C2DDecided", "Learner.DeadlineMissed"), ""),
    ("art. 4 §1 4° al. 3", "Grille-horaire inchangée ; autres cours ; stages doublés", "outside", (), (),
     "timetable and stage arrangements of the C2D year are organisational, not recorded decisions"),
    ("art. 4 §1 al. final", "Décisions 3° et 4° susceptibles de recours externe (décret Missions ch. X)",
     "rule", ("appeal_against_reorientation_or_c2d", "one_open_appeal_per_decision",
              "appeal_outcome_needs_lodged_appeal", "appeal_reform_grants_better_outcome"),
     ("Learner.AppealLodged", "Learner.AppealDecided"),
     "the appeal's time limits are set by the décret Missions (not in the seed): not enforced"),
    ("art. 4 §2", "Dès la 2e année d'organisation, l'élève régulier ne recommence pas la 5e", "rule",
     ("no_repeat_fifth_year",), ("Learner.YearRepeated",), ""),
    ("art. 4 §3", "1er septembre 2019 : redoublants de 5e de l'ancienne option admis en 5e ; le jury "
     "peut valider les UAA de 4e et 5e", "rule",
     ("repeat_route_needs_transformed_option", "recognition_for_transformed_repeaters"),
     ("Learner.Admitted", "Learner.UnitValidated"), ""),
    ("art. 4 §4", "Dès la 3e année d'organisation, l'élève régulier ne recommence pas la 6e", "rule",
     ("no_repeat_sixth_year",), ("Learner.YearRepeated",), ""),
    ("art. 4 §5", "Couvreur-Etancheur : la 6e de 2019-2020 n'est pas recommencée", "rule",
     ("couvreur_sixth_not_repeated_after_2019_20",), (), ""),
    ("art. 4 §6 al. 1", "Le jury fixe le moment de chaque épreuve et en informe l'élève (et ses "
     "représentants s'il est mineur)", "rule",
     ("attempt_needs_jury_authorisation", "inform_legal_representatives_of_minor",
      "shared.body_has_power"), ("Learner.TestAuthorised",),
     "informing a minor's representatives is a duty: recorded on the authorisation, flagged when unmet"),
    ("art. 4 §6 al. 2", "Droit de présenter au moins une fois chaque UAA de l'année, au plus tôt",
     "flag", ("every_uaa_of_the_year_offered", "year_over_before_flags"), ("Learner.DutyFlagged",), ""),
    ("art. 4 §6 al. 3", "Interdit de repousser toutes les épreuves en fin d'année", "flag",
     ("tests_not_all_at_year_end", "year_over_before_flags"), ("Learner.DutyFlagged",),
     "\"fin d'année\" is read as the last 30 days of the school year (rules.YEAR_END_DAYS)"),
    ("art. 5 §1", "La 4e est accessible à tout élève (AR 1984) et aux élèves admis en C2D", "rule",
     ("admission_route_for_year", "c2d_admission_needs_c2d_or_aob", "option_open_at_school",
      "decision_not_before_admission"), ("Learner.Admitted",), ""),
    ("art. 5 §2 al. 1", "5e dès l'année scolaire suivant l'ouverture : réussite de la 4e de la même "
     "option (C2D incluse) ; redoublants de la 5e transformée", "rule",
     ("admission_route_for_year", "year_organised_at_school", "fifth_same_option_needs_passed_fourth",
      "repeat_route_needs_transformed_option", "recognition_for_transformed_repeaters"),
     ("Learner.Admitted",), ""),
    ("art. 5 §2 al. 2", "Conseil d'admission : 4e-7e réussie dans une autre orientation ; 4e et 5e en "
     "un an ; dispense de formation commune après une 5e-7e", "rule",
     ("route_decided_by_conseil_admission", "fifth_other_orientation_needs_passed_year"),
     ("Learner.Admitted",), ""),
    ("art. 5 §2 al. 3", "P : alternance avec attestations de réinsertion et de compétences", "rule",
     ("route_only_in_p", "fifth_from_alternance_needs_attestations"), ("Learner.Admitted",), ""),
    ("art. 5 §2 al. 4", "P : forme 3 de l'enseignement spécialisé avec un CQ", "rule",
     ("route_only_in_p", "fifth_from_forme3_needs_cq"), ("Learner.Admitted",), ""),
    ("art. 5 §3", "6e : redoublants de la 6e transformée ; le jury peut valider les UAA de 4e-6e",
     "rule", ("admission_route_for_year", "year_organised_at_school",
              "repeat_route_needs_transformed_option", "recognition_for_transformed_repeaters"),
     ("Learner.Admitted",), ""),
    ("art. 6 §1", "Organisée année par année à partir de la 4e ; l'ancienne option transformée "
     "année par année", "rule", ("option_open_at_school", "year_organised_at_school"),
     ("SchoolOption.Opened",), ""),
    ("art. 6 §2", "Transformation automatique ; sort de l'option du 2e degré", "fact", (),
     ("SchoolOption.Opened",), "replaces_transformed_option records whether the option replaced one"),
    ("art. 6 §3", "Création : programmation ; au 1er octobre au moins 12 élèves en 4e (10 en "
     "alternance ; 10 et 8 pour une thématique commune)", "flag", ("creation_norm_on_1_october",),
     ("SchoolOption.CreationNormChecked",),
     "the programming rules of the décret of 29 July 1992 are outside the seed: not enforced"),
    ("art. 6 §4", "Ancienne option au 3e degré en 2018-2019 si le Gouvernement l'autorise", "outside",
     (), (), "the old option is outside the CPU 4-5-6 regime the ledger records"),
    ("art. 6 §5", "Normes de maintien (AECF 31 août 1992 art. 12)", "outside", (), (),
     "the maintenance norms' figures are in the 1992 text, not in the seed; a read-model count can feed them"),
    ("art. 6 §6", "Programmes de 3e année adaptés", "outside", (), (),
     "programme approval concerns the 3rd year, outside the option's 4-5-6"),
    ("art. 7", "PMO à disposition des Services du Gouvernement dès le 1er décembre", "outside", (), (),
     "the PMO is not held by the ledger"),
    ("art. 8", "Deux demi-journées de formation obligatoire des équipes", "outside", (), (),
     "staff training is not a decision about a learner or a certificate"),
    ("art. 9", "Changement d'établissement : rapport de compétences dans les 15 jours ouvrables ; "
     "mise en demeure par l'administration", "rule",
     ("transfer_to_another_school", "competence_report_requested",
      "competence_report_within_15_working_days", "formal_notice_after_overdue_report",
      "no_reenrolment_after_reorientation", "year_organised_at_school", "deadline_actually_missed"),
     ("Learner.Transferred", "Learner.CompetenceReportRequested", "Learner.CompetenceReportSent",
      "Learner.FormalNoticeIssued"),
     "jours ouvrables: see ledger.domain.cpu.calendar (Code civil Livre 1er art. 1.7 from 2023)"),
    ("art. 10 §1", "Complément de périodes-professeurs pour la remédiation", "outside", (), (),
     "staff allocation; the remediation decisions themselves are recorded (RemediationAssigned)"),
    ("art. 10 §2", "Mode de calcul du coût du redoublement", "outside", (), (),
     "a budget computation on 15 January counts; the statistics read model can supply the counts"),
    ("art. 10 §3", "Taux de 0,25 et 0,45 période par élève, hors C3D", "outside", (), (),
     "a budget allocation, not a decision about a learner"),
    ("art. 10 §4", "Options transformées : 0,45 période en 2018-2019 et 2019-2020", "outside", (), (),
     "a budget allocation, not a decision about a learner"),
    ("art. 10 §5", "Monitoring des dépenses", "outside", (), (), "budget monitoring"),
    ("art. 11", "Renforcements de 14 périodes (annexes I et II)", "outside", (), (),
     "allocations to schools; Annex II is shipped as reference data (cpu_schools_annex2.csv)"),
]


def _key(name: str) -> str:
    return name if name.startswith("shared.") else f"cpu.{name}"


PROVISIONS: tuple[Provision, ...] = tuple(
    Provision("cpu", article, text, verdict, tuple(_key(r) for r in rules), facts, why)
    for article, text, verdict, rules, facts, why in _ROWS)

LEDGER_PROVISIONS: tuple[Provision, ...] = (
    Provision("cpu", "ledger", "Rules of the ledger itself (no anticipated decision, corrections,"
              " erasure, missed deadlines recorded once)", "rule",
              ("shared.decision_not_in_future", "shared.revoke_existing_decision",
               "shared.revocation_has_reason", "shared.revoked_by_same_body",
               "shared.deadline_recorded_once", "cpu.learner_not_erased", "cpu.erasure_has_reason",
               "cpu.uaa_in_learner_profile", "cpu.spiral_validation_in_later_test",
               "cpu.remediation_was_assigned", "cpu.move_in_next_school_year",
               "cpu.promotion_below_sixth")),
)
