"""Named rules: the machinery both regimes use, and the rules they share.

A rule is a pure function decorated with :func:`rule`: it returns ``None`` when the decision
is lawful, or the reason it is not (a string, or a :class:`Refusal` when the article depends
on the case). Calling the decorated rule returns a :class:`Verdict` naming the rule and its
article; ``require`` turns a refusing verdict into a
:class:`~ledger.domain.errors.RuleViolation`. Every decorated rule is entered in
:data:`CATALOGUE`, so the regimes' rule tables, ``ledger rules`` and the tests read one list.

A rule's ``effect`` says what the aggregate does with a refusing verdict:

- ``refuses``: the command is refused and nothing is written;
- ``flags``: the law sets a duty without a refusal to hang on it; the decision is recorded
  and the breach is recorded beside it as a fact an inspector sees.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, Literal, ParamSpec

from ledger.domain.errors import RuleViolation
from ledger.domain.kernel import Body

P = ParamSpec("P")
Effect = Literal["refuses", "flags"]
LEDGER_RULE = "ledger rule"


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


@dataclass(frozen=True, slots=True)
class Refusal:
    """A rule's refusal whose article depends on the case (e.g. the source of a power)."""

    reason: str
    article: str


Outcome = str | Refusal | None


class Rule(Generic[P]):
    """A named pure rule with its article, regime, rule-set version and effect."""

    def __init__(
        self, fn: Callable[P, Outcome], *, name: str, article: str, regime: str, ruleset: str, effect: Effect
    ) -> None:
        self.fn = fn
        self.name = name
        self.article = article
        self.regime = regime
        self.ruleset = ruleset
        self.effect: Effect = effect
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__
        self.__qualname__ = fn.__qualname__
        self.__module__ = fn.__module__
        self._allowed = Verdict(name, article, True)  # verdicts are immutable: one per rule

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Verdict:
        """Decide: a verdict naming this rule and the article that applies."""
        outcome = self.fn(*args, **kwargs)
        if outcome is None:
            return self._allowed
        if isinstance(outcome, Refusal):
            return Verdict(self.name, outcome.article, False, outcome.reason)
        return Verdict(self.name, self.article, False, outcome)

    @property
    def key(self) -> str:
        """The catalogue key: ``<regime>.<name>``."""
        return f"{self.regime}.{self.name}"

    @property
    def summary(self) -> str:
        """The first line of the rule's docstring."""
        return (self.__doc__ or self.name).strip().splitlines()[0]

    @property
    def function(self) -> str:
        """The rule's Python path (``module:function``)."""
        return f"{self.__module__}:{self.__name__}"

    def __repr__(self) -> str:
        return f"Rule({self.key}, {self.article!r})"


CATALOGUE: dict[str, Rule[Any]] = {}


def rule(
    name: str, article: str, *, regime: str, ruleset: str, effect: Effect = "refuses"
) -> Callable[[Callable[P, Outcome]], Rule[P]]:
    """Declare a named rule and enter it in :data:`CATALOGUE` (one name per regime)."""

    def register(fn: Callable[P, Outcome]) -> Rule[P]:
        named = Rule(fn, name=name, article=article, regime=regime, ruleset=ruleset, effect=effect)
        if named.key in CATALOGUE:
            raise ValueError(f"rule {named.key} is declared twice")
        CATALOGUE[named.key] = named
        return named

    return register


def require(verdict: Verdict) -> None:
    """Raise :class:`RuleViolation` if the verdict refuses."""
    if not verdict.allowed:
        raise RuleViolation(verdict.rule, verdict.article, verdict.reason)


def ensure(*verdicts: Verdict) -> None:
    """Require every verdict, in order (the first refusal raises)."""
    for verdict in verdicts:
        if not verdict.allowed:  # require(), inlined: ~7 verdicts per recorded decision
            raise RuleViolation(verdict.rule, verdict.article, verdict.reason)


class Reason(str):
    """A refusal's reason: its English text, keeping the message template and its arguments.

    It *is* the English string (stored, compared and printed as before); a reader in another
    language renders ``template`` (a catalogue msgid) with ``params`` instead. A tuple argument
    (of reasons, e.g. one per year) reads as its items joined with commas.
    """

    template: str
    params: dict[str, object]

    def __new__(cls, template: str, params: Mapping[str, object]) -> Reason:  # noqa: D102
        shown = {k: ", ".join(v) if isinstance(v, tuple) else v for k, v in params.items()}
        text = super().__new__(cls, template.format(**shown))
        text.template = template
        text.params = dict(params)
        return text

    def __getnewargs__(self) -> tuple[str, dict[str, object]]:  # type: ignore[override]
        return (self.template, self.params)


def because(template: str, /, **params: object) -> Reason:
    """A refusal's reason from an English message template (a catalogue msgid) and its arguments."""
    return Reason(template, params)


def unless(condition: bool, reason: str) -> str | None:
    """``None`` when ``condition`` holds, else the reason.

    The reason is built before the call: rule bodies on the write path write
    ``None if condition else because(...)`` instead, so a passing rule formats no message.
    """
    return None if condition else reason


def check(rule_name: str, article: str, condition: bool, reason: str) -> Verdict:
    """Build a verdict from a condition, for callers outside the catalogue (kept for them)."""
    return Verdict.ok(rule_name, article) if condition else Verdict.refuse(rule_name, article, reason)


# ----------------------------------------------------------------------------- shared rules
SHARED = "shared"
SHARED_RULESET = "ledger-shared-2"
Powers = Mapping[str, tuple[frozenset[Body], str]]


def _shared(name: str, article: str) -> Callable[[Callable[P, Outcome]], Rule[P]]:
    return rule(name, article, regime=SHARED, ruleset=SHARED_RULESET)


@_shared("body_has_power", "the article giving the body its power (per decision, see POWERS)")
def body_has_power(action: str, body: Body, powers: Powers) -> Outcome:
    """Only a body holding the power may take a decision."""
    bodies, article = powers[action]
    if body in bodies:
        return None
    names = ", ".join(sorted(b.value for b in bodies))
    return Refusal(
        because(
            "{body} has no power to decide {action}; allowed: {names}",
            body=body.value,
            action=action,
            names=names,
        ),
        article,
    )


@_shared("decision_not_in_future", f"{LEDGER_RULE} (no anticipated decisions)")
def decision_not_in_future(effective: date, recorded_at: datetime) -> Outcome:
    """A decision cannot take effect after the moment it is recorded."""
    return (
        None
        if effective <= recorded_at.date()
        else because(
            "effective date {effective} is after the recording date {recorded_on}",
            effective=effective,
            recorded_on=recorded_at.date(),
        )
    )


@_shared("revoke_existing_decision", f"{LEDGER_RULE} (corrections point at a decision)")
def revoke_existing_decision(
    target_type: str | None, already_void: bool, revocable_types: Collection[str]
) -> Outcome:
    """Only an existing, still effective decision of a revocable kind can be revoked/corrected."""
    if target_type is None:
        return because("no decision with that version on this record")
    if already_void:
        return because("that decision was already revoked or corrected")
    return (
        None
        if target_type in revocable_types
        else because("{target_type} cannot be revoked", target_type=target_type)
    )


@_shared("revocation_has_reason", f"{LEDGER_RULE} (corrections give reasons)")
def revocation_has_reason(reason: str | None) -> Outcome:
    """A revocation (of a decision or a certificate) states its reason."""
    return None if bool(reason and reason.strip()) else because("a revocation needs a reason")


@_shared("revoked_by_same_body", f"{LEDGER_RULE} (the deciding body revokes)")
def revoked_by_same_body(body: Body, original: Body) -> Outcome:
    """Only the body that took a decision revokes it."""
    return (
        None
        if body is original
        else because("only {original} can revoke this decision", original=original.value)
    )


@_shared("deadline_recorded_once", f"{LEDGER_RULE} (missed deadlines recorded, never hidden)")
def deadline_recorded_once(already_recorded: bool, what: str) -> Outcome:
    """A missed deadline is recorded once."""
    return None if not already_recorded else because("{what} deadline already recorded as missed", what=what)


def common_verdicts(
    action: str, decision_body: Body, effective: date, recorded_at: datetime, powers: Powers
) -> tuple[Verdict, Verdict]:
    """The two rules every decision passes: the body's power, and no anticipated effect."""
    return (body_has_power(action, decision_body, powers), decision_not_in_future(effective, recorded_at))
