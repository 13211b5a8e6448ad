"""The CléA part of the ledger application: command handlers and the candidate's dossier.

:func:`install` registers the CléA commands and one handler per command on a
:class:`~ledger.application.Ledger`, each with its legal basis and the CléA rule-set version;
handlers that apply a referential record the version in force (``CLEA-REF-<version>``).
:func:`clea_dossier` presents a candidate for ``ledger learner show``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from ledger import clea_commands as cc
from ledger.application import Handler, Ledger, Outcome, command_name
from ledger.domain.clea import rules
from ledger.domain.clea.aggregates import (
    BranchJury,
    Candidate,
    EvaluatorOrganisation,
    TrainingOrganisation,
    branch_jury_id,
    candidate_id,
    evaluator_org_id,
    training_org_id,
)
from ledger.domain.clea.values import RULESET_VERSION, CertificateType, DeadlineKind, ruleset_for
from ledger.domain.errors import InvalidCommand, UnknownEntity
from ledger.domain.kernel import Body, Decision, LedgerAggregate, event_id
from ledger.reference import clea as ref

Result = tuple[LedgerAggregate, Outcome]

_HABILITATION = f"{rules.SRC['S54']}; {rules.SRC['S58']}; {rules.SRC['ARR-2019']}"
_JOURNEY = f"{rules.SRC['D6113-30']}; {rules.SRC['D6113-31']}; {rules.SRC['S22']}"
BASIS: dict[str, str] = {
    "register_evaluator": _HABILITATION,
    "habilitate": _HABILITATION,
    "withdraw": _HABILITATION,
    "register_training_org": rules.SRC["S60"],
    "register_branch_jury": rules.SRC["S52"],
    "register_candidate": _JOURNEY,
    "prior_evaluation": _JOURNEY,
    "training_plan": _JOURNEY,
    "training_completed": f"{rules.SRC['S22']}; {rules.SRC['S60']}",
    "final_evaluation": _JOURNEY,
    "jury": f"{rules.SRC['D6113-31']}; jury paritaire {rules.SRC['S22']}",
    "issue": f"{rules.SRC['D6113-31']}; {rules.SRC['ARR-2019']}; {rules.SRC['S52']}",
    "accrochage": rules.SRC["L6113-8"],
    "deadline": rules.SRC["L6113-8"],
    "revoke_certificate": rules.SRC["ARR-2019"],
    "revoke": "ledger rule: revocation by the deciding body (Certif'Pro rules)",
}


def install(ledger: Ledger) -> None:
    """Register the CléA commands and their handlers on ``ledger``."""
    cc.register_commands()
    handlers = _Handlers(ledger)
    table: list[tuple[type[Any], Handler, str]] = [
        (cc.RegisterEvaluatorOrganisation, handlers.register_evaluator, "register_evaluator"),
        (cc.HabilitateOrganisation, handlers.habilitate, "habilitate"),
        (cc.WithdrawHabilitation, handlers.withdraw, "withdraw"),
        (cc.RegisterTrainingOrganisation, handlers.register_training, "register_training_org"),
        (cc.RegisterBranchJury, handlers.register_branch_jury, "register_branch_jury"),
        (cc.RegisterCandidate, handlers.register_candidate, "register_candidate"),
        (cc.RecordPriorEvaluation, handlers.prior_evaluation, "prior_evaluation"),
        (cc.AssignTrainingPlan, handlers.training_plan, "training_plan"),
        (cc.CompleteTraining, handlers.complete_training, "training_completed"),
        (cc.RecordFinalEvaluation, handlers.final_evaluation, "final_evaluation"),
        (cc.DecideJury, handlers.jury, "jury"),
        (cc.IssueCleaCertificate, handlers.issue, "issue"),
        (cc.RecordAccrochage, handlers.accrochage, "accrochage"),
        (cc.RevokeCleaCertificate, handlers.revoke_certificate, "revoke_certificate"),
        (cc.RevokeCleaDecision, handlers.revoke, "revoke"),
        (cc.RecordCleaDeadlineMissed, handlers.deadline, "deadline"),
    ]
    for cls, handler, action in table:
        ledger.register(command_name(cls), handler, BASIS[action], RULESET_VERSION)


class _Handlers:
    """One handler per CléA command: load aggregates and reference data, call the domain."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    # ------------------------------------------------------------------ helpers
    def _outcome(self, cmd: Any, agg: LedgerAggregate, before: int) -> Outcome:
        events = [event_id(agg.id, v) for v in range(before + 1, agg.version + 1)]
        return Outcome(cmd.command, agg.id, events)

    def _typed(self, ident: UUID, kind: str, cls: type[Any]) -> Any:
        agg = self.ledger.get(ident, kind)
        if not isinstance(agg, cls):
            raise UnknownEntity(kind, ident)
        return agg

    def _evaluator(self, siret: str) -> EvaluatorOrganisation:
        org: EvaluatorOrganisation = self._typed(evaluator_org_id(siret),
                                                 "evaluator organisation", EvaluatorOrganisation)
        return org

    def _training(self, siret: str) -> TrainingOrganisation:
        org: TrainingOrganisation = self._typed(training_org_id(siret), "training organisation",
                                                TrainingOrganisation)
        return org

    def _branch_awards(self, body: Body, code: str | None) -> tuple[CertificateType, ...] | None:
        if body is not Body.BRANCH_JURY or code is None:
            return None
        ident = branch_jury_id(code)
        if not self.ledger.exists(ident):
            return None
        jury: BranchJury = self._typed(ident, "branch jury", BranchJury)
        return jury.awards

    def _candidate(self, cmd: Any) -> Candidate:
        cand: Candidate = self._typed(cmd.candidate_id, "candidate", Candidate)
        return cand

    def _new(self, cmd: Any, ident: UUID, kind: str, make: Callable[[], LedgerAggregate]) -> Result:
        if self.ledger.exists(ident):
            raise InvalidCommand(f"{kind} {ident} already exists")
        agg = make()
        return agg, self._outcome(cmd, agg, 0)

    def _step(self, cmd: Any, agg: LedgerAggregate, act: Callable[[], object]) -> Result:
        before = agg.version
        result = act()
        outcome = self._outcome(cmd, agg, before)
        if isinstance(result, UUID):
            outcome.certificate_id = result
        return agg, outcome

    def _cand_step(self, cmd: Any, act: Callable[[Candidate], object]) -> Result:
        cand = self._candidate(cmd)
        return self._step(cmd, cand, lambda: act(cand))

    # ------------------------------------------------------------------ organisations
    def register_evaluator(self, cmd: cc.RegisterEvaluatorOrganisation, d: Decision) -> Result:
        """Register an evaluator organisation."""
        return self._new(cmd, evaluator_org_id(cmd.siret), "evaluator organisation",
                         lambda: EvaluatorOrganisation.register(
                             siret=cmd.siret, name=cmd.name, region=cmd.region, decision=d))

    def habilitate(self, cmd: cc.HabilitateOrganisation, d: Decision) -> Result:
        """Habilitate an organisation by a campaign."""
        org = self._evaluator(cmd.siret)
        return self._step(cmd, org, lambda: org.habilitate(
            certificate=cmd.certificate, campaign=ref.campaign(cmd.campaign),
            campaign_id=cmd.campaign, valid_to=cmd.valid_to, decision=d))

    def withdraw(self, cmd: cc.WithdrawHabilitation, d: Decision) -> Result:
        """Withdraw a habilitation."""
        org = self._evaluator(cmd.siret)
        return self._step(cmd, org, lambda: org.withdraw(certificate=cmd.certificate, decision=d))

    def register_training(self, cmd: cc.RegisterTrainingOrganisation, d: Decision) -> Result:
        """Register a training organisation."""
        return self._new(cmd, training_org_id(cmd.siret), "training organisation",
                         lambda: TrainingOrganisation.register(
                             siret=cmd.siret, name=cmd.name, region=cmd.region,
                             legacy_habilitation_until=cmd.legacy_habilitation_until, decision=d))

    def register_branch_jury(self, cmd: cc.RegisterBranchJury, d: Decision) -> Result:
        """Register a branch jury."""
        return self._new(cmd, branch_jury_id(cmd.branch_code), "branch jury",
                         lambda: BranchJury.register(branch_code=cmd.branch_code, name=cmd.name,
                                                     awards=cmd.awards, decision=d))

    # ------------------------------------------------------------------ candidates
    def register_candidate(self, cmd: cc.RegisterCandidate, d: Decision) -> Result:
        """Register a candidate with an habilitated evaluator."""
        org = self._evaluator(cmd.evaluator_siret)
        return self._new(cmd, candidate_id(cmd.person_id, cmd.certificate), "candidate",
                         lambda: Candidate.register(
                             person_id=cmd.person_id, certificate=cmd.certificate,
                             evaluator_siret=org.siret, evaluator_region=org.region,
                             evaluator_windows=org.windows, decision=d))

    def prior_evaluation(self, cmd: cc.RecordPriorEvaluation, d: Decision) -> Result:
        """Record the évaluation préalable against the referential in force."""
        org = self._evaluator(cmd.evaluator_siret)

        def act(cand: Candidate) -> None:
            spec = ref.version_in_force(cand.certificate, cmd.effective_date)
            cand.record_prior_evaluation(
                evaluator_siret=org.siret, evaluator_id=cmd.evaluator_id,
                evaluator_windows=org.windows, referential=spec, passed=cmd.passed,
                decision=d.model_copy(update={"ruleset_version": ruleset_for(spec.version)}))
        return self._cand_step(cmd, act)

    def training_plan(self, cmd: cc.AssignTrainingPlan, d: Decision) -> Result:
        """Assign a training plan with a registered training organisation."""
        org = self._training(cmd.training_org_siret)
        return self._cand_step(cmd, lambda cand: cand.assign_training_plan(
            domains=cmd.domains, training_org_siret=org.siret,
            planned_hours=cmd.planned_hours, decision=d))

    def complete_training(self, cmd: cc.CompleteTraining, d: Decision) -> Result:
        """Record completed training."""
        org = self._training(cmd.training_org_siret)
        return self._cand_step(cmd, lambda cand: cand.complete_training(
            training_org_siret=org.siret, trainer_id=cmd.trainer_id,
            legacy_habilitation_until=org.legacy_habilitation_until, decision=d))

    def final_evaluation(self, cmd: cc.RecordFinalEvaluation, d: Decision) -> Result:
        """Record the évaluation finale against the referential in force."""
        org = self._evaluator(cmd.evaluator_siret)

        def act(cand: Candidate) -> None:
            spec = ref.version_in_force(cand.certificate, cmd.effective_date)
            cand.record_final_evaluation(
                evaluator_siret=org.siret, evaluator_id=cmd.evaluator_id,
                evaluator_windows=org.windows, referential=spec, domains=cmd.domains,
                passed=cmd.passed,
                decision=d.model_copy(update={"ruleset_version": ruleset_for(spec.version)}))
        return self._cand_step(cmd, act)

    def jury(self, cmd: cc.DecideJury, d: Decision) -> Result:
        """Record the jury's decision."""
        awards = self._branch_awards(d.body, cmd.branch_code)
        return self._cand_step(cmd, lambda cand: cand.decide_jury(
            members=cmd.members, awarded=cmd.awarded, branch_code=cmd.branch_code,
            branch_awards=awards, decision=d))

    def issue(self, cmd: cc.IssueCleaCertificate, d: Decision) -> Result:
        """Issue the certificate."""
        awards = self._branch_awards(d.body, cmd.branch_code)
        return self._cand_step(cmd, lambda cand: cand.issue_certificate(
            branch_code=cmd.branch_code, branch_awards=awards, decision=d))

    def accrochage(self, cmd: cc.RecordAccrochage, d: Decision) -> Result:
        """Record the SI CPF report."""
        return self._cand_step(cmd, lambda cand: cand.record_accrochage(
            certificate=cmd.certificate_id, decision=d))

    def revoke_certificate(self, cmd: cc.RevokeCleaCertificate, d: Decision) -> Result:
        """Revoke a certificate."""
        return self._cand_step(cmd, lambda cand: cand.revoke_certificate(
            certificate=cmd.certificate_id, decision=d))

    def revoke(self, cmd: cc.RevokeCleaDecision, d: Decision) -> Result:
        """Revoke a decision."""
        return self._cand_step(cmd, lambda cand: cand.revoke_decision(
            target=cmd.target_version, decision=d))

    def deadline(self, cmd: cc.RecordCleaDeadlineMissed, d: Decision) -> Result:
        """Record a missed deadline."""
        if cmd.kind is DeadlineKind.VALIDITY_WINDOW:
            d = d.model_copy(update={"legal_basis": rules.SRC["S22"]})
        return self._cand_step(cmd, lambda cand: cand.record_missed_deadline(
            kind=cmd.kind, certificate=cmd.certificate_id, decision=d))


# ---------------------------------------------------------------------- presentation
def clea_dossier(candidate: Candidate, on: date | None = None) -> dict[str, Any]:
    """Present a candidate's dossier for ``ledger learner show``.

    ``on`` is the date deadlines are assessed at; by default the date of the candidate's last
    recorded event (so the presentation is a pure function of the events).
    """
    day = on or candidate.modified_on.date()
    cert_type = candidate.certificate
    pre = candidate.prealable()
    return {
        "regime": "clea",
        "candidate_id": str(candidate.id),
        "person_id": str(candidate.person_id),
        "certificate_type": cert_type.value,
        "organisation": {"evaluator_siret": candidate.evaluator_siret,
                         "region": candidate.evaluator_region.value},
        "as_of": day.isoformat(),
        "window": _window(candidate, day),
        "domains": {
            "acquired": [_domain(cert_type, c) for c in candidate.acquired()],
            "missing": [_domain(cert_type, c) for c in candidate.missing()],
        },
        "referential_version": pre.referential_version if pre else None,
        "plan": _plan(candidate),
        "jury": _jury(candidate),
        "certificate": _certificate(candidate),
        "accrochage": _accrochage(candidate, day),
        "deadlines": _deadlines(candidate, day),
        "revoked": [{"version": ev.revokes,
                     "type": getattr(ev, "revoked_type", "CertificateIssued"),
                     "reason": ev.decision.reason}
                    for cls in (Candidate.DecisionRevoked, Candidate.CertificateRevoked)
                    for ev in candidate.of_type(cls)],
    }


def _domain(cert: CertificateType, code: str) -> dict[str, str]:
    return {"code": code, "label": ref.domain_label(cert, code)}


def _window(cand: Candidate, day: date) -> dict[str, Any] | None:
    pre = cand.prealable()
    if pre is None:
        return None
    return {"opened_on": pre.decision.effective_date.isoformat(),
            "ends_on": pre.window_ends_on.isoformat(), "expired": day > pre.window_ends_on,
            "prealables": len(cand.of_type(Candidate.PriorEvaluationRecorded))}


def _plan(cand: Candidate) -> dict[str, Any] | None:
    plans = cand.in_window(Candidate.TrainingPlanAssigned)
    if not plans:
        return None
    plan = plans[-1]
    done = [t for t in cand.in_window(Candidate.TrainingCompleted)
            if t.plan_version == plan.originator_version]
    return {"domains": list(plan.domains), "training_org_siret": plan.training_org_siret,
            "planned_hours": plan.planned_hours,
            "assigned_on": plan.decision.effective_date.isoformat(),
            "completed_on": done[-1].decision.effective_date.isoformat() if done else None,
            "trainer_id": done[-1].trainer_id if done else None}


def _jury(cand: Candidate) -> dict[str, Any] | None:
    jury = cand.jury()
    if jury is None:
        return None
    return {"body": jury.decision.body.value, "awarded": jury.awarded,
            "decided_on": jury.decision.effective_date.isoformat(),
            "branch_code": jury.branch_code,
            "members": [{"person_id": m.person_id, "side": m.side.value} for m in jury.members]}


def _certificate(cand: Candidate) -> dict[str, Any] | None:
    cert = cand.active_certificate()
    if cert is None:
        return None
    return {"certificate_id": str(cert.certificate_id), "issuer": cert.issuer.value,
            "branch_code": cert.branch_code, "issued_on": cert.issued_on.isoformat(),
            "referential_versions": list(cert.referential_versions)}


def _accrochage(cand: Candidate, day: date) -> dict[str, Any] | None:
    cert = cand.active_certificate()
    if cert is None:
        return None
    done = cand.accrochage(cert.certificate_id)
    due = cert.accrochage_due_by
    if done is not None:
        status = "late" if done.late else "done"
    elif due is None:
        status = "not_required"
    else:
        status = "overdue" if day > due else "pending"
    return {"status": status, "due_by": due.isoformat() if due else None,
            "reported_on": done.reported_on.isoformat() if done else None}


def _deadlines(cand: Candidate, day: date) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    end = cand.window_end()
    if end is not None and cand.active_certificate() is None:
        out.append({"kind": DeadlineKind.VALIDITY_WINDOW.value, "due_by": end.isoformat(),
                    "passed": day > end})
    acc = _accrochage(cand, day)
    if acc and acc["due_by"] and acc["status"] in {"pending", "overdue"}:
        out.append({"kind": DeadlineKind.ACCROCHAGE.value, "due_by": acc["due_by"],
                    "passed": acc["status"] == "overdue"})
    recorded = [{"kind": ev.kind.value, "due_by": ev.due_by.isoformat(), "recorded_missed": True}
                for ev in cand.of_type(Candidate.DeadlineMissed)]
    return out + recorded
