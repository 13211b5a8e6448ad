"""Signing keys of the integrity log, kept in a key directory — never in the database.

The key directory is ``LEDGER_KEY_DIR`` when set, else ``.ledger/keys`` beside a SQLite
store (``.ledger/keys`` in the working directory for PostgreSQL). It holds one pair of
files per generated key, numbered in creation order::

    0001-<hex key id>.skey   PRIVATE+KEY+<name>+<id>+<seed>   (mode 0600, directory 0700)
    0001-<hex key id>.vkey   <name>+<id>+<base64(0x01 || public key)>

The **active** signing key is the last one generated. Rotation is ``ledger keys generate``
again: a new pair becomes active and the older ones stay, so checkpoints signed before the
rotation remain verifiable with the older public keys (:meth:`LogKeyStore.verifiers` lists
them all, newest first). A private key file readable by group or others is refused, as
``ssh`` does. Key strings use the C2SP signed-note / Go ``sumdb/note`` encodings.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Protocol

import structlog

from ledger.adapters.errors import KeyStoreError
from ledger.adapters.store import StoreTarget
from ledger.integrity import KeyFormatError, Signer, Verifier, generate_key, parse_skey, parse_vkey
from ledger.integrity.note import is_valid_key_name

__all__ = ["KEY_DIR_ENV", "KeyStoreError", "LogKeyStore", "LogKeys", "MemoryLogKeyStore", "default_key_dir"]

log = structlog.get_logger("ledger.keys")

KEY_DIR_ENV = "LEDGER_KEY_DIR"
"""Environment variable naming the key directory."""

_STEM = re.compile(r"(\d{4})-([0-9a-f]{8})")


def default_key_dir(target: StoreTarget, home: Path | None = None) -> Path:
    """The key directory of a store when none is set: never the working directory.

    ``.ledger/keys`` beside a SQLite file; for PostgreSQL, a per-user directory named after the
    database: ``~/.local/share/certification-ledger/keys/<host>-<port>-<db>[-<schema>]``
    (``home`` replaces ``~``). The same store gives the same directory from any folder.
    """
    if target.kind == "sqlite" and target.sqlite_path is not None:
        return target.sqlite_path.parent / ".ledger" / "keys"
    assert target.pg is not None
    pg = target.pg
    slug = "-".join(p for p in (pg["host"], pg["port"], pg["dbname"], target.schema) if p)
    return (home or Path.home()) / ".local" / "share" / "certification-ledger" / "keys" / slug


class LogKeys(Protocol):
    """Port: the integrity log's signing keys (the last generated is the active one)."""

    def generate(self, name: str) -> Verifier:
        """Generate a key pair named ``name``, make it active, return its verifier."""

    def signer(self) -> Signer:
        """The active signing key, or :class:`KeyStoreError` when there is none."""

    def verifiers(self) -> list[Verifier]:
        """Every public key ever generated, newest (active) first."""

    def active(self) -> Verifier | None:
        """The active key's verifier, or ``None``."""


class MemoryLogKeyStore:
    """Fake log key store for unit tests: the same behaviour as :class:`LogKeyStore`, no files."""

    def __init__(self) -> None:
        self._pairs: list[tuple[str, str]] = []

    def generate(self, name: str) -> Verifier:
        """Generate a new key pair named ``name``, make it the active one, return its verifier."""
        if not is_valid_key_name(name):
            raise KeyStoreError(f"invalid key name {name!r}: non-empty, no spaces, no '+'")
        skey, vkey = generate_key(name)
        self._pairs.append((skey, vkey))
        return parse_vkey(vkey)

    def signer(self) -> Signer:
        """The active signing key (the last generated), or :class:`KeyStoreError`."""
        if not self._pairs:
            raise KeyStoreError("no signing key in memory: generate one")
        return parse_skey(self._pairs[-1][0])

    def verifiers(self) -> list[Verifier]:
        """Every public key generated here, newest (active) first."""
        return [parse_vkey(vkey) for _, vkey in reversed(self._pairs)]

    def active(self) -> Verifier | None:
        """The active key's verifier, or ``None`` when no key was generated."""
        return parse_vkey(self._pairs[-1][1]) if self._pairs else None


class LogKeyStore:
    """The key directory: generate, rotate, load the active signer, list verifiers."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def _stems(self) -> list[str]:
        """Key file stems in creation order (oldest first)."""
        if not self.directory.is_dir():
            return []
        stems = {p.stem for p in self.directory.glob("*.vkey") if _STEM.fullmatch(p.stem)}
        return sorted(stems)

    def generate(self, name: str) -> Verifier:
        """Generate a new key pair named ``name``, make it the active one, return its verifier."""
        if not is_valid_key_name(name):
            raise KeyStoreError(f"invalid key name {name!r}: non-empty, no spaces, no '+'")
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.directory, 0o700)
        skey, vkey = generate_key(name)
        verifier = parse_vkey(vkey)
        stems = self._stems()
        number = int(stems[-1][:4]) + 1 if stems else 1
        stem = f"{number:04d}-{verifier.key_id:08x}"
        _write_pair(self.directory, stem, skey, vkey)
        log.info("keys.generated", key_id=f"{verifier.key_id:08x}", number=number)
        return verifier

    def signer(self) -> Signer:
        """The active signing key (the last generated), or :class:`KeyStoreError`."""
        stems = self._stems()
        if not stems:
            raise KeyStoreError(f"no signing key in {self.directory}: run `ledger keys generate`")
        path = self.directory / f"{stems[-1]}.skey"
        if not path.is_file():
            raise KeyStoreError(f"the active key's private file is missing: {path.name}")
        if path.stat().st_mode & 0o077:
            raise KeyStoreError(f"{path.name} is readable by others: chmod 600 it")
        try:
            return parse_skey(path.read_text(encoding="utf-8").strip())
        except (KeyFormatError, UnicodeDecodeError) as exc:
            raise KeyStoreError(f"malformed private key file {path.name}: {exc}") from None

    def verifiers(self) -> list[Verifier]:
        """Every public key ever generated here, newest (active) first."""
        found = []
        for stem in reversed(self._stems()):
            try:
                text = (self.directory / f"{stem}.vkey").read_text(encoding="utf-8").strip()
                found.append(parse_vkey(text))
            except (KeyFormatError, UnicodeDecodeError) as exc:
                raise KeyStoreError(f"malformed public key file {stem}.vkey: {exc}") from None
        return found

    def active(self) -> Verifier | None:
        """The active key's verifier, or ``None`` when no key was generated."""
        keys = self.verifiers()
        return keys[0] if keys else None


def _write_pair(directory: Path, stem: str, skey: str, vkey: str) -> None:
    """Write ``<stem>.skey`` then ``<stem>.vkey`` (UTF-8: key names may be any UTF-8).

    The public file appears last and atomically (it is what makes the key active); on any
    failure neither file is left behind.
    """
    secret, public = directory / f"{stem}.skey", directory / f"{stem}.vkey"
    temporary = directory / f".{stem}.vkey.{os.getpid()}.tmp"
    _write_private(secret, skey)  # O_EXCL: never touches a file it did not create
    try:
        temporary.write_bytes((vkey + "\n").encode("utf-8"))
        os.replace(temporary, public)
    except BaseException:
        temporary.unlink(missing_ok=True)
        secret.unlink(missing_ok=True)
        raise


def _write_private(path: Path, skey: str) -> None:
    """Create ``path`` with mode 0600 (never overwriting) and write the secret key."""
    data = (skey + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
