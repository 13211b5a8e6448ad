"""CléA aggregates: evaluator and training organisations, branch juries, and candidates.

Public methods decide (check every named rule, compute results, windows and deadlines) and
then record one event; ``apply`` methods only record. A candidate's state is derived from its
effective decisions: revoked or corrected decisions stay in the log but stop counting.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import Field

from ledger.domain import rules as shared
from ledger.domain.clea import rules
from ledger.domain.clea.values import (
    BranchCode,
    Campaign,
    CampaignId,
    CertificateType,
    DeadlineKind,
    DomainCode,
    DomainResult,
    HabilitationWindow,
    Issuer,
    JuryMember,
    OrgName,
    PersonId,
    ReferentialSpec,
    Region,
    Siret,
)
from ledger.domain.journal import Journal
from ledger.domain.kernel import NO_VOID, Body, Decision, LedgerAggregate, Void
from ledger.domain.rules import ensure, require


def evaluator_org_id(siret: str) -> UUID:
    """Deterministic id of the evaluator organisation with that SIRET."""
    return uuid5(NAMESPACE_URL, f"ledger:clea:evaluator:{siret}")


def training_org_id(siret: str) -> UUID:
    """Deterministic id of the training organisation with that SIRET."""
    return uuid5(NAMESPACE_URL, f"ledger:clea:training:{siret}")


def branch_jury_id(branch_code: str) -> UUID:
    """Deterministic id of a branch's jury."""
    return uuid5(NAMESPACE_URL, f"ledger:clea:branch-jury:{branch_code}")


def candidate_id(person_id: UUID, certificate: CertificateType) -> UUID:
    """Deterministic id of one candidacy: one per person and certificate type."""
    return uuid5(NAMESPACE_URL, f"ledger:clea:candidate:{person_id}:{certificate.value}")


def certificate_id(candidate: UUID, version: int) -> UUID:
    """Deterministic id of a certificate issued by the event at ``version``."""
    return uuid5(NAMESPACE_URL, f"ledger:clea:certificate:{candidate}:{version}")


def _common(action: str, decision: Decision) -> None:
    ensure(
        *shared.common_verdicts(
            action, decision.body, decision.effective_date, decision.recorded_at, rules.POWERS
        )
    )


class EvaluatorOrganisation(LedgerAggregate):
    """An organisation (SIRET, region) habilitated per certificate by Certif'Pro campaigns."""

    class Registered(LedgerAggregate.Created):
        """The evaluator organisation was registered with its SIRET and region."""

        siret: Siret
        name: OrgName
        region: Region
        decision: Decision

        def apply(self, aggregate: Any) -> None:
            """Record the organisation."""
            aggregate.siret, aggregate.name, aggregate.region = self.siret, self.name, self.region

    class HabilitationGranted(LedgerAggregate.Event):
        """Certif'Pro habilitated the organisation to evaluate a certificate for a period."""

        certificate: CertificateType
        campaign: CampaignId
        valid_from: date
        valid_to: date
        decision: Decision

        def apply(self, aggregate: Any) -> None:
            """Add the habilitation window."""
            aggregate.windows = (
                *aggregate.windows,
                HabilitationWindow(
                    certificate=self.certificate,
                    campaign=self.campaign,
                    valid_from=self.valid_from,
                    valid_to=self.valid_to,
                ),
            )

    class HabilitationWithdrawn(LedgerAggregate.Event):
        """Certif'Pro withdrew the organisation's habilitation for a certificate from a date."""

        certificate: CertificateType
        withdrawn_on: date
        decision: Decision

        def apply(self, aggregate: Any) -> None:
            """Close the windows in force on the withdrawal date."""
            aggregate.windows = tuple(
                w.model_copy(update={"withdrawn_on": self.withdrawn_on})
                if w.certificate is self.certificate and w.covers(self.withdrawn_on)
                else w
                for w in aggregate.windows
            )

    def __init__(self) -> None:
        self.siret = ""
        self.name = ""
        self.region = Region.ILE_DE_FRANCE
        self.windows: tuple[HabilitationWindow, ...] = ()

    @classmethod
    def register(cls, *, siret: str, name: str, region: Region, decision: Decision) -> EvaluatorOrganisation:
        """Register an evaluator organisation (Certif'Pro)."""
        _common("register_evaluator", decision)
        return cls._start_decided(
            cls.Registered,
            evaluator_org_id(siret),
            decision,
            siret=siret,
            name=name,
            region=region,
        )

    def habilitate(
        self,
        *,
        certificate: CertificateType,
        campaign: Campaign | None,
        campaign_id: str,
        valid_to: date,
        decision: Decision,
    ) -> None:
        """Habilitate for a certificate, by a Certif'Pro campaign, from the effective date."""
        _common("habilitate", decision)
        require(rules.campaign_covers(campaign, certificate, decision.effective_date, valid_to))
        self._record(
            self.HabilitationGranted,
            decision.recorded_at,
            certificate=certificate,
            campaign=campaign_id,
            valid_from=decision.effective_date,
            valid_to=valid_to,
            decision=decision,
        )

    def withdraw(self, *, certificate: CertificateType, decision: Decision) -> None:
        """Withdraw a habilitation in force, from the effective date."""
        _common("withdraw", decision)
        require(rules.withdrawable(self.windows, certificate, decision.effective_date))
        self._record(
            self.HabilitationWithdrawn,
            decision.recorded_at,
            certificate=certificate,
            withdrawn_on=decision.effective_date,
            decision=decision,
        )


class TrainingOrganisation(LedgerAggregate):
    """A training organisation (no CléA habilitation needed to train since 1 July 2019)."""

    class Registered(LedgerAggregate.Created):
        """The training organisation was registered with its SIRET and region."""

        siret: Siret
        name: OrgName
        region: Region
        legacy_habilitation_until: date | None = None
        decision: Decision

        def apply(self, aggregate: Any) -> None:
            """Record the organisation."""
            aggregate.siret, aggregate.name, aggregate.region = self.siret, self.name, self.region
            aggregate.legacy_habilitation_until = self.legacy_habilitation_until

    def __init__(self) -> None:
        self.siret = ""
        self.name = ""
        self.region = Region.ILE_DE_FRANCE
        self.legacy_habilitation_until: date | None = None

    @classmethod
    def register(
        cls,
        *,
        siret: str,
        name: str,
        region: Region,
        legacy_habilitation_until: date | None,
        decision: Decision,
    ) -> TrainingOrganisation:
        """Register a training organisation (with its pre-July-2019 habilitation, if any)."""
        _common("register_training_org", decision)
        return cls._start_decided(
            cls.Registered,
            training_org_id(siret),
            decision,
            siret=siret,
            name=name,
            region=region,
            legacy_habilitation_until=legacy_habilitation_until,
        )


class BranchJury(LedgerAggregate):
    """A branch's jury (CPNE) able to award CléA in the conditions set by the social partners."""

    class Registered(LedgerAggregate.Created):
        """The branch jury was registered with the certificates it may award."""

        branch_code: BranchCode
        name: OrgName
        awards: tuple[CertificateType, ...] = Field(min_length=1)
        decision: Decision

        def apply(self, aggregate: Any) -> None:
            """Record the jury."""
            aggregate.branch_code, aggregate.name = self.branch_code, self.name
            aggregate.awards = self.awards

    def __init__(self) -> None:
        self.branch_code = ""
        self.name = ""
        self.awards: tuple[CertificateType, ...] = ()

    @classmethod
    def register(
        cls, *, branch_code: str, name: str, awards: Sequence[CertificateType], decision: Decision
    ) -> BranchJury:
        """Register a branch jury (Certif'Pro); branch juries award CléA only."""
        _common("register_branch_jury", decision)
        for cert in awards:
            require(rules.branch_jury_may_award((CertificateType.CLEA,), cert))
        return cls._start_decided(
            cls.Registered,
            branch_jury_id(branch_code),
            decision,
            branch_code=branch_code,
            name=name,
            awards=tuple(awards),
        )


class Candidate(Journal):
    """One candidate's journey towards one certificate: evaluations, training, jury, certificate."""

    class Registered(LedgerAggregate.Created):
        """An habilitated evaluator organisation registered the candidate for a certificate."""

        person_id: UUID
        certificate: CertificateType
        evaluator_siret: Siret
        evaluator_region: Region
        decision: Decision

        def apply(self, aggregate: Any) -> None:
            """Open the candidacy."""
            cand: Candidate = aggregate
            cand.person_id, cand.certificate = self.person_id, self.certificate
            cand.evaluator_siret = self.evaluator_siret
            cand.evaluator_region = self.evaluator_region
            cand.log[self.originator_version] = self

    class Decided(Journal.Decided):
        """Base of decision events after registration."""

    class PriorEvaluationRecorded(Decided):
        """The évaluation préalable was recorded; results computed against the version in force."""

        evaluator_siret: Siret
        evaluator_id: PersonId
        referential_version: str
        results: tuple[DomainResult, ...]
        acquired: tuple[DomainCode, ...]
        missing: tuple[DomainCode, ...]
        window_ends_on: date

    class TrainingPlanAssigned(Decided):
        """An individual training plan was assigned for missing domains."""

        domains: tuple[DomainCode, ...]
        training_org_siret: Siret
        planned_hours: int | None = Field(default=None, ge=1, le=2000)

    class TrainingCompleted(Decided):
        """The candidate completed the plan's training with a trainer (opaque id)."""

        training_org_siret: Siret
        trainer_id: PersonId
        domains: tuple[DomainCode, ...]
        plan_version: int

    class FinalEvaluationRecorded(Decided):
        """The évaluation finale of missing domains was recorded with computed results."""

        evaluator_siret: Siret
        evaluator_id: PersonId
        referential_version: str
        results: tuple[DomainResult, ...]
        newly_acquired: tuple[DomainCode, ...]
        still_missing: tuple[DomainCode, ...]

    class DossierSubmittedToJury(Decided):
        """The evaluator organisation submitted the dossier to ONE jury (a branch's, or paritaire)."""

        evaluator_siret: Siret
        jury: Body
        branch_code: BranchCode | None = None
        domains: tuple[DomainCode, ...]

    class JuryDecided(Decided):
        """The jury (paritaire, or a branch jury) decided on certification."""

        awarded: bool
        members: tuple[JuryMember, ...]
        branch_code: BranchCode | None = None
        domains: tuple[DomainCode, ...]

    class CertificateIssued(Decided):
        """The certificate was issued by Certif'Pro or a branch jury."""

        certificate_id: UUID
        certificate: CertificateType
        issuer: Issuer
        branch_code: BranchCode | None = None
        issued_on: date
        referential_versions: tuple[str, ...]
        domains: tuple[DomainCode, ...]
        accrochage_due_by: date | None

    class AccrochageRecorded(Decided):
        """Holder data was reported to the SI CPF (late if after the 3-month deadline)."""

        certificate_id: UUID
        reported_on: date
        due_by: date | None
        late: bool

    class CertificateRevoked(Journal.CertificateRevocation):
        """The certificate was revoked; the issuance stays in the log."""

    class DecisionRevoked(Journal.Revocation):
        """A decision was revoked; it stays in the log but no longer counts."""

        revoked_type: str

    class DeadlineMissed(Decided):
        """A deadline passed without its decision (accrochage, 5-year window): never hidden."""

        kind: DeadlineKind
        due_by: date
        certificate_id: UUID | None = None

    class Erased(Decided):
        """The candidate's personal data was erased on a lawful request; decisions stay."""

        def place(self, candidate: Candidate) -> None:
            """Mark the candidate erased."""
            candidate.erased = True

    # Decisions a correction or revocation may target (by their event classes).
    REVOCABLE = frozenset(c.__name__ for c in (
        PriorEvaluationRecorded,
        TrainingPlanAssigned,
        TrainingCompleted,
        FinalEvaluationRecorded,
        DossierSubmittedToJury,
        JuryDecided,
        AccrochageRecorded,
    ))  # fmt: skip

    def __init__(self) -> None:
        self.person_id: UUID | None = None
        self.certificate = CertificateType.CLEA
        self.evaluator_siret = ""
        self.evaluator_region = Region.ILE_DE_FRANCE
        self.erased = False
        self._init_log()

    def _decide(self, action: str, decision: Decision) -> None:
        """The checks every decision about an existing candidacy passes first."""
        require(rules.candidate_not_erased(self.erased))
        _common(action, decision)

    # ----------------------------------------------------------------- derived state
    def prealable(self, void: Void = NO_VOID) -> Candidate.PriorEvaluationRecorded | None:
        """Return the évaluation préalable that opened the current window."""
        found = self.of_type(Candidate.PriorEvaluationRecorded, void)
        return found[-1] if found else None

    def in_window(self, cls: type[Any], void: Void = NO_VOID) -> list[Any]:
        """Return effective decisions of a class recorded since the current préalable."""
        pre = self.prealable(void)
        start = pre.originator_version if pre else 0
        return [ev for ev in self.of_type(cls, void) if ev.originator_version > start]

    def window_end(self, void: Void = NO_VOID) -> date | None:
        """Return the last day of the current 5-year window, if any."""
        pre = self.prealable(void)
        return pre.window_ends_on if pre else None

    def acquired(self, void: Void = NO_VOID) -> list[str]:
        """Return the portfolio's domains in the current window, in referential order."""
        pre = self.prealable(void)
        if pre is None:
            return []
        got = set(pre.acquired)
        for final in self.in_window(Candidate.FinalEvaluationRecorded, void):
            got |= set(final.newly_acquired)
        return [r.code for r in pre.results if r.code in got]

    def missing(self, void: Void = NO_VOID) -> list[str]:
        """Return the domains not yet acquired in the current window."""
        pre = self.prealable(void)
        got = set(self.acquired(void))
        return [r.code for r in pre.results if r.code not in got] if pre else []

    def open_plan(self, void: Void = NO_VOID) -> Candidate.TrainingPlanAssigned | None:
        """Return the window's latest training plan while its training is not completed."""
        plans = self.in_window(Candidate.TrainingPlanAssigned, void)
        if not plans:
            return None
        done = [
            t
            for t in self.in_window(Candidate.TrainingCompleted, void)
            if t.plan_version == plans[-1].originator_version
        ]
        return None if done else plans[-1]

    def evaluator_ids(self, void: Void = NO_VOID) -> set[str]:
        """Return the evaluators (opaque ids) of the current window."""
        pre = self.prealable(void)
        ids = {f.evaluator_id for f in self.in_window(Candidate.FinalEvaluationRecorded, void)}
        return ids | ({pre.evaluator_id} if pre else set())

    def trainer_ids(self, void: Void = NO_VOID) -> set[str]:
        """Return the trainers (opaque ids) of the current window."""
        return {t.trainer_id for t in self.in_window(Candidate.TrainingCompleted, void)}

    def jury(self, void: Void = NO_VOID) -> Candidate.JuryDecided | None:
        """Return the latest jury decision of the current window."""
        found = self.in_window(Candidate.JuryDecided, void)
        return found[-1] if found else None

    def submission(self, void: Void = NO_VOID) -> Candidate.DossierSubmittedToJury | None:
        """Return the window's latest effective submission of the dossier to a jury."""
        found = self.in_window(Candidate.DossierSubmittedToJury, void)
        return found[-1] if found else None

    def seized_jury(self, void: Void = NO_VOID) -> str | None:
        """The jury the dossier is before (:func:`rules.jury_key`), ``None`` if none.

        The window's latest submission names it. A candidate decided before submissions were
        recorded (a jury decision in the window, no submission) is before the jury that decided
        it, so that jury may still correct its decision and issue the certificate.
        """
        sub = self.submission(void)
        if sub is not None:
            return rules.jury_key(sub.jury, sub.branch_code)
        legacy = self.in_window(Candidate.JuryDecided)
        return rules.jury_key(legacy[-1].decision.body, legacy[-1].branch_code) if legacy else None

    def submission_pending(self, void: Void = NO_VOID) -> bool:
        """True while the latest submission awaits a jury decision."""
        sub = self.submission(void)
        if sub is None:
            return False
        return not any(
            j.originator_version > sub.originator_version for j in self.in_window(Candidate.JuryDecided, void)
        )

    def branches_seized(self) -> set[str]:
        """Every branch jury the dossier was ever submitted to, or that decided or issued on it."""
        kinds = (Candidate.DossierSubmittedToJury, Candidate.JuryDecided, Candidate.CertificateIssued)
        return {str(ev.branch_code) for ev in self.log.values() if isinstance(ev, kinds) and ev.branch_code}

    def active_certificate(self) -> Candidate.CertificateIssued | None:
        """Return the active (issued, unrevoked) certificate."""
        found = self.of_type(Candidate.CertificateIssued)
        return found[-1] if found else None

    def accrochage(self, cert: UUID, void: Void = NO_VOID) -> Candidate.AccrochageRecorded | None:
        """Return the accrochage recorded for a certificate, if any."""
        found = [a for a in self.of_type(Candidate.AccrochageRecorded, void) if a.certificate_id == cert]
        return found[-1] if found else None

    def _prealable_on(self, void: Void = NO_VOID) -> date | None:
        pre = self.prealable(void)
        return pre.decision.effective_date if pre else None

    # ----------------------------------------------------------------- registration
    @classmethod
    def register(
        cls,
        *,
        person_id: UUID,
        certificate: CertificateType,
        evaluator_siret: str,
        evaluator_region: Region,
        evaluator_windows: Sequence[HabilitationWindow],
        decision: Decision,
    ) -> Candidate:
        """Register a candidate for a certificate, by an evaluator habilitated on that date."""
        _common("register_candidate", decision)
        require(rules.habilitated_on(evaluator_windows, certificate, decision.effective_date))
        return cls._start_decided(
            cls.Registered,
            candidate_id(person_id, certificate),
            decision,
            person_id=person_id,
            certificate=certificate,
            evaluator_siret=evaluator_siret,
            evaluator_region=evaluator_region,
        )

    # ----------------------------------------------------------------- evaluations
    def record_prior_evaluation(
        self,
        *,
        evaluator_siret: str,
        evaluator_id: str,
        evaluator_windows: Sequence[HabilitationWindow],
        referential: ReferentialSpec,
        passed: Sequence[str],
        decision: Decision,
    ) -> None:
        """Record the évaluation préalable: results per criterion, computed up to domains.

        A new préalable is allowed once the previous 5-year window has expired; it opens a new
        window and a new portfolio.
        """
        void = self.correction(decision, Candidate.PriorEvaluationRecorded)
        self._decide("prior_evaluation", decision)
        day = decision.effective_date
        ensure(
            rules.habilitated_on(evaluator_windows, self.certificate, day),
            rules.referential_complete(referential),
            rules.certified_independently(referential, passed, ()),
            rules.new_prealable_opens_window(self.window_end(void), day),
        )
        results = rules.score(referential, referential.domain_codes(), set(passed))
        self.record(
            Candidate.PriorEvaluationRecorded,
            decision,
            evaluator_siret=evaluator_siret,
            evaluator_id=evaluator_id,
            referential_version=referential.version,
            results=results,
            acquired=tuple(r.code for r in results if r.acquired),
            missing=tuple(r.code for r in results if not r.acquired),
            window_ends_on=rules.window_end(day),
        )

    def assign_training_plan(
        self,
        *,
        domains: Sequence[str],
        training_org_siret: str,
        planned_hours: int | None,
        decision: Decision,
    ) -> None:
        """Assign an individual training plan for missing domains, within the window."""
        void = self.correction(decision, Candidate.TrainingPlanAssigned)
        self._decide("training_plan", decision)
        ensure(
            rules.within_window(self._prealable_on(void), decision.effective_date),
            rules.plan_covers_missing(domains, self.missing(void)),
        )
        self.record(
            Candidate.TrainingPlanAssigned,
            decision,
            domains=tuple(domains),
            training_org_siret=training_org_siret,
            planned_hours=planned_hours,
        )

    def complete_training(
        self,
        *,
        training_org_siret: str,
        trainer_id: str,
        legacy_habilitation_until: date | None,
        decision: Decision,
    ) -> None:
        """Record the completed training of the open plan; the trainer is not an evaluator."""
        void = self.correction(decision, Candidate.TrainingCompleted)
        self._decide("training_completed", decision)
        day = decision.effective_date
        plan = self.open_plan(void)
        ensure(
            rules.plan_open(plan is not None),
            rules.within_window(self._prealable_on(void), day),
            rules.training_org_may_train(legacy_habilitation_until, day),
            rules.evaluator_is_not_trainer(self.evaluator_ids(void), {trainer_id}),
        )
        assert plan is not None
        self.record(
            Candidate.TrainingCompleted,
            decision,
            training_org_siret=training_org_siret,
            trainer_id=trainer_id,
            domains=plan.domains,
            plan_version=plan.originator_version,
        )

    def record_final_evaluation(
        self,
        *,
        evaluator_siret: str,
        evaluator_id: str,
        evaluator_windows: Sequence[HabilitationWindow],
        referential: ReferentialSpec,
        domains: Sequence[str],
        passed: Sequence[str],
        decision: Decision,
    ) -> None:
        """Record the évaluation finale of missing domains against the version in force."""
        void = self.correction(decision, Candidate.FinalEvaluationRecorded)
        self._decide("final_evaluation", decision)
        day = decision.effective_date
        plan = self.open_plan(void)
        ensure(
            rules.habilitated_on(evaluator_windows, self.certificate, day),
            rules.within_window(self._prealable_on(void), day),
            rules.certified_independently(referential, passed, domains),
            rules.final_covers_missing(domains, passed, self.missing(void)),
            rules.training_done(plan is not None, False),
            rules.evaluator_is_not_trainer({evaluator_id}, self.trainer_ids(void)),
        )
        results = rules.score(referential, list(domains), set(passed))
        newly = {r.code for r in results if r.acquired}
        self.record(
            Candidate.FinalEvaluationRecorded,
            decision,
            evaluator_siret=evaluator_siret,
            evaluator_id=evaluator_id,
            referential_version=referential.version,
            results=results,
            newly_acquired=tuple(r.code for r in results if r.acquired),
            still_missing=tuple(d for d in self.missing(void) if d not in newly),
        )

    # ----------------------------------------------------------------- jury, certificate
    def submit_to_jury(
        self,
        *,
        evaluator_siret: str,
        branch_code: str | None,
        branch_awards: Sequence[CertificateType] | None,
        decision: Decision,
    ) -> None:
        """Submit the complete dossier to one jury: a registered branch jury, or the jury paritaire."""
        void = self.correction(decision, Candidate.DossierSubmittedToJury)
        self._decide("submit_to_jury", decision)
        jury = self.jury(void)
        ensure(
            rules.submitted_by_candidate_evaluator(evaluator_siret, self.evaluator_siret),
            rules.within_window(self._prealable_on(void), decision.effective_date),
            rules.all_domains_acquired(self.missing(void), self.certificate),
            rules.submission_not_pending(self.submission_pending(void), jury is not None and jury.awarded),
        )
        if branch_code is not None:
            require(rules.branch_jury_may_award(branch_awards, self.certificate))
        self.record(
            Candidate.DossierSubmittedToJury,
            decision,
            evaluator_siret=evaluator_siret,
            jury=Body.BRANCH_JURY if branch_code is not None else Body.JURY_PARITAIRE,
            branch_code=branch_code,
            domains=tuple(self.acquired(void)),
        )

    def _before_this_jury(self, decision: Decision, branch_code: str | None, void: Void = NO_VOID) -> None:
        sub = self.submission(void)
        require(
            rules.decided_by_seized_jury(
                self.seized_jury(void),
                rules.jury_key(decision.body, branch_code),
                sub.decision.effective_date if sub is not None else None,
                decision.effective_date,
            )
        )

    def decide_jury(
        self,
        *,
        members: Sequence[JuryMember],
        awarded: bool,
        branch_code: str | None,
        branch_awards: Sequence[CertificateType] | None,
        decision: Decision,
    ) -> None:
        """Record the jury's decision, once every domain is acquired, within the window."""
        void = self.correction(decision, Candidate.JuryDecided)
        self._decide("jury", decision)
        ensure(
            rules.within_window(self._prealable_on(void), decision.effective_date),
            rules.all_domains_acquired(self.missing(void), self.certificate),
            rules.jury_is_paritaire(members),
        )
        if decision.body is Body.BRANCH_JURY:
            require(rules.branch_jury_may_award(branch_awards, self.certificate))
        self._before_this_jury(decision, branch_code, void)
        self.record(
            Candidate.JuryDecided,
            decision,
            awarded=awarded,
            members=tuple(members),
            branch_code=branch_code if decision.body is Body.BRANCH_JURY else None,
            domains=tuple(self.acquired(void)),
        )

    def issue_certificate(
        self, *, branch_code: str | None, branch_awards: Sequence[CertificateType] | None, decision: Decision
    ) -> UUID:
        """Issue the certificate after a favourable jury, within the window (Certif'Pro/branch)."""
        self._decide("issue", decision)
        day = decision.effective_date
        jury = self.jury()
        ensure(
            rules.within_window(self._prealable_on(), day),
            rules.jury_awarded(jury is not None and jury.awarded and jury.decision.effective_date <= day),
            rules.all_domains_acquired(self.missing(), self.certificate),
            rules.no_active_certificate(self.active_certificate() is not None),
        )
        branch = decision.body is Body.BRANCH_JURY
        if branch:
            require(rules.branch_jury_may_award(branch_awards, self.certificate))
            self._before_this_jury(decision, branch_code)
        pre = self.prealable()
        assert pre is not None
        versions = [pre.referential_version] + [
            f.referential_version for f in self.in_window(Candidate.FinalEvaluationRecorded)
        ]
        cert = certificate_id(self.id, self.version + 1)
        self.record(
            Candidate.CertificateIssued,
            decision,
            certificate_id=cert,
            certificate=self.certificate,
            issuer=Issuer.BRANCH_JURY if branch else Issuer.CERTIFPRO,
            branch_code=branch_code if branch else None,
            issued_on=day,
            referential_versions=tuple(dict.fromkeys(versions)),
            domains=tuple(self.acquired()),
            accrochage_due_by=rules.accrochage_due(day),
        )
        return cert

    def record_accrochage(self, *, certificate: UUID, decision: Decision) -> None:
        """Record the report of holder data to the SI CPF (late after 3 months, L6113-8)."""
        void = self.correction(decision, Candidate.AccrochageRecorded)
        self._decide("accrochage", decision)
        day = decision.effective_date
        cert = self.active_certificate()
        found = cert is not None and cert.certificate_id == certificate
        require(rules.certificate_exists(found))
        assert cert is not None
        ensure(
            rules.accrochage_once(self.accrochage(certificate, void) is not None),
            rules.accrochage_after_issue(day, cert.issued_on),
        )
        due = cert.accrochage_due_by
        self.record(
            Candidate.AccrochageRecorded,
            decision,
            certificate_id=certificate,
            reported_on=day,
            due_by=due,
            late=due is not None and day > due,
        )

    # ----------------------------------------------------------------- revocations, deadlines
    def revoke_certificate(self, *, certificate: UUID, decision: Decision) -> None:
        """Revoke the active certificate, with the reason; the issuance stays in the log."""
        self._decide("revoke_certificate", decision)
        cert = self.active_certificate()
        found = cert is not None and cert.certificate_id == certificate
        ensure(rules.certificate_exists(found), shared.revocation_has_reason(decision.reason))
        assert cert is not None
        self.record(
            Candidate.CertificateRevoked,
            decision,
            certificate_id=certificate,
            revokes=cert.originator_version,
        )

    def revoke_decision(self, *, target: int, decision: Decision) -> None:
        """Revoke an earlier decision; it stays in the log and stops counting."""
        self.revoke(Candidate.DecisionRevoked, target, decision)

    def record_missed_deadline(
        self, *, kind: DeadlineKind, certificate: UUID | None, decision: Decision
    ) -> None:
        """Record that a deadline passed without its decision (once per deadline)."""
        self._decide("deadline", decision)
        day = decision.effective_date
        seen = self.of_type(Candidate.DeadlineMissed)
        if kind is DeadlineKind.ACCROCHAGE:
            cert = self.active_certificate()
            ok = cert is not None and cert.certificate_id == certificate
            due = cert.accrochage_due_by if cert is not None and ok else None
            done = ok and self.accrochage(cert.certificate_id) is not None if cert else False
            dup = any(d.kind is kind and d.certificate_id == certificate for d in seen)
        else:
            due, certificate = self.window_end(), None
            done = bool(self.in_window(Candidate.CertificateIssued))
            dup = any(d.kind is kind and d.due_by == due for d in seen)
        require(rules.deadline_overdue(kind, due, done, day, dup))
        assert due is not None
        self.record(Candidate.DeadlineMissed, decision, kind=kind, due_by=due, certificate_id=certificate)

    # ----------------------------------------------------------------- erasure (RGPD art. 17)
    def erase(self, *, evaluator_siret: str | None, decision: Decision) -> None:
        """Record the erasure decision (the identity store destroys the personal data)."""
        self._decide("erase", decision)
        ensure(
            rules.erasure_by_candidate_evaluator(decision.body, evaluator_siret, self.evaluator_siret),
            rules.erasure_has_reason(decision.reason),
        )
        self.record(Candidate.Erased, decision)
