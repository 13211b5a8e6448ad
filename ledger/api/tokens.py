"""Signed, expiring bearer tokens: JWS compact serialisation with Ed25519 (``alg: EdDSA``).

Keys live in ``$LEDGER_KEY_DIR/tokens`` (default ``.ledger/keys/tokens``): one PEM private key
per key id (``<kid>.key``, mode 0600) beside its public key (``<kid>.pub``) and a file
``active`` naming the one signing key. Every public key in the directory verifies, so a key
can be rotated (new active key) and retired (private key deleted, public key kept until the
tokens it signed have expired) without a restart of the verifiers.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.api.roles import Principal, parse_scope
from ledger.domain.errors import InvalidCommand

ISSUER = "certification-ledger"
MAX_TTL = 90 * 86400
_KID = re.compile(r"^[0-9a-f]{16}$")
_TTL = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class TokenError(Exception):
    """A token that cannot be accepted (malformed, unknown key, bad signature, expired)."""


def key_dir(base: str | Path) -> Path:
    """The token key directory: ``<key dir>/tokens`` (the key directory comes from the settings)."""
    return Path(base) / "tokens"


def parse_ttl(text: str) -> int:
    """``30m``, ``8h``, ``7d``, ``3600s`` → seconds (1 s to 90 days)."""
    match = _TTL.match(text.strip())
    if not match:
        raise InvalidCommand(f"not a duration (e.g. 30m, 8h, 7d): {text!r}")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if not 0 < seconds <= MAX_TTL:
        raise InvalidCommand(f"token lifetime must be between 1 s and 90 days: {text!r}")
    return seconds


def b64url(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """Decode base64url without padding (:class:`TokenError` if malformed)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise TokenError("malformed token encoding")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raise TokenError("malformed token encoding") from None


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
        self.loaded_at = 0.0
        self.reload()

    def reload(self) -> None:
        """Read every public key of the directory again."""
        keys: dict[str, Ed25519PublicKey] = {}
        if self.directory.is_dir():
            for path in sorted(self.directory.glob("*.pub")):
                loaded = serialization.load_pem_public_key(path.read_bytes())
                if isinstance(loaded, Ed25519PublicKey) and _KID.match(path.stem):
                    keys[path.stem] = loaded
        self.public = keys
        self.loaded_at = time.monotonic()

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

    def issue(self, principal: Principal, ttl: int, now: float | None = None) -> str:
        """Sign a token for ``principal`` valid ``ttl`` seconds."""
        kid, private = self._signer()
        issued = int(now if now is not None else time.time())
        header = {"alg": "EdDSA", "typ": "JWT", "kid": kid}
        claims = {
            "iss": ISSUER,
            "sub": principal.subject,
            "role": principal.role,
            "scope": principal.scope,
            "iat": issued,
            "exp": issued + ttl,
            "jti": uuid.uuid4().hex,
        }
        signing_input = f"{b64url(orjson.dumps(header))}.{b64url(orjson.dumps(claims))}"
        return f"{signing_input}.{b64url(private.sign(signing_input.encode('ascii')))}"

    def verify(self, token: str, now: float | None = None) -> Principal:
        """The principal of a valid token, or :class:`TokenError`."""
        parts = token.split(".")
        if len(parts) != 3 or len(token) > 4096:
            raise TokenError("malformed token")
        header = _json_part(parts[0])
        if header.get("alg") != "EdDSA" or not isinstance(header.get("kid"), str):
            raise TokenError("unsupported token algorithm or missing kid")
        public = self._public(header["kid"])
        try:
            public.verify(unb64url(parts[2]), f"{parts[0]}.{parts[1]}".encode("ascii"))
        except InvalidSignature:
            raise TokenError("bad token signature") from None
        return _principal(_json_part(parts[1]), now if now is not None else time.time())

    def _public(self, kid: str) -> Ed25519PublicKey:
        if kid not in self.public and time.monotonic() - self.loaded_at > 5:
            self.reload()  # a key rotated in by `ledger tokens keys --rotate` meanwhile
        key = self.public.get(kid)
        if key is None:
            raise TokenError("unknown token key")
        return key


def _check_mode(path: Path) -> None:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise InvalidCommand(f"{path.name} is readable by others (mode {mode:o}); chmod 600 it")


def _json_part(text: str) -> dict[str, Any]:
    try:
        value = orjson.loads(unb64url(text))
    except orjson.JSONDecodeError:
        raise TokenError("malformed token") from None
    if not isinstance(value, dict):
        raise TokenError("malformed token")
    return value


def _principal(claims: dict[str, Any], now: float) -> Principal:
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int) or not isinstance(iat, int) or claims.get("iss") != ISSUER:
        raise TokenError("malformed token claims")
    if now >= exp:
        raise TokenError("token expired")
    if iat > now + 60:
        raise TokenError("token not yet valid")
    role, scope, subject = claims.get("role"), claims.get("scope"), claims.get("sub")
    if not isinstance(role, str) or not isinstance(scope, str) or not isinstance(subject, str):
        raise TokenError("malformed token claims")
    try:
        return Principal(role, parse_scope(role, scope), subject)
    except InvalidCommand:
        raise TokenError("token names an unknown role or scope") from None
