"""Dossiers: how a learner (CPU) or a candidate (CléA) is presented, from its events.

:func:`dossier_of` renders an already reconstructed aggregate: the CPU *dossier
d'apprentissage* (UAA status, attempts, remediation, attestations, deadlines, certificates) or
the CléA candidate's dossier (domains, window, plan, jury, certificate, accrochage).
:func:`learner_dossier` replays one aggregate from the store first. ``ledger learner show`` and
``GET /v1/learners/{id}`` print these.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from ledger.application import profiles
from ledger.application.queries import replay
from ledger.domain.clea.aggregates import Candidate
from ledger.domain.clea.values import CertificateType, DeadlineKind
from ledger.domain.cpu.aggregates import Learner
from ledger.domain.cpu.values import DeadlineKind as DeadlineKindCpu
from ledger.domain.errors import UnknownEntity
from ledger.reference import clea as clea_ref
from ledger.reference import cpu as ref


def _decision_view(ev: Any) -> dict[str, Any]:
    d = ev.decision
    return {
        "effective_date": d.effective_date.isoformat(),
        "body": d.body.value,
        "actor": d.actor_id,
        "legal_basis": d.legal_basis,
        "version": ev.originator_version,
    }


def _unit_rows(learner: Learner, profile: ref.Profile) -> list[dict[str, Any]]:
    validated = learner.validated()
    attempts = learner.of_type(Learner.UnitAttempted)
    remediation = learner.of_type(Learner.RemediationAssigned)
    done = {r.uaa for r in learner.of_type(Learner.RemediationCompleted)}
    rows = []
    for spec in profile.uaa:
        mine = [a for a in attempts if a.uaa == spec.code]
        val = validated.get(spec.code)
        rows.append(
            {
                "uaa": spec.code,
                "title": spec.title,
                "year": spec.year,
                "status": "validated" if val else ("failed" if mine and not mine[-1].passed else "pending"),
                "validated": {**_decision_view(val), "via": val.via.value} if val else None,
                "attempts": [
                    {
                        "date": a.decision.effective_date.isoformat(),
                        "passed": a.passed,
                        "body": a.decision.body.value,
                    }
                    for a in mine
                ],
                "remediation": ("completed" if spec.code in done else "open")
                if any(r.uaa == spec.code for r in remediation)
                else None,
            }
        )
    return rows


def _deadlines(learner: Learner, today: date) -> list[dict[str, Any]]:
    """The open legal deadlines (:meth:`Learner.deadlines`), overdue per :meth:`Learner.overdue`."""
    overdue = set(learner.overdue(today))
    pending = learner.pending_report()
    out: list[dict[str, Any]] = []
    for item in learner.deadlines():
        kind, due_by, _ = item
        row: dict[str, Any] = {"kind": kind.value, "due_by": due_by.isoformat()}
        if kind is DeadlineKindCpu.COMPETENCE_REPORT and pending is not None:
            row["from_fase"] = pending.from_fase
        row["overdue"] = item in overdue
        out.append(row)
    return out


def learner_dossier(store: Application[UUID], learner_id: UUID, today: date) -> dict[str, Any]:
    """The dossier d'apprentissage of a CPU learner, from its events."""
    learner = replay(store, learner_id)
    if learner is None:
        raise UnknownEntity("learner", learner_id)
    return dossier_of(learner, today, lambda ident: replay(store, ident))


def dossier_of(learner: Any, today: date, lookup: profiles.Lookup | None = None) -> dict[str, Any]:
    """The dossier of an already reconstructed aggregate (CPU learner or CléA candidate).

    ``lookup`` finds the administration's published profile the learner was admitted under (by
    aggregate id); without it, only the shipped reference profiles are known.
    """
    if not isinstance(learner, Learner):
        return describe_other(learner, today)
    used = profiles.resolve(lookup or (lambda _ident: None), learner.profile_version)
    school = ref.school(learner.fase)
    return {
        "learner_id": str(learner.id),
        "regime": "CPU",
        "fase": learner.fase,
        "school": school.name,
        "locality": school.locality,
        "option": ref.option(learner.option_code).name_masculine,
        "form": learner.form,
        "profile_version": learner.profile_version,
        "profile_source": used.source,
        "year": learner.year,
        "school_year": f"{learner.school_year}-{learner.school_year + 1}",
        "route": learner.route.value,
        "c2d": learner.c2d,
        "units": _unit_rows(learner, used.profile),
        "uaa_titles_note": used.profile.titles_note(),
        "attestations": [
            {"school_year": a.school_year, "kind": a.kind.value, **_decision_view(a)}
            for a in learner.of_type(Learner.AttestationIssued)
        ],
        "c2d_decisions": [
            {"outcome": c.outcome.value, **_decision_view(c)} for c in learner.of_type(Learner.C2DDecided)
        ],
        "pending_deadlines": _deadlines(learner, today),
        "missed_deadlines": [
            {"kind": m.kind.value, "due_by": m.due_by.isoformat()}
            for m in learner.of_type(Learner.DeadlineMissed)
        ],
        "late": [
            {"type": type(e).__name__, "due_by": e.due_by.isoformat()}
            for e in learner.effective()
            if getattr(e, "late", False)
        ],
        "certificates": _certificates_of(learner),
        "flags": flags_of(learner),
        "appeals": appeals_of(learner),
        "revoked_decisions": sorted(learner.voided),
        "version": learner.version,
    }


def flags_of(learner: Learner) -> list[dict[str, Any]]:
    """Duties recorded as unmet (Art. 4 §6): year flags, and minors' representatives not informed."""
    out: list[dict[str, Any]] = [
        {
            "rule": f.rule,
            "article": f.article,
            "school_year": f.school_year,
            "uaa": list(f.uaa),
            "detail": f.detail,
            **_decision_view(f),
        }
        for f in learner.of_type(Learner.DutyFlagged)
    ]
    out += [
        {
            "rule": "inform_legal_representatives_of_minor",
            "article": "AGCF-2018-08-29 art. 4 §6",
            "school_year": None,
            "uaa": [a.uaa],
            "detail": f"representatives of a minor not informed of the {a.uaa} test",
            **_decision_view(a),
        }
        for a in learner.of_type(Learner.TestAuthorised)
        if a.learner_is_minor and not a.representatives_informed
    ]
    return out


def appeals_of(learner: Learner) -> list[dict[str, Any]]:
    """Recours externes (Art. 4 §1, last paragraph): lodged, and their outcome when decided."""
    decided = {d.target: d for d in learner.of_type(Learner.AppealDecided)}
    out = []
    for lodged in learner.of_type(Learner.AppealLodged):
        done = decided.get(lodged.target)
        out.append(
            {
                "target_version": lodged.target,
                "against": lodged.target_kind.value,
                "lodged_on": lodged.lodged_on.isoformat(),
                "outcome": done.outcome.value if done else "pending",
                "replacement": done.replacement.value if done and done.replacement else None,
                "decided_on": done.decision.effective_date.isoformat() if done else None,
            }
        )
    return out


def describe_other(aggregate: Any, today: date) -> dict[str, Any]:
    """The presentation of a CléA candidate (or the bare facts of another aggregate)."""
    if isinstance(aggregate, Candidate):
        return clea_dossier(aggregate, today)
    raise UnknownEntity("learner or candidate", aggregate.id)


def _certificates_of(learner: Learner) -> list[dict[str, Any]]:
    revoked = {r.certificate_id: r for r in learner.of_type(Learner.CertificateRevoked)}
    out = []
    for ev in learner.log.values():
        if isinstance(ev, Learner.CertificateIssued):
            rev = revoked.get(ev.certificate_id)
            out.append(
                {
                    "certificate_id": str(ev.certificate_id),
                    "kind": ev.kind.value,
                    "basis": ev.basis.value,
                    "status": "revoked" if rev else "active",
                    **_decision_view(ev),
                }
            )
    return out


# ---------------------------------------------------------------------- CléA
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
        "organisation": {
            "evaluator_siret": candidate.evaluator_siret,
            "region": candidate.evaluator_region.value,
        },
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
        "deadlines": _clea_deadlines(candidate, day),
        "revoked": [
            {
                "version": ev.revokes,
                "type": getattr(ev, "revoked_type", "CertificateIssued"),
                "reason": ev.decision.reason,
            }
            for cls in (Candidate.DecisionRevoked, Candidate.CertificateRevoked)
            for ev in candidate.of_type(cls)
        ],
    }


def _domain(cert: CertificateType, code: str) -> dict[str, str]:
    return {"code": code, "label": clea_ref.domain_label(cert, code)}


def _window(cand: Candidate, day: date) -> dict[str, Any] | None:
    pre = cand.prealable()
    if pre is None:
        return None
    return {
        "opened_on": pre.decision.effective_date.isoformat(),
        "ends_on": pre.window_ends_on.isoformat(),
        "expired": day > pre.window_ends_on,
        "prealables": len(cand.of_type(Candidate.PriorEvaluationRecorded)),
    }


def _plan(cand: Candidate) -> dict[str, Any] | None:
    plans = cand.in_window(Candidate.TrainingPlanAssigned)
    if not plans:
        return None
    plan = plans[-1]
    done = [
        t for t in cand.in_window(Candidate.TrainingCompleted) if t.plan_version == plan.originator_version
    ]
    return {
        "domains": list(plan.domains),
        "training_org_siret": plan.training_org_siret,
        "planned_hours": plan.planned_hours,
        "assigned_on": plan.decision.effective_date.isoformat(),
        "completed_on": done[-1].decision.effective_date.isoformat() if done else None,
        "trainer_id": done[-1].trainer_id if done else None,
    }


def _jury(cand: Candidate) -> dict[str, Any] | None:
    jury = cand.jury()
    if jury is None:
        return None
    return {
        "body": jury.decision.body.value,
        "awarded": jury.awarded,
        "decided_on": jury.decision.effective_date.isoformat(),
        "branch_code": jury.branch_code,
        "members": [{"person_id": m.person_id, "side": m.side.value} for m in jury.members],
    }


def _certificate(cand: Candidate) -> dict[str, Any] | None:
    cert = cand.active_certificate()
    if cert is None:
        return None
    return {
        "certificate_id": str(cert.certificate_id),
        "issuer": cert.issuer.value,
        "branch_code": cert.branch_code,
        "issued_on": cert.issued_on.isoformat(),
        "referential_versions": list(cert.referential_versions),
    }


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
    return {
        "status": status,
        "due_by": due.isoformat() if due else None,
        "reported_on": done.reported_on.isoformat() if done else None,
    }


def _clea_deadlines(cand: Candidate, day: date) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    end = cand.window_end()
    if end is not None and cand.active_certificate() is None:
        out.append(
            {"kind": DeadlineKind.VALIDITY_WINDOW.value, "due_by": end.isoformat(), "passed": day > end}
        )
    acc = _accrochage(cand, day)
    if acc and acc["due_by"] and acc["status"] in {"pending", "overdue"}:
        out.append(
            {
                "kind": DeadlineKind.ACCROCHAGE.value,
                "due_by": acc["due_by"],
                "passed": acc["status"] == "overdue",
            }
        )
    recorded = [
        {"kind": ev.kind.value, "due_by": ev.due_by.isoformat(), "recorded_missed": True}
        for ev in cand.of_type(Candidate.DeadlineMissed)
    ]
    return out + recorded
