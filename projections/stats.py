"""Read model ``stats``: compact facts per option, learner, placement, UAA and candidate.

School and CléA statistics (:mod:`projections.stats_cpu`, :mod:`projections.stats_clea`) are
computed from these tables with plain SQL reads, never by replaying the log. Facts are a
pure function of each aggregate's effective decisions (revoked or corrected ones do not
count). A CPU learner's facts are walked event by event on plain dicts (no pydantic on the
hot path): the walk's state is saved beside its row in ``rm_cpu_learner`` (``walk``), so a
batch reads the walks of the learners it touches in one query, walks on from them, inserts
the rows of the new events and upserts each learner's row once. When a new event voids an
earlier decision, the learner's facts are recomputed from its events in the event store.
Candidates (whose facts need the domain's replay) are recomputed from the store once per
batch that touches them; options from their opening.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import msgspec
import orjson
from eventsourcing.persistence import Notification

from ledger.adapters.follower import Db
from ledger.application import profiles
from ledger.domain.clea.aggregates import Candidate
from projections.base import (
    CANDIDATE_TOPIC,
    LEARNER_TOPIC,
    OPTION_TOPIC,
    SharedBatch,
    TableProjection,
    decode_state,
    group_by_aggregate,
    select_in,
    stored_states,
    upcast_state,
)
from projections.errors import ReadModelStale

WALKS_IN_MEMORY = 5_000
"""Learners whose walks a rebuild keeps in memory (~4 KB each): a learner's events lie
within a few batches of the log, so a walk is rarely needed again once this many newer
learners were walked. At 20,000 the bound was reached only past 20,000 learners, so the
rebuild's peak RSS grew with the registry up to there (national run: 308 MB at 15,000
learners, 386 MB at 60,000); at 5,000 it is reached by any registry of national interest."""
OF_LEARNER = "learner_key BIGINT NOT NULL, "
"""Fact rows are keyed by the learner's admission position (``rm_cpu_learner.learner_key``),
so the rows written together (learners active at the same time were admitted at about the
same time) sit together."""
TABLES: dict[str, str] = {
    "rm_cpu_option": "option_key TEXT PRIMARY KEY, fase BIGINT NOT NULL, option_code TEXT NOT NULL, "
    "form TEXT NOT NULL, first_school_year BIGINT NOT NULL, replaces BIGINT NOT NULL",
    "rm_cpu_learner": "learner_key BIGINT PRIMARY KEY, learner_id TEXT NOT NULL UNIQUE, "
    "fase BIGINT NOT NULL, option_code TEXT NOT NULL, "
    "form TEXT NOT NULL, cohort BIGINT NOT NULL, entry_year BIGINT NOT NULL, "
    "route TEXT NOT NULL, max_year BIGINT NOT NULL, cq_on TEXT, cq_basis TEXT, "
    "walk TEXT NOT NULL",
    "rm_cpu_placement": OF_LEARNER + "seq BIGINT NOT NULL, fase BIGINT NOT NULL, "
    "option_code TEXT NOT NULL, school_year BIGINT NOT NULL, year BIGINT NOT NULL, "
    "c2d BIGINT NOT NULL, from_date TEXT NOT NULL, PRIMARY KEY (learner_key, seq)",
    "rm_cpu_attempt": OF_LEARNER + "version BIGINT NOT NULL, fase BIGINT NOT NULL, "
    "option_code TEXT NOT NULL, school_year BIGINT NOT NULL, uaa TEXT NOT NULL, "
    "uaa_year BIGINT NOT NULL, units_in_year BIGINT NOT NULL, nth BIGINT NOT NULL, "
    "passed BIGINT NOT NULL, on_date TEXT NOT NULL, PRIMARY KEY (learner_key, version)",
    "rm_cpu_validation": OF_LEARNER + "uaa TEXT NOT NULL, fase BIGINT NOT NULL, "
    "option_code TEXT NOT NULL, school_year BIGINT NOT NULL, via TEXT NOT NULL, "
    "validated_on TEXT NOT NULL, authorised_on TEXT, PRIMARY KEY (learner_key, uaa)",
    "rm_cpu_report": OF_LEARNER + "version BIGINT NOT NULL, from_fase BIGINT NOT NULL, "
    "to_fase BIGINT NOT NULL, option_code TEXT NOT NULL, requested_on TEXT NOT NULL, "
    "due_by TEXT NOT NULL, sent_on TEXT, late BIGINT NOT NULL, "
    "PRIMARY KEY (learner_key, version)",
    "rm_clea_candidate": "candidate_id TEXT PRIMARY KEY, certificate_type TEXT NOT NULL, "
    "evaluator_siret TEXT NOT NULL, region TEXT NOT NULL, registered_on TEXT NOT NULL, "
    "prealable_on TEXT, window_ends_on TEXT, planned BIGINT NOT NULL, "
    "trained BIGINT NOT NULL, final_evaluated BIGINT NOT NULL, "
    "jury_awarded BIGINT NOT NULL, certified_on TEXT, window_missed BIGINT NOT NULL, "
    "accrochage_due TEXT, accrochage_on TEXT, accrochage_late BIGINT NOT NULL",
}
LEARNER_TABLES = (
    "rm_cpu_learner",
    "rm_cpu_placement",
    "rm_cpu_attempt",
    "rm_cpu_validation",
    "rm_cpu_report",
)
FACT_TABLES = ("rm_cpu_placement", "rm_cpu_attempt", "rm_cpu_validation", "rm_cpu_report")
Row = tuple[Any, ...]


class _Decision(msgspec.Struct, gc=False):
    """The fields of an event's decision the facts read."""

    effective_date: Any = None
    corrects: Any = None


class Slim(msgspec.Struct, gc=False):
    """The fields of a stored learner event the facts read; every other one is skipped undecoded.

    Decoding only these (:func:`slim_state`) costs half of decoding the whole state into a
    dict, and the result is freed without the cyclic collector (``gc=False``). An absent
    field is None; ``class_version`` is :data:`msgspec.UNSET` unless the event was stored in
    an older class version (then it is upcast first).
    """

    decision: _Decision | None = None
    class_version: Any = msgspec.UNSET
    uaa: Any = None
    passed: Any = None
    via: Any = None
    fase: Any = None
    option_code: Any = None
    form: Any = None
    profile_version: Any = None
    school_year: Any = None
    year: Any = None
    route: Any = None
    to_year: Any = None
    c2d: Any = None
    to_fase: Any = None
    from_fase: Any = None
    requested_on: Any = None
    due_by: Any = None
    sent_on: Any = None
    late: Any = None
    kind: Any = None
    basis: Any = None
    revokes: Any = None


_SLIM = msgspec.json.Decoder(Slim)


def slim_state(topic: str, raw: bytes | str) -> Slim:
    """The fields the facts read of a stored state (upcast when stored in an older version)."""
    state = _SLIM.decode(raw)
    if state.class_version is not msgspec.UNSET:
        state = slim_of(topic, orjson.loads(raw))
    return state


def slim_of(topic: str, state: dict[str, Any]) -> Slim:
    """The fields the facts read of a decoded state (upcast first when it holds ``class_version``)."""
    if "class_version" in state:
        upcast_state(topic, state)
    return msgspec.convert(state, Slim)


Ev = tuple[int, str, Slim, int]
"""A learner event the facts depend on: (version, short type, its fields, position)."""
Learners = dict[str, tuple[list[Ev], int, bool]]
"""Per learner: its events the facts depend on, its last version, and whether one of them
may void an earlier decision (False only when none can: see :func:`_learner_events`)."""
Work = tuple[Learners, list[tuple[str, int]], list[Row]]
"""What :meth:`StatsProjection.prepare` hands to :meth:`StatsProjection.write`."""

PLACEMENTS = frozenset({"Admitted", "Promoted", "YearRepeated", "Transferred"})
KEPT = PLACEMENTS | {
    "TestAuthorised",
    "UnitAttempted",
    "UnitValidated",
    "CompetenceReportRequested",
    "CompetenceReportSent",
    "CertificateIssued",
    "CertificateRevoked",
    "DecisionRevoked",
}
VOIDING = frozenset({"CertificateRevoked", "DecisionRevoked"})
NOT_CORRECTING = b'"corrects":null'
"""How the store serialises a decision that corrects nothing (see :func:`_kept`)."""
ADMITTED = ("fase", "option_code", "form", "profile_version", "school_year", "year", "route")
LEARNER_COLUMNS = (
    "learner_id",
    "learner_key",
    "fase",
    "option_code",
    "form",
    "cohort",
    "entry_year",
    "route",
    "max_year",
    "cq_on",
    "cq_basis",
    "walk",
)
UPSERT_LEARNER = (
    f"INSERT INTO rm_cpu_learner ({', '.join(LEARNER_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in LEARNER_COLUMNS)}) ON CONFLICT (learner_key) "
    f"DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in LEARNER_COLUMNS[2:])}"
)


@dataclass
class Facts:
    """Rows to write, by table (the learner row apart: it is upserted)."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in FACT_TABLES})


_SPENT = Facts({t: [] for t in FACT_TABLES})
"""Where a walk's rows go between batches: nowhere (every walk is given the batch's first)."""


@dataclass
class _Writes:
    """What one batch changes: aggregates whose rows go, rows to insert, learner rows to upsert."""

    cleared: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in LEARNER_TABLES})
    inserts: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in FACT_TABLES})
    learners: list[Row] = field(default_factory=list)
    candidates: list[Row] = field(default_factory=list)
    options: list[Row] = field(default_factory=list)

    def add(self, facts: Facts) -> None:
        """Rows to insert."""
        for table, rows in facts.rows.items():
            self.inserts[table].extend(rows)

    def write(self, db: Db) -> None:
        """Deletes first, then inserts and upserts, each set-based."""
        for table, keys in self.cleared.items():
            column = "learner_id" if table == "rm_cpu_learner" else "learner_key"
            db.delete_keys(table, column, keys)
        for table, rows in self.inserts.items():
            if rows:
                marks = ", ".join("?" for _ in rows[0])
                db.insert_many(f"INSERT INTO {table} VALUES ({marks})", rows)
        db.insert_many(UPSERT_LEARNER, self.learners)  # one row per learner walked
        for table, key, rows in (
            ("rm_clea_candidate", "candidate_id", self.candidates),
            ("rm_cpu_option", "option_key", self.options),
        ):
            if rows:
                db.delete_keys(table, key, [r[:1] for r in rows])
                db.insert_many(f"INSERT INTO {table} VALUES ({', '.join('?' for _ in rows[0])})", rows)


class StatsProjection(TableProjection):
    """Keeps the statistics facts equal to the effective decisions of every aggregate."""

    name = "stats"
    schema_version = 8
    topics = (LEARNER_TOPIC, CANDIDATE_TOPIC, OPTION_TOPIC)
    ddl = tuple(f"CREATE TABLE IF NOT EXISTS {t} ({cols})" for t, cols in TABLES.items())
    tables = tuple(TABLES)
    walks: _Walks | None = None
    """The learners' walks kept in memory during a rebuild (see :meth:`begin_rebuild`)."""

    def __init__(self, store: Any = None) -> None:
        super().__init__(store)
        self.whole: dict[tuple[str, int], Sequence[Notification]] = {}
        """(candidate, last version) → its every event, when a batch :meth:`prepare` read
        held them all (from version 1): :meth:`write` replays them without reading the store
        (half the cost of a candidate). Emptied by every :meth:`write`; never filled without a
        store (the read-ahead process only prepares)."""

    def prepare(self, batch: Sequence[Notification]) -> Work:
        """What the batch touches: learners' events, candidates, opened options.

        No database; the fields the facts read of the learners' events are decoded here
        (:class:`Slim`: the rest of each state is skipped), or in the read-ahead process
        during a rebuild.
        """
        learners: dict[str, tuple[list[Ev], int, bool]] = {}
        candidates: list[tuple[str, int]] = []
        options: list[Row] = []
        for agg_id, items in group_by_aggregate(batch, self.topics).items():
            last = items[-1].originator_version
            if items[0].topic.startswith(LEARNER_TOPIC):
                events, may_void = _learner_events(items, batch)
                if events:  # otherwise nothing the facts depend on changed
                    learners[agg_id] = (events, last, may_void)
            elif items[0].topic.startswith(CANDIDATE_TOPIC):
                candidates.append((agg_id, last))
                if items[0].originator_version == 1 and self.store is not None:  # not in a read-ahead
                    self.whole[agg_id, last] = items
            elif items[0].originator_version == 1:
                options.append(option_row(decode_state(items[0])))
        return learners, candidates, options

    def write(self, db: Db, work: Work) -> None:
        """Walk the learners on, recompute the candidates from the store, write the facts."""
        learners, candidates, options = work
        writes = _Writes(options=options)
        whole, self.whole = self.whole, {}
        writes.candidates = [
            candidate_row(_replay(self.store, agg_id, last, whole.get((agg_id, last))))
            for agg_id, last in candidates
        ]
        if learners:
            _walk_learners(db, self.store, learners, writes, ProfileYears(self.store), self.walks)
        writes.write(db)
        if self.walks is not None:
            self.walks.trim()

    def begin_rebuild(self, bound: int | None = None) -> None:
        """Keep the walks of up to ``bound`` learners in memory until :meth:`end_rebuild`.

        For a rebuild from zero (one writer, the log walked once in order): a learner seen
        again in a later batch walks on from its walk in memory instead of reading its saved
        walk back (a query and a JSON decoding per learner and batch). Every batch still
        saves each walk it touched beside its rows, so a learner pushed out of memory (the
        oldest first), or the ordinary follower after the rebuild, resumes from the table.
        """
        self.walks = _Walks(WALKS_IN_MEMORY if bound is None else bound)

    def end_rebuild(self) -> None:
        """Back to reading each learner's walk from the table (other runners may write)."""
        self.walks = None


def _learner_events(
    items: Sequence[Notification], batch: Sequence[Notification] = ()
) -> tuple[list[Ev], bool]:
    """A learner's events the facts depend on, in compact form, and whether one may void.

    An event counts if its type is kept or it corrects an earlier decision. An event whose
    bytes show a decision that corrects nothing (``"corrects":null``, how the store
    serialises it) and whose type is not kept is skipped undecoded; anything else is decoded
    (only the fields the facts read: :class:`Slim`), so no correction is missed, whatever the
    serialisation. ``may_void`` is False only when no event is a revocation or a correction.
    Whether each event corrects is left in a :class:`SharedBatch` for the next read models.
    """
    out: list[Ev] = []
    may_void = False
    shorts = _SHORTS
    decode, unset = _SLIM.decode, msgspec.UNSET
    found_corrects = batch.corrects if type(batch) is SharedBatch else {}
    for n in items:
        topic = n.topic
        found = shorts.get(topic)
        short, kept = found if found is not None else _short(topic)
        raw = n.state
        if not kept and isinstance(raw, bytes) and NOT_CORRECTING in raw:
            found_corrects[n.id] = False
            continue
        state = decode(raw)  # slim_state(topic, raw), inlined: the hottest loop of a rebuild
        if state.class_version is not unset:
            state = slim_of(topic, orjson.loads(raw))
        decision = state.decision
        corrects = None if decision is None else decision.corrects
        found_corrects[n.id] = corrects is not None
        if kept or corrects is not None:
            out.append((n.originator_version, short, state, n.id - 1))
            if corrects is not None or short in VOIDING:
                may_void = True
    return out, may_void


def _corrects(state: Slim) -> int | None:
    """The version of the decision an event corrects, if any."""
    decision = state.decision
    corrects: int | None = None if decision is None else decision.corrects
    return corrects


_SHORTS: dict[str, tuple[str, bool]] = {}
"""Topic → (short type, kept), filled by :func:`_short`."""


def _short(topic: str) -> tuple[str, bool]:
    """The short type of a learner event topic, and whether its type is kept."""
    short = topic[topic.rfind(".") + 1 :]
    found = _SHORTS[topic] = short, short in KEPT
    return found


class _Walks(dict[str, "_LearnerWalk"]):
    """Learners' walks in memory during a rebuild, the least recently walked dropped first."""

    def __init__(self, bound: int) -> None:
        super().__init__()
        self.bound = bound

    def trim(self) -> None:
        """Forget the oldest walks beyond the bound (their state is saved in the table)."""
        for lid in list(self)[: max(len(self) - self.bound, 0)]:
            del self[lid]


def _walk_learners(
    db: Db,
    store: Any,
    learners: Learners,
    writes: _Writes,
    years: ProfileYears,
    walks: _Walks | None = None,
) -> None:
    """Walk each learner on (from memory, else its saved walk, else its admission).

    A learner whose batch voids one of its decisions is recomputed from the store instead.
    """
    known = {} if walks is None else walks
    into = Facts(writes.inserts)  # the walks append their rows straight to the batch's
    wanted = [lid for lid, (events, _, _) in learners.items() if lid not in known and events[0][0] != 1]
    saved = {
        str(r[0]): str(r[1])
        for r in select_in(db, "SELECT learner_id, walk FROM rm_cpu_learner WHERE learner_id IN ({})", wanted)
    }
    for lid, (events, last, may_void) in learners.items():
        walk = known.pop(lid, None)
        state = orjson.loads(saved[lid]) if walk is None and lid in saved else None
        if walk is None and state is None and events[0][0] != 1:
            raise ReadModelStale(f"stats read model has no walk for learner {lid}: rebuild it")
        key = walk.key if walk is not None else state["k"] if state is not None else events[0][3]
        if may_void and _voided(events):
            # a learner admitted in this batch has every event the facts need in it
            complete = events if walk is None and state is None else None
            _recompute(store, lid, key, last, writes, years, complete)
            continue  # not kept in memory: the next batch resumes from the recomputed row
        if walk is None:
            walk = (
                _LearnerWalk(lid, key, _admitted(events[0][2]), set(), years)
                if state is None
                else _LearnerWalk.resume(lid, state, years)
            )
        walk.facts = into
        if walks is not None:
            walks[lid] = walk  # (re)inserted last: the most recently walked
        reports = walk.report_rows()
        walk.feed(events)
        now = walk.report_rows()
        if now != reports:  # unchanged: nothing to rewrite
            writes.cleared["rm_cpu_report"].append((key,))
            into.rows["rm_cpu_report"].extend(now)
        writes.learners.append(walk.learner_row())
        walk.facts = _SPENT  # kept in memory: the batch's rows are not kept with it


def _recompute(
    store: Any,
    lid: str,
    key: int,
    last: int,
    writes: _Writes,
    years: ProfileYears,
    complete: list[Ev] | None = None,
) -> None:
    """Every fact of a learner again, from its events in the event store.

    ``complete``: the learner's events the facts depend on when the batch holds all of them
    (from its admission), as :func:`_learner_events` selects them; the store is not read.
    """
    kept = complete
    if kept is None:
        events = [
            (version, topic[topic.rfind(".") + 1 :], slim_of(topic, state), -1)
            for version, topic, state in stored_states(store, lid, last)
        ]
        kept = [ev for ev in events if ev[1] in KEPT or _corrects(ev[2]) is not None]
    facts = Facts()
    walk = learner_facts(lid, key, kept, facts, years)
    for table in LEARNER_TABLES:
        writes.cleared[table].append((lid,) if table == "rm_cpu_learner" else (key,))
    writes.add(facts)
    writes.learners.append(walk.learner_row())


def _replay(store: Any, agg_id: str, last: int | None, whole: Sequence[Notification] | None = None) -> Any:
    """The aggregate at version ``last``: from ``whole`` (its every event) if given, else the store."""
    events = (
        store.events.get(UUID(agg_id), lte=last)
        if whole is None
        else (store.mapper.to_domain_event(n) for n in whole)
    )
    agg: Any = None
    for event in events:
        agg = event.mutate(agg)
    return agg


def option_row(opened: dict[str, Any]) -> Row:
    """The facts of an option opened at a school (its only event is the opening)."""
    return (
        f"{opened['fase']}:{opened['option_code']}",
        opened["fase"],
        opened["option_code"],
        opened["form"],
        opened["first_school_year"],
        int(bool(opened["replaces_transformed_option"])),
    )


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


class ProfileYears:
    """UAA → year, and year → number of UAA, of the profile versions learners were admitted under.

    A version resolves the way admissions do (:func:`ledger.application.profiles.resolve`): the
    administration's publication read from the event store, else the shipped reference
    profile. One per batch, so each version is looked up once per batch.
    """

    def __init__(self, store: Any) -> None:
        self.store = store
        self.seen: dict[str, tuple[dict[str, int], dict[int, int]]] = {}

    def __call__(self, version: str) -> tuple[dict[str, int], dict[int, int]]:
        """The years of a profile version's UAA, and the number of UAA of each year."""
        if version not in self.seen:
            profile = profiles.resolve(self._lookup, version).profile
            years = {u.code: u.year for u in profile.uaa}
            self.seen[version] = years, {y: len(profile.uaa_of_year(y)) for y in (4, 5, 6)}
        return self.seen[version]

    def _lookup(self, ident: UUID) -> Any:
        return None if self.store is None else _replay(self.store, str(ident), None)


def _voided(events: list[Ev]) -> set[int]:
    voided: set[int] = set()
    for _, t, state, _ in events:
        corrects = _corrects(state)
        if corrects is not None and t != "Admitted":
            voided.add(corrects)
        if t in VOIDING:
            voided.add(state.revokes)
    return voided


class _LearnerWalk:
    """A CPU learner's effective decisions walked in order, producing its facts.

    Its :meth:`state` is saved in ``rm_cpu_learner.walk`` so the next batch walks on from it.
    """

    def __init__(
        self, lid: str, key: int, admitted: dict[str, Any], voided: set[int], years: ProfileYears
    ) -> None:
        self.lid, self.key, self.voided, self.years = lid, key, voided, years
        self.admitted = admitted
        self.uaa_years: tuple[dict[str, int], dict[int, int]] | None = None
        self.walk = _Walk()
        self.reports: list[list[Any]] = []
        self.cq: list[Any] | None = None
        self.max_year: int | None = None
        self.facts = Facts()

    @classmethod
    def resume(cls, lid: str, state: dict[str, Any], years: ProfileYears) -> _LearnerWalk:
        """The walk where a saved state left it (no decision voided since)."""
        walk = cls(lid, state["k"], {k: state["a"][k] for k in ADMITTED}, set(), years)
        fase, sy, year, c2d, seq, nth, authorised = state["w"]
        walk.walk = _Walk(fase, sy, year, c2d, seq, nth, authorised)
        walk.reports, walk.cq, walk.max_year = state["r"], state["cq"], state["m"]
        return walk

    def state(self) -> dict[str, Any]:
        """What :meth:`resume` needs."""
        w = self.walk
        return {
            "k": self.key,
            "a": self.admitted,
            "w": [w.fase, w.sy, w.year, w.c2d, w.seq, w.nth, w.authorised],
            "r": self.reports,
            "cq": self.cq,
            "m": self.max_year,
        }

    def feed(self, events: list[Ev]) -> None:
        """Walk more events (those voided are skipped)."""
        voided, one = self.voided, self._one
        for version, t, ev, _ in events:
            if version not in voided:
                one(version, t, ev)

    def _one(self, version: int, t: str, ev: Slim) -> None:
        walk, rows, key = self.walk, self.facts.rows, self.key
        option, decision = self.admitted["option_code"], ev.decision
        eff: Any = None if decision is None else decision.effective_date
        if t == "UnitAttempted":  # the commonest first
            if self.uaa_years is None:
                self.uaa_years = self.years(self.admitted["profile_version"])
            uaa_year, units = self.uaa_years
            uaa = ev.uaa
            year = uaa_year.get(uaa, walk.year)
            nth = walk.nth[uaa] = walk.nth.get(uaa, 0) + 1
            rows["rm_cpu_attempt"].append(
                (
                    key,
                    version,
                    walk.fase,
                    option,
                    walk.sy,
                    uaa,
                    year,
                    units.get(year, 0),
                    nth,
                    int(ev.passed),
                    eff,
                )
            )
        elif t == "TestAuthorised":
            walk.authorised.setdefault(ev.uaa, eff)
        elif t == "UnitValidated":
            rows["rm_cpu_validation"].append(
                (key, ev.uaa, walk.fase, option, walk.sy, ev.via, eff, walk.authorised.get(ev.uaa))
            )
        elif t in PLACEMENTS:
            _place(t, ev, walk)
            self.max_year = max(walk.year, self.max_year or walk.year)
            rows["rm_cpu_placement"].append(
                (key, walk.seq, walk.fase, option, walk.sy, walk.year, int(walk.c2d), eff)
            )
        elif t == "CompetenceReportRequested":
            self.reports.append(
                [key, version, ev.from_fase, walk.fase, option, ev.requested_on, ev.due_by, None, 0]
            )
        elif t == "CompetenceReportSent":
            _sent(self.reports, ev)
        elif t == "CertificateIssued" and ev.kind == "CQ":
            self.cq = [eff, ev.basis]

    def report_rows(self) -> list[Row]:
        """The competence reports as they stand."""
        return [tuple(r) for r in self.reports]

    def learner_row(self) -> Row:
        """The learner row as it stands, with the walk to resume from."""
        a, cq = self.admitted, self.cq
        max_year = self.max_year if self.max_year is not None else a["year"]
        return (
            self.lid,
            self.key,
            a["fase"],
            a["option_code"],
            a["form"],
            a["school_year"],
            a["year"],
            a["route"],
            max_year,
            cq[0] if cq else None,
            cq[1] if cq else None,
            orjson.dumps(self.state()).decode(),
        )

    def finish(self) -> Facts:
        """The facts walked so far, with the reports."""
        self.facts.rows["rm_cpu_report"] = self.report_rows()
        return self.facts


def _admitted(admission: Slim) -> dict[str, Any]:
    """What a walk keeps of the learner's admission (saved with it)."""
    return {k: getattr(admission, k) for k in ADMITTED}


def learner_facts(lid: str, key: int, events: list[Ev], facts: Facts, years: ProfileYears) -> _LearnerWalk:
    """Placements, attempts, validations and reports of one CPU learner, from all its events."""
    walk = _LearnerWalk(lid, key, _admitted(events[0][2]), _voided(events), years)
    walk.feed(events)
    for table, rows in walk.finish().rows.items():
        facts.rows[table].extend(rows)
    return walk


def _place(t: str, ev: Slim, walk: _Walk) -> None:
    walk.seq += 1
    if t == "Admitted":
        walk.fase, walk.sy, walk.year = ev.fase, ev.school_year, ev.year
        walk.c2d = ev.route == "A4_C2D"
    elif t == "Promoted":
        walk.sy, walk.year, walk.c2d = ev.school_year, ev.to_year, False
    elif t == "YearRepeated":
        walk.sy, walk.year, walk.c2d = ev.school_year, ev.year, ev.c2d
    else:
        walk.fase = ev.to_fase


def _sent(reports: list[list[Any]], ev: Slim) -> None:
    for report in reversed(reports):
        if report[2] == ev.from_fase and report[7] is None:
            report[7], report[8] = ev.sent_on, int(ev.late)
            return


def candidate_row(cand: Candidate) -> Row:
    """The facts of one CléA candidacy."""
    registered = next(ev for ev in cand.log.values() if isinstance(ev, Candidate.Registered))
    pre = cand.prealable()
    cert = cand.active_certificate()
    jury = cand.jury()
    acc = cand.accrochage(cert.certificate_id) if cert else None
    missed = any(ev.kind.value == "validity_window" for ev in cand.of_type(Candidate.DeadlineMissed))
    return (
        str(cand.id),
        cand.certificate.value,
        cand.evaluator_siret,
        cand.evaluator_region.value,
        registered.decision.effective_date.isoformat(),
        pre.decision.effective_date.isoformat() if pre else None,
        pre.window_ends_on.isoformat() if pre else None,
        int(bool(cand.in_window(Candidate.TrainingPlanAssigned))),
        int(bool(cand.in_window(Candidate.TrainingCompleted))),
        int(bool(cand.in_window(Candidate.FinalEvaluationRecorded))),
        int(bool(jury and jury.awarded)),
        cert.issued_on.isoformat() if cert else None,
        int(missed),
        cert.accrochage_due_by.isoformat() if cert and cert.accrochage_due_by else None,
        acc.reported_on.isoformat() if acc else None,
        int(bool(acc and acc.late)),
    )
