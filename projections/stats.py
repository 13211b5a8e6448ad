"""Read model ``stats``: compact facts per option, learner, placement, UAA and candidate.

School and CléA statistics (:mod:`projections.stats_cpu`, :mod:`projections.stats_clea`) are
computed from these tables with plain SQL reads, never by replaying the log. Facts are a
function of each aggregate's effective decisions (revoked or corrected ones do not count), so
they are rewritten for every aggregate a batch touches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ledger.domain.clea.aggregates import Candidate
from ledger.domain.cpu.aggregates import Learner, SchoolOption
from ledger.domain.cpu.values import CertificateKind, Route
from ledger.follower import Db
from ledger.reference import cpu as ref
from projections.base import (
    CANDIDATE_TOPIC,
    LEARNER_TOPIC,
    OPTION_TOPIC,
    AggregateProjection,
    Touched,
    delete_for,
)

TABLES: dict[str, str] = {
    "rm_cpu_option": "option_key TEXT PRIMARY KEY, fase BIGINT NOT NULL, option_code TEXT NOT NULL, "
                     "form TEXT NOT NULL, first_school_year BIGINT NOT NULL, replaces BIGINT NOT NULL",
    "rm_cpu_learner": "learner_id TEXT PRIMARY KEY, fase BIGINT NOT NULL, option_code TEXT NOT NULL, "
                      "form TEXT NOT NULL, cohort BIGINT NOT NULL, entry_year BIGINT NOT NULL, "
                      "route TEXT NOT NULL, max_year BIGINT NOT NULL, cq_on TEXT, cq_basis TEXT",
    "rm_cpu_placement": "learner_id TEXT NOT NULL, seq BIGINT NOT NULL, fase BIGINT NOT NULL, "
                        "option_code TEXT NOT NULL, school_year BIGINT NOT NULL, year BIGINT NOT NULL, "
                        "c2d BIGINT NOT NULL, from_date TEXT NOT NULL, PRIMARY KEY (learner_id, seq)",
    "rm_cpu_attempt": "learner_id TEXT NOT NULL, version BIGINT NOT NULL, fase BIGINT NOT NULL, "
                      "option_code TEXT NOT NULL, school_year BIGINT NOT NULL, uaa TEXT NOT NULL, "
                      "uaa_year BIGINT NOT NULL, units_in_year BIGINT NOT NULL, nth BIGINT NOT NULL, "
                      "passed BIGINT NOT NULL, on_date TEXT NOT NULL, PRIMARY KEY (learner_id, version)",
    "rm_cpu_validation": "learner_id TEXT NOT NULL, uaa TEXT NOT NULL, fase BIGINT NOT NULL, "
                         "option_code TEXT NOT NULL, school_year BIGINT NOT NULL, via TEXT NOT NULL, "
                         "validated_on TEXT NOT NULL, authorised_on TEXT, PRIMARY KEY (learner_id, uaa)",
    "rm_cpu_report": "learner_id TEXT NOT NULL, version BIGINT NOT NULL, from_fase BIGINT NOT NULL, "
                     "to_fase BIGINT NOT NULL, option_code TEXT NOT NULL, requested_on TEXT NOT NULL, "
                     "due_by TEXT NOT NULL, sent_on TEXT, late BIGINT NOT NULL, "
                     "PRIMARY KEY (learner_id, version)",
    "rm_clea_candidate": "candidate_id TEXT PRIMARY KEY, certificate_type TEXT NOT NULL, "
                         "evaluator_siret TEXT NOT NULL, region TEXT NOT NULL, registered_on TEXT NOT NULL, "
                         "prealable_on TEXT, window_ends_on TEXT, planned BIGINT NOT NULL, "
                         "trained BIGINT NOT NULL, final_evaluated BIGINT NOT NULL, "
                         "jury_awarded BIGINT NOT NULL, certified_on TEXT, window_missed BIGINT NOT NULL, "
                         "accrochage_due TEXT, accrochage_on TEXT, accrochage_late BIGINT NOT NULL",
}
LEARNER_TABLES = ("rm_cpu_learner", "rm_cpu_placement", "rm_cpu_attempt", "rm_cpu_validation",
                  "rm_cpu_report")
Row = tuple[Any, ...]


@dataclass
class Facts:
    """Rows to write, by table."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in TABLES})


class StatsProjection(AggregateProjection):
    """Keeps the statistics facts equal to the effective decisions of every aggregate."""

    name = "stats"
    topics = (LEARNER_TOPIC, CANDIDATE_TOPIC, OPTION_TOPIC)
    ddl = tuple(f"CREATE TABLE IF NOT EXISTS {t} ({cols})" for t, cols in TABLES.items())
    tables = tuple(TABLES)

    def write(self, db: Db, touched: list[Touched]) -> None:
        """Delete and rewrite the facts of every touched aggregate."""
        facts = Facts()
        learners, candidates, options = [], [], []
        for agg, items in touched:
            if isinstance(agg, Learner):
                learners.append(str(agg.id))
                learner_facts(agg, facts)
            elif isinstance(agg, Candidate):
                candidates.append(str(agg.id))
                facts.rows["rm_clea_candidate"].append(candidate_row(agg))
            elif isinstance(agg, SchoolOption):
                options.append(f"{agg.fase}:{agg.option_code}")
                facts.rows["rm_cpu_option"].append(option_row(agg, [e for _, e in items]))
        delete_for(db, LEARNER_TABLES, "learner_id", learners)
        delete_for(db, ("rm_clea_candidate",), "candidate_id", candidates)
        delete_for(db, ("rm_cpu_option",), "option_key", options)
        for table, rows in facts.rows.items():
            if rows:
                marks = ", ".join("?" for _ in rows[0])
                db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)


def option_row(opt: SchoolOption, events: list[Any]) -> Row:
    """The facts of an option opened at a school (its only event is the opening)."""
    opened = next((e for e in events if isinstance(e, SchoolOption.Opened)), None)
    replaces = int(bool(opened and opened.replaces_transformed_option))
    return (f"{opt.fase}:{opt.option_code}", opt.fase, opt.option_code, opt.form,
            opt.first_school_year, replaces)


@dataclass
class _Walk:
    """Where the learner stands while its decisions are walked in order."""

    fase: int = 0
    sy: int = 0
    year: int = 0
    c2d: bool = False
    seq: int = 0
    nth: dict[str, int] = field(default_factory=dict)
    authorised: dict[str, str] = field(default_factory=dict)


def learner_facts(learner: Learner, facts: Facts) -> None:
    """Placements, attempts, validations, reports and the learner row of one CPU learner."""
    lid, option = str(learner.id), learner.option_code
    profile = ref.profile_version(learner.profile_version)
    walk = _Walk()
    reports: dict[int, list[Any]] = {}
    for ev in learner.effective():
        if isinstance(ev, Learner.Admitted | Learner.Promoted | Learner.YearRepeated
                      | Learner.Transferred):
            _place(ev, walk)
            facts.rows["rm_cpu_placement"].append(
                (lid, walk.seq, walk.fase, option, walk.sy, walk.year, int(walk.c2d),
                 ev.decision.effective_date.isoformat()))
        elif isinstance(ev, Learner.TestAuthorised):
            walk.authorised.setdefault(ev.uaa, ev.decision.effective_date.isoformat())
        elif isinstance(ev, Learner.UnitAttempted):
            spec = profile.uaa_by_code(ev.uaa)
            uaa_year = spec.year if spec else walk.year
            walk.nth[ev.uaa] = walk.nth.get(ev.uaa, 0) + 1
            facts.rows["rm_cpu_attempt"].append(
                (lid, ev.originator_version, walk.fase, option, walk.sy, ev.uaa, uaa_year,
                 len(profile.uaa_of_year(uaa_year)), walk.nth[ev.uaa], int(ev.passed),
                 ev.decision.effective_date.isoformat()))
        elif isinstance(ev, Learner.UnitValidated):
            facts.rows["rm_cpu_validation"].append(
                (lid, ev.uaa, walk.fase, option, walk.sy, ev.via.value,
                 ev.decision.effective_date.isoformat(), walk.authorised.get(ev.uaa)))
        elif isinstance(ev, Learner.CompetenceReportRequested):
            reports[ev.originator_version] = [
                lid, ev.originator_version, ev.from_fase, walk.fase, option,
                ev.requested_on.isoformat(), ev.due_by.isoformat(), None, 0]
        elif isinstance(ev, Learner.CompetenceReportSent):
            _sent(reports, ev)
    facts.rows["rm_cpu_report"].extend(tuple(r) for r in reports.values())
    facts.rows["rm_cpu_learner"].append(_learner_row(learner, facts))


def _place(ev: Any, walk: _Walk) -> None:
    walk.seq += 1
    if isinstance(ev, Learner.Admitted):
        walk.fase, walk.sy, walk.year = ev.fase, ev.school_year, ev.year
        walk.c2d = ev.route is Route.A4_C2D
    elif isinstance(ev, Learner.Promoted):
        walk.sy, walk.year, walk.c2d = ev.school_year, ev.to_year, False
    elif isinstance(ev, Learner.YearRepeated):
        walk.sy, walk.year, walk.c2d = ev.school_year, ev.year, ev.c2d
    else:
        walk.fase = ev.to_fase


def _sent(reports: dict[int, list[Any]], ev: Learner.CompetenceReportSent) -> None:
    for report in reversed(reports.values()):
        if report[2] == ev.from_fase and report[7] is None:
            report[7], report[8] = ev.sent_on.isoformat(), int(ev.late)
            return


def _learner_row(learner: Learner, facts: Facts) -> Row:
    admitted = next(ev for ev in learner.log.values() if isinstance(ev, Learner.Admitted))
    lid = str(learner.id)
    years = [r[5] for r in facts.rows["rm_cpu_placement"] if r[0] == lid]
    cq = learner.active_certificate(CertificateKind.CQ)
    return (lid, admitted.fase, learner.option_code, learner.form, admitted.school_year,
            admitted.year, admitted.route.value, max(years, default=admitted.year),
            cq.decision.effective_date.isoformat() if cq else None,
            cq.basis.value if cq else None)


def candidate_row(cand: Candidate) -> Row:
    """The facts of one CléA candidacy."""
    registered = next(ev for ev in cand.log.values() if isinstance(ev, Candidate.Registered))
    pre = cand.prealable()
    cert = cand.active_certificate()
    jury = cand.jury()
    acc = cand.accrochage(cert.certificate_id) if cert else None
    missed = any(ev.kind.value == "validity_window" for ev in cand.of_type(Candidate.DeadlineMissed))
    return (str(cand.id), cand.certificate.value, cand.evaluator_siret, cand.evaluator_region.value,
            registered.decision.effective_date.isoformat(),
            pre.decision.effective_date.isoformat() if pre else None,
            pre.window_ends_on.isoformat() if pre else None,
            int(bool(cand.in_window(Candidate.TrainingPlanAssigned))),
            int(bool(cand.in_window(Candidate.TrainingCompleted))),
            int(bool(cand.in_window(Candidate.FinalEvaluationRecorded))),
            int(bool(jury and jury.awarded)),
            cert.issued_on.isoformat() if cert else None, int(missed),
            cert.accrochage_due_by.isoformat() if cert and cert.accrochage_due_by else None,
            acc.reported_on.isoformat() if acc else None, int(bool(acc and acc.late)))
