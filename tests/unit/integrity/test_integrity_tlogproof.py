"""c2sp.org/tlog-proof@v1 encoding, parsing and offline verification."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.integrity import (
    Checkpoint,
    CheckpointError,
    IntegrityError,
    LogError,
    MemoryNodeStore,
    MerkleLog,
    ProofError,
    SignatureError,
    Signer,
    TlogProof,
    TlogProofError,
    build_tlog_proof,
    generate_key,
    leaf_hash,
    parse_skey,
    parse_tlog_proof,
    sign_checkpoint,
    verify_tlog_proof,
)

ORIGIN = "example.com/ledger"
H1 = hashlib.sha256(b"hash1").digest()
H2 = hashlib.sha256(b"hash2").digest()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.fixture(scope="module")
def signer() -> Signer:
    return parse_skey(generate_key(ORIGIN)[0])


@pytest.fixture(scope="module")
def setup(signer: Signer) -> tuple[MerkleLog, Checkpoint, bytes, list[bytes]]:
    entries = [f"event-{i}".encode() for i in range(1000)]
    log = MerkleLog(MemoryNodeStore())
    log.append_data(entries[:700])
    checkpoint = Checkpoint(ORIGIN, 700, log.root())
    note = sign_checkpoint(checkpoint, [signer])
    log.append_data(entries[700:])  # the log grows after the checkpoint
    return log, checkpoint, note, entries


# ---------------------------------------------------------------------- format


def test_encoding_matches_spec_layout() -> None:
    without = TlogProof(5, (H1, H2), b"test checkpoint\n")
    assert without.to_text() == (
        f"c2sp.org/tlog-proof@v1\nindex 5\n{_b64(H1)}\n{_b64(H2)}\n\ntest checkpoint\n"
    )
    extra = b"extra information"
    with_extra = TlogProof(10, (H1,), b"checkpoint data\n", extra)
    assert with_extra.to_text() == (
        f"c2sp.org/tlog-proof@v1\nextra {_b64(extra)}\nindex 10\n{_b64(H1)}\n\ncheckpoint data\n"
    )
    assert TlogProof(0, (), b"checkpoint\n").to_text() == ("c2sp.org/tlog-proof@v1\nindex 0\n\ncheckpoint\n")


@settings(max_examples=50, deadline=None)
@given(
    index=st.integers(0, 2**64 - 1),
    count=st.integers(0, 40),
    extra=st.none() | st.binary(max_size=200),
    checkpoint=st.text(st.characters(min_codepoint=0x20, codec="utf-8"), max_size=80),
)
def test_round_trip(index: int, count: int, extra: bytes | None, checkpoint: str) -> None:
    hashes = tuple(hashlib.sha256(bytes([i])).digest() for i in range(count))
    proof = TlogProof(index, hashes, (checkpoint + "\n\n— x y\n").encode(), extra)
    text = proof.to_text()
    assert parse_tlog_proof(text) == proof
    assert parse_tlog_proof(text.encode()) == proof


@pytest.mark.parametrize(
    "text",
    [
        "wrong-header\nindex 0\n\ncheckpoint\n",
        "c2sp.org/tlog-proof@v1\nextra !!notbase64!!\nindex 0\n\ncheckpoint\n",
        "c2sp.org/tlog-proof@v1\n\n\ncheckpoint\n",
        "c2sp.org/tlog-proof@v1\nindex notanumber\n\ncheckpoint\n",
        "c2sp.org/tlog-proof@v1\nindex -5\n\ncheckpoint\n",
        "c2sp.org/tlog-proof@v1\nindex 05\n\ncheckpoint\n",
        f"c2sp.org/tlog-proof@v1\nindex {2**64}\n\ncheckpoint\n",
        "c2sp.org/tlog-proof@v1\nindex 0\n!!notbase64!!\n\ncheckpoint\n",
        f"c2sp.org/tlog-proof@v1\nindex 0\n{_b64(bytes(64))}\n\ncheckpoint\n",
        "c2sp.org/tlog-proof@v1\nindex 0\n",
        "c2sp.org/tlog-proof@v1\nindex 0\n\n",
        "c2sp.org/tlog-proof@v1\nindex 0\n\ncheckpoint without newline",
        "c2sp.org/tlog-proof@v1\nextra AAAA\nextra AAAA\nindex 0\n\ncheckpoint\n",
    ],
)
def test_malformed_proofs(text: str) -> None:
    with pytest.raises(TlogProofError):
        parse_tlog_proof(text)


def test_empty_extra_is_kept() -> None:
    proof = parse_tlog_proof("c2sp.org/tlog-proof@v1\nextra \nindex 3\n\ncp\n")
    assert proof.extra == b"" and proof.index == 3 and proof.hashes == ()


# ------------------------------------------------------------------ verification


def test_verify_with_leaf_data_and_hash(
    signer: Signer, setup: tuple[MerkleLog, Checkpoint, bytes, list[bytes]]
) -> None:
    log, checkpoint, note, entries = setup
    text = build_tlog_proof(log, 123, checkpoint, note, extra=b"\x00ctx\n\xff")
    result = verify_tlog_proof(text, [signer.verifier], entries[123], origin=ORIGIN)
    assert result.checkpoint == checkpoint and result.signers == (ORIGIN,)
    assert result.proof.index == 123 and result.proof.extra == b"\x00ctx\n\xff"
    verify_tlog_proof(text, [signer.verifier], leaf_hash(entries[123]), leaf_is_hash=True)


def test_verify_rejections(signer: Signer, setup: tuple[MerkleLog, Checkpoint, bytes, list[bytes]]) -> None:
    log, checkpoint, note, entries = setup
    text = build_tlog_proof(log, 123, checkpoint, note)
    with pytest.raises(ProofError):
        verify_tlog_proof(text, [signer.verifier], entries[124])
    with pytest.raises(ProofError):
        verify_tlog_proof(text.replace("index 123", "index 122"), [signer.verifier], entries[123])
    stranger = parse_skey(generate_key(ORIGIN)[0])
    with pytest.raises(SignatureError):
        verify_tlog_proof(text, [stranger.verifier], entries[123])
    with pytest.raises(SignatureError):
        verify_tlog_proof(text.replace("\n700\n", "\n701\n"), [signer.verifier], entries[123])
    with pytest.raises(CheckpointError):
        verify_tlog_proof(text, [signer.verifier], entries[123], origin="example.com/x")
    with pytest.raises(IntegrityError):
        verify_tlog_proof(text[:40], [signer.verifier], entries[123])


def test_leaf_beyond_checkpoint_cannot_be_proven(
    setup: tuple[MerkleLog, Checkpoint, bytes, list[bytes]],
) -> None:
    log, checkpoint, note, _ = setup
    with pytest.raises(LogError):
        build_tlog_proof(log, 800, checkpoint, note)
    forged = Checkpoint(ORIGIN, 700, b"\x00" * 32)
    with pytest.raises(LogError):
        build_tlog_proof(log, 1, forged, note)


@settings(max_examples=20, deadline=None)
@given(index=st.integers(0, 699), bit=st.integers(0, 255))
def test_any_tampered_hash_line_is_rejected(
    signer: Signer,
    setup: tuple[MerkleLog, Checkpoint, bytes, list[bytes]],
    index: int,
    bit: int,
) -> None:
    log, checkpoint, note, entries = setup
    proof = parse_tlog_proof(build_tlog_proof(log, index, checkpoint, note))
    verify_tlog_proof(proof.to_text(), [signer.verifier], entries[index])
    at = bit % len(proof.hashes)
    hashes = list(proof.hashes)
    changed = bytearray(hashes[at])
    changed[bit // 8] ^= 1 << (bit % 8)
    hashes[at] = bytes(changed)
    tampered = TlogProof(proof.index, tuple(hashes), proof.checkpoint, proof.extra)
    with pytest.raises(ProofError):
        verify_tlog_proof(tampered.to_text(), [signer.verifier], entries[index])
