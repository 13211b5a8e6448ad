"""The integrity log: a verifiable RFC 9162 Merkle log of every stored event.

**Leaves.** Every stored event is one leaf, in global order: the leaf index *is* the
event's zero-based position. The leaf is the RFC 8785 (JCS) encoding of::

    {"v": 1, "position": N, "originator_id": "<uuid>", "originator_version": V,
     "topic": "<module:Class.Event>", "state_sha256": "<hex SHA-256 of the stored state>"}

Hashing the state keeps leaves small (the state holds no personal data in clear, identities
live in :mod:`ledger.adapters.identity`, but it can be long). A proof's ``extra`` line carries
``JCS({"leaf": <that object>, "state": "<base64 stored state bytes>"})``, so anyone can
check ``SHA-256(state)`` and recompute the leaf hash ``SHA-256(0x00 || JCS(leaf))``
without the database. A position the store never used (a rolled-back PostgreSQL sequence
value) is logged as the gap leaf ``{"v": 1, "position": N, "gap": true}`` so that leaf
index and position never drift apart.

**Why the follower appends the leaves.** Leaves are added by :class:`IntegrityHandler`,
a :class:`ledger.adapters.follower.BatchHandler` named ``integrity``: the Merkle nodes
(``integrity_nodes``, via the SQL node stores) and the follower position commit in one
transaction, so the log never skips or repeats an event. Writing them in the events'
own transaction would need a custom eventsourcing recorder on both backends and would
serialise every writer on the Merkle frontier; the follower keeps the write path
untouched, batches the hashing (amortised O(1) node writes per leaf) and, in live mode
(``ledger audit run``), logs a new event within the poll interval (0.2 s). The window in
which a not-yet-logged event could be altered unseen is bounded by that lag; ``verify``
reports unlogged events as *pending*. ``tests.bench.audit`` measures the cost.

**Checkpoints** are C2SP tlog-checkpoints in signed notes (Ed25519, keys in
:mod:`ledger.adapters.keys`), origin ``LEDGER_ORIGIN`` (default :data:`DEFAULT_ORIGIN`), stored in
``integrity_checkpoints``. **Proofs** are c2sp.org/tlog-proof@v1 texts. **Tamper
detection** (:meth:`AuditLog.verify`) recomputes every leaf from the store, checks every
stored node against its children, and every stored checkpoint's signature and root.

Public API for the other read sides (credentials, certificate history):
``AuditLog(target, store).inclusion_proof(position) -> str``,
``AuditLog.latest_checkpoint() -> (note_bytes, Checkpoint)``,
``AuditLog.verifiers() -> list[str]`` and :func:`prove_event`.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from uuid import UUID

import orjson
import rfc8785
import structlog
from eventsourcing.persistence import Notification

from ledger.adapters.follower import Db, Follower
from ledger.adapters.keys import LogKeys, LogKeyStore, default_key_dir
from ledger.adapters.migrations import create_tables
from ledger.adapters.sql import EventTable
from ledger.adapters.store import EventStoreApp, StoreTarget, iter_notifications
from ledger.audit.errors import AuditError, LeafMismatch
from ledger.audit.proofread import read_proof
from ledger.domain.errors import InvalidCommand, UnknownEntity
from ledger.domain.rules import because
from ledger.integrity import (
    Checkpoint,
    IntegrityError,
    MerkleLog,
    PostgresNodeStore,
    SqliteNodeStore,
    TlogProof,
    WitnessPolicy,
    build_tlog_proof,
    leaf_hash,
    open_checkpoint,
    parse_tlog_proof,
    parse_vkey,
    sign_checkpoint,
    verify_checkpoint_policy,
    verify_consistency,
    verify_inclusion,
    verify_tlog_proof,
)
from ledger.integrity.merkle import bundle_from, bundle_keys

__all__ = [
    "DEFAULT_ORIGIN",
    "ORIGIN_ENV",
    "TAMPER_EXIT",
    "AuditLog",
    "IntegrityHandler",
    "ProvenEvent",
    "TamperFinding",
    "VerifyReport",
    "default_origin",
    "leaf_bytes",
    "leaf_record",
    "prove_event",
    "verify_event_proof",
]

log = structlog.get_logger("ledger.audit")

DEFAULT_ORIGIN = "ledger.example/cpu-clea-ledger"
"""Origin line of checkpoints unless ``LEDGER_ORIGIN`` says otherwise."""

ORIGIN_ENV = "LEDGER_ORIGIN"
"""Environment variable naming the log's origin."""

TAMPER_EXIT = 4
"""CLI exit code when the log or a proof does not verify."""

LEAF_VERSION = 1
NODES_TABLE = "integrity_nodes"
CHECKPOINTS_DDL = (
    "CREATE TABLE IF NOT EXISTS integrity_checkpoints ("
    "seq BIGINT PRIMARY KEY, size BIGINT NOT NULL, root {blob} NOT NULL, "
    "note TEXT NOT NULL, key_id TEXT NOT NULL, created_at TEXT NOT NULL)"
)
COSIGNED_DDL = (
    "CREATE TABLE IF NOT EXISTS integrity_cosigned ("
    "seq BIGINT PRIMARY KEY, size BIGINT NOT NULL, note TEXT NOT NULL, "
    "witnesses TEXT NOT NULL, updated_at TEXT NOT NULL)"
)
"""The checkpoint ``seq`` with every cosignature its witnesses returned (the note served)."""
WITNESS_SIZES_DDL = (
    "CREATE TABLE IF NOT EXISTS integrity_witness_sizes ("
    "witness TEXT PRIMARY KEY, size BIGINT NOT NULL, updated_at TEXT NOT NULL)"
)
"""The size each witness (by its vkey) last cosigned: the ``old`` of the next submission."""
MIGRATIONS = (
    (
        1,
        "integrity checkpoints, cosignatures and witness sizes as the first release wrote them",
        create_tables(CHECKPOINTS_DDL, COSIGNED_DDL, WITNESS_SIZES_DDL),
    ),
)
"""The ``integrity`` migration chain (:mod:`ledger.adapters.migrations`), run by the entry points.

The tree's nodes (``integrity_nodes``) are rebuildable from the events: not migrated."""


def default_origin(env: Mapping[str, str] | None = None) -> str:
    """``env[LEDGER_ORIGIN]`` when given, else :data:`DEFAULT_ORIGIN` (the settings pass the origin)."""
    return (env or {}).get(ORIGIN_ENV) or DEFAULT_ORIGIN


# ----------------------------------------------------------------------------- leaves
def leaf_record(position: int, originator_id: Any, version: int, topic: str, state: bytes) -> dict[str, Any]:
    """The leaf object of a stored event (see the module docstring)."""
    return {
        "v": LEAF_VERSION,
        "position": position,
        "originator_id": str(UUID(str(originator_id))),
        "originator_version": int(version),
        "topic": topic,
        "state_sha256": hashlib.sha256(bytes(state)).hexdigest(),
    }


def gap_record(position: int) -> dict[str, Any]:
    """The leaf object of a position the store never used."""
    return {"v": LEAF_VERSION, "position": position, "gap": True}


def leaf_bytes(record: Mapping[str, Any]) -> bytes:
    """The canonical (RFC 8785 JCS) bytes of a leaf object.

    Leaf objects hold only ASCII keys, strings and integers below 2**53, for which
    orjson with sorted keys produces exactly the JCS bytes (same escaping, same key
    order); it is ~20x faster than the reference ``rfc8785`` encoder, which
    :func:`canonical_reference` keeps for tests and independent checks.
    """
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS)


def canonical_reference(record: Mapping[str, Any]) -> bytes:
    """The RFC 8785 bytes of ``record`` from the reference ``rfc8785`` encoder."""
    return bytes(rfc8785.dumps(dict(record)))


def _notification_leaf(n: Notification) -> bytes:
    return leaf_hash(
        leaf_bytes(leaf_record(n.id - 1, n.originator_id, n.originator_version, n.topic, n.state))
    )


def _gap_leaf(position: int) -> bytes:
    return leaf_hash(leaf_bytes(gap_record(position)))


class _BulkPostgresNodeStore(PostgresNodeStore):
    """PostgreSQL node store inserting a whole batch in one ``unnest`` statement.

    ``executemany`` costs one pipelined statement per node (~2 per leaf); one INSERT of
    arrays is several times faster. The primary key still refuses any overwrite.
    """

    def put_many(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        """Insert nodes in one statement; an existing ``(level, idx)`` raises."""
        if not nodes:
            return
        sql = (
            f"INSERT INTO {NODES_TABLE} (level, idx, hash) "
            "SELECT * FROM unnest(%b::integer[], %b::bigint[], %b::bytea[])"
        )
        with self._conn.cursor() as cur:
            cur.execute(sql, ([n[0] for n in nodes], [n[1] for n in nodes], [bytes(n[2]) for n in nodes]))


def node_store(db: Db) -> SqliteNodeStore | PostgresNodeStore:
    """The Merkle node store on the follower's connection (it never commits)."""
    if db.kind == "sqlite":
        return SqliteNodeStore(db.conn, NODES_TABLE)
    return _BulkPostgresNodeStore(db.conn, NODES_TABLE)


class IntegrityHandler:
    """Follower handler appending one leaf per event, in the follower's transaction."""

    name = "integrity"

    def setup(self, db: Db) -> None:
        """Create the node and checkpoint tables."""
        cls = SqliteNodeStore if db.kind == "sqlite" else PostgresNodeStore
        cls.create_table(db.conn, NODES_TABLE)
        db.execute(CHECKPOINTS_DDL.format(blob="BLOB" if db.kind == "sqlite" else "BYTEA"))
        db.execute(COSIGNED_DDL)
        db.execute(WITNESS_SIZES_DDL)

    def reset(self, db: Db) -> None:
        """Refuse: the integrity log is append-only and is never rebuilt."""
        raise AuditError("the integrity log is append-only: it cannot be rebuilt")

    def apply(self, db: Db, batch: Sequence[Notification]) -> None:
        """Append the batch's leaves (gap leaves for unused positions) in order."""
        merkle = MerkleLog(node_store(db))
        size = merkle.size
        hashes: list[bytes] = []
        for n in batch:
            position = n.id - 1
            if position < size + len(hashes):
                raise AuditError(f"event at position {position} is already logged")
            while size + len(hashes) < position:
                hashes.append(_gap_leaf(size + len(hashes)))
            hashes.append(_notification_leaf(n))
        merkle.append(hashes)


# ------------------------------------------------------------------------- events table
@dataclass(frozen=True)
class StoredRow:
    """One row of the eventsourcing table with its zero-based position."""

    position: int
    originator_id: str
    version: int
    topic: str
    state: bytes

    def record(self) -> dict[str, Any]:
        """Its leaf object."""
        return leaf_record(self.position, self.originator_id, self.version, self.topic, self.state)


# ------------------------------------------------------------------------------ proofs
@dataclass(frozen=True)
class ProvenEvent:
    """What a verified proof establishes about one event."""

    position: int
    event_id: str
    topic: str
    tree_size: int
    origin: str
    signers: tuple[str, ...]
    witnesses: tuple[str, ...] = ()


def proof_extra(row: StoredRow) -> bytes:
    """The ``extra`` bytes of a proof: JCS of the leaf object and the base64 stored state."""
    return leaf_bytes({"leaf": row.record(), "state": base64.b64encode(row.state).decode("ascii")})


def verify_event_proof(
    text: str | bytes, vkeys: Iterable[str], origin: str | None = None, policy: WitnessPolicy | None = None
) -> ProvenEvent:
    """Verify a proof from :meth:`AuditLog.inclusion_proof` offline (no database).

    Checks the checkpoint's signature by one of ``vkeys``, the state's SHA-256 against the
    leaf, the leaf's position against the proof's index, and the inclusion proof. With a
    witness ``policy`` the checkpoint must also meet it (:func:`verify_checkpoint_policy`:
    the policy's ``log`` keys, or ``vkeys`` when it has none, and the witness quorum).
    Raises :class:`ledger.integrity.IntegrityError` — :class:`QuorumError` when the quorum
    is not met — or :class:`AuditError` for a bad ``extra``.
    """
    verifiers = [parse_vkey(k) for k in vkeys]
    if policy is not None and not verifiers:
        verifiers = [entry.verifier for entry in policy.logs]
    proof = parse_tlog_proof(text)
    leaf = _leaf_from_extra(proof)
    verified = verify_tlog_proof(text, verifiers, leaf_bytes(leaf), origin=origin)
    witnesses: tuple[str, ...] = ()
    if policy is not None:
        verdict = verify_checkpoint_policy(proof.checkpoint, policy, log_verifiers=verifiers, origin=origin)
        witnesses = verdict.witnesses
    return ProvenEvent(
        proof.index,
        f"{leaf['originator_id']}/{leaf['originator_version']}",
        str(leaf["topic"]),
        verified.checkpoint.size,
        verified.checkpoint.origin,
        verified.signers,
        witnesses,
    )


def _leaf_from_extra(proof: TlogProof) -> dict[str, Any]:
    if proof.extra is None:
        raise AuditError("the proof has no extra line: the event cannot be recomputed")
    try:
        extra = orjson.loads(proof.extra)
        leaf, state = extra["leaf"], base64.b64decode(extra["state"], validate=True)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise AuditError(f"the proof's extra is not a leaf with its state: {exc}") from None
    if not isinstance(leaf, dict) or leaf.get("v") != LEAF_VERSION:
        raise AuditError("the proof's extra has no version-1 leaf")
    if leaf.get("state_sha256") != hashlib.sha256(state).hexdigest():
        raise AuditError("the state in the proof does not match the leaf's state_sha256")
    if leaf.get("position") != proof.index:
        raise AuditError(f"the leaf's position {leaf.get('position')} is not the proof's index {proof.index}")
    return leaf


# ------------------------------------------------------------------------ verification
@dataclass(frozen=True)
class TamperFinding:
    """One finding of :meth:`AuditLog.verify` (``position`` is zero-based)."""

    kind: str  # altered | moved | removed | node | checkpoint
    detail: str
    position: int | None = None
    aggregate_id: str | None = None
    version: int | None = None


@dataclass
class VerifyReport:
    """The result of a full verification."""

    size: int = 0
    events_checked: int = 0
    pending: int = 0
    checkpoints_checked: int = 0
    latest_checkpoint: int | None = None
    problems: list[TamperFinding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            **{k: v for k, v in asdict(self).items() if k != "problems"},
            "ok": self.ok,
            "problems": [asdict(p) for p in self.problems],
        }


def _check_position(
    leaves: Any, tree: Any, position: int, event: Notification | None, logged: bytes | None
) -> None:
    """One position of the streaming verification (:meth:`AuditLog.verify`)."""
    from ledger.audit.verify import HOLE

    if logged is None:  # past the logged size
        if event is not None:
            leaves.beyond(event)
        return
    if logged == HOLE:
        leaves.holes.append(position)
    if event is None:
        leaves.gap(position, logged, _gap_leaf(position))
    else:
        leaves.event(event, logged, _notification_leaf(event))
    tree.add_leaf(logged)


def _leaf_problems(db: Db, leaves: Any) -> list[TamperFinding]:
    """Altered, moved and removed events, from what the streaming pass found."""
    from ledger.audit.verify import MATCH_LIMIT, leaves_at

    differing = {position for position, _, _ in leaves.mismatched}
    open_leaves = sorted(set(leaves.missing) | differing)
    moved: dict[int, int] = {}
    if len(open_leaves) <= MATCH_LIMIT:
        logged = leaves_at(db, NODES_TABLE, open_leaves)
        moved = _moves([*leaves.events.values(), *leaves.unlogged], open_leaves, logged)
    found = [_mismatch(p, agg, version, moved.get(p)) for p, agg, version in leaves.mismatched]
    found += [_moved_out(n, moved[n.id - 1]) for n in leaves.unlogged if n.id - 1 in moved]
    accounted = set(moved.values())
    found += [
        TamperFinding("removed", "the logged event at this position is no longer in the store", p)
        for p in leaves.missing
        if p not in accounted
    ]
    return sorted(found, key=lambda p: (p.position or 0, p.kind))


def _moves(
    candidates: Sequence[Notification], open_leaves: Sequence[int], logged: Mapping[int, bytes]
) -> dict[int, int]:
    """``{current position: logged position}`` for events found under another position."""
    moved: dict[int, int] = {}
    for n in candidates:
        for q in open_leaves:
            record = leaf_record(q, n.originator_id, n.originator_version, n.topic, n.state)
            if leaf_hash(leaf_bytes(record)) == logged.get(q):
                moved[n.id - 1] = q
                break
    return moved


def _mismatch(position: int, agg: str, version: int, logged_at: int | None) -> TamperFinding:
    if logged_at is not None:
        return TamperFinding(
            "moved", f"event logged at position {logged_at} is now at {position}", position, agg, version
        )
    return TamperFinding(
        "altered",
        "the event at this position is not the logged one (changed, inserted or replaced)",
        position,
        agg,
        version,
    )


def _moved_out(n: Notification, logged_at: int) -> TamperFinding:
    return TamperFinding(
        "moved",
        f"event logged at position {logged_at} is now at {n.id - 1}, beyond the log",
        n.id - 1,
        str(n.originator_id),
        n.originator_version,
    )


def _node_problems(tree: Any, counts: Mapping[int, tuple[int, int]]) -> list[TamperFinding]:
    """Interior levels with the wrong number of nodes, and nodes not the hash of their children."""
    by_level: dict[int, list[int]] = {}
    for level, index in tree.node_problems:
        by_level.setdefault(level, []).append(index)
    out: list[TamperFinding] = []
    for level in sorted(set(by_level) | set(counts)):
        if level in counts:
            stored, wanted = counts[level]
            out.append(TamperFinding("node", f"level {level} has {stored} nodes, want {wanted}"))
        out += [
            TamperFinding("node", f"node ({level}, {i}) is not the hash of its children", i << level)
            for i in sorted(by_level.get(level, []))
        ]
    return out


# ------------------------------------------------------------------------------- the log
@dataclass(frozen=True)
class _CheckpointRow:
    seq: int
    size: int
    root: bytes
    note: bytes
    key_id: str


def _latest_checkpoint_row(db: Db) -> _CheckpointRow | None:
    row = db.execute(
        "SELECT seq, size, root, note, key_id FROM integrity_checkpoints ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    return _CheckpointRow(int(row[0]), int(row[1]), bytes(row[2]), str(row[3]).encode("utf-8"), str(row[4]))


def _cosigned_note(db: Db, row: _CheckpointRow) -> bytes:
    found = db.execute("SELECT note FROM integrity_cosigned WHERE seq = ?", (row.seq,)).fetchone()
    return row.note if found is None else str(found[0]).encode("utf-8")


def has_table(db: Db, name: str) -> bool:
    """Whether table ``name`` exists in the store (the PostgreSQL search path included)."""
    if db.kind == "sqlite":
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        return db.execute(sql, (name,)).fetchone() is not None
    return db.execute("SELECT to_regclass(?)", (name,)).fetchone()[0] is not None


def served_checkpoint(db: Db) -> tuple[int, bytes, Checkpoint] | None:
    """``(seq, note with cosignatures, Checkpoint)`` of the latest checkpoint on ``db``.

    ``None`` when none was signed (or the integrity log never ran on this store). Read-only:
    the public tile routes and ``ledger audit publish`` use it on their own connection.
    """
    if not has_table(db, "integrity_cosigned"):
        return None
    latest = _latest_checkpoint_row(db)
    if latest is None:
        return None
    return latest.seq, _cosigned_note(db, latest), Checkpoint.parse(_note_text(latest.note))


def checkpoint_sizes(db: Db) -> list[int]:
    """Every size a checkpoint was signed for, ascending, without repeats."""
    rows = db.execute("SELECT DISTINCT size FROM integrity_checkpoints ORDER BY size").fetchall()
    return [int(r[0]) for r in rows]


class AuditLog:
    """The application-level integrity log over one store.

    ``keys`` defaults to the key directory of :func:`ledger.adapters.keys.default_key_dir` and
    ``origin`` to :func:`default_origin` (both honour the ``LEDGER_KEY_DIR`` and
    ``LEDGER_ORIGIN`` settings, so every caller signs and verifies with the same keys).
    """

    def __init__(
        self,
        target: StoreTarget,
        store: EventStoreApp,
        keys: LogKeys | None = None,
        origin: str | None = None,
        batch_size: int = 2000,
    ) -> None:
        self.target = target
        self.store = store
        self.keys = keys or LogKeyStore(default_key_dir(target))
        self.origin = origin or default_origin()
        self.follower = Follower(store, target, IntegrityHandler(), batch_size=batch_size)
        self.db = self.follower.db
        self.events = EventTable(self.db, StoredRow)
        self._extra_vkeys: list[Any] = []
        # the latest checkpoint seen by a proof (PostgreSQL: one query per proof while it stays latest)
        self._proof_checkpoint: tuple[_CheckpointRow, Checkpoint] | None = None

    # ------------------------------------------------------------------ leaves and size
    def merkle(self) -> MerkleLog:
        """The Merkle log on this log's connection."""
        return MerkleLog(node_store(self.db))

    def size(self) -> int:
        """Number of logged leaves."""
        return self.merkle().size

    def sync(self) -> int:
        """Log every stored event not yet logged; return the tree size."""
        added = self.follower.catch_up()
        if added:
            log.info("audit.synced", added=added)
        return self.size()

    # -------------------------------------------------------------------- checkpoints
    def checkpoint(self) -> tuple[bytes, Checkpoint]:
        """Sync, then sign a checkpoint of the log as it is now.

        Returns the latest one instead when it already covers the whole log and was signed
        by the active key.
        """
        size = self.sync()
        signer = self.keys.signer()
        latest = self._latest_row()
        if latest and latest.size == size and latest.key_id == f"{signer.key_id:08x}":
            return latest.note, Checkpoint.parse(_note_text(latest.note))
        checkpoint = Checkpoint(self.origin, size, self.merkle().root(size))
        note = sign_checkpoint(checkpoint, [signer])
        with self.db.transaction() as db:
            db.lock("audit:checkpoint")  # another process may be signing this size right now
            latest = self._latest_row()
            if latest and latest.size == size and latest.key_id == f"{signer.key_id:08x}":
                return latest.note, Checkpoint.parse(_note_text(latest.note))
            row = db.execute("SELECT COALESCE(MAX(seq), 0) FROM integrity_checkpoints").fetchone()
            db.execute(
                "INSERT INTO integrity_checkpoints (seq, size, root, note, key_id, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    int(row[0]) + 1,
                    size,
                    checkpoint.root_hash,
                    note.decode("utf-8"),
                    f"{signer.key_id:08x}",
                    time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                ),
            )
        log.info("audit.checkpoint.signed", size=size, key_id=f"{signer.key_id:08x}")
        return note, checkpoint

    def latest_checkpoint(self) -> tuple[bytes, Checkpoint]:
        """The latest signed checkpoint ``(note bytes, Checkpoint)``; signs a first one if none.

        The note carries the witnesses' cosignatures when they were obtained
        (:mod:`ledger.audit.witnessing`).
        """
        latest = self._latest_row()
        if latest is None:
            return self.checkpoint()
        return self._cosigned_note(latest), Checkpoint.parse(_note_text(latest.note))

    def served_checkpoint(self) -> tuple[int, bytes, Checkpoint] | None:
        """``(seq, note with its cosignatures, Checkpoint)`` of the latest checkpoint, or ``None``.

        Never signs: this is what ``/log/checkpoint`` and ``ledger audit publish`` show.
        """
        return served_checkpoint(self.db)

    def checkpoint_sizes(self) -> list[int]:
        """Every size a checkpoint was signed for, ascending, without repeats."""
        return checkpoint_sizes(self.db)

    def signed_note(self, seq: int) -> bytes:
        """The note of checkpoint ``seq`` as the log signed it (without cosignatures)."""
        row = self.db.execute("SELECT note FROM integrity_checkpoints WHERE seq = ?", (seq,)).fetchone()
        if row is None:
            raise UnknownEntity("checkpoint", seq)
        return str(row[0]).encode("utf-8")

    def record_cosignatures(self, seq: int, note: bytes, witnesses: Sequence[str]) -> None:
        """Keep ``note`` (checkpoint ``seq`` with the cosignatures obtained) as the served note."""
        size = Checkpoint.parse(_note_text(note)).size
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with self.db.transaction() as db:
            db.execute(
                "INSERT INTO integrity_cosigned (seq, size, note, witnesses, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (seq) DO UPDATE SET note = excluded.note, "
                "witnesses = excluded.witnesses, updated_at = excluded.updated_at",
                (seq, size, note.decode("utf-8"), " ".join(witnesses), stamp),
            )
        log.info("audit.checkpoint.cosigned", size=size, witnesses=len(witnesses))

    def witness_size(self, witness: str) -> int:
        """The size witness ``witness`` (its vkey) last cosigned for this log (0: never)."""
        row = self.db.execute(
            "SELECT size FROM integrity_witness_sizes WHERE witness = ?", (witness,)
        ).fetchone()
        return 0 if row is None else int(row[0])

    def set_witness_size(self, witness: str, size: int) -> None:
        """Remember that witness ``witness`` cosigned size ``size``."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with self.db.transaction() as db:
            db.execute(
                "INSERT INTO integrity_witness_sizes (witness, size, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (witness) DO UPDATE SET size = excluded.size, "
                "updated_at = excluded.updated_at",
                (witness, size, stamp),
            )

    def _cosigned_note(self, row: _CheckpointRow) -> bytes:
        return _cosigned_note(self.db, row)

    def checkpoint_of_size(self, size: int) -> tuple[bytes, Checkpoint]:
        """The latest stored checkpoint of exactly ``size`` leaves, or :class:`UnknownEntity`."""
        rows = [r for r in self._checkpoint_rows() if r.size == size]
        if not rows:
            raise UnknownEntity("checkpoint of size", size)
        return rows[-1].note, Checkpoint.parse(_note_text(rows[-1].note))

    def _checkpoint_rows(self) -> list[_CheckpointRow]:
        rows = self.db.execute(
            "SELECT seq, size, root, note, key_id FROM integrity_checkpoints ORDER BY seq"
        ).fetchall()
        return [
            _CheckpointRow(int(r[0]), int(r[1]), bytes(r[2]), str(r[3]).encode("utf-8"), str(r[4]))
            for r in rows
        ]

    def _latest_row(self) -> _CheckpointRow | None:
        return _latest_checkpoint_row(self.db)

    def verifiers(self) -> list[str]:
        """Every public key of the log as a C2SP vkey string, active key first."""
        return [v.vkey for v in self.keys.verifiers()]

    # ------------------------------------------------------------------------- proofs
    def inclusion_proof(self, position: int) -> str:
        """The c2sp.org/tlog-proof@v1 text of the event at zero-based ``position``.

        The proof is against the latest checkpoint (one is signed when none covers the
        position) and its ``extra`` carries the leaf and the stored state. Raises
        :class:`LeafMismatch` if the stored event no longer matches its leaf.
        """
        if position < 0:
            raise InvalidCommand(f"position must be 0 or more: {position}")
        if self.db.kind == "postgres":
            proof = self._one_read_proof(position)
            if proof is not None:
                return proof
        latest = self._latest_row()
        if latest is not None and position < latest.size:
            return self._proof_under(latest, position)
        if position >= self.size() and position >= self.sync():
            raise UnknownEntity(
                "position",
                because("{position} (the log has {size} events)", position=position, size=self.size()),
            )
        row = self.events.at(position)
        merkle = self.merkle()
        if row is None or leaf_hash(leaf_bytes(row.record())) != merkle.leaf(position):
            raise LeafMismatch(
                f"the stored event at position {position} does not match the log (run `ledger audit verify`)"
            )
        note, checkpoint = self.latest_checkpoint()
        if checkpoint.size <= position:
            note, checkpoint = self.checkpoint()
        return build_tlog_proof(merkle, position, checkpoint, note, proof_extra(row))

    def _one_read_proof(self, position: int) -> str | None:
        """The proof in ONE query under the checkpoint a previous proof used, if still the latest.

        ``None`` when there is no such checkpoint, it does not cover ``position``, or a newer
        one was signed meanwhile (the caller's step-by-step reads then pick the latest).
        """
        cached = self._proof_checkpoint
        if cached is None:
            latest = self._latest_row()
            if latest is None:
                return None
            cached = (latest, Checkpoint.parse(_note_text(latest.note)))
        row_cp, checkpoint = cached
        if position >= row_cp.size:
            return None
        keys = bundle_keys(position, row_cp.size)
        read = read_proof(self.db, self.events, NODES_TABLE, row_cp.seq, position, keys)
        if read.latest_seq != row_cp.seq:
            self._proof_checkpoint = None
            return None
        self._proof_checkpoint = cached
        row = None if read.event is None else StoredRow(*read.event)
        try:
            bundle = bundle_from(position, row_cp.size, read.nodes)
        except IntegrityError as exc:
            raise self._unproven(row_cp, position, exc) from None
        note = read.cosigned_note or row_cp.note
        return self._checked_proof(row_cp, checkpoint, position, row, bundle, note)

    def _proof_under(self, latest: _CheckpointRow, position: int) -> str:
        """The proof of ``position`` against a stored checkpoint that covers it.

        Three reads: the checkpoint, the event, and every node of leaf, root and path at once;
        the proof is checked against the signed root before it is handed out.
        """
        row = self.events.at(position)
        checkpoint = Checkpoint.parse(_note_text(latest.note))
        try:
            bundle = self.merkle().proof_bundle(position, latest.size)
        except IntegrityError as exc:
            raise self._unproven(latest, position, exc) from None
        return self._checked_proof(latest, checkpoint, position, row, bundle, self._cosigned_note(latest))

    def _checked_proof(
        self,
        latest: _CheckpointRow,
        checkpoint: Checkpoint,
        position: int,
        row: StoredRow | None,
        bundle: tuple[bytes, bytes, list[bytes]],
        note: bytes,
    ) -> str:
        """The proof text once leaf, root and path are checked against the signed checkpoint."""
        leaf, root, path = bundle
        try:
            if row is None or leaf_hash(leaf_bytes(row.record())) != leaf:
                raise LeafMismatch(
                    f"the stored event at position {position} does not match the "
                    "log (run `ledger audit verify`)"
                )
            if root != checkpoint.root_hash:
                raise IntegrityError("the stored tree's root is not the signed root")
            verify_inclusion(leaf, position, latest.size, path, checkpoint.root_hash)
        except IntegrityError as exc:
            raise self._unproven(latest, position, exc) from None
        return TlogProof(position, tuple(path), note, proof_extra(row)).to_text()

    @staticmethod
    def _unproven(latest: _CheckpointRow, position: int, exc: Exception) -> AuditError:
        return AuditError(
            f"the stored tree does not prove position {position} under "
            f"checkpoint #{latest.seq} ({exc}); run `ledger audit verify`"
        )

    def prove_event(self, position: int) -> str:
        """Alias of :meth:`inclusion_proof`: the proof of one decision for read models."""
        return self.inclusion_proof(position)

    def position_of(self, event_id: str) -> int:
        """The position of event ``<aggregate uuid>/<version>``."""
        aggregate, _, version = event_id.partition("/")
        try:
            originator, number = UUID(aggregate), int(version)
        except ValueError:
            raise InvalidCommand(f"not an event id <aggregate uuid>/<version>: {event_id!r}") from None
        row = self.events.event(originator, number)
        if row is None:
            raise UnknownEntity("event", event_id)
        return row.position

    def certificate_positions(self, certificate_id: str) -> list[int]:
        """Positions of the decisions behind a certificate.

        They are its holder's events up to the issuance, and the revocation if any.
        """
        from ledger.application.queries import certificate

        row = certificate(self.store, certificate_id)
        rows = self.events.of_aggregate(UUID(row["learner_id"]))
        cert_marker = f'"{certificate_id}"'.encode()
        revocation = [
            r.position for r in rows if r.topic.endswith("CertificateRevoked") and cert_marker in r.state
        ]
        return [r.position for r in rows if r.position <= row["position"]] + revocation

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        """The RFC 9162 consistency proof between two tree sizes (O(log n) stored nodes)."""
        try:
            return self.merkle().consistency_proof(old, new)
        except IntegrityError as exc:
            raise InvalidCommand(str(exc)) from None

    # ------------------------------------------------------------------------- verify
    def verify(
        self, vkeys: Iterable[str] = (), on_progress: Callable[[int], None] | None = None
    ) -> VerifyReport:
        """Recompute every leaf from the store and check the stored tree and checkpoints.

        One streaming pass (:mod:`ledger.audit.verify`): memory does not grow with the log.
        Checkpoint signatures are checked with the key directory's public keys and
        ``vkeys``. Does not sync: events stored after the last sync are ``pending``.
        ``on_progress(n)`` is called every 1000 positions checked (for a progress bar).
        """
        from ledger.audit import verify as av

        extra = [parse_vkey(k) for k in vkeys]
        counts = av.level_counts(self.db, NODES_TABLE)
        size = counts.get(0, 0)
        report = VerifyReport(size=size)
        rows = self._checkpoint_rows()
        leaves, tree = (
            av.LeafCheck(),
            av.TreeCheck(self.db, NODES_TABLE, counts, [r.size for r in rows if r.size <= size]),
        )
        for position, event, logged in av.merged(
            iter_notifications(self.store), av.stored_leaves(self.db, NODES_TABLE), size
        ):
            _check_position(leaves, tree, position, event, logged)
            if on_progress is not None and position % 1000 == 999:
                on_progress(1000)
        report.events_checked, report.pending = leaves.checked, leaves.pending
        report.problems.extend(_leaf_problems(self.db, leaves))
        report.problems.extend(
            TamperFinding("node", "leaf missing from the stored log", i) for i in leaves.holes
        )
        report.problems.extend(_node_problems(tree, av.count_problems(counts, size)))
        verifiers = [*self.keys.verifiers(), *extra]
        for row in rows:
            report.checkpoints_checked += 1
            report.latest_checkpoint = row.size
            report.problems.extend(_check_checkpoint(row, verifiers, tree.roots, size))
        log.info("audit.verified", size=report.size, problems=len(report.problems), pending=report.pending)
        return report

    # --------------------------------------------------------------------------- live
    def run(
        self,
        stop: threading.Event,
        every: float = 60.0,
        poll: float = 0.2,
        on_checkpoint: Callable[[bytes, Checkpoint], None] | None = None,
    ) -> None:
        """Follow the store live until ``stop`` is set.

        New events are logged within ``poll`` seconds; a checkpoint is signed every
        ``every`` seconds (a new one only when the log grew or the key rotated).
        """
        last = -1.0
        while not stop.is_set():
            while self.follower.step():
                pass
            if time.monotonic() - last >= every:
                note, checkpoint = self.checkpoint()
                last = time.monotonic()
                if on_checkpoint:
                    on_checkpoint(note, checkpoint)
            stop.wait(poll)

    def close(self) -> None:
        """Close the log's connection."""
        self.follower.close()


def _note_text(note: bytes) -> str:
    text = note.decode("utf-8")
    return text[: text.rfind("\n\n") + 1]


def _check_checkpoint(
    row: _CheckpointRow, verifiers: Sequence[Any], roots: Mapping[int, bytes], size: int
) -> list[TamperFinding]:
    where = f"checkpoint #{row.seq} (size {row.size})"
    try:
        checkpoint, _ = open_checkpoint(row.note, verifiers)
    except IntegrityError as exc:
        return [TamperFinding("checkpoint", f"{where}: signature does not verify: {exc}")]
    if (checkpoint.size, checkpoint.root_hash) != (row.size, row.root):
        return [TamperFinding("checkpoint", f"{where}: stored size/root differ from the signed note")]
    if checkpoint.size > size:
        return [TamperFinding("checkpoint", f"{where}: covers more leaves than the log holds ({size})")]
    if roots.get(checkpoint.size) != checkpoint.root_hash:
        return [TamperFinding("checkpoint", f"{where}: the stored tree's root is not the signed root")]
    return []


def verify_consistency_between(old: Checkpoint, new: Checkpoint, proof: Sequence[bytes]) -> None:
    """Verify that ``new`` extends ``old`` (raises :class:`ledger.integrity.ProofError`)."""
    verify_consistency(old.size, new.size, proof, old.root_hash, new.root_hash)


def prove_event(audit: AuditLog, position: int) -> str:
    """The tlog-proof of the event at ``position`` (hook for the certificate-history model)."""
    return audit.inclusion_proof(position)
