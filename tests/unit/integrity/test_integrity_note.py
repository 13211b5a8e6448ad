"""Signed notes (c2sp.org/signed-note) and checkpoints (c2sp.org/tlog-checkpoint)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.integrity import (
    Checkpoint,
    CheckpointError,
    KeyFormatError,
    NoteError,
    SignatureError,
    Signer,
    generate_key,
    key_id,
    open_checkpoint,
    open_note,
    parse_skey,
    parse_vkey,
    sign_checkpoint,
    sign_note,
)

# Published example of the golang.org/x/mod/sumdb/note package documentation.
PN_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PN_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PN_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
PN_NOTE = (
    PN_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2"
    "pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
).encode()


@pytest.fixture(scope="module")
def keys() -> tuple[Signer, Signer]:
    log_skey, _ = generate_key("example.com/log")
    other_skey, _ = generate_key("witness.example")
    return parse_skey(log_skey), parse_skey(other_skey)


# ------------------------------------------------------------- known-answer tests


def test_key_id_known_answer() -> None:
    verifier = parse_vkey(PN_VKEY)
    public = base64.b64decode(PN_VKEY.split("+")[2])[1:]
    assert verifier.key_id == 0xC74F20A3 == key_id("PeterNeumann", public)
    digest = hashlib.sha256(b"PeterNeumann\n\x01" + public).digest()
    assert digest[:4].hex() == "c74f20a3"
    assert verifier.vkey == PN_VKEY


def test_published_note_verifies_and_signing_is_byte_exact() -> None:
    verifier = parse_vkey(PN_VKEY)
    signer = parse_skey(PN_SKEY)
    assert signer.verifier == verifier
    assert signer.to_skey() == PN_SKEY
    assert open_note(PN_NOTE, [verifier]) == (PN_TEXT, ("PeterNeumann",))
    assert sign_note(PN_TEXT, [signer]) == PN_NOTE  # Ed25519 is deterministic


# ------------------------------------------------------------------------- notes


def test_round_trip_with_two_signers(keys: tuple[Signer, Signer]) -> None:
    log, witness = keys
    note = sign_note("hello\n\nworld\n", [log, witness])
    assert note.decode().count("\n— ") == 2
    text, names = open_note(note, [log.verifier, witness.verifier])
    assert text == "hello\n\nworld\n" and names == ("example.com/log", "witness.example")
    assert open_note(note, [witness.verifier])[1] == ("witness.example",)


def test_unknown_key_is_refused(keys: tuple[Signer, Signer]) -> None:
    log, witness = keys
    note = sign_note("text\n", [log])
    with pytest.raises(SignatureError):
        open_note(note, [witness.verifier])
    with pytest.raises(SignatureError):
        open_note(note, [])


def test_same_name_other_key_is_ignored_not_trusted(keys: tuple[Signer, Signer]) -> None:
    log, _ = keys
    impostor = parse_skey(generate_key("example.com/log")[0])
    note = sign_note("text\n", [impostor])
    with pytest.raises(SignatureError, match="no valid signature"):
        open_note(note, [log.verifier])


def test_tampered_text_is_refused(keys: tuple[Signer, Signer]) -> None:
    log, _ = keys
    note = sign_note("size 10\n", [log])
    with pytest.raises(SignatureError):
        open_note(note.replace(b"10", b"11"), [log.verifier])


@settings(max_examples=30, deadline=None)
@given(bit=st.integers(0, 8 * 64 - 1))
def test_any_signature_bit_flip_is_refused(keys: tuple[Signer, Signer], bit: int) -> None:
    log, _ = keys
    note = sign_note("text\n", [log])
    head, _, b64 = note.decode().rpartition(" ")
    raw = bytearray(base64.b64decode(b64))
    raw[4 + bit // 8] ^= 1 << (bit % 8)
    forged = (head + " " + base64.b64encode(bytes(raw)).decode() + "\n").encode()
    with pytest.raises(SignatureError):
        open_note(forged, [log.verifier])


def test_invalid_known_signature_rejects_note_even_if_another_verifies(
    keys: tuple[Signer, Signer],
) -> None:
    log, witness = keys
    good = sign_note("text\n", [log]).decode()
    bad_line = sign_note("other\n", [witness]).decode().split("\n\n")[1]
    with pytest.raises(SignatureError):
        open_note((good + bad_line).encode(), [log.verifier, witness.verifier])
    # The same line is ignored when the witness is unknown.
    assert open_note((good + bad_line).encode(), [log.verifier])[1] == ("example.com/log",)


@pytest.mark.parametrize(
    "note",
    [
        b"no signatures\n",
        b"text\n\n",
        b"text\n\n\xe2\x80\x94 name AAAAAAAA\n",  # signature too short
        "text\n\n— name !!!\n".encode(),
        b"text\n\n- name AAAAAAAAAAAA\n",
        "text\n\n— na+me AAAAAAAAAAAA\n".encode(),
        "text\n\n— name AAAAAAAAAAAA".encode(),  # no final newline
        "te\x01xt\n\n— name AAAAAAAAAAAA\n".encode(),
        b"\xff\n\n",
        ("text\n\n" + "— name AAAAAAAAAAAA\n" * 101).encode(),
    ],
)
def test_malformed_notes(note: bytes) -> None:
    with pytest.raises(NoteError):
        open_note(note, [parse_vkey(PN_VKEY)])


def test_sign_note_requires_final_newline(keys: tuple[Signer, Signer]) -> None:
    with pytest.raises(NoteError):
        sign_note("no newline", [keys[0]])
    with pytest.raises(NoteError):
        sign_note("text\n", [])


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong id
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+AhpcQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW=",
    ],
)
def test_malformed_vkeys(vkey: str) -> None:
    with pytest.raises(KeyFormatError):
        parse_vkey(vkey)


def test_malformed_skeys() -> None:
    with pytest.raises(KeyFormatError):
        parse_skey(PN_VKEY)
    with pytest.raises(KeyFormatError):
        parse_skey(PN_SKEY.replace("c74f20a3", "c74f20a4"))
    assert "PRIVATE" not in repr(parse_skey(PN_SKEY))


def test_generate_key_formats() -> None:
    skey, vkey = generate_key("example.com/ledger")
    assert skey.startswith("PRIVATE+KEY+example.com/ledger+")
    signer, verifier = parse_skey(skey), parse_vkey(vkey)
    assert signer.verifier == verifier and verifier.vkey == vkey
    with pytest.raises(KeyFormatError):
        generate_key("bad name")


# -------------------------------------------------------------------- checkpoints

SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"


def test_checkpoint_spec_example_parses() -> None:
    checkpoint = Checkpoint.parse(SPEC_BODY)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.to_body() == SPEC_BODY


def test_checkpoint_round_trip(keys: tuple[Signer, Signer]) -> None:
    log, witness = keys
    checkpoint = Checkpoint("example.com/log", 42, b"\x07" * 32, ("ext one",))
    note = sign_checkpoint(checkpoint, [log, witness])
    opened, names = open_checkpoint(note, [log.verifier], origin="example.com/log")
    assert opened == checkpoint and names == ("example.com/log",)
    with pytest.raises(CheckpointError):
        open_checkpoint(note, [log.verifier], origin="example.com/other")


@pytest.mark.parametrize(
    "body",
    [
        "origin\n10\n",
        "origin\n010\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "origin\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "origin\n10\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",
        "origin\n10\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
        "origin\n10\nAAAA\n",
        "\n10\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "origin\n10\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",
        "origin\n1 0\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
    ],
)
def test_malformed_checkpoints(body: str) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint.parse(body)


def test_checkpoint_constructor_validates() -> None:
    with pytest.raises(CheckpointError):
        Checkpoint("origin\n10", 1, b"\x00" * 32)
    with pytest.raises(CheckpointError):
        Checkpoint("origin", -1, b"\x00" * 32)
    with pytest.raises(CheckpointError):
        Checkpoint("origin", 1, b"\x00" * 31)
    with pytest.raises(CheckpointError):
        Checkpoint("origin", 1, b"\x00" * 32, ("",))
