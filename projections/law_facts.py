"""The law's recorded facts per school (``ledger stats school FASE``, section ``law``).

A small read model of its own (``law``), beside the ``stats`` facts: one row per recorded
fact an inspector looks for in a school's statistics (issue 18):

- ``flag``: a duty of the Arrêté not met (``Learner.DutyFlagged``, Art. 4 §6 and others), and a
  legal deadline missed (``Learner.DeadlineMissed``, e.g. the PSSA or the competence report);
- ``appeal``: a recours externe lodged against a réorientation or C2D attestation, and its
  outcome when decided (Art. 4 §1 last paragraph);
- ``c2d_programme``: the C2D pupil's support programme written (Art. 4 §1 4°);
- ``creation_norm``: the 1 October count of a newly created option checked (Art. 6 §3).

Each row is keyed by the aggregate and the version of its event, so a corrected decision
replaces its row and a revoked one deletes it; a learner's school and option are those of the
learner when the fact was recorded (kept in ``rm_law_place``). ``schema_version`` rebuilds the
model when its rows change meaning.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from html import escape
from typing import Any

import orjson
from eventsourcing.persistence import Notification

from ledger.adapters.follower import Db
from ledger.i18n import _, format_date
from ledger.i18n.vocabulary import label
from projections.base import (
    LEARNER_TOPIC,
    OPTION_TOPIC,
    SharedBatch,
    TableProjection,
    decode_state,
    group_by_aggregate,
    select_in,
)
from projections.html import html_table

TABLES = {
    "rm_law_place": "aggregate_id TEXT PRIMARY KEY, fase BIGINT NOT NULL, option_code TEXT NOT NULL",
    "rm_law_fact": (
        "aggregate_id TEXT NOT NULL, version BIGINT NOT NULL, fase BIGINT NOT NULL, "
        "option_code TEXT NOT NULL, school_year BIGINT NOT NULL, kind TEXT NOT NULL, "
        "rule TEXT NOT NULL, detail TEXT NOT NULL, PRIMARY KEY (aggregate_id, version)"
    ),
}
# event class name → (kind, rule) of the fact it records
FACTS = {
    "DutyFlagged": ("flag", ""),
    "DeadlineMissed": ("flag", "deadline_missed"),
    "AppealLodged": ("appeal", "cpu.appeal_against_reorientation_or_c2d"),
    "AppealDecided": ("appeal_decided", "cpu.appeal_outcome_needs_lodged_appeal"),
    "C2DProgrammeWritten": ("c2d_programme", "cpu.c2d_programme"),
    "CreationNormChecked": ("creation_norm", "cpu.creation_norm_on_1_october"),
}
Event = tuple[str, int, str, dict[str, Any]]  # aggregate id, version, class name, state


def school_year_of(day: date) -> int:
    """The school year (1 September – 31 August) of ``day``, by its first calendar year."""
    return day.year if day.month >= 9 else day.year - 1


class LawFactsProjection(TableProjection):
    """Keeps ``rm_law_fact`` equal to the effective flags, appeals, C2D programmes, norm checks."""

    name = "law"
    schema_version = 1
    topics = (LEARNER_TOPIC, OPTION_TOPIC)
    ddl = tuple(f"CREATE TABLE IF NOT EXISTS {t} ({cols})" for t, cols in TABLES.items())
    tables = tuple(TABLES)

    def prepare(self, batch: Sequence[Notification]) -> list[Event]:
        """The batch's events this model reads, decoded (no database)."""
        out: list[Event] = []
        classes = _CLASSES
        decoded: dict[int, dict[str, Any]] = {}
        known: dict[int, bool] = {}  # whether an event corrects, found by a read model before
        if isinstance(batch, SharedBatch):
            decoded, known = batch.states, batch.corrects
        append = out.append
        for agg_id, items in group_by_aggregate(batch, self.topics).items():
            for n in items:
                found = classes.get(n.topic)
                if found is None:
                    found = _class_of(n.topic)
                if not found[1]:
                    corrects = known.get(n.id)
                    if corrects is None:
                        corrects = _corrects(n, decoded.get(n.id))
                    if not corrects:
                        continue
                append((agg_id, n.originator_version, found[0], decode_state(n, batch)))
        return out

    def write(self, db: Db, prepared: list[Event]) -> None:
        """Place aggregates, then insert, replace or delete their facts in event order.

        Set-based: the stored places of the batch's aggregates are read in one query, the
        fact statements go in runs of the same statement (in event order), the new places
        at the end (only the batch's own events read them meanwhile, from ``places``).
        """
        stored = _stored_places(db, _unplaced(prepared))
        places: dict[str, tuple[int, str]] = {}
        facts = _Runs(db)
        for agg_id, version, cls, state in prepared:
            decision = state.get("decision") or {}
            corrects = decision.get("corrects")
            if corrects is not None:
                facts.add(DELETE_FACT, (agg_id, corrects))
            if cls == "DecisionRevoked":
                facts.add(DELETE_FACT, (agg_id, state["revokes"]))
            elif cls in ("Admitted", "Opened", "Transferred", "Promoted"):
                places[agg_id] = _placed(places.get(agg_id) or stored.get(agg_id, NO_PLACE), cls, state)
            elif cls in FACTS:
                fase, option = places.get(agg_id) or stored.get(agg_id, NO_PLACE)
                year, kind, rule, detail = _fact(cls, state)
                if cls == "AppealDecided":
                    facts.flush()  # the appeal it decides may be in this batch
                    year, detail = _with_appeal(db, agg_id, state["target"], year, detail)
                facts.add(
                    INSERT_FACT,
                    (agg_id, version, fase, option, year, kind, rule, orjson.dumps(detail).decode()),
                )
        facts.flush()
        db.insert_many(UPSERT_PLACE, [(agg_id, *place) for agg_id, place in places.items()])


_CLASSES: dict[str, tuple[str, bool]] = {}
"""Topic → (event class name, read whatever it holds), filled by :func:`_class_of`."""
CORRECTS = b'"corrects":'
NOT_CORRECTING = b'"corrects":null'


def _class_of(topic: str) -> tuple[str, bool]:
    """The event class name of a topic, and whether this model reads every event of it."""
    cls = topic.rsplit(".", 1)[-1]
    found = _CLASSES[topic] = (
        cls,
        cls in FACTS or cls in ("Admitted", "Opened", "Transferred", "DecisionRevoked", "Promoted"),
    )
    return found


def _corrects(n: Notification, state: dict[str, Any] | None) -> bool:
    """Whether the event corrects an earlier decision.

    From its state when another read model of the batch decoded it already, else from its
    bytes (``"corrects":`` not followed by null).
    """
    if state is not None:
        return (state.get("decision") or {}).get("corrects") is not None
    raw = n.state
    return NOT_CORRECTING not in raw and CORRECTS in raw


NO_PLACE = (0, "")
DELETE_FACT = "DELETE FROM rm_law_fact WHERE aggregate_id = ? AND version = ?"
INSERT_FACT = "INSERT INTO rm_law_fact VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
UPSERT_PLACE = (
    "INSERT INTO rm_law_place (aggregate_id, fase, option_code) VALUES (?, ?, ?) ON CONFLICT (aggregate_id) "
    "DO UPDATE SET fase = excluded.fase, option_code = excluded.option_code"
)
PLACING = frozenset({"Admitted", "Opened"})
"""Events that place an aggregate whatever its stored place (their state names both)."""


class _Runs:
    """Statements kept in order and sent in runs of the same statement (one call per run)."""

    def __init__(self, db: Db) -> None:
        self.db = db
        self.sql = ""
        self.rows: list[tuple[Any, ...]] = []

    def add(self, sql: str, row: tuple[Any, ...]) -> None:
        """Queue ``sql`` for ``row`` after everything queued before."""
        if sql != self.sql:
            self.flush()
            self.sql = sql
        self.rows.append(row)

    def flush(self) -> None:
        """Send the run queued so far."""
        if self.rows:
            if self.sql == INSERT_FACT:
                self.db.insert_many(self.sql, self.rows)  # (aggregate, version) distinct
            else:
                self.db.executemany(self.sql, self.rows)
        self.rows = []


def _with_appeal(
    db: Db, agg_id: str, target: int, year: int, detail: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """An outcome counts in the school year of the appeal it decides, against the same decision."""
    rows = db.execute(
        "SELECT school_year, detail FROM rm_law_fact WHERE aggregate_id = ? AND kind = 'appeal'", (agg_id,)
    ).fetchall()
    for sy, raw in rows:
        lodged = orjson.loads(raw)
        if lodged["target"] == target:
            return int(sy), {**detail, "against": lodged["against"]}
    return year, detail


def _unplaced(prepared: list[Event]) -> list[str]:
    """The aggregates whose stored place the batch may read: all but those it opens or admits."""
    first: dict[str, str] = {}
    for agg_id, _version, cls, _state in prepared:
        first.setdefault(agg_id, cls)
    return sorted(agg_id for agg_id, cls in first.items() if cls not in PLACING)


def _stored_places(db: Db, agg_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
    """The stored school and option of each aggregate that has one."""
    rows = select_in(
        db, "SELECT aggregate_id, fase, option_code FROM rm_law_place WHERE aggregate_id IN ({})", agg_ids
    )
    return {str(r[0]): (int(r[1]), str(r[2])) for r in rows}


def _placed(before: tuple[int, str], cls: str, state: dict[str, Any]) -> tuple[int, str]:
    fase, option = before
    if cls == "Transferred":
        return int(state["to_fase"]), option
    return int(state.get("fase", fase)), str(state.get("option_code", option))


def _fact(cls: str, s: dict[str, Any]) -> tuple[int, str, str, dict[str, Any]]:
    """(school year, kind, rule, detail) of a fact event."""
    kind, rule = FACTS[cls]
    day = date.fromisoformat(s["decision"]["effective_date"])
    year = int(s.get("school_year") or school_year_of(day))
    detail: dict[str, Any] = {"on": day.isoformat(), "article": s["decision"]["legal_basis"]}
    if cls == "DutyFlagged":
        rule, detail["article"] = f"cpu.{s['rule']}", s["article"]
    elif cls == "DeadlineMissed":
        rule = f"deadline_missed:{s['kind']}"
    elif cls == "AppealLodged":
        detail |= {"target": s["target"], "against": s["target_kind"]}
    elif cls == "AppealDecided":
        detail |= {"target": s["target"], "outcome": s["outcome"], "replacement": s.get("replacement")}
    elif cls == "CreationNormChecked":
        detail |= {"fourth_year_pupils": s["fourth_year_pupils"], "met": s["met"]}
    return year, kind, rule, detail


def school_law_facts(db: Db, fase: int) -> dict[str, Any]:
    """The school's flags, appeals, C2D programmes and creation-norm checks by option and year."""
    rows = db.execute(
        "SELECT option_code, school_year, kind, rule, detail FROM rm_law_fact WHERE fase = ? "
        "ORDER BY option_code, school_year, aggregate_id, version",
        (fase,),
    ).fetchall()
    flags: dict[tuple[str, int, str, str], int] = defaultdict(int)
    appeals: dict[tuple[str, int, str], dict[str, int]] = {}
    c2d: dict[tuple[str, int], int] = defaultdict(int)
    norms: list[dict[str, Any]] = []
    for option, sy, kind, rule, raw in rows:
        d = orjson.loads(raw)
        if kind == "flag":
            flags[(option, int(sy), rule, d["article"])] += 1
        elif kind == "appeal":
            _appeal(appeals, option, int(sy), d["against"])["lodged"] += 1
        elif kind == "appeal_decided":
            # the outcome counts in the school year of the appeal it decides
            _appeal(appeals, option, int(sy), d.get("against", ""))[d["outcome"]] += 1
        elif kind == "c2d_programme":
            c2d[(option, int(sy))] += 1
        elif kind == "creation_norm":
            norms.append({"option_code": option, "school_year": int(sy), **d})
    return {
        "flags": [
            {"option_code": o, "school_year": y, "rule": r, "article": a, "count": n}
            for (o, y, r, a), n in sorted(flags.items())
        ],
        "appeals": [
            {"option_code": o, "school_year": y, "against": k, **v}
            for (o, y, k), v in sorted(appeals.items())
        ],
        "c2d_programmes": [
            {"option_code": o, "school_year": y, "written": n} for (o, y), n in sorted(c2d.items())
        ],
        "creation_norm_checks": norms,
    }


def _appeal(
    acc: dict[tuple[str, int, str], dict[str, int]], option: str, sy: int, against: str
) -> dict[str, int]:
    return acc.setdefault((option, sy, against), {"lodged": 0, "confirmed": 0, "reformed": 0})


def add_law_columns(rows: list[dict[str, Any]], law: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``--csv`` rows (one per option and school year) with the law's counts added."""
    count: dict[tuple[str, int, str], int] = defaultdict(int)
    for f in law["flags"]:
        count[(f["option_code"], f["school_year"], "flags")] += f["count"]
    for a in law["appeals"]:
        for key in ("lodged", "reformed"):
            count[(a["option_code"], a["school_year"], f"appeals_{key}")] += a[key]
    for c in law["c2d_programmes"]:
        count[(c["option_code"], c["school_year"], "c2d_programmes")] += c["written"]
    for n in law["creation_norm_checks"]:
        count[(n["option_code"], n["school_year"], "creation_norm_checks_failed")] += not n["met"]
    keys = ("flags", "appeals_lodged", "appeals_reformed", "c2d_programmes", "creation_norm_checks_failed")
    return [{**r, **{k: count[(r["option_code"], r["school_year"], k)] for k in keys}} for r in rows]


def law_html(law: dict[str, Any]) -> str:
    """The law section of the school's HTML report in the reader's language (tables, escaped)."""
    out = []
    none = escape(_("none"))
    for title, meaning, key in _law_sections():
        rows = [{k: _law_value(k, v) for k, v in r.items()} for r in law[key]]
        table = html_table(rows, [(k, _law_heading(k)) for k in rows[0]], title) if rows else f"<p>{none}</p>"
        out.append(f'<h2>{escape(title)}</h2><p class="meaning">{escape(meaning)}</p>{table}')
    return "".join(out)


def _law_sections() -> tuple[tuple[str, str, str], ...]:
    """(title, legal meaning, key) of each law section, in the current language."""
    return (
        (
            _("Duties flagged and deadlines missed"),
            _(
                "Duties of the Arrêté of 29 August 2018 the school was warned about, "
                "and legal deadlines it missed."
            ),
            "flags",
        ),
        (
            _("External appeals (Art. 4 §1)"),
            _(
                "Recours externes lodged against a decision of the conseil de classe, "
                "and how they were decided."
            ),
            "appeals",
        ),
        (
            _("C2D programmes (Art. 4 §1 4°)"),
            _("Individual programmes written for pupils in a complementary year (C2D)."),
            "c2d_programmes",
        ),
        (
            _("Creation norm checks on 1 October (Art. 6 §3)"),
            _("Pupils counted in 4th year on 1 October against the option's creation norm."),
            "creation_norm_checks",
        ),
    )


def _law_heading(key: str) -> str:
    return {
        "option_code": _("option"),
        "school_year": _("school year"),
        "rule": _("duty or deadline"),
        "article": _("article"),
        "count": _("count"),
        "against": _("appeal against"),
        "lodged": _("lodged"),
        "confirmed": _("confirmed"),
        "reformed": _("reformed"),
        "written": _("programmes written"),
        "on": _("date"),
        "fourth_year_pupils": _("pupils in 4th year"),
        "met": _("norm met"),
    }.get(key, key.replace("_", " "))


def _law_value(key: str, value: Any) -> Any:
    if key == "school_year" and isinstance(value, int):
        return f"{value}-{value + 1}"
    if key == "on" and isinstance(value, str):
        return format_date(date.fromisoformat(value))
    if key in ("rule", "against"):
        return label(value)
    return value
