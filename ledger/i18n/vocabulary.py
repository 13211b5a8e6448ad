"""The law's own words for the codes the ledger stores (bodies, attestations, routes, commands).

Stored data keeps its language-neutral codes (``jury_qualification``, ``AOA``); a person reads
``jury de qualification`` and ``attestation d'orientation A`` (Arrêté du 29 août 2018), or their
English explanation with ``--lang en``. Unknown codes are shown as they are.
"""

from __future__ import annotations

from collections.abc import Callable

from ledger.i18n import N_, _


def _labels() -> dict[str, Callable[[], str]]:
    return {
        # bodies (who decided)
        "jury_qualification": lambda: _("qualification jury"),
        "jury_delegate": lambda: _("teachers delegated by the qualification jury"),
        "conseil_classe": lambda: _("class council"),
        "conseil_admission": lambda: _("admission council"),
        "direction": lambda: _("head of school"),
        "administration": lambda: _("administration"),
        "pedagogical_team": lambda: _("teaching team"),
        "certifpro": lambda: _("Certif'Pro"),
        "branch_jury": lambda: _("branch jury"),
        "jury_paritaire": lambda: _("joint jury"),
        "evaluator_org": lambda: _("evaluating organisation"),
        "training_org": lambda: _("training organisation"),
        # attestations and certificates
        "AOA": lambda: _("orientation certificate A (year passed)"),
        "AOB": lambda: _("orientation certificate B (passed with restrictions)"),
        "REORIENTATION": lambda: _("reorientation certificate"),
        "C2D": lambda: _("second-degree complement (C2D)"),
        "CQ": lambda: _("qualification certificate (CQ)"),
        "clea": lambda: _("CléA certificate"),
        "clea_numerique": lambda: _("CléA Numérique certificate"),
        "clea_management": lambda: _("CléA Management certificate"),
        # the sides of a joint jury, an accrochage's state
        "employer": lambda: _("employer representative"),
        "employee": lambda: _("employee representative"),
        "done": lambda: _("done"),
        "CE6P": lambda: _("6th-year vocational certificate (CE6P)"),
        # what the profile's UAA titles are worth (ledger.reference.cpu.Profile.titles_note)
        "ILLUSTRATIVE (not the official PC)": lambda: _(
            "illustrative only, not the official certification profile"
        ),
        "official PC": lambda: _("official certification profile"),
        # unit status and how a unit was validated
        "validated": lambda: _("validated"),
        "failed": lambda: _("failed"),
        "pending": lambda: _("pending"),
        "active": lambda: _("valid"),
        "revoked": lambda: _("revoked"),
        "overdue": lambda: _("overdue"),
        "test": lambda: _("assessment test"),
        "spiral": lambda: _("spiral assessment"),
        "jury_recognition": lambda: _("recognised by the jury"),
        "continue": lambda: _("continues"),
        "reorient": lambda: _("reoriented"),
        "all_validated": lambda: _("all units validated"),
        "sovereign": lambda: _("sovereign jury decision"),
        # deadlines
        "pssa": lambda: _("learning support programme (PSSA)"),
        "c2d_decision": lambda: _("C2D decision"),
        "competence_report": lambda: _("competence report"),
        # admission routes (Art. 5 and 6)
        "A4_standard": lambda: _("normal progression (Art. 4)"),
        "A4_C2D": lambda: _("after a C2D (Art. 4)"),
        "A5_same_option": lambda: _("same option, other school (Art. 5)"),
        "A5_repeat_transformed": lambda: _("repeat in a transformed option (Art. 5)"),
        "A5_admission_other": lambda: _("admission council decision (Art. 5)"),
        "A5_alternance": lambda: _("from alternance (Art. 5)"),
        "A5_forme3": lambda: _("from form 3 (Art. 5)"),
        "A6_repeat_transformed": lambda: _("repeat in a transformed option (Art. 6)"),
        # steps of a certificate's history (projections.history.STEP)
        "admission": lambda: _("admission"),
        "authorisation": lambda: _("test authorisation"),
        "attempt": lambda: _("test attempt"),
        "evaluation": lambda: _("evaluation"),
        "validation": lambda: _("validation"),
        "council decision": lambda: _("council decision"),
        "jury decision": lambda: _("jury decision"),
        "issuance": lambda: _("issuance"),
        "revocation": lambda: _("revocation"),
        "correction": lambda: _("correction"),
        "decision": lambda: _("decision"),
        # where a learner's certification profile comes from (ledger.application.profiles)
        "published by the administration": lambda: _("published by the administration"),
        "shipped reference profile": lambda: _("reference profile shipped with the ledger"),
        # French regions (ledger.domain.clea.values.Region), by their own names
        "auvergne-rhone-alpes": lambda: "Auvergne-Rhône-Alpes",
        "bourgogne-franche-comte": lambda: "Bourgogne-Franche-Comté",
        "bretagne": lambda: "Bretagne",
        "centre-val-de-loire": lambda: "Centre-Val de Loire",
        "corse": lambda: "Corse",
        "grand-est": lambda: "Grand Est",
        "hauts-de-france": lambda: "Hauts-de-France",
        "ile-de-france": lambda: "Île-de-France",
        "normandie": lambda: "Normandie",
        "nouvelle-aquitaine": lambda: "Nouvelle-Aquitaine",
        "occitanie": lambda: "Occitanie",
        "pays-de-la-loire": lambda: "Pays de la Loire",
        "provence-alpes-cote-d-azur": lambda: "Provence-Alpes-Côte d'Azur",
        "guadeloupe": lambda: "Guadeloupe",
        "guyane": lambda: "Guyane",
        "martinique": lambda: "Martinique",
        "la-reunion": lambda: "La Réunion",
        "mayotte": lambda: "Mayotte",
    }


def _events() -> dict[str, Callable[[], str]]:
    """Event types (``Learner.Admitted``) as a person names them; JSON keeps the type."""
    return {
        "SchoolOption.Opened": lambda: _("option opened"),
        "Learner.Admitted": lambda: _("learner admitted"),
        "Learner.TestAuthorised": lambda: _("test authorised"),
        "Learner.UnitAttempted": lambda: _("test attempt recorded"),
        "Learner.UnitValidated": lambda: _("unit validated"),
        "Learner.RemediationAssigned": lambda: _("remediation assigned"),
        "Learner.RemediationCompleted": lambda: _("remediation completed"),
        "Learner.AttestationIssued": lambda: _("attestation issued"),
        "Learner.Promoted": lambda: _("learner promoted"),
        "Learner.YearRepeated": lambda: _("year repeated"),
        "Learner.PssaWritten": lambda: _("PSSA written"),
        "Learner.Transferred": lambda: _("learner transferred"),
        "Learner.CompetenceReportRequested": lambda: _("competence report requested"),
        "Learner.CompetenceReportSent": lambda: _("competence report sent"),
        "Learner.ReorientationSupportStarted": lambda: _("reorientation support started"),
        "Learner.CertificateIssued": lambda: _("certificate issued"),
        "Learner.CertificateRevoked": lambda: _("certificate revoked"),
        "Learner.DecisionRevoked": lambda: _("decision revoked"),
        "Learner.DeadlineMissed": lambda: _("deadline missed"),
        "Learner.Erased": lambda: _("personal data erased"),
        "Learner.AppealLodged": lambda: _("appeal lodged"),
        "Learner.AppealDecided": lambda: _("appeal decided"),
        "Learner.DutyFlagged": lambda: _("duty flagged"),
        "CertificationProfile.Published": lambda: _("certification profile published"),
        "Candidate.Registered": lambda: _("candidate registered"),
        "Candidate.PriorEvaluationRecorded": lambda: _("prior evaluation recorded"),
        "Candidate.TrainingPlanAssigned": lambda: _("training plan assigned"),
        "Candidate.TrainingCompleted": lambda: _("training completed"),
        "Candidate.FinalEvaluationRecorded": lambda: _("final evaluation recorded"),
        "Candidate.DossierSubmittedToJury": lambda: _("dossier submitted to a jury"),
        "Candidate.JuryDecided": lambda: _("jury decision recorded"),
        "Candidate.CertificateIssued": lambda: _("CléA certificate issued"),
        "Candidate.CertificateRevoked": lambda: _("CléA certificate revoked"),
        "Candidate.DecisionRevoked": lambda: _("CléA decision revoked"),
        "Candidate.AccrochageRecorded": lambda: _("accrochage recorded"),
        "Candidate.DeadlineMissed": lambda: _("CléA deadline missed"),
        "Candidate.Erased": lambda: _("candidate's personal data erased"),
        "EvaluatorOrganisation.Registered": lambda: _("evaluating organisation registered"),
        "EvaluatorOrganisation.HabilitationGranted": lambda: _("habilitation granted"),
        "EvaluatorOrganisation.HabilitationWithdrawn": lambda: _("habilitation withdrawn"),
        "EvaluatorOrganisation.FormalNoticeIssued": lambda: _("formal notice given"),
        "TrainingOrganisation.Registered": lambda: _("training organisation registered"),
        "BranchJury.Registered": lambda: _("branch jury registered"),
    }


def _verdicts() -> dict[str, Callable[[], str]]:
    return {
        "valid": lambda: _("VALID"),
        "revoked": lambda: _("REVOKED"),
        "invalid": lambda: _("INVALID (tampered or malformed)"),
        "unknown_issuer": lambda: _("UNKNOWN ISSUER"),
        "status_unknown": lambda: _("NOT VERIFIED: revocation status unknown (pass --status-list)"),
    }


def _checks() -> dict[str, Callable[[], str]]:
    return {
        # what ``ledger credential verify`` checked
        "structure": lambda: _("structure"),
        "proofs": lambda: _("signatures"),
        "issuer": lambda: _("issuer"),
        "dates": lambda: _("validity dates"),
        "status": lambda: _("revocation status"),
        "recording": lambda: _("recorded in the integrity log"),
        # and how each check went
        "ok": lambda: _("ok"),
        "failed": lambda: _("failed"),
        "not checked": lambda: _("not checked"),
        "not present": lambda: _("not present"),
        "none": lambda: _("none"),
        "revoked": lambda: _("revoked"),
    }


def verdict_label(verdict: str) -> str:
    """A credential verification's verdict for a person (``VALIDE``; ``VALID`` in English)."""
    found = _verdicts().get(verdict)
    return found() if found else verdict


def check_label(code: str) -> str:
    """A verification check or its state for a person (the code itself in English or if unknown)."""
    from ledger.i18n import current

    found = _checks().get(code)
    return found() if found and current() != "en" else code


def _roles() -> dict[str, Callable[[], str]]:
    return {
        "head_of_school": lambda: _("head of the school"),
        "teacher": lambda: _("teacher"),
        "external_jury_member": lambda: _("external jury member"),
        "secretariat": lambda: _("school secretariat"),
        "evaluator": lambda: _("evaluator"),
        "trainer": lambda: _("trainer"),
        "jury_president": lambda: _("jury president"),
        "certifier": lambda: _("certifier"),
        "system": lambda: _("the ledger itself"),
    }


def _rules() -> dict[str, Callable[[], str]]:
    return {
        "cpu.learner_not_erased": lambda: _("no decision about an erased learner"),
        "cpu.erasure_has_reason": lambda: _("an erasure states its reason"),
        "cpu.uaa_in_learner_profile": lambda: _("the UAA belongs to the learner's profile"),
        "cpu.spiral_validation_in_later_test": lambda: _(
            "a spiral validation comes from a later test of the same UAA"
        ),
        "cpu.remediation_was_assigned": lambda: _("remediation only where it was assigned"),
        "cpu.move_in_next_school_year": lambda: _("a move takes effect in the next school year"),
        "cpu.promotion_below_sixth": lambda: _("promotion only below the 6th year"),
        "clea.candidate_not_erased": lambda: _("no decision about an erased candidate"),
        "clea.erasure_by_candidate_evaluator": lambda: _(
            "an evaluator organisation erases only its own candidates"
        ),
        "clea.erasure_has_reason": lambda: _("an erasure states its reason"),
        "clea.accrochage_after_issue": lambda: _(
            "the accrochage to the SI CPF follows the certificate's issue"
        ),
        "clea.accrochage_once": lambda: _("one accrochage to the SI CPF per certificate"),
        "clea.all_domains_acquired_before_jury": lambda: _("the jury decides once every domain is acquired"),
        "clea.branch_jury_may_award": lambda: _("a branch jury awards only the certificates it may award"),
        "clea.certificate_after_favourable_jury": lambda: _(
            "a certificate only after a favourable jury decision"
        ),
        "clea.certificate_is_active": lambda: _("an issued, unrevoked certificate of the candidate"),
        "clea.certified_independently": lambda: _("each certificate is assessed on its own referential"),
        "clea.deadline_missed_after_due_date": lambda: _(
            "a deadline is recorded as missed once, after it passed undone"
        ),
        "clea.dossier_submitted_once": lambda: _("a dossier is submitted to one jury at a time"),
        "clea.evaluator_habilitated_on_date": lambda: _(
            "the evaluator organisation is habilitated for the certificate on the date"
        ),
        "clea.evaluator_is_not_trainer": lambda: _("the evaluator is not the candidate's trainer"),
        "clea.final_evaluation_after_training": lambda: _("the final evaluation follows the training"),
        "clea.final_evaluation_of_missing_domains": lambda: _(
            "the final evaluation covers only the missing domains"
        ),
        "clea.habilitation_by_certifpro_campaign": lambda: _(
            "a habilitation comes from a Certif'Pro campaign covering the certificate"
        ),
        "clea.jury_decides_submitted_dossier": lambda: _("a jury decides only on a dossier submitted to it"),
        "clea.jury_is_paritaire": lambda: _("a jury paritaire: as many employer as employee representatives"),
        "clea.new_prealable_only_after_window": lambda: _(
            "a new initial evaluation only once the 5-year window has expired"
        ),
        "clea.one_active_certificate": lambda: _("one active certificate per holder and certificate type"),
        "clea.plan_targets_missing_domains": lambda: _("the training plan targets missing domains only"),
        "clea.referential_has_all_domains": lambda: _("the referential has all its domains"),
        "clea.sub_domain_meets_threshold": lambda: _("a sub-domain is acquired at the threshold in force"),
        "clea.submission_by_candidate_evaluator": lambda: _(
            "only the candidate's evaluator organisation submits the dossier"
        ),
        "clea.training_follows_plan": lambda: _("training follows an open training plan"),
        "clea.training_habilitation_before_2019_07_01": lambda: _(
            "a training habilitation is required before 1 July 2019 only"
        ),
        "clea.withdraw_habilitation_in_force": lambda: _("only a habilitation in force is withdrawn"),
        "clea.within_five_years_of_prealable": lambda: _("within 5 years of the initial evaluation"),
        "cpu.admission_route_for_year": lambda: _("each year is entered only by its own routes of art. 5"),
        "cpu.appeal_against_reorientation_or_c2d": lambda: _(
            "the external appeal lies against a reorientation or C2D attestation"
        ),
        "cpu.appeal_outcome_needs_lodged_appeal": lambda: _(
            "the appeals board decides a lodged appeal not yet decided"
        ),
        "cpu.appeal_reform_grants_better_outcome": lambda: _(
            "a reformed decision gives way to a more favourable attestation"
        ),
        "cpu.attempt_needs_jury_authorisation": lambda: _("a UAA test is sat with the jury's authorisation"),
        "cpu.attestation_in_current_school_year": lambda: _("the attestation closes the current school year"),
        "cpu.attestation_only_in_fourth_year": lambda: _("the attestations of art. 4 §1 close the 4th year"),
        "cpu.backdated_opening_by_administration": lambda: _(
            "a back-dated option opening is the administration's"
        ),
        "cpu.c2d_admission_needs_c2d_or_aob": lambda: _("admission in C2D follows a C2D or AOB attestation"),
        "cpu.c2d_continue_leads_to_aoa": lambda: _("a C2D pupil allowed to continue receives an AOA"),
        "cpu.c2d_decision_before_15_january": lambda: _(
            "the conseil de classe decides on a C2D pupil before 15 January"
        ),
        "cpu.c2d_decision_only_for_c2d_pupil": lambda: _(
            "the January decision concerns a pupil enrolled in C2D"
        ),
        "cpu.ce6p_only_in_p": lambda: _("the CE6P closes a 6th year of professional education"),
        "cpu.certificate_in_sixth_year": lambda: _("the CQ and the CE6P are issued in the 6th year"),
        "cpu.competence_report_requested": lambda: _("the competence report answers a request"),
        "cpu.competence_report_within_15_working_days": lambda: _(
            "the competence report is sent within 15 working days"
        ),
        "cpu.couvreur_sixth_not_repeated_after_2019_20": lambda: _(
            "no repeating the 2019-2020 6th year of Couvreur-Etancheur"
        ),
        "cpu.cq_needs_all_uaa_or_sovereign_decision": lambda: _(
            "a CQ needs every UAA validated or a justified sovereign decision"
        ),
        "cpu.creation_norm_on_1_october": lambda: _(
            "a newly created option meets its creation norm on 1 October"
        ),
        "cpu.deadline_actually_missed": lambda: _(
            "a deadline is missed only once it passed without its decision"
        ),
        "cpu.decision_at_enrolled_school": lambda: _(
            "a school decides only for the learners enrolled with it"
        ),
        "cpu.decision_not_before_admission": lambda: _("no decision takes effect before the admission"),
        "cpu.every_uaa_of_the_year_offered": lambda: _("every UAA of the year is offered at least once"),
        "cpu.fifth_from_alternance_needs_attestations": lambda: _(
            "from alternance: the reinsertion and competence attestations"
        ),
        "cpu.fifth_from_forme3_needs_cq": lambda: _("from special education form 3: a CQ"),
        "cpu.fifth_other_orientation_needs_passed_year": lambda: _(
            "from another orientation: a passed 4th to 7th year"
        ),
        "cpu.fifth_same_option_needs_passed_fourth": lambda: _(
            "5th year of the same option after a passed 4th"
        ),
        "cpu.formal_notice_after_overdue_report": lambda: _(
            "a formal notice only for an overdue competence report"
        ),
        "cpu.fourth_year_repeat_only_as_c2d": lambda: _("the 4th year is repeated only as C2D"),
        "cpu.inform_legal_representatives_of_minor": lambda: _(
            "the legal representatives of a minor are informed"
        ),
        "cpu.no_reenrolment_after_reorientation": lambda: _(
            "no re-enrolment in the orientation after a reorientation attestation"
        ),
        "cpu.no_repeat_fifth_year": lambda: _(
            "no repeating the 5th year from the option's 2nd year of organisation"
        ),
        "cpu.no_repeat_sixth_year": lambda: _(
            "no repeating the 6th year from the option's 3rd year of organisation"
        ),
        "cpu.no_upper_year_in_aob_excluded_orientation": lambda: _(
            "no upper year in an orientation the AOB excludes"
        ),
        "cpu.one_active_certificate": lambda: _("one active certificate per holder and certificate type"),
        "cpu.one_attestation_per_year": lambda: _("one end-of-4th attestation per school year"),
        "cpu.one_c2d_decision_per_year": lambda: _("one C2D decision per school year"),
        "cpu.one_open_appeal_per_decision": lambda: _("one pending appeal per decision"),
        "cpu.one_pssa_per_year": lambda: _("one PSSA per C2D year"),
        "cpu.option_listed_in_art1": lambda: _("the option is one of the options of art. 1"),
        "cpu.option_open_at_school": lambda: _("the option is open at the school in that school year"),
        "cpu.option_opened_from_2018": lambda: _(
            "an option is organised in CPU from 1 September 2018 at the earliest"
        ),
        "cpu.profile_project_weeks_at_most_five": lambda: _("at most 5 project weeks per school year"),
        "cpu.profile_uaa_by_school_year": lambda: _("UAA are set per school year, over two years at most"),
        "cpu.profile_uaa_have_weeks": lambda: _("every UAA has a duration in weeks"),
        "cpu.profile_uaa_weeks_per_year": lambda: _("25 to 27 UAA weeks per school year"),
        "cpu.promotion_needs_passed_fourth": lambda: _("moving up to 5th needs a passed 4th"),
        "cpu.pssa_before_15_october": lambda: _("after an AOB, the PSSA is written before 15 October"),
        "cpu.pssa_for_c2d_pupil": lambda: _("a PSSA only for a pupil in C2D"),
        "cpu.recognition_for_transformed_repeaters": lambda: _(
            "the jury recognises mastered UAA only for repeaters of a transformed option"
        ),
        "cpu.reorientation_includes_advice": lambda: _(
            "the reorientation attestation includes a reorientation advice"
        ),
        "cpu.reorientation_support_covers_last_four_months": lambda: _(
            "reorientation only after support over the last four months"
        ),
        "cpu.repeat_route_needs_transformed_option": lambda: _(
            "repeaters enter only the option that replaced theirs"
        ),
        "cpu.restrictions_only_on_aob": lambda: _("only an AOB admits with restrictions"),
        "cpu.revoke_active_certificate": lambda: _("only an active certificate of the learner is revoked"),
        "cpu.route_decided_by_conseil_admission": lambda: _("these admissions are the admissions board's"),
        "cpu.route_only_in_p": lambda: _("admission from alternance or form 3 only in P"),
        "cpu.tests_not_all_at_year_end": lambda: _("the UAA tests are not all pushed to the end of the year"),
        "cpu.transfer_on_family_request": lambda: _("a change of school only on the family's request"),
        "cpu.transfer_to_another_school": lambda: _("a change of school goes to another school"),
        "cpu.uaa_not_already_validated": lambda: _("a validated UAA is not validated again"),
        "cpu.validation_by_passed_test": lambda: _("a validation by test rests on a passed test"),
        "cpu.year_organised_at_school": lambda: _("the year is organised at the school"),
        "cpu.year_over_before_flags": lambda: _(
            "the test-timing duties are checked once the school year is over"
        ),
        "shared.body_has_power": lambda: _("only a body holding the power decides"),
        "shared.deadline_recorded_once": lambda: _("a missed deadline is recorded once"),
        "shared.decision_not_in_future": lambda: _("no decision takes effect after it is recorded"),
        "shared.revocation_has_reason": lambda: _("a revocation states its reason"),
        "shared.revoke_existing_decision": lambda: _(
            "only an effective decision of a revocable kind is revoked"
        ),
        "shared.revoked_by_same_body": lambda: _("only the deciding body revokes its decision"),
    }


def rule_label(rule: str) -> str:
    """A rule's code with what it says (``cpu.erasure_has_reason « un effacement … »``) for a person.

    ``rule`` is a catalogue key (``cpu.erasure_has_reason``) or the bare name a refusal carries
    (``erasure_has_reason``): a bare name shared by several regimes is labelled only when their
    labels agree. The code alone in English or for a rule without a label (its article says the rest).
    """
    from ledger.i18n import current

    if current() == "en":
        return rule
    labels = _rules()
    if rule in labels:
        return f"{rule} « {labels[rule]()} »"
    said = {label() for key, label in labels.items() if key.partition(".")[2] == rule}
    return f"{rule} « {said.pop()} »" if len(said) == 1 else rule


def event_label(event_type: str) -> str:
    """An event type named for a person (``élève admis``); the type itself in English or if unknown."""
    from ledger.i18n import current

    found = _events().get(event_type)
    return found() if found and current() != "en" else event_type


def label(code: object) -> str:
    """The readable label of a stored code in the current language (the code itself if unknown)."""
    if code is None:
        return "—"
    text = str(code)
    found = _labels().get(text) or _roles().get(text)
    return found() if found else text


def _done() -> dict[str, Callable[[], str]]:
    return {
        "OpenOption": lambda: _("Option opened"),
        "AdmitLearner": lambda: _("Learner admitted"),
        "AuthoriseTest": lambda: _("Test authorised"),
        "RecordAttempt": lambda: _("Attempt recorded"),
        "ValidateUnit": lambda: _("Unit validated"),
        "AssignRemediation": lambda: _("Remediation assigned"),
        "CompleteRemediation": lambda: _("Remediation completed"),
        "IssueAttestation": lambda: _("Attestation issued"),
        "PromoteLearner": lambda: _("Learner promoted"),
        "RepeatYear": lambda: _("Year repeated"),
        "DecideC2D": lambda: _("C2D decision recorded"),
        "WritePssa": lambda: _("PSSA written"),
        "TransferLearner": lambda: _("Learner transferred"),
        "SendCompetenceReport": lambda: _("Competence report sent"),
        "StartReorientationSupport": lambda: _("Reorientation support started"),
        "IssueCertificate": lambda: _("Certificate issued"),
        "RevokeCertificate": lambda: _("Certificate revoked"),
        "RevokeDecision": lambda: _("Decision revoked"),
        "RecordMissedDeadline": lambda: _("Missed deadline recorded"),
        "EraseLearner": lambda: _("Personal data erased"),
        "RegisterCandidate": lambda: _("Candidate registered"),
        "RecordPriorEvaluation": lambda: _("Prior evaluation recorded"),
        "RecordFinalEvaluation": lambda: _("Final evaluation recorded"),
        "AssignTrainingPlan": lambda: _("Training plan assigned"),
        "CompleteTraining": lambda: _("Training completed"),
        "SubmitToJury": lambda: _("Dossier submitted to a jury"),
        "DecideJury": lambda: _("Jury decision recorded"),
        "IssueCleaCertificate": lambda: _("CléA certificate issued"),
        "RevokeCleaCertificate": lambda: _("CléA certificate revoked"),
        "RevokeCleaDecision": lambda: _("CléA decision revoked"),
        "RecordAccrochage": lambda: _("Accrochage recorded"),
        "RecordCleaDeadlineMissed": lambda: _("Missed CléA deadline recorded"),
        "EraseCandidate": lambda: _("Candidate's personal data erased"),
        "HabilitateOrganisation": lambda: _("Organisation habilitated"),
        "WithdrawHabilitation": lambda: _("Habilitation withdrawn"),
        "RegisterEvaluatorOrganisation": lambda: _("Evaluating organisation registered"),
        "RegisterTrainingOrganisation": lambda: _("Training organisation registered"),
        "RegisterBranchJury": lambda: _("Branch jury registered"),
        "GiveFormalNotice": lambda: _("Formal notice given"),
    }


def recorded(command: str) -> str:
    """What a command did, as a person says it (``Learner admitted`` / ``Élève admis``)."""
    found = _done().get(command)
    return found() if found else _("Recorded: {command}").format(command=command)


HEADINGS: dict[str, str] = {
    "certificate_id": N_("certificate"),
    "kind": N_("kind"),
    "status": N_("status"),
    "issued_on": N_("issued on"),
    "basis": N_("basis"),
    "learner_id": N_("learner"),
    "position": N_("position"),
    "type": N_("event"),
    "aggregate_id": N_("record"),
    "version": N_("version"),
    "effective_date": N_("effective on"),
    "body": N_("decided by"),
    "legal_basis": N_("legal basis"),
    "fase": N_("school (FASE)"),
    "due_by": N_("due by"),
    "recorded": N_("recorded"),
    "name": N_("name"),
    "head": N_("head of the log"),
    "lag": N_("lag"),
    "rule": N_("rule"),
    "regime": N_("regime"),
    "article": N_("article"),
    "effect": N_("effect"),
    "cases": N_("cases"),
    "tests": N_("tests"),
    "verdict": N_("verdict"),
    "rules": N_("rules"),
    "kid": N_("key id"),
    "active": N_("active"),
    "can_sign": N_("can sign"),
    "created": N_("created"),
    "detail": N_("detail"),
    "step": N_("step"),
    "recorded_at": N_("recorded at"),
    "actor": N_("actor"),
    "revoked_on": N_("revoked on"),
    "revocation_reason": N_("revocation reason"),
    "voided by": N_("voided by"),
    "holder_id": N_("holder"),
    "issuer": N_("issuer"),
    "valid_from": N_("valid from"),
    "role": N_("role"),
}
"""Column headings and field names of the human tables, by their language-neutral JSON key."""


def heading(key: str) -> str:
    """A table column or a record field named for a person (the JSON key itself in English)."""
    from ledger.i18n import current

    if current() == "en" or key not in HEADINGS:
        return key
    return _(HEADINGS[key])


def cell(value: object) -> str:
    """A table cell for a person: codes by the law's words, dates written out (as is in English)."""
    from datetime import date, datetime

    from ledger.i18n import current, format_date, format_datetime

    if current() == "en":
        return "-" if value is None else str(value)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, str) and len(value) == 10 and value[4:5] == "-" and value[7:8] == "-":
        return format_date(value)
    if isinstance(value, str) and len(value) > 18 and value[10:11] == "T":
        return format_datetime(value)
    if isinstance(value, str) and value in _events():
        return event_label(value)
    shown = label(value)
    if isinstance(value, str) and shown == value:  # a legal basis: its English glosses translated
        from ledger.i18n.articles import article

        return article(value)
    return shown


UNKNOWN_ENTITIES: dict[str, str] = {
    "branch jury": N_("unknown branch jury"),
    "candidate": N_("unknown candidate"),
    "certificate": N_("unknown certificate"),
    "certificate (in the history read model)": N_("unknown certificate (in the history read model)"),
    "certificate issuance event": N_("unknown certificate issuance event"),
    "certificate number": N_("unknown certificate number"),
    "certification profile": N_("unknown certification profile"),
    "certification profile in force": N_("unknown certification profile in force"),
    "checkpoint": N_("unknown checkpoint"),
    "checkpoint of size": N_("unknown checkpoint of size"),
    "CléA referential item": N_("unknown CléA referential item"),
    "CléA referential version": N_("unknown CléA referential version"),
    "CléA referential version in force": N_("unknown CléA referential version in force"),
    "evaluator organisation": N_("unknown evaluator organisation"),
    "event": N_("unknown event"),
    "learner": N_("unknown learner"),
    "learner or candidate": N_("unknown learner or candidate"),
    "option": N_("unknown option"),
    "option at school": N_("unknown option at school"),
    "position": N_("unknown position"),
    "profile": N_("unknown profile"),
    "school (FASE)": N_("unknown school (FASE)"),
    "status list": N_("unknown status list"),
    "training organisation": N_("unknown training organisation"),
}
"""What an :class:`~ledger.domain.errors.UnknownEntity` of each kind reads as (gender agreed in
each translation)."""


def unknown_entity(kind: str) -> str:
    """``unknown <kind>`` in the current language (the English phrase for a kind not listed)."""
    found = UNKNOWN_ENTITIES.get(kind)
    return _(found) if found else _("unknown {kind}").format(kind=kind)


def entity_kinds() -> frozenset[str]:
    """The entity kinds :func:`unknown_entity` knows."""
    return frozenset(UNKNOWN_ENTITIES)
