"""Log keys with any signed-note name (UTF-8, no spaces, no '+'), written all or nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ledger.adapters import keys as key_files
from ledger.adapters.keys import KeyStoreError, LogKeyStore

NAMES = ["registre.example/qualifié", "機関.example/log", "ledger.example/Ωμέγα"]


@pytest.mark.parametrize("name", NAMES)
def test_utf8_key_names_are_written_read_and_sign(tmp_path: Path, name: str) -> None:
    """The key files hold the UTF-8 name; the active signer and verifiers read them back."""
    store = LogKeyStore(tmp_path / "keys")
    verifier = store.generate(name)
    (vkey,) = (tmp_path / "keys").glob("*.vkey")
    assert vkey.read_text(encoding="utf-8") == verifier.vkey + "\n"
    assert store.signer().verifier == verifier and store.verifiers() == [verifier]


def test_a_failed_generation_leaves_no_file_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If writing the public key fails, the private key file is removed too: no half key."""
    store = LogKeyStore(tmp_path / "keys")

    def full_disk(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(key_files.os, "replace", full_disk)
    with pytest.raises(OSError):
        store.generate(NAMES[0])
    assert os.listdir(tmp_path / "keys") == [] and store.active() is None


@pytest.mark.parametrize("name", ["", "two words", "a+b", "tab\there", "nbsp\u00a0here"])
def test_invalid_names_are_refused_before_anything_is_written(tmp_path: Path, name: str) -> None:
    """Spaces (Unicode ones included), '+' and the empty name are refused; nothing is created."""
    with pytest.raises(KeyStoreError, match="invalid key name"):
        LogKeyStore(tmp_path / "keys").generate(name)
    assert not (tmp_path / "keys").exists()
