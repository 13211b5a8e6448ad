"""Witness cosignatures, the add-checkpoint exchange and witness policies (C2SP specs)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.integrity import (
    EMPTY_ROOT,
    Checkpoint,
    CheckpointError,
    CosignatureSigner,
    KeyFormatError,
    MemoryNodeStore,
    MerkleLog,
    PolicyError,
    QuorumError,
    SignatureError,
    Signer,
    WitnessError,
    generate_cosignature_key,
    parse_cosignature_skey,
    parse_cosignature_vkey,
    parse_policy,
    sign_checkpoint,
    verify_checkpoint_policy,
)
from ledger.integrity.witness import AddCheckpoint, check_add_checkpoint, merge_signatures, parse_size_body
from tests.unit.integrity._support import leaves_for

ORIGIN = "registre.example/qualifié"


def _log(size: int) -> tuple[MerkleLog, Signer]:
    log = MerkleLog(MemoryNodeStore())
    log.append(leaves_for(3, size))
    return log, Signer(ORIGIN, Ed25519PrivateKey.generate())


def _note(log: MerkleLog, signer: Signer, size: int) -> bytes:
    return sign_checkpoint(Checkpoint(ORIGIN, size, log.root(size)), [signer])


def _cosign(note: bytes, *witnesses: CosignatureSigner) -> bytes:
    text = note[: note.index(b"\n\n") + 1]
    return merge_signatures(note, [w.cosign(text).decode().rstrip("\n") for w in witnesses])


def test_a_cosignature_is_the_spec_message_signed_with_a_type_4_key_id() -> None:
    """Key id SHA-256(name‖0x0A‖0x04‖key)[:4]; signature = timestamp ‖ Ed25519 over the v1 message."""
    private = Ed25519PrivateKey.generate()
    witness = CosignatureSigner("témoin.example/w1", private)
    public = private.public_key().public_bytes_raw()
    kid = hashlib.sha256("témoin.example/w1".encode() + b"\n\x04" + public).digest()[:4]
    body = b"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    line = witness.cosign(body, timestamp=1679315147).decode()
    name, raw64 = line.removeprefix("— ").rstrip("\n").split(" ")
    raw = base64.b64decode(raw64)
    assert name == "témoin.example/w1" and raw[:4] == kid and int.from_bytes(raw[4:12], "big") == 1679315147
    private.public_key().verify(raw[12:], b"cosignature/v1\ntime 1679315147\n" + body)
    assert witness.verifier.verify(body, raw[4:])
    assert not witness.verifier.verify(body.replace(b"63", b"64"), raw[4:])
    key64 = base64.b64encode(b"\x04" + public).decode()
    assert witness.verifier.vkey == f"témoin.example/w1+{kid.hex()}+{key64}"


def test_cosignature_keys_round_trip_and_bad_keys_are_refused() -> None:
    """skey/vkey strings parse back; a log (type 1) key or ML-DSA (type 6) key is not a witness key."""
    skey, vkey = generate_cosignature_key("w.example/ñ")
    assert parse_cosignature_skey(skey).verifier == parse_cosignature_vkey(vkey)
    log_vkey = Signer("log", Ed25519PrivateKey.generate()).verifier.vkey
    mldsa = "w+00000000+" + base64.b64encode(b"\x06" + bytes(1312)).decode()
    for bad in [log_vkey, mldsa, vkey.replace("+", "+0", 1), "w+1234"]:
        with pytest.raises(KeyFormatError):
            parse_cosignature_vkey(bad)


# --------------------------------------------------------------------- add-checkpoint
def test_add_checkpoint_bodies_round_trip_and_malformed_ones_are_400() -> None:
    """old line, proof lines, blank line, note: parsed back; anything else is 400."""
    log, signer = _log(10)
    request = AddCheckpoint(4, tuple(log.consistency_proof(4, 10)), _note(log, signer, 10))
    assert AddCheckpoint.parse(request.to_body()) == request
    for body in [
        b"old 01\n\n" + request.checkpoint,
        b"old 4\n",
        b"new 4\n\n" + request.checkpoint,
        b"old 4\nnot-base64\n\n" + request.checkpoint,
        b"old 0\n"
        + b"".join(base64.b64encode(bytes(32)) + b"\n" for _ in range(64))
        + b"\n"
        + request.checkpoint,
    ]:
        with pytest.raises(WitnessError) as caught:
            AddCheckpoint.parse(body)
        assert caught.value.status == 400
    assert parse_size_body(b"17\n") == 17


def test_witness_decisions_follow_the_protocol_statuses() -> None:
    """404 unknown origin, 403 no trusted signature, 409 wrong old size, 422 bad proof, 400 old > size."""
    log, signer = _log(20)
    keys = [signer.verifier]
    first = AddCheckpoint(0, (), _note(log, signer, 8))
    assert check_add_checkpoint(first, keys, None).size == 8

    def status(
        request: AddCheckpoint, verifiers: list[object] | None, known: tuple[int, bytes] | None
    ) -> int:
        with pytest.raises(WitnessError) as caught:
            check_add_checkpoint(request, verifiers, known)  # type: ignore[arg-type]
        return caught.value.status

    stranger = Signer(ORIGIN, Ed25519PrivateKey.generate())
    assert status(first, None, None) == 404
    assert status(AddCheckpoint(0, (), _note(log, stranger, 8)), keys, None) == 403
    forged = _note(log, signer, 8).replace(b"\n8\n", b"\n9\n")
    assert status(AddCheckpoint(0, (), forged), keys, None) == 403
    grown = AddCheckpoint(8, tuple(log.consistency_proof(8, 20)), _note(log, signer, 20))
    assert check_add_checkpoint(grown, keys, (8, log.root(8))).size == 20
    with pytest.raises(WitnessError) as conflict:
        check_add_checkpoint(grown, keys, (12, log.root(12)))
    assert (conflict.value.status, conflict.value.known_size) == (409, 12)
    assert status(grown, keys, (8, log.root(7))) == 422
    assert status(AddCheckpoint(20, (), _note(log, signer, 8)), keys, (20, log.root(20))) == 400
    assert (
        status(AddCheckpoint(0, tuple(log.consistency_proof(8, 20)), _note(log, signer, 20)), keys, None)
        == 422
    )
    same = AddCheckpoint(20, (), _note(log, signer, 20))
    assert check_add_checkpoint(same, keys, (20, log.root(20))).size == 20
    assert status(same, keys, (20, log.root(19))) == 422
    empty = sign_checkpoint(Checkpoint(ORIGIN, 0, bytes(32)), [signer])
    assert status(AddCheckpoint(0, (), empty), keys, None) == 422
    ok_empty = sign_checkpoint(Checkpoint(ORIGIN, 0, EMPTY_ROOT), [signer])
    assert check_add_checkpoint(AddCheckpoint(0, (), ok_empty), keys, None).size == 0


# ----------------------------------------------------------------------------- policy
def _policy(signer: Signer, *witnesses: CosignatureSigner, quorum: str = "any-of-them") -> str:
    lines = [f"log {signer.verifier.vkey} https://ledger.example/log  # the log"]
    lines += [f"witness w{i} {w.verifier.vkey} http://127.0.0.1:{7000 + i}" for i, w in enumerate(witnesses)]
    names = " ".join(f"w{i}" for i in range(len(witnesses)))
    lines += [f"group any-of-them any {names}", f"group all-of-them all {names}", f"quorum {quorum}"]
    return "\n".join(lines) + "\n"


def test_policy_quorums_need_the_cosignatures_they_name() -> None:
    """1-of-2 passes with one cosignature; 2-of-2 needs both; removing one fails; none fails."""
    log, signer = _log(5)
    w0, w1 = (CosignatureSigner(f"w{i}.example", Ed25519PrivateKey.generate()) for i in range(2))
    note = _note(log, signer, 5)
    anyone, everyone = (
        parse_policy(_policy(signer, w0, w1)),
        parse_policy(_policy(signer, w0, w1, quorum="all-of-them")),
    )
    verdict = verify_checkpoint_policy(_cosign(note, w1), anyone)
    assert verdict.witnesses == ("w1",) and verdict.log_signers == (ORIGIN,) and verdict.checkpoint.size == 5
    both = _cosign(note, w0, w1)
    assert verify_checkpoint_policy(both, everyone).witnesses == ("w0", "w1")
    with pytest.raises(QuorumError, match="cosigned by w0"):
        verify_checkpoint_policy(_cosign(note, w0), everyone)
    with pytest.raises(QuorumError):
        verify_checkpoint_policy(note, anyone)
    tampered = both.replace(b"\n5\n", b"\n6\n", 1)
    with pytest.raises(SignatureError):
        verify_checkpoint_policy(tampered, anyone)
    assert verify_checkpoint_policy(note, parse_policy(_policy(signer, w0, quorum="none"))).witnesses == ()


def test_policy_checks_the_log_key_and_origin() -> None:
    """The log key must sign; its name is the origin; without a log line the caller gives keys."""
    log, signer = _log(5)
    w0 = CosignatureSigner("w0.example", Ed25519PrivateKey.generate())
    other = Signer(ORIGIN, Ed25519PrivateKey.generate())
    cosigned = _cosign(_note(log, other, 5), w0)
    with pytest.raises(QuorumError, match="did not sign"):
        verify_checkpoint_policy(cosigned, parse_policy(_policy(signer, w0)))
    no_log = parse_policy(f"witness a {w0.verifier.vkey}\nquorum a\n")
    assert verify_checkpoint_policy(cosigned, no_log, log_verifiers=[other.verifier]).witnesses == ("a",)
    with pytest.raises(PolicyError):
        verify_checkpoint_policy(cosigned, no_log)
    with pytest.raises(CheckpointError):
        verify_checkpoint_policy(cosigned, no_log, log_verifiers=[other.verifier], origin="elsewhere")
    renamed = Signer("not-the-origin", Ed25519PrivateKey.generate())
    note = _cosign(sign_checkpoint(Checkpoint(ORIGIN, 5, log.root(5)), [renamed]), w0)
    with pytest.raises(QuorumError, match="origin"):
        verify_checkpoint_policy(note, parse_policy(_policy(renamed, w0)))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("quorum none\nquorum none\n", "second 'quorum'"),
        ("witness a {w}\n", "no 'quorum'"),
        ("witness a {w}\nwitness a {w}\nquorum a\n", "already defined"),
        ("group g 1 a\nquorum g\n", "not defined above"),
        ("witness a {w}\ngroup g 2 a\nquorum g\n", "threshold"),
        ("witness a {w}\ngroup g 0 a\nquorum g\n", "threshold"),
        ("witness a {w}\ngroup g any a a\nquorum g\n", "twice"),
        ("witness a {w}\nquorum b\n", "not defined"),
        ("witness a {l}\nquorum a\n", "invalid witness vkey"),
        ("log {w}\nquorum none\n", "invalid log vkey"),
        ("witness a {w} http://x extra\nquorum a\n", "after the URL"),
        ("witnesses a {w}\nquorum a\n", "unknown keyword"),
    ],
)
def test_malformed_policies_name_the_line_and_the_fault(text: str, message: str) -> None:
    """Every malformed policy is refused with what is wrong."""
    _, wvkey = generate_cosignature_key("w")
    lvkey = Signer("l", Ed25519PrivateKey.generate()).verifier.vkey
    with pytest.raises(PolicyError, match=message):
        parse_policy(text.format(w=wvkey, l=lvkey))


def test_nested_groups_and_comments() -> None:
    """Groups of groups count satisfied members; comments and blank lines are ignored."""
    keys = [generate_cosignature_key(f"w{i}")[1] for i in range(4)]
    policy = parse_policy(
        "# a comment\n\n"
        + "".join(f"witness w{i} {k}  # w{i}\n" for i, k in enumerate(keys))
        + "group east all w0 w1\ngroup west any w2 w3\ngroup both 2 east west\nquorum both\n"
    )
    assert policy.satisfied("both", {"w0", "w1", "w3"})
    assert not policy.satisfied("both", {"w0", "w2", "w3"})
    assert policy.describe() == "2 of [2 of [w0, w1], 1 of [w2, w3]]"
