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
    }


def rule_label(rule: str) -> str:
    """A rule's code with what it says (``cpu.erasure_has_reason « un effacement … »``) for a person.

    The code alone in English or for a rule without a label (its article says the rest).
    """
    from ledger.i18n import current

    found = _rules().get(rule)
    return f"{rule} « {found()} »" if found and current() != "en" else rule


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
