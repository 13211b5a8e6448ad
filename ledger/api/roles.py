"""Roles and scopes: may this principal record this decision, may it read this aggregate.

================== ============================= ================================= ==========
role               scope (``--scope``)           writes (decisions of its bodies)  reads
================== ============================= ================================= ==========
jury               ``FASE`` or ``FASE:opt,opt``  jury_qualification, jury_delegate its school
conseil_classe     same                          conseil_classe, pedagogical_team  its school
conseil_admission  same                          conseil_admission                 its school
direction          same                          direction                         its school
administration     ``fwb``                       administration (formal notices)   CPU
certifpro          ``national``                  certifpro, jury_paritaire         CléA
branch_jury        branch code                   branch_jury (its branch)          submitted
evaluator          SIRET                         evaluator_org (its candidates)    its own
training_org       SIRET                         training_org (its trainees)       its own
inspector          ``all``                       nothing                           everything
certification_body ``all``                       nothing                           everything
learner            learner/candidate id          nothing                           own dossier
================== ============================= ================================= ==========

A branch jury reads (and decides on) only the candidates whose dossier was submitted to its
branch (``SubmitToJury``) or that its jury decided; any other is answered like an unknown id.

``public`` needs no token: it only verifies certificates. A token's subject must be the
``actor_id`` of every decision it records. The domain still checks every rule (powers of
each body, enrolment at the school…): roles only decide who may knock on which door.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from ledger.api.errors import Forbidden, OutOfReach
from ledger.domain.errors import InvalidCommand, RuleViolation, UnknownEntity
from ledger.domain.kernel import Body
from ledger.domain.rules import because

__all__ = [
    "AUDITORS",
    "CLEA_ROLES",
    "OTHER_BODIES",
    "ROLES",
    "SCHOOL_BODIES",
    "WRITERS",
    "WRITER_BODIES",
    "Forbidden",
    "OutOfReach",
    "Principal",
    "authorize_command",
    "may_read",
    "may_see_identity",
    "parse_scope",
    "require_read",
]

SCHOOL_BODIES: dict[str, frozenset[Body]] = {
    "jury": frozenset({Body.JURY_QUALIFICATION, Body.JURY_DELEGATE}),
    "conseil_classe": frozenset({Body.CONSEIL_CLASSE, Body.PEDAGOGICAL_TEAM}),
    "conseil_admission": frozenset({Body.CONSEIL_ADMISSION}),
    "direction": frozenset({Body.DIRECTION}),
}
OTHER_BODIES: dict[str, frozenset[Body]] = {
    "administration": frozenset({Body.ADMINISTRATION}),
    "certifpro": frozenset({Body.CERTIFPRO, Body.JURY_PARITAIRE}),
    "branch_jury": frozenset({Body.BRANCH_JURY}),
    "evaluator": frozenset({Body.EVALUATOR_ORG}),
    "training_org": frozenset({Body.TRAINING_ORG}),
}
WRITER_BODIES: dict[str, frozenset[Body]] = {**SCHOOL_BODIES, **OTHER_BODIES}
AUDITORS = frozenset({"inspector", "certification_body"})
ROLES: tuple[str, ...] = (*WRITER_BODIES, *sorted(AUDITORS), "learner")
WRITERS = frozenset(WRITER_BODIES)
CLEA_ROLES = frozenset({"certifpro", "branch_jury", "evaluator", "training_org"})

_FIXED_SCOPE = {
    "administration": "fwb",
    "certifpro": "national",
    "inspector": "all",
    "certification_body": "all",
}
_SIRET = re.compile(r"^[0-9]{14}$")
_BRANCH = re.compile(r"^[A-Za-z0-9-]{2,40}$")
_SCHOOL_SCOPE = re.compile(r"^([0-9]{1,6})(?::([a-z0-9-]{2,80}(?:,[a-z0-9-]{2,80})*))?$")

Lookup = Callable[[UUID], Any]


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role, its scope (normalised) and a subject (actor id)."""

    role: str
    scope: str
    subject: str

    @property
    def fase(self) -> int:
        """The FASE of a school role's scope."""
        return int(self.scope.split(":", 1)[0])

    @property
    def options(self) -> frozenset[str] | None:
        """The options a school role is limited to (``None``: every option of its school)."""
        if ":" not in self.scope:
            return None
        return frozenset(self.scope.split(":", 1)[1].split(","))

    @property
    def namespace(self) -> str:
        """Idempotency-key namespace: keys of different principals never collide."""
        return f"{self.role}|{self.scope}|{self.subject}"


def parse_scope(role: str, scope: str) -> str:
    """Validate a role's scope and return its normalised form (:class:`InvalidCommand`)."""
    if role not in ROLES:
        raise InvalidCommand(f"unknown role {role!r}; known: {', '.join(ROLES)}")
    if role in _FIXED_SCOPE:
        if scope != _FIXED_SCOPE[role]:
            raise InvalidCommand(f"role {role} takes the scope {_FIXED_SCOPE[role]!r}, not {scope!r}")
        return scope
    if role in SCHOOL_BODIES:
        return _school_scope(scope)
    if role in {"evaluator", "training_org"} and not _SIRET.match(scope):
        raise InvalidCommand(f"role {role} is scoped to a SIRET (14 digits), not {scope!r}")
    if role == "branch_jury" and not _BRANCH.match(scope):
        raise InvalidCommand(f"role branch_jury is scoped to a branch code, not {scope!r}")
    if role == "learner":
        try:
            return str(UUID(scope))
        except ValueError:
            raise InvalidCommand(f"role learner is scoped to a learner id (UUID), not {scope!r}") from None
    return scope


def _school_scope(scope: str) -> str:
    from ledger.reference import cpu as ref

    match = _SCHOOL_SCOPE.match(scope)
    if not match:
        raise InvalidCommand(f"school roles are scoped to FASE or FASE:option,option, not {scope!r}")
    fase = int(match.group(1))
    ref.school(fase)
    options = sorted(set(match.group(2).split(","))) if match.group(2) else []
    for code in options:
        ref.option(code)
    return f"{fase}:{','.join(options)}" if options else str(fase)


# ---------------------------------------------------------------------------- writes
def authorize_command(who: Principal, cmd: Any, lookup: Lookup) -> None:
    """Refuse a command outside the principal's role, body or scope.

    The tenant is resolved from the aggregate AS STORED (the learner's school, the candidate's
    organisations), never from the body: a body naming the caller's own FASE or SIRET on
    another tenant's learner or candidate is refused like an unknown id (:class:`OutOfReach`).
    """
    bodies = WRITER_BODIES.get(who.role)
    if bodies is None:
        raise Forbidden(because("role {role} records no decisions", role=who.role))
    if cmd.body not in bodies:
        names = ", ".join(sorted(b.value for b in bodies))
        raise Forbidden(
            because(
                "role {role} records decisions of {bodies} only, not {body}",
                role=who.role,
                bodies=names,
                body=cmd.body.value,
            )
        )
    if cmd.actor_id != who.subject:
        raise Forbidden(
            because(
                "actor_id {actor} is not the token's subject {subject}",
                actor=repr(cmd.actor_id),
                subject=repr(who.subject),
            )
        )
    if who.role in SCHOOL_BODIES:
        _school_scope_check(who, cmd, lookup)
    elif who.role == "administration":
        _need(hasattr(cmd, "fase"), because("role administration records CPU decisions only"))
    elif who.role in CLEA_ROLES:
        _need(not hasattr(cmd, "fase"), because("role {role} records CléA decisions only", role=who.role))
        _clea_scope_check(who, cmd, lookup)


def _need(condition: bool, message: str) -> None:
    if not condition:
        raise Forbidden(message)


def _stored(lookup: Lookup, ident: UUID, kind: str) -> Any:
    """The stored aggregate, or :class:`OutOfReach` if there is none."""
    try:
        found = lookup(ident)
    except UnknownEntity:
        found = None
    if found is None or type(found).__name__ != kind:
        raise OutOfReach(kind.lower(), ident)
    return found


def _school_scope_check(who: Principal, cmd: Any, lookup: Lookup) -> None:
    from ledger.domain.cpu import rules as cpu_rules

    _need(hasattr(cmd, "fase"), because("role {role} records CPU decisions only", role=who.role))
    _need(
        cmd.fase == who.fase,
        because(
            "role {role} writes for FASE {fase} only, not {other}",
            role=who.role,
            fase=who.fase,
            other=cmd.fase,
        ),
    )
    name = type(cmd).__name__
    if name == "OpenOption":
        # Acts that shape who may act belong to the administration when back-dated.
        verdict = cpu_rules.opening_not_backdated(
            cmd.effective_date, cmd.first_school_year, _now(), by_administration=False
        )
        if not verdict.allowed:
            raise RuleViolation(verdict.rule, verdict.article, verdict.reason)
    learner_id = getattr(cmd, "learner_id", None)
    option = getattr(cmd, "option_code", None)
    if learner_id is not None and name != "AdmitLearner":
        learner = _stored(lookup, learner_id, "Learner")
        option = learner.option_code
        if name == "SendCompetenceReport":
            pending = learner.pending_report()
            if pending is None or pending.from_fase != who.fase:
                raise OutOfReach("learner", learner_id)
        elif name != "TransferLearner" and learner.fase != who.fase:
            # TransferLearner reaches another school's learner: the domain requires the
            # family's request (national register number matched by keyed hash, Art. 9).
            raise OutOfReach("learner", learner_id)
    allowed = who.options
    if allowed is not None and option is not None and option not in allowed:
        raise (
            OutOfReach("learner", learner_id)
            if learner_id is not None
            else Forbidden(
                because(
                    "role {role} writes for options {options} only, not {option}",
                    role=who.role,
                    options=", ".join(sorted(allowed)),
                    option=option,
                )
            )
        )


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _clea_scope_check(who: Principal, cmd: Any, lookup: Lookup) -> None:
    body_sirets = {
        v
        for f in ("evaluator_siret", "training_org_siret", "siret")
        if (v := getattr(cmd, f, None)) is not None
    }
    branch = getattr(cmd, "branch_code", None)
    if who.role in {"evaluator", "training_org"}:
        _need(
            body_sirets <= {who.scope},
            because("role {role} writes for SIRET {siret} only", role=who.role, siret=who.scope),
        )
    if who.role == "branch_jury":
        _need(
            branch is None or branch == who.scope,
            because("role branch_jury writes for branch {branch} only", branch=who.scope),
        )
    if not hasattr(cmd, "candidate_id"):
        return
    candidate = _stored(lookup, cmd.candidate_id, "Candidate")
    if who.role == "evaluator":
        mine = candidate.evaluator_siret == who.scope
    elif who.role == "training_org":
        mine = who.scope in _planned_training_orgs(candidate)
    elif who.role == "branch_jury":
        mine = who.scope in _branches_seized(candidate)  # submitted to it, or decided by it
    else:
        mine = True
    if not mine:
        raise OutOfReach("candidate", cmd.candidate_id)


def _planned_training_orgs(candidate: Any) -> set[str]:
    """The SIRETs the candidate's evaluator named in a training plan (stored decisions only)."""
    log = getattr(candidate, "log", {})
    return {
        str(ev.training_org_siret)
        for ev in log.values()
        if type(ev).__name__ == "TrainingPlanAssigned" and getattr(ev, "training_org_siret", None)
    }


_SEIZING = frozenset({"DossierSubmittedToJury", "JuryDecided", "CertificateIssued"})


def _branches_seized(candidate: Any) -> set[str]:
    """Branch codes the dossier was submitted to, or whose jury decided or issued on it (stored).

    A candidate decided before submissions were recorded is seen by the branch that decided it.
    """
    log = getattr(candidate, "log", {})
    return {
        str(code)
        for ev in log.values()
        if type(ev).__name__ in _SEIZING and (code := getattr(ev, "branch_code", None))
    }


def _logged(aggregate: Any, attribute: str) -> set[str]:
    """Every value of ``attribute`` in an aggregate's decision log."""
    log = getattr(aggregate, "log", {})
    return {str(v) for ev in log.values() if (v := getattr(ev, attribute, None)) is not None}


# ---------------------------------------------------------------------------- reads
def may_read(who: Principal, aggregate: Any) -> bool:
    """True if the principal may read this aggregate (dossier, certificates, events)."""
    if who.role in AUDITORS:
        return True
    if who.role == "learner":
        return str(aggregate.id) == who.scope
    kind = type(aggregate).__name__
    if who.role in SCHOOL_BODIES:
        return (
            kind in {"Learner", "SchoolOption"}
            and (aggregate.fase == who.fase or who.fase in _previous_schools(aggregate))
            and (who.options is None or aggregate.option_code in who.options)
        )
    if who.role == "administration":
        return kind in {"Learner", "SchoolOption"}
    return _clea_may_read(who, aggregate, kind)


def _clea_may_read(who: Principal, aggregate: Any, kind: str) -> bool:
    if who.role == "certifpro":
        return kind in {"Candidate", "EvaluatorOrganisation", "TrainingOrganisation", "BranchJury"}
    if who.role == "evaluator":
        return (kind == "Candidate" and aggregate.evaluator_siret == who.scope) or (
            kind == "EvaluatorOrganisation" and aggregate.siret == who.scope
        )
    if who.role == "training_org":
        return (kind == "Candidate" and who.scope in _planned_training_orgs(aggregate)) or (
            kind == "TrainingOrganisation" and aggregate.siret == who.scope
        )
    if who.role == "branch_jury":
        # A branch jury reads only the dossiers submitted to it (or that it decided).
        return (kind == "Candidate" and who.scope in _branches_seized(aggregate)) or (
            kind == "BranchJury" and aggregate.branch_code == who.scope
        )
    return False


def _previous_schools(aggregate: Any) -> set[int]:
    """Schools a learner left by a transfer: the sending school sees the transfer (Art. 9)."""
    log = getattr(aggregate, "log", {})
    return {int(ev.from_fase) for ev in log.values() if type(ev).__name__ == "Transferred"}


def may_see_identity(who: Principal, aggregate: Any) -> bool:
    """Personal data: the learner, and staff of the school the learner is enrolled at now."""
    if who.role == "learner":
        return str(aggregate.id) == who.scope
    return (
        who.role in SCHOOL_BODIES
        and type(aggregate).__name__ == "Learner"
        and aggregate.fase == who.fase
        and may_read(who, aggregate)
    )


def require_read(who: Principal, aggregate: Any, kind: str, ident: object) -> None:
    """Refuse (:class:`Forbidden`) reading an aggregate outside the principal's scope."""
    if aggregate is None or not may_read(who, aggregate):
        raise OutOfReach(kind, ident)
