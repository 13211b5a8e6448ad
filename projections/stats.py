"""Read model ``stats``: compact facts per option, learner, placement, UAA and candidate.

School and CléA statistics (:mod:`projections.stats_cpu`, :mod:`projections.stats_clea`) are
computed from these tables with plain SQL reads, never by replaying the log. Facts are a
pure function of each aggregate's effective decisions (revoked or corrected ones do not
count). ``rm_stats_digest`` keeps, per aggregate, the compact digest of the events the facts
depend on; a batch reads the digests of the aggregates it touches in one query, computes
their facts before and after the batch's events on plain dicts (no pydantic on the hot path
for CPU learners), and writes only the rows that changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Notification, StoredEvent

from ledger.domain.clea.aggregates import Candidate
from ledger.follower import Db
from ledger.reference import cpu as ref
from ledger.store import OrjsonTranscoder, PydanticMapper
from projections.base import (
    CANDIDATE_TOPIC,
    LEARNER_TOPIC,
    OPTION_TOPIC,
    TableProjection,
    decode_state,
    group_by_aggregate,
    select_in,
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
    "rm_stats_digest": "aggregate_id TEXT NOT NULL, version BIGINT NOT NULL, "
                       "event TEXT NOT NULL, PRIMARY KEY (aggregate_id, version)",
    "rm_stats_state": "learner_id TEXT PRIMARY KEY, state TEXT NOT NULL",
}
LEARNER_TABLES = ("rm_cpu_learner", "rm_cpu_placement", "rm_cpu_attempt", "rm_cpu_validation",
                  "rm_cpu_report")
KEYS: dict[str, tuple[str, ...]] = {  # primary key columns: rows are diffed and deleted by key
    "rm_cpu_option": ("option_key",), "rm_cpu_learner": ("learner_id",),
    "rm_cpu_placement": ("learner_id", "seq"), "rm_cpu_attempt": ("learner_id", "version"),
    "rm_cpu_validation": ("learner_id", "uaa"), "rm_cpu_report": ("learner_id", "version"),
    "rm_clea_candidate": ("candidate_id",),
}
Row = tuple[Any, ...]
Digest = list[Any]

PLACEMENTS = frozenset({"Admitted", "Promoted", "YearRepeated", "Transferred"})
KEPT = PLACEMENTS | {"TestAuthorised", "UnitAttempted", "UnitValidated", "CompetenceReportRequested",
                     "CompetenceReportSent", "CertificateIssued", "CertificateRevoked",
                     "DecisionRevoked"}
FIELDS = ("fase", "option_code", "form", "profile_version", "school_year", "year", "route",
          "to_year", "c2d", "to_fase", "uaa", "passed", "via", "from_fase", "requested_on",
          "due_by", "sent_on", "late", "kind", "basis", "revokes")
APPEND_DIGEST = "INSERT INTO rm_stats_digest (aggregate_id, version, event) VALUES (?, ?, ?)"
ADMITTED = ("fase", "option_code", "form", "profile_version", "school_year", "year", "route")
UPSERT_STATE = ("INSERT INTO rm_stats_state (learner_id, state) VALUES (?, ?) "
                "ON CONFLICT (learner_id) DO UPDATE SET state = excluded.state")


@dataclass
class Facts:
    """Rows to write, by table."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in KEYS})


@dataclass
class _Change:
    """Rows to delete (by key) and to insert, by table, for one batch."""

    deletes: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in KEYS})
    inserts: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in KEYS})

    def diff(self, before: Facts, after: Facts) -> None:
        """Add what turns ``before`` into ``after``."""
        for table, new_rows in after.rows.items():
            old_rows = before.rows[table]
            if not old_rows:
                self.inserts[table].extend(new_rows)
                continue
            width = len(KEYS[table])
            old = {r[:width]: r for r in old_rows}
            new = {r[:width]: r for r in new_rows}
            self.deletes[table].extend(k for k, r in old.items() if new.get(k) != r)
            self.inserts[table].extend(r for k, r in new.items() if old.get(k) != r)

    def write(self, db: Db) -> None:
        """Delete the changed rows by key, then insert their new versions."""
        for table, cols in KEYS.items():
            if self.deletes[table]:
                where = " AND ".join(f"{c} = ?" for c in cols)
                db.executemany(f"DELETE FROM {table} WHERE {where}", self.deletes[table])
            if self.inserts[table]:
                marks = ", ".join("?" for _ in self.inserts[table][0])
                db.executemany(f"INSERT INTO {table} VALUES ({marks})", self.inserts[table])


class StatsProjection(TableProjection):
    """Keeps the statistics facts equal to the effective decisions of every aggregate."""

    name = "stats"
    schema_version = 4
    topics = (LEARNER_TOPIC, CANDIDATE_TOPIC, OPTION_TOPIC)
    ddl = tuple(f"CREATE TABLE IF NOT EXISTS {t} ({cols})" for t, cols in TABLES.items())
    tables = tuple(TABLES)

    def apply(self, db: Db, batch: Sequence[Notification]) -> None:
        """Write the facts each touched aggregate's new events change.

        A learner is walked on from its saved state (from its whole digest when a decision is
        voided); candidates and options are recomputed from their digest.
        """
        new = _kept_lines(batch, self.topics)
        if not new:
            return
        change, saved = _changes(db, new)
        change.write(db)
        db.executemany(APPEND_DIGEST, [(a, version, line) for a, (_, lines) in new.items()
                                       for version, line in lines])
        if saved:
            db.executemany(UPSERT_STATE, saved)


Lines = dict[str, tuple[str, list[tuple[int, str]]]]


def _kept_lines(batch: Sequence[Notification], topics: tuple[str, ...]) -> Lines:
    """Kind and digest lines (version, line) of each aggregate whose facts the batch may change."""
    new: Lines = {}
    for agg_id, items in group_by_aggregate(batch, topics).items():
        kind = _kind(items[0].topic)
        lines = [(n.originator_version, line) for n in items if (line := _line(kind, n, batch))]
        if lines:  # otherwise nothing the facts depend on changed
            new[agg_id] = (kind, lines)
    return new


def _changes(db: Db, new: Lines) -> tuple[_Change, list[tuple[str, str]]]:
    """The fact rows to change, and the learner states to save."""
    learners = [a for a, (kind, _) in new.items() if kind == "learner"]
    states = {r[0]: orjson.loads(r[1]) for r in select_in(
        db, "SELECT learner_id, state FROM rm_stats_state WHERE learner_id IN ({})", learners)}
    parsed = {a: _parse(lines) for a, (_, lines) in new.items()}
    replay = [a for a, (kind, _) in new.items()
              if kind != "learner" or (a in states and _voided(parsed[a]))]
    digests = _digests(db, replay)
    change, saved = _Change(), []
    for agg_id, (kind, _) in new.items():
        events = parsed[agg_id]
        if kind != "learner":
            before = facts_of(kind, agg_id, digests[agg_id]) if agg_id in digests else Facts()
            change.diff(before, facts_of(kind, agg_id, digests.get(agg_id, []) + events))
            continue
        walk = _learner_change(change, agg_id, states.get(agg_id), digests.get(agg_id), events)
        saved.append((agg_id, orjson.dumps(walk.state()).decode()))
    return change, saved


def _digests(db: Db, ids: list[str]) -> dict[str, Digest]:
    """The digests (every event kept so far, in version order) of ``ids``."""
    rows = select_in(db, "SELECT aggregate_id, version, event FROM rm_stats_digest "
                         "WHERE aggregate_id IN ({})", ids)
    out: dict[str, list[tuple[int, str]]] = {}
    for agg_id, version, line in rows:
        out.setdefault(agg_id, []).append((int(version), str(line)))
    return {agg_id: _parse(sorted(lines)) for agg_id, lines in out.items()}


def _kind(topic: str) -> str:
    if topic.startswith(LEARNER_TOPIC):
        return "learner"
    return "candidate" if topic.startswith(CANDIDATE_TOPIC) else "option"


def _line(kind: str, n: Notification, batch: Sequence[Notification]) -> str:
    """One digest line: compact fields of a learner event, the stored form otherwise."""
    if kind != "learner":
        return orjson.dumps([n.originator_version, n.topic, orjson.Fragment(n.state)]).decode()
    short = n.topic.rsplit(".", 1)[-1]
    state = decode_state(n, batch)
    decision = state.get("decision") or {}
    corrects = decision.get("corrects")
    if short not in KEPT and corrects is None:
        return ""
    compact = {k: state[k] for k in FIELDS if k in state}
    compact.update(v=n.originator_version, t=short, eff=decision.get("effective_date"),
                   cor=corrects)
    return orjson.dumps(compact).decode()


def _parse(lines: list[tuple[int, str]]) -> Digest:
    result: Digest = orjson.loads("[" + ",".join(line for _, line in lines) + "]")
    return result


def facts_of(kind: str, agg_id: str, events: Digest) -> Facts:
    """The facts of one aggregate from its digest."""
    facts = Facts()
    if kind == "learner":
        learner_facts(agg_id, events, facts)
    elif kind == "candidate":
        facts.rows["rm_clea_candidate"].append(candidate_row(_replay(agg_id, events)))
    else:
        facts.rows["rm_cpu_option"].append(option_row(events[0][2]))
    return facts


_MAPPER = PydanticMapper(transcoder=OrjsonTranscoder())


def _replay(agg_id: str, events: Digest) -> Any:
    agg: Any = None
    ident = UUID(agg_id)
    for version, topic, state in events:
        agg = _MAPPER.to_domain_event(StoredEvent(
            originator_id=ident, originator_version=int(version), topic=topic,
            state=orjson.dumps(state))).mutate(agg)
    return agg


def option_row(opened: dict[str, Any]) -> Row:
    """The facts of an option opened at a school (its only event is the opening)."""
    return (f"{opened['fase']}:{opened['option_code']}", opened["fase"], opened["option_code"],
            opened["form"], opened["first_school_year"],
            int(bool(opened["replaces_transformed_option"])))


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


@cache
def _profile(version: str) -> tuple[dict[str, int], dict[int, int]]:
    """UAA → year, and year → number of UAA, of a profile version."""
    profile = ref.profile_version(version)
    years = {u.code: u.year for u in profile.uaa}
    return years, {y: len(profile.uaa_of_year(y)) for y in (4, 5, 6)}


def _voided(events: Digest) -> set[int]:
    voided: set[int] = set()
    for ev in events:
        if ev["cor"] is not None and ev["t"] != "Admitted":
            voided.add(ev["cor"])
        if ev["t"] in ("CertificateRevoked", "DecisionRevoked"):
            voided.add(ev["revokes"])
    return voided


class _LearnerWalk:
    """A CPU learner's effective decisions walked in order, producing its facts.

    Its :meth:`state` is saved in ``rm_stats_state`` so the next batch walks on from it.
    """

    def __init__(self, lid: str, admitted: dict[str, Any], voided: set[int]) -> None:
        self.lid, self.voided = lid, voided
        self.admitted = {k: admitted[k] for k in ADMITTED}
        self.walk = _Walk()
        self.reports: list[list[Any]] = []
        self.cq: list[Any] | None = None
        self.max_year: int | None = None
        self.facts = Facts()

    @classmethod
    def resume(cls, lid: str, state: dict[str, Any]) -> _LearnerWalk:
        """The walk where a saved state left it (no decision voided since)."""
        walk = cls(lid, state["a"], set())
        fase, sy, year, c2d, seq, nth, authorised = state["w"]
        walk.walk = _Walk(fase, sy, year, c2d, seq, nth, authorised)
        walk.reports, walk.cq, walk.max_year = state["r"], state["cq"], state["m"]
        return walk

    def state(self) -> dict[str, Any]:
        """What :meth:`resume` needs."""
        w = self.walk
        return {"a": self.admitted, "w": [w.fase, w.sy, w.year, w.c2d, w.seq, w.nth, w.authorised],
                "r": self.reports, "cq": self.cq, "m": self.max_year}

    def feed(self, events: Digest) -> None:
        """Walk more events (those voided are skipped)."""
        for ev in events:
            if ev["v"] not in self.voided:
                self._one(ev)

    def _one(self, ev: dict[str, Any]) -> None:
        t, walk, rows, lid = ev["t"], self.walk, self.facts.rows, self.lid
        option = self.admitted["option_code"]
        if t in PLACEMENTS:
            _place(ev, walk)
            self.max_year = max(walk.year, self.max_year or walk.year)
            rows["rm_cpu_placement"].append((lid, walk.seq, walk.fase, option, walk.sy, walk.year,
                                             int(walk.c2d), ev["eff"]))
        elif t == "TestAuthorised":
            walk.authorised.setdefault(ev["uaa"], ev["eff"])
        elif t == "UnitAttempted":
            uaa_year, units = _profile(self.admitted["profile_version"])
            year = uaa_year.get(ev["uaa"], walk.year)
            walk.nth[ev["uaa"]] = walk.nth.get(ev["uaa"], 0) + 1
            rows["rm_cpu_attempt"].append((lid, ev["v"], walk.fase, option, walk.sy, ev["uaa"], year,
                                           units.get(year, 0), walk.nth[ev["uaa"]],
                                           int(ev["passed"]), ev["eff"]))
        elif t == "UnitValidated":
            rows["rm_cpu_validation"].append((lid, ev["uaa"], walk.fase, option, walk.sy, ev["via"],
                                              ev["eff"], walk.authorised.get(ev["uaa"])))
        elif t == "CompetenceReportRequested":
            self.reports.append([lid, ev["v"], ev["from_fase"], walk.fase, option,
                                 ev["requested_on"], ev["due_by"], None, 0])
        elif t == "CompetenceReportSent":
            _sent(self.reports, ev)
        elif t == "CertificateIssued" and ev["kind"] == "CQ":
            self.cq = [ev["eff"], ev["basis"]]

    def report_rows(self) -> list[Row]:
        """The competence reports as they stand."""
        return [tuple(r) for r in self.reports]

    def learner_row(self) -> Row:
        """The learner row as it stands."""
        a, cq = self.admitted, self.cq
        max_year = self.max_year if self.max_year is not None else a["year"]
        return (self.lid, a["fase"], a["option_code"], a["form"], a["school_year"], a["year"],
                a["route"], max_year, cq[0] if cq else None, cq[1] if cq else None)

    def finish(self) -> Facts:
        """The facts walked so far, with the reports and the learner row."""
        self.facts.rows["rm_cpu_report"] = self.report_rows()
        self.facts.rows["rm_cpu_learner"] = [self.learner_row()]
        return self.facts


def learner_facts(lid: str, events: Digest, facts: Facts) -> _LearnerWalk:
    """Placements, attempts, validations, reports and the learner row of one CPU learner."""
    walk = _LearnerWalk(lid, events[0], _voided(events))
    walk.feed(events)
    for table, rows in walk.finish().rows.items():
        facts.rows[table].extend(rows)
    return walk


def _learner_change(change: _Change, lid: str, state: dict[str, Any] | None,
                    digest: Digest | None, new: Digest) -> _LearnerWalk:
    """Add the rows a learner's new events change; returns the walk at their end.

    From a saved state (no decision voided since) the rows of the old events are unchanged:
    only the rows of the new events, the reports and the learner row change. When the new
    events void a decision, the facts before and after are recomputed from the digest.
    """
    if digest is not None:
        before, after = Facts(), Facts()
        learner_facts(lid, digest, before)
        walk = learner_facts(lid, digest + new, after)
        change.diff(before, after)
        return walk
    before = Facts()
    if state is None:
        walk = _LearnerWalk(lid, new[0], _voided(new))
    else:
        walk = _LearnerWalk.resume(lid, state)
        before.rows["rm_cpu_report"] = walk.report_rows()
        before.rows["rm_cpu_learner"] = [walk.learner_row()]
    walk.feed(new)
    change.diff(before, walk.finish())
    return walk


def _place(ev: dict[str, Any], walk: _Walk) -> None:
    walk.seq += 1
    t = ev["t"]
    if t == "Admitted":
        walk.fase, walk.sy, walk.year = ev["fase"], ev["school_year"], ev["year"]
        walk.c2d = ev["route"] == "A4_C2D"
    elif t == "Promoted":
        walk.sy, walk.year, walk.c2d = ev["school_year"], ev["to_year"], False
    elif t == "YearRepeated":
        walk.sy, walk.year, walk.c2d = ev["school_year"], ev["year"], ev["c2d"]
    else:
        walk.fase = ev["to_fase"]


def _sent(reports: list[list[Any]], ev: dict[str, Any]) -> None:
    for report in reversed(reports):
        if report[2] == ev["from_fase"] and report[7] is None:
            report[7], report[8] = ev["sent_on"], int(ev["late"])
            return


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
