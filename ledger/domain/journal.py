"""The decision plumbing both regimes share: record, correct, revoke.

:class:`Journal` is the base of the CPU ``Learner`` and the CléA ``Candidate``: a
:class:`~ledger.domain.kernel.DecisionLog` whose corrections and revocations go through the
shared named rules of :mod:`ledger.domain.rules`. Each regime keeps its own event classes
(their stored topics are the regime's), built on the bases defined here.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from ledger.domain import rules
from ledger.domain.kernel import NO_VOID, Decision, DecisionLog, Void
from ledger.domain.rules import Verdict, ensure, require


class Journal(DecisionLog):
    """A decision log with shared correction and revocation plumbing."""

    REVOCABLE: ClassVar[frozenset[str]] = frozenset()

    class Revocation(DecisionLog.Decided):
        """Base of events that void an earlier decision (``revokes`` = its version)."""

        revokes: int

        def place(self, aggregate: Any) -> None:
            """Void the revoked decision: it stays in the log and stops counting."""
            aggregate.voided.add(self.revokes)

    class CertificateRevocation(DecisionLog.Decided):
        """Base of certificate revocations: the issuance at ``revokes`` stops counting."""

        certificate_id: UUID
        revokes: int

        def place(self, aggregate: Any) -> None:
            """Void the issuance: it stays in the log and stops counting."""
            aggregate.voided.add(self.revokes)

    def record(self, cls: type[DecisionLog.Decided], decision: Decision, **kw: Any) -> None:
        """Record one decision event at the decision's recording time."""
        kw["decision"] = decision  # kw is this call's own dict: completed, not copied again
        kw["timestamp"] = decision.recorded_at
        self._trigger(cls, kw)

    def target_type(self, version: int) -> str | None:
        """The event class name of the decision at ``version``, if any."""
        event = self.log.get(version)
        return type(event).__name__ if event is not None else None

    def correction(self, decision: Decision, expected: type[DecisionLog.Decided]) -> Void:
        """Check a correcting decision's target; the versions to treat as voided meanwhile."""
        if decision.corrects is None:
            return NO_VOID
        require(
            rules.revoke_existing_decision(
                self.target_type(decision.corrects),
                decision.corrects in self.voided,
                self.REVOCABLE & {expected.__name__},
            )
        )
        return frozenset({decision.corrects})

    def revocation_verdicts(self, target: int, decision: Decision) -> tuple[Verdict, ...]:
        """The shared rules a revocation passes (target, body, date, reason)."""
        target_type = self.target_type(target)
        original = self.log.get(target)
        body = original.decision.body if isinstance(original, DecisionLog.Decided) else None
        return (
            rules.revoke_existing_decision(target_type, target in self.voided, self.REVOCABLE),
            rules.revoked_by_same_body(decision.body, body or decision.body),
            rules.decision_not_in_future(decision.effective_date, decision.recorded_at),
            rules.revocation_has_reason(decision.reason),
        )

    def revoke(
        self, cls: type[DecisionLog.Decided], target: int, decision: Decision, *extra: Verdict
    ) -> None:
        """Revoke the decision at ``target`` by recording ``cls`` (a revocation event)."""
        ensure(*self.revocation_verdicts(target, decision), *extra)
        self.record(cls, decision, revokes=target, revoked_type=self.target_type(target))
