"""Per-token revocation: a deny-list of token ids (``jti``) in the ledger's database.

The ``token_revocations`` table (created by the migration runner) is shared by every server
process: each request looks its token's ``jti`` up by primary key, so a revocation written by
``ledger tokens revoke`` is refused by every worker on the next request (no process cache).
Rows are kept until the token would have expired anyway, then purged.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from ledger.adapters.store import StoreTarget
from ledger.api.tokens import JTI, MAX_SERVICE_TTL, unverified_claims
from ledger.domain.errors import InvalidCommand


class RevocationList:
    """The ``token_revocations`` table of a store."""

    def __init__(self, target: StoreTarget) -> None:
        from ledger.adapters.migrations import migrate

        self._p = target.placeholder
        self._lock = threading.Lock()
        self._conn: Any = target.connect(threads=True)
        migrate(self._conn, self._p)

    def is_revoked(self, jti: str) -> bool:
        """True if the token id is on the deny-list (one primary-key lookup)."""
        with self._lock:
            row = self._conn.execute(
                f"SELECT 1 FROM token_revocations WHERE jti = {self._p}", (jti,)
            ).fetchone()
        return row is not None

    def revoke(self, jti: str, expires_at: float | None = None, now: float | None = None) -> bool:
        """Deny a token id from now on; False if it was already revoked.

        ``expires_at``: when the token expires anyway (the row can be purged after); unknown,
        the longest lifetime a token may have.
        """
        if not JTI.match(jti):
            raise InvalidCommand(f"not a token id (jti): {jti!r}")
        stamp = time.time() if now is None else now
        until = expires_at if expires_at is not None else stamp + MAX_SERVICE_TTL
        p = self._p
        with self._lock:
            self._conn.execute(f"DELETE FROM token_revocations WHERE expires_at < {p}", (stamp,))
            cur = self._conn.execute(
                f"INSERT INTO token_revocations (jti, revoked_at, expires_at) VALUES ({p}, {p}, {p}) "
                "ON CONFLICT (jti) DO NOTHING",
                (jti, stamp, until),
            )
            return bool(cur.rowcount == 1)

    def revoke_token(self, token: str) -> tuple[str, bool]:
        """Revoke a token given by value (its signature is not needed): ``(jti, newly revoked)``."""
        claims = unverified_claims(token)
        exp = claims.get("exp")
        jti = str(claims["jti"])
        return jti, self.revoke(jti, float(exp) if isinstance(exp, int) else None)

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()
