"""The jti deny-list in the ledger's database (SQLite and PostgreSQL), shared by processes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ledger.api.revocations import RevocationList
from ledger.api.roles import Principal
from ledger.api.tokens import KeyRing, unverified_claims
from ledger.domain.errors import InvalidCommand
from tests.conftest import make_services


def test_revocation_is_seen_by_another_connection(store_location: str, tmp_path: Path) -> None:
    """Revoked through one list (the CLI), refused through another (a server process)."""
    services = make_services(store_location)
    writer, reader = RevocationList(services.target), RevocationList(services.target)
    try:
        ring = KeyRing(tmp_path / "tokens")
        ring.generate()
        token = ring.issue(Principal("inspector", "all", "i-1"), 600)
        jti = unverified_claims(token)["jti"]
        assert ring.verify(token, revoked=reader.is_revoked).subject == "i-1"
        assert writer.revoke_token(token) == (jti, True)
        assert writer.revoke(jti) is False  # already revoked: no second row, no error
        assert reader.is_revoked(jti)
        with pytest.raises(InvalidCommand):
            writer.revoke("not a jti; DROP TABLE")
        # expired rows are purged on the next revocation; live ones stay
        writer.revoke("e" * 32, expires_at=time.time() - 10)
        writer.revoke("f" * 32)
        assert not reader.is_revoked("e" * 32) and reader.is_revoked(jti)
    finally:
        writer.close()
        reader.close()
        services.close()
