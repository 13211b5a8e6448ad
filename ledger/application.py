"""The ledger application: one method per command, rules checked before any event is written.

``Ledger.execute`` decides one command and saves its events in one transaction.
``Ledger.execute_all`` decides every command first (so a refusal anywhere writes nothing)
and then saves, one transaction per command or in batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol
from uuid import UUID, uuid4

import structlog
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from pydantic import BaseModel

from ledger import commands as c
from ledger.adapters.identity import Identity, IdentityStore
from ledger.adapters.store import EventStoreApp
from ledger.domain.cpu import rules as cpu_rules
from ledger.domain.cpu.aggregates import Learner, SchoolOption, option_id
from ledger.domain.cpu.values import RULESET_VERSION, ValidationVia
from ledger.domain.errors import ConcurrencyConflict, InvalidCommand, LedgerError, UnknownEntity
from ledger.domain.kernel import Decision, LedgerAggregate, event_id
from ledger.reference import cpu as ref

log = structlog.get_logger("ledger")


class Clock(Protocol):
    """Port: the current time (aware)."""

    def now(self) -> datetime:
        """Return the current time."""


class SystemClock:
    """The real clock, in UTC."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)


@dataclass
class Outcome:
    """What a command recorded: the aggregate, the event ids, the global positions."""

    command: str
    aggregate_id: UUID
    events: list[str] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    certificate_id: UUID | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (positions are zero-based log indexes)."""
        out: dict[str, Any] = {"command": self.command, "aggregate_id": str(self.aggregate_id),
                               "events": self.events, "positions": self.positions}
        if self.certificate_id:
            out["certificate_id"] = str(self.certificate_id)
        return out


@dataclass
class _Pending:
    outcome: Outcome
    events: list[Any]
    identity: tuple[UUID, Identity] | None = None
    effects: list[Callable[[], object]] = field(default_factory=list)


Handler = Callable[[Any, Decision], tuple[LedgerAggregate, Outcome]]


class Ledger:
    """The CPU ledger application (CléA handlers register beside these)."""

    def __init__(self, store: EventStoreApp, identities: IdentityStore,
                 clock: Clock | None = None) -> None:
        self.store = store
        self.identities = identities
        self.clock = clock or SystemClock()
        self._working: dict[UUID, LedgerAggregate] = {}
        self._effects: list[Callable[[], object]] = []
        self._handlers: dict[str, tuple[Handler, str, str]] = {}
        self._register_cpu()
        from ledger.clea_service import install
        install(self)

    # ------------------------------------------------------------------ plumbing
    def register(self, command: str, handler: Handler, basis: str, ruleset: str) -> None:
        """Register a command's handler, its default legal basis and rule-set version.

        A handler receives the validated command and a :class:`Decision` and returns the
        aggregate it changed (or created) and an :class:`Outcome`; it raises a
        :class:`LedgerError` to refuse. Other regimes (CléA) register their handlers here.
        """
        self._handlers[command] = (handler, basis, ruleset)

    def get(self, aggregate_id: UUID, kind: str = "learner") -> Any:
        """An aggregate from the working set or the store, or :class:`UnknownEntity`."""
        if aggregate_id in self._working:
            return self._working[aggregate_id]
        try:
            agg: LedgerAggregate = self.store.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise UnknownEntity(kind, aggregate_id) from None
        self._working[aggregate_id] = agg
        return agg

    def exists(self, aggregate_id: UUID) -> bool:
        """True if the aggregate is in the working set or the store."""
        try:
            self.get(aggregate_id)
        except UnknownEntity:
            return False
        return True

    def _decision(self, cmd: Any, basis: str, ruleset: str, recorded_at: datetime) -> Decision:
        # Every field comes from an already validated command, the clock or the handler
        # table: construct without validating again (hot path of ledger record).
        return Decision.model_construct(
            actor_id=cmd.actor_id, actor_role=cmd.actor_role, body=cmd.body,
            effective_date=cmd.effective_date, recorded_at=recorded_at, legal_basis=basis,
            ruleset_version=ruleset, corrects=getattr(cmd, "corrects", None), reason=cmd.reason)

    def decide(self, cmd: BaseModel) -> _Pending:
        """Check every rule and apply the command to in-memory aggregates (nothing saved)."""
        name = cmd.command  # type: ignore[attr-defined]
        handler, basis, ruleset = self._handlers[name]
        decision = self._decision(cmd, basis, ruleset, self.clock.now())
        agg, outcome = handler(cmd, decision)
        self._working[agg.id] = agg
        identity = getattr(cmd, "identity", None)
        events = list(agg.collect_events())
        effects, self._effects = self._effects, []
        return _Pending(outcome, events, (agg.id, identity) if identity else None, effects)

    def forget_cache(self) -> None:
        """Drop cached aggregates (between chunks of a very large import)."""
        self._discard()

    def _discard(self) -> None:
        self._working.clear()
        self._effects.clear()
        cache: Any = self.store.repository.cache
        if cache is not None:
            cache.clear()

    def _save(self, pendings: Sequence[_Pending]) -> None:
        try:
            # EventStore.put directly: Application.save would re-check every event against
            # runtime Protocols (~10% of the write path) and we keep our own working set.
            recordings = self.store.events.put([e for p in pendings for e in p.events])
        except IntegrityError as exc:
            self._discard()
            raise ConcurrencyConflict(
                "another writer changed these records meanwhile; retry the command") from exc
        by_event = {event_id(r.domain_event.originator_id, r.domain_event.originator_version):
                    r.notification.id - 1 for r in recordings}
        for p in pendings:
            p.outcome.positions = [by_event[e] for e in p.outcome.events if e in by_event]
            if p.identity:
                self.identities.put(*p.identity)
            for effect in p.effects:
                effect()

    def execute(self, cmd: BaseModel) -> Outcome:
        """Decide and save one command in one transaction."""
        try:
            pending = self.decide(cmd)
            self._save([pending])
        except LedgerError:
            self._discard()
            raise
        self._working.clear()
        log.info("command.recorded", command=pending.outcome.command,
                 aggregate=str(pending.outcome.aggregate_id), events=len(pending.outcome.events))
        return pending.outcome

    def execute_all(self, cmds: Iterable[BaseModel], batch: int = 1,
                    progress: Callable[[int], None] | None = None) -> list[Outcome]:
        """Decide every command, then save (``batch`` commands per transaction).

        A refused command raises before anything is written; its index is in the error.
        """
        pendings: list[_Pending] = []
        try:
            for index, cmd in enumerate(cmds):
                try:
                    pendings.append(self.decide(cmd))
                except LedgerError as exc:
                    exc.args = (f"command {index + 1}: {exc}",)
                    exc.index = index  # type: ignore[attr-defined]
                    raise
            for start in range(0, len(pendings), max(batch, 1)):
                chunk = pendings[start:start + max(batch, 1)]
                self._save(chunk)
                if progress:
                    progress(len(chunk))
        except LedgerError:
            self._discard()
            raise
        self._working.clear()
        return [p.outcome for p in pendings]

    # ------------------------------------------------------------------ CPU handlers
    def _register_cpu(self) -> None:
        table: list[tuple[type[BaseModel], Handler, str]] = [
            (c.OpenOption, self._open_option, "open_option"),
            (c.AdmitLearner, self._admit, "admit"),
            (c.TransferLearner, self._transfer, "transfer"),
            (c.SendCompetenceReport, self._send_report, "competence_report"),
            (c.GiveFormalNotice, self._formal_notice, "formal_notice"),
            (c.AuthoriseTest, self._authorise, "authorise_test"),
            (c.RecordAttempt, self._attempt, "record_attempt"),
            (c.ValidateUnit, self._validate, "validate_unit"),
            (c.AssignRemediation, self._remediate, "remediation"),
            (c.CompleteRemediation, self._complete_remediation, "remediation"),
            (c.StartReorientationSupport, self._support, "reorientation_support"),
            (c.IssueAttestation, self._attest, "attestation"),
            (c.DecideC2D, self._c2d, "c2d_decision"),
            (c.WritePssa, self._pssa, "pssa"),
            (c.PromoteLearner, self._promote, "promotion"),
            (c.RepeatYear, self._repeat, "promotion"),
            (c.IssueCertificate, self._certify, "issue_cq"),
            (c.RevokeCertificate, self._revoke_certificate, "issue_cq"),
            (c.RevokeDecision, self._revoke, "revoke"),
            (c.RecordMissedDeadline, self._missed, "record_missed_deadline"),
            (c.EraseLearner, self._erase, "erase"),
        ]
        for cls, handler, action in table:
            self.register(command_name(cls), handler, legal_basis(action), RULESET_VERSION)

    def _outcome(self, cmd: Any, agg: LedgerAggregate, before: int) -> Outcome:
        events = [event_id(agg.id, v) for v in range(before + 1, agg.version + 1)]
        return Outcome(cmd.command, agg.id, events)

    def _learner(self, cmd: Any) -> Learner:
        agg = self.get(cmd.learner_id, "learner")
        if not isinstance(agg, Learner):
            raise UnknownEntity("learner", cmd.learner_id)
        return agg

    def _option_opened(self, fase: int, option_code: str) -> int | None:
        opt = self._school_option(fase, option_code)
        return None if opt is None else int(opt.first_school_year)

    def _school_option(self, fase: int, option_code: str) -> SchoolOption | None:
        try:
            opt = self.get(option_id(fase, option_code), "option")
        except UnknownEntity:
            return None
        return opt if isinstance(opt, SchoolOption) else None

    def _profile_uaa(self, learner: Learner) -> list[str]:
        return ref.profile_version(learner.profile_version).uaa_codes()

    def _learner_step(self, cmd: Any, decision: Decision,
                      act: Callable[[Learner], object]) -> tuple[LedgerAggregate, Outcome]:
        learner = self._learner(cmd)
        before = learner.version
        result = act(learner)
        outcome = self._outcome(cmd, learner, before)
        if isinstance(result, UUID):
            outcome.certificate_id = result
        return learner, outcome

    def _open_option(self, cmd: c.OpenOption, d: Decision) -> tuple[LedgerAggregate, Outcome]:
        school = ref.school(cmd.fase)
        option = ref.option(cmd.option_code)
        if self.exists(option_id(school.fase, option.code)):
            raise InvalidCommand(f"option {option.code} is already open at FASE {school.fase}")
        agg = SchoolOption.open(fase=school.fase, option_code=option.code, form=option.form,
                                first_school_year=cmd.first_school_year,
                                replaces_transformed_option=cmd.replaces_transformed_option,
                                decision=d, listed_options=ref.options().keys())
        return agg, self._outcome(cmd, agg, 0)

    def _admit(self, cmd: c.AdmitLearner, d: Decision) -> tuple[LedgerAggregate, Outcome]:
        ref.school(cmd.fase)
        option = ref.option(cmd.option_code)
        profile = ref.profile_in_force(option.code, date(cmd.school_year, 9, 1))
        learner_id = cmd.learner_id or uuid4()
        if self.exists(learner_id):
            raise InvalidCommand(f"learner {learner_id} already exists")
        agg = Learner.admit(
            learner_id=learner_id, fase=cmd.fase, option_code=option.code, form=option.form,
            profile_version=profile.version,
            opened_year=self._option_opened(cmd.fase, option.code),
            school_year=cmd.school_year, year=cmd.year, route=cmd.route, decision=d,
            prior_attestation=cmd.prior_attestation, prior_passed_year=cmd.prior_passed_year,
            alternance_attestations=cmd.alternance_attestations,
            holds_forme3_cq=cmd.holds_forme3_cq,
            exempt_formation_commune=cmd.exempt_formation_commune,
            option_replaces_transformed=self._replaces_transformed(cmd.fase, option.code))
        return agg, self._outcome(cmd, agg, 0)

    def _replaces_transformed(self, fase: int, option_code: str) -> bool:
        opt = self._school_option(fase, option_code)
        return opt is None or opt.replaces_transformed_option

    def _transfer(self, cmd: c.TransferLearner, d: Decision) -> tuple[LedgerAggregate, Outcome]:
        ref.school(cmd.fase)
        return self._learner_step(cmd, d, lambda ln: ln.transfer(
            to_fase=cmd.fase, to_option_opened=self._option_opened(cmd.fase, ln.option_code),
            decision=d))

    def _send_report(self, cmd: c.SendCompetenceReport, d: Decision) -> tuple[LedgerAggregate, Outcome]:
        return self._learner_step(cmd, d, lambda ln: ln.send_competence_report(
            fase=cmd.fase, decision=d))

    def _formal_notice(self, cmd: c.GiveFormalNotice, d: Decision) -> tuple[LedgerAggregate, Outcome]:
        return self._learner_step(cmd, d, lambda ln: ln.give_formal_notice(decision=d))

    def _is_minor(self, learner_id: UUID, on: date) -> bool:
        identity = self.identities.get(learner_id)
        return True if identity is None else identity.is_minor_on(on)

    def _authorise(self, cmd: c.AuthoriseTest, d: Decision) -> tuple[LedgerAggregate, Outcome]:
        return self._learner_step(cmd, d, lambda ln: ln.authorise_test(
            fase=cmd.fase, uaa=cmd.uaa, profile_uaa=self._profile_uaa(ln),
            is_minor=self._is_minor(ln.id, cmd.effective_date),
            representatives_informed=cmd.representatives_informed, decision=d))

    def _attempt(self, cmd: c.RecordAttempt, d: Decision) -> tuple[LedgerAggregate, Outcome]:
        return self._learner_step(cmd, d, lambda ln: ln.record_attempt(
            fase=cmd.fase, uaa=cmd.uaa, profile_uaa=self._profile_uaa(ln), passed=cmd.passed,
            score=cmd.score, decision=d))

    def _validate(self, cmd: c.ValidateUnit, d: Decision) -> tuple[LedgerAggregate, Outcome]:
        def act(ln: Learner) -> None:
            profile = ref.profile_version(ln.profile_version)
            spec = profile.uaa_by_code(cmd.uaa)
            decision = d
            if cmd.via is ValidationVia.JURY_RECOGNITION:
                decision = d.model_copy(update={"legal_basis": legal_basis("recognise_unit")})
            ln.validate_unit(fase=cmd.fase, uaa=cmd.uaa, profile_uaa=profile.uaa_codes(),
                             via=cmd.via, decision=decision, during_test_of=cmd.during_test_of,
                             delegate=cmd.delegate, uaa_year=spec.year if spec else 4)
        return self._learner_step(cmd, d, act)

    def _remediate(self, cmd: c.AssignRemediation, d: Decision) -> tuple[LedgerAggregate, Outcome]:
        return self._learner_step(cmd, d, lambda ln: ln.assign_remediation(
            fase=cmd.fase, uaa=cmd.uaa, profile_uaa=self._profile_uaa(ln), plan=cmd.plan,
            decision=d))

    def _complete_remediation(self, cmd: c.CompleteRemediation,
                              d: Decision) -> tuple[LedgerAggregate, Outcome]:
        return self._learner_step(cmd, d, lambda ln: ln.complete_remediation(
            fase=cmd.fase, uaa=cmd.uaa, decision=d))

    def _support(self, cmd: c.StartReorientationSupport,
                 d: Decision) -> tuple[LedgerAggregate, Outcome]:
        return self._learner_step(cmd, d, lambda ln: ln.start_reorientation_support(
            fase=cmd.fase, since=cmd.effective_date, decision=d))

    def _attest(self, cmd: c.IssueAttestation, d: Decision) -> tuple[LedgerAggregate, Outcome]:
        return self._learner_step(cmd, d, lambda ln: ln.issue_attestation(
            fase=cmd.fase, kind=cmd.kind, decision=d, advice=cmd.advice))

    def _c2d(self, cmd: c.DecideC2D, d: Decision) -> tuple[LedgerAggregate, Outcome]:
        return self._learner_step(cmd, d, lambda ln: ln.decide_c2d(
            fase=cmd.fase, outcome=cmd.outcome, decision=d, advice=cmd.advice))

    def _pssa(self, cmd: c.WritePssa, d: Decision) -> tuple[LedgerAggregate, Outcome]:
        return self._learner_step(cmd, d, lambda ln: ln.write_pssa(fase=cmd.fase, decision=d))

    def _opened_for(self, ln: Learner) -> int:
        opened = self._option_opened(ln.fase, ln.option_code)
        if opened is None:
            raise UnknownEntity("option at school", f"{ln.option_code} at FASE {ln.fase}")
        return opened

    def _promote(self, cmd: c.PromoteLearner, d: Decision) -> tuple[LedgerAggregate, Outcome]:
        return self._learner_step(cmd, d, lambda ln: ln.promote(
            fase=cmd.fase, opened_year=self._opened_for(ln), decision=d))

    def _repeat(self, cmd: c.RepeatYear, d: Decision) -> tuple[LedgerAggregate, Outcome]:
        return self._learner_step(cmd, d, lambda ln: ln.repeat_year(
            fase=cmd.fase, opened_year=self._opened_for(ln), decision=d))

    def _certify(self, cmd: c.IssueCertificate, d: Decision) -> tuple[LedgerAggregate, Outcome]:
        if cmd.kind.value == "CE6P":
            d = d.model_copy(update={"legal_basis": legal_basis("issue_ce6p")})
        return self._learner_step(cmd, d, lambda ln: ln.issue_certificate(
            fase=cmd.fase, kind=cmd.kind, profile_uaa=self._profile_uaa(ln), decision=d,
            sovereign=cmd.sovereign, justification=cmd.justification))

    def _revoke_certificate(self, cmd: c.RevokeCertificate,
                            d: Decision) -> tuple[LedgerAggregate, Outcome]:
        return self._learner_step(cmd, d, lambda ln: ln.revoke_certificate(
            fase=cmd.fase, certificate=cmd.certificate_id, decision=d))

    def _missed(self, cmd: c.RecordMissedDeadline, d: Decision) -> tuple[LedgerAggregate, Outcome]:
        return self._learner_step(cmd, d, lambda ln: ln.record_missed_deadline(
            kind=cmd.kind, fase=cmd.fase, decision=d))

    def _erase(self, cmd: c.EraseLearner, d: Decision) -> tuple[LedgerAggregate, Outcome]:
        """Record the erasure; once saved, destroy the identity and its key."""
        self._effects.append(lambda: self.identities.erase(cmd.learner_id))
        return self._learner_step(cmd, d, lambda ln: ln.erase(fase=cmd.fase, decision=d))

    def _revoke(self, cmd: c.RevokeDecision, d: Decision) -> tuple[LedgerAggregate, Outcome]:
        return self._learner_step(cmd, d, lambda ln: ln.revoke_decision(
            fase=cmd.fase, target=cmd.target_version, decision=d))


def legal_basis(action: str) -> str:
    """The article a decision of this kind rests on."""
    if action == "revoke":
        return "ledger rule: revocation by the deciding body (AGCF-2018-08-29; décret Missions ch. X)"
    return cpu_rules.POWERS[action][1]


def command_name(cls: type[BaseModel]) -> str:
    """The ``command`` literal of a command class."""
    return str(cls.model_fields["command"].annotation.__args__[0])  # type: ignore[union-attr]
