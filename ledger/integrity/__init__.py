"""Tamper-evident log primitives: RFC 9162 Merkle trees, signed notes, checkpoints.

* :mod:`ledger.integrity.merkle` – hashing, proof verification, :class:`MerkleLog`.
* :mod:`ledger.integrity.sqlstore` – SQLite and PostgreSQL node stores.
* :mod:`ledger.integrity.note` – Ed25519 signed notes and tlog checkpoints.
* :mod:`ledger.integrity.tlogproof` – c2sp.org/tlog-proof@v1 bundles.
* :mod:`ledger.integrity.tiles` – c2sp.org/tlog-tiles paths, tiles, entry bundles.
* :mod:`ledger.integrity.cosignature` – c2sp.org/tlog-cosignature Ed25519 witness keys.
* :mod:`ledger.integrity.witness` – the c2sp.org/tlog-witness ``add-checkpoint`` exchange.
* :mod:`ledger.integrity.policy` – witness policies and :func:`verify_checkpoint_policy`.
* :mod:`ledger.integrity.errors` – the :class:`IntegrityError` hierarchy.

The package is pure (no I/O of its own besides the SQL stores, which use the caller's
connection and never commit).
"""

from ledger.integrity.cosignature import (
    CosignatureSigner,
    CosignatureVerifier,
    generate_cosignature_key,
    parse_cosignature_skey,
    parse_cosignature_vkey,
)
from ledger.integrity.errors import (
    CheckpointError,
    IntegrityError,
    KeyFormatError,
    LogError,
    NoteError,
    PolicyError,
    ProofError,
    QuorumError,
    SignatureError,
    TileError,
    TlogProofError,
    WitnessError,
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
    NoteVerifier,
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
    verify_note,
)
from ledger.integrity.policy import (
    PolicyVerdict,
    WitnessPolicy,
    parse_policy,
    verify_checkpoint_policy,
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
    "CosignatureSigner",
    "CosignatureVerifier",
    "IntegrityError",
    "KeyFormatError",
    "LogError",
    "MemoryNodeStore",
    "MerkleLog",
    "NodeKey",
    "NodeStore",
    "NoteError",
    "NoteVerifier",
    "PolicyError",
    "PolicyVerdict",
    "PostgresNodeStore",
    "ProofError",
    "QuorumError",
    "SignatureError",
    "Signer",
    "SqliteNodeStore",
    "TileError",
    "TlogProof",
    "TlogProofError",
    "VerifiedTlogProof",
    "Verifier",
    "WitnessError",
    "WitnessPolicy",
    "build_tlog_proof",
    "generate_cosignature_key",
    "generate_key",
    "key_id",
    "leaf_hash",
    "node_hash",
    "open_checkpoint",
    "open_note",
    "parse_cosignature_skey",
    "parse_cosignature_vkey",
    "parse_policy",
    "parse_skey",
    "parse_tlog_proof",
    "parse_vkey",
    "sign_checkpoint",
    "sign_note",
    "verify_checkpoint_policy",
    "verify_consistency",
    "verify_inclusion",
    "verify_note",
    "verify_tlog_proof",
]
