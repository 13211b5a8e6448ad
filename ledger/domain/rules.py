"""Shared machinery for named rules.

A rule is a pure function returning a :class:`Verdict`. ``require`` turns a refusal into a
:class:`~ledger.domain.errors.RuleViolation` naming the rule and its article.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.domain.errors import RuleViolation


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of a rule: allowed, or refused with a reason."""

    rule: str
    article: str
    allowed: bool
    reason: str = ""

    @classmethod
    def ok(cls, rule: str, article: str) -> Verdict:
        """An allowing verdict."""
        return cls(rule, article, True)

    @classmethod
    def refuse(cls, rule: str, article: str, reason: str) -> Verdict:
        """A refusing verdict with its reason."""
        return cls(rule, article, False, reason)


def require(verdict: Verdict) -> None:
    """Raise :class:`RuleViolation` if the verdict refuses."""
    if not verdict.allowed:
        raise RuleViolation(verdict.rule, verdict.article, verdict.reason)


def check(rule: str, article: str, condition: bool, reason: str) -> Verdict:
    """Build a verdict from a condition (small helper for rule bodies)."""
    return Verdict.ok(rule, article) if condition else Verdict.refuse(rule, article, reason)
