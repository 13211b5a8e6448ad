"""One round trip per application proof on PostgreSQL.

An inclusion proof needs the latest checkpoint (its sequence number, to know it is still the
latest), its cosigned note if witnesses signed it, the stored event and every Merkle node of
leaf, root and path. :func:`read_proof` fetches all of them in ONE query (a ``UNION ALL`` of
indexed lookups), for the tree size of a checkpoint the caller already holds; the caller
falls back to its step-by-step reads when that checkpoint is no longer the latest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ledger.adapters.follower import Db
from ledger.integrity.merkle import NodeKey


@dataclass(frozen=True)
class ProofRead:
    """What one proof query returned."""

    latest_seq: int | None
    cosigned_note: bytes | None
    nodes: dict[NodeKey, bytes]
    event: tuple[int, str, int, str, bytes] | None
    """``(position, originator id, version, topic, state)`` of the event, if stored."""


def read_proof(
    db: Db, events: Any, nodes_table: str, seq: int, position: int, keys: Sequence[NodeKey]
) -> ProofRead:
    """Checkpoint sequence, cosigned note, nodes ``keys`` and the event at ``position``, one query.

    ``events`` is the :class:`ledger.adapters.sql.EventTable` of the store (its table and
    position column); PostgreSQL only.
    """
    sql = (
        "SELECT 0, (SELECT max(seq) FROM integrity_checkpoints), NULL::bigint, NULL::bytea,"
        " (SELECT note FROM integrity_cosigned WHERE seq = ?), NULL::text"
        " UNION ALL"
        " SELECT 1, k.level::bigint, k.idx, n.hash, NULL, NULL"
        " FROM unnest(?::integer[], ?::bigint[]) AS k(level, idx)"
        f" CROSS JOIN LATERAL (SELECT hash FROM {nodes_table}"
        " WHERE level = k.level AND idx = k.idx) AS n"
        " UNION ALL"
        f" SELECT 2, originator_version::bigint, {events.pos}, state, originator_id::text, topic"
        f" FROM {events.table} WHERE {events.pos} = ?"
    )
    params = (seq, [k[0] for k in keys], [k[1] for k in keys], position + 1)
    latest: int | None = None
    cosigned: bytes | None = None
    nodes: dict[NodeKey, bytes] = {}
    event: tuple[int, str, int, str, bytes] | None = None
    for kind, a, b, blob, text, topic in db.execute(sql, params).fetchall():
        if kind == 1:
            nodes[(int(a), int(b))] = bytes(blob)
        elif kind == 0:
            latest = None if a is None else int(a)
            cosigned = None if text is None else str(text).encode("utf-8")
        else:
            event = (int(b) - 1, str(text), int(a), str(topic), bytes(blob))
    return ProofRead(latest, cosigned, nodes, event)
