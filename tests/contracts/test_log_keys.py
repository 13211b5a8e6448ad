"""Contract of the integrity log's key store port (generate, rotate, signer, verifiers).

Run against the in-memory fake (:class:`MemoryLogKeyStore`) and the key directory
(:class:`LogKeyStore`). The oracle for signatures is the C2SP signed-note format as opened by
:func:`ledger.integrity.open_note` (itself checked against Go's ``sumdb/note`` vectors).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.adapters.errors import KeyStoreError
from ledger.adapters.keys import LogKeys, LogKeyStore, MemoryLogKeyStore
from ledger.integrity import SignatureError, open_note, sign_note


@pytest.fixture(params=["memory", "directory"])
def keys(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LogKeys]:
    """An empty key store per adapter."""
    yield MemoryLogKeyStore() if request.param == "memory" else LogKeyStore(tmp_path / "keys")


def test_an_empty_store_has_no_active_key_and_refuses_to_sign(keys: LogKeys) -> None:
    assert keys.active() is None
    assert keys.verifiers() == []
    with pytest.raises(KeyStoreError, match="no signing key"):
        keys.signer()


def test_a_generated_key_is_active_and_its_signatures_verify(keys: LogKeys) -> None:
    verifier = keys.generate("ledger.example/log")
    assert keys.active() == verifier
    assert keys.verifiers() == [verifier]
    note = sign_note("ledger.example/log\n1\nroot\n", [keys.signer()])
    text, signers = open_note(note, keys.verifiers())
    assert text == "ledger.example/log\n1\nroot\n" and signers == ("ledger.example/log",)


def test_rotation_makes_the_new_key_active_and_keeps_old_signatures_verifiable(keys: LogKeys) -> None:
    old = keys.generate("ledger.example/log")
    before = sign_note("signed before the rotation\n", [keys.signer()])
    new = keys.generate("ledger.example/log")
    assert new.key_id != old.key_id
    assert keys.active() == new
    assert keys.verifiers() == [new, old]  # newest first
    after = sign_note("signed after the rotation\n", [keys.signer()])
    assert open_note(before, keys.verifiers())[0] == "signed before the rotation\n"
    with pytest.raises(SignatureError):  # the active signer is the new key, not the old one
        open_note(after, [old])


@pytest.mark.parametrize("name", ["", "two words", "a+b"])
def test_an_invalid_key_name_is_refused_and_nothing_is_generated(keys: LogKeys, name: str) -> None:
    with pytest.raises(KeyStoreError, match="invalid key name"):
        keys.generate(name)
    assert keys.verifiers() == []


def test_the_directory_keeps_the_private_key_private_and_refuses_a_readable_one(tmp_path: Path) -> None:
    store = LogKeyStore(tmp_path / "keys")
    store.generate("ledger.example/log")
    (private,) = (tmp_path / "keys").glob("*.skey")
    assert private.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "keys").stat().st_mode & 0o777 == 0o700
    private.chmod(0o640)
    with pytest.raises(KeyStoreError, match="readable by others"):
        store.signer()


def test_the_directory_is_read_again_by_a_new_store(tmp_path: Path) -> None:
    first = LogKeyStore(tmp_path / "keys")
    verifier = first.generate("ledger.example/log")
    assert LogKeyStore(tmp_path / "keys").active() == verifier
