"""Signed, expiring bearer tokens: JWTs signed with Ed25519 (``alg: EdDSA``) by PyJWT.

Keys live in ``$LEDGER_KEY_DIR/tokens`` (default ``.ledger/keys/tokens``): one PEM private key
per key id (``<kid>.key``, mode 0600) beside its public key (``<kid>.pub``) and a file
``active`` naming the one signing key. Every public key in the directory verifies, so a key
can be rotated (new active key) and retired (private key deleted, public key kept until the
tokens it signed have expired). The directory is the shared state of every server process:
each verification checks its modification time (one ``stat``) and reads the keys again when it
changed, so a removed key is refused by every worker on the next request. The files are the
same as those of the earlier hand-made JWS: existing keys and tokens keep verifying.

Lifetimes: tokens for people last at most :data:`MAX_PERSON_TTL` (12 h, default 8 h); a token
issued with ``--service`` (claim ``svc: true``, for a machine client) at most
:data:`MAX_SERVICE_TTL` (90 days). Verification enforces the limit on ``exp - iat``, so a
longer-lived token signed before the limit existed is refused. Every token carries a ``jti``;
a revoked ``jti`` (:mod:`ledger.api.revocations`) is refused at once by every worker.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.api.errors import TokenError
from ledger.api.roles import Principal, parse_scope
from ledger.domain.errors import InvalidCommand

__all__ = [
    "KeyRing",
    "TokenError",
    "key_dir",
    "max_ttl",
    "parse_ttl",
    "unverified_claims",
]

ISSUER = "certification-ledger"
ALGORITHM = "EdDSA"
MAX_PERSON_TTL = 12 * 3600
"""The longest lifetime of a token for a person (12 hours)."""
MAX_SERVICE_TTL = 90 * 86400
"""The longest lifetime of a service token (``ledger tokens issue --service``)."""
MAX_TOKEN_LENGTH = 4096
CLOCK_SKEW = 60
_KID = re.compile(r"^[0-9a-f]{16}$")
JTI = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_TTL = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def key_dir(base: str | Path) -> Path:
    """The token key directory: ``<key dir>/tokens`` (the key directory comes from the settings)."""
    return Path(base) / "tokens"


def max_ttl(service: bool) -> int:
    """The longest lifetime allowed: 12 h for people, 90 days for services."""
    return MAX_SERVICE_TTL if service else MAX_PERSON_TTL


def parse_ttl(text: str, service: bool = False) -> int:
    """``30m``, ``8h``, ``3600s`` (``7d`` for services) → seconds, within :func:`max_ttl`."""
    match = _TTL.match(text.strip())
    if not match:
        raise InvalidCommand(f"not a duration (e.g. 30m, 8h, 7d): {text!r}")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if not 0 < seconds <= max_ttl(service):
        limit = "90 days for a --service token" if service else "12 hours for a person (--service: 90 days)"
        raise InvalidCommand(f"token lifetime must be between 1 s and {limit}: {text!r}")
    return seconds


def kid_of(public: Ed25519PublicKey) -> str:
    """Key id: the first 8 bytes of SHA-256 of the raw public key, in hex."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class KeyInfo:
    """One key of the key ring."""

    kid: str
    active: bool
    can_sign: bool
    created: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {"kid": self.kid, "active": self.active, "can_sign": self.can_sign, "created": self.created}


class KeyRing:
    """The signing key and every verification key of a key directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.public: dict[str, Ed25519PublicKey] = {}
        self._stamp: tuple[int, int] | None = None
        self.reload()

    def _dir_stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.directory)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def reload(self) -> None:
        """Read every public key of the directory again."""
        stamp = self._dir_stamp()
        keys: dict[str, Ed25519PublicKey] = {}
        if self.directory.is_dir():
            for path in sorted(self.directory.glob("*.pub")):
                try:
                    loaded = serialization.load_pem_public_key(path.read_bytes())
                except (FileNotFoundError, ValueError):
                    continue  # removed or half-written meanwhile: the next check reads again
                if isinstance(loaded, Ed25519PublicKey) and _KID.match(path.stem):
                    keys[path.stem] = loaded
        self.public = keys
        self._stamp = stamp

    def refresh(self) -> None:
        """Read the keys again if the directory changed (one ``stat``; done per verification).

        A directory modified less than two seconds ago is read again every time, so two
        changes within the file system's timestamp granularity are not missed.
        """
        stamp = self._dir_stamp()
        recent = stamp is not None and time.time_ns() - stamp[1] < 2_000_000_000
        if stamp != self._stamp or recent:
            self.reload()

    def active_kid(self) -> str | None:
        """The kid of the signing key, if there is one."""
        marker = self.directory / "active"
        if not marker.is_file():
            return None
        kid = marker.read_text(encoding="ascii").strip()
        return kid if _KID.match(kid) else None

    def generate(self) -> str:
        """Create a new key pair (private key mode 0600) and make it the signing key."""
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        private = Ed25519PrivateKey.generate()
        kid = kid_of(private.public_key())
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path = self.directory / f"{kid}.key"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        (self.directory / f"{kid}.pub").write_bytes(
            private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        self._write_active(kid)
        self.reload()
        return kid

    def _write_active(self, kid: str) -> None:
        tmp = self.directory / "active.tmp"
        tmp.write_text(kid + "\n", encoding="ascii")
        tmp.replace(self.directory / "active")

    def retire(self, kid: str) -> None:
        """Delete a private key (its public key keeps verifying tokens until they expire)."""
        self._known(kid)
        if kid == self.active_kid():
            raise InvalidCommand(f"key {kid} is the active signing key; rotate first")
        (self.directory / f"{kid}.key").unlink(missing_ok=True)

    def remove(self, kid: str) -> None:
        """Delete a key entirely: tokens it signed are refused from now on."""
        self.retire(kid)
        (self.directory / f"{kid}.pub").unlink(missing_ok=True)
        self.reload()

    def _known(self, kid: str) -> None:
        if kid not in self.public:
            raise InvalidCommand(f"unknown key id {kid!r}; see `ledger tokens keys`")

    def key_list(self) -> list[KeyInfo]:
        """Every key with its state."""
        active = self.active_kid()
        out = []
        for kid in sorted(self.public):
            stamp = (self.directory / f"{kid}.pub").stat().st_mtime
            out.append(
                KeyInfo(
                    kid,
                    kid == active,
                    (self.directory / f"{kid}.key").is_file(),
                    time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp)),
                )
            )
        return out

    def _signer(self) -> tuple[str, Ed25519PrivateKey]:
        kid = self.active_kid()
        path = self.directory / f"{kid}.key"
        if kid is None or not path.is_file():
            raise InvalidCommand(
                f"no active signing key in {self.directory}; create one with `ledger tokens keys --rotate`"
            )
        _check_mode(path)
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(private, Ed25519PrivateKey):
            raise InvalidCommand(f"{path.name} is not an Ed25519 private key")
        return kid, private

    def issue(self, principal: Principal, ttl: int, now: float | None = None, service: bool = False) -> str:
        """Sign a token for ``principal`` valid ``ttl`` seconds (a fresh ``jti``).

        ``service``: a machine client's token (claim ``svc``), allowed up to 90 days; a
        person's token at most 12 hours (:class:`InvalidCommand` beyond).
        """
        if not 0 < ttl <= max_ttl(service):
            raise InvalidCommand(f"token lifetime {ttl} s is over the {max_ttl(service)} s allowed")
        kid, private = self._signer()
        issued = int(now if now is not None else time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": principal.subject,
            "role": principal.role,
            "scope": principal.scope,
            "iat": issued,
            "exp": issued + ttl,
            "jti": uuid.uuid4().hex,
        }
        if service:
            claims["svc"] = True
        return jwt.encode(claims, private, algorithm=ALGORITHM, headers={"kid": kid, "typ": "JWT"})

    def verify(self, token: str, revoked: Callable[[str], bool] | None = None) -> Principal:
        """The principal of a valid token, or :class:`TokenError`.

        Checks, in order: size and form, the key id among the directory's current keys, the
        EdDSA signature, issuer, expiry, issue time, the lifetime limit of its kind, the
        ``jti`` and, with ``revoked``, that the ``jti`` is not revoked.
        """
        claims = self.claims(token)
        jti = claims["jti"]
        if revoked is not None and revoked(jti):
            raise TokenError("token revoked")
        return _principal(claims)

    def claims(self, token: str) -> dict[str, Any]:
        """The verified claims of a token (not checked against revocations)."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise TokenError("malformed token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise TokenError("malformed token") from None
        if header.get("alg") != ALGORITHM or not isinstance(header.get("kid"), str):
            raise TokenError("unsupported token algorithm or missing kid")
        self.refresh()
        public = self.public.get(header["kid"])
        if public is None:
            raise TokenError("unknown token key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                public,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                leeway=CLOCK_SKEW,
                options={"require": ["iss", "sub", "iat", "exp", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("token expired") from None
        except jwt.ImmatureSignatureError:
            raise TokenError("token not yet valid") from None
        except jwt.InvalidSignatureError:
            raise TokenError("bad token signature") from None
        except jwt.InvalidTokenError:
            raise TokenError("malformed token claims") from None
        _check_claims(claims)
        return claims


def _check_mode(path: Path) -> None:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise InvalidCommand(f"{path.name} is readable by others (mode {mode:o}); chmod 600 it")


def _check_claims(claims: dict[str, Any]) -> None:
    exp, iat, jti = claims.get("exp"), claims.get("iat"), claims.get("jti")
    if not isinstance(exp, int) or not isinstance(iat, int):
        raise TokenError("malformed token claims")
    if not isinstance(jti, str) or not JTI.match(jti):
        raise TokenError("malformed token id (jti)")
    if exp - iat > max_ttl(claims.get("svc") is True):
        raise TokenError("token lifetime over the limit; issue a new one")


def unverified_claims(token: str) -> dict[str, Any]:
    """The claims of a token WITHOUT checking its signature (to revoke it by value)."""
    try:
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        raise InvalidCommand("not a token (expected header.claims.signature)") from None
    if not isinstance(claims.get("jti"), str) or not JTI.match(claims["jti"]):
        raise InvalidCommand("the token has no usable jti")
    return claims


def _principal(claims: dict[str, Any]) -> Principal:
    role, scope, subject = claims.get("role"), claims.get("scope"), claims.get("sub")
    if not isinstance(role, str) or not isinstance(scope, str) or not isinstance(subject, str):
        raise TokenError("malformed token claims")
    try:
        return Principal(role, parse_scope(role, scope), subject)
    except InvalidCommand:
        raise TokenError("token names an unknown role or scope") from None
