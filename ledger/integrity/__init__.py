"""Tamper-evident log primitives: RFC 9162 Merkle trees, signed notes, checkpoints.

* :mod:`ledger.integrity.merkle` – hashing, proof verification, :class:`MerkleLog`.
* :mod:`ledger.integrity.sqlstore` – SQLite and PostgreSQL node stores.
* :mod:`ledger.integrity.note` – Ed25519 signed notes and tlog checkpoints.
* :mod:`ledger.integrity.tlogproof` – c2sp.org/tlog-proof@v1 bundles.
* :mod:`ledger.integrity.errors` – the :class:`IntegrityError` hierarchy.

The package is pure (no I/O of its own besides the SQL stores, which use the caller's
connection and never commit).
"""

from ledger.integrity.errors import (
    CheckpointError,
    IntegrityError,
    KeyFormatError,
    LogError,
    NoteError,
    ProofError,
    SignatureError,
    TlogProofError,
)
from ledger.integrity.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    MemoryNodeStore,
    MerkleLog,
    NodeKey,
    NodeStore,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from ledger.integrity.note import (
    Checkpoint,
    Signer,
    Verifier,
    generate_key,
    key_id,
    open_checkpoint,
    open_note,
    parse_skey,
    parse_vkey,
    sign_checkpoint,
    sign_note,
)
from ledger.integrity.sqlstore import PostgresNodeStore, SqliteNodeStore
from ledger.integrity.tlogproof import (
    TlogProof,
    VerifiedTlogProof,
    build_tlog_proof,
    parse_tlog_proof,
    verify_tlog_proof,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Checkpoint",
    "CheckpointError",
    "IntegrityError",
    "KeyFormatError",
    "LogError",
    "MemoryNodeStore",
    "MerkleLog",
    "NodeKey",
    "NodeStore",
    "NoteError",
    "PostgresNodeStore",
    "ProofError",
    "SignatureError",
    "Signer",
    "SqliteNodeStore",
    "TlogProof",
    "TlogProofError",
    "VerifiedTlogProof",
    "Verifier",
    "build_tlog_proof",
    "generate_key",
    "key_id",
    "leaf_hash",
    "node_hash",
    "open_checkpoint",
    "open_note",
    "parse_skey",
    "parse_tlog_proof",
    "parse_vkey",
    "sign_checkpoint",
    "sign_note",
    "verify_consistency",
    "verify_inclusion",
    "verify_tlog_proof",
]
