"""API tokens on PyJWT: lifetimes, jti, algorithm pinning, earlier tokens still verifying.

Oracles: tokens built independently of the key ring (PyJWT's own encoder with the key file,
and the hand-made JWS of the previous release rebuilt byte by byte with ``cryptography``).
"""

from __future__ import annotations

import base64
import time
import uuid
from pathlib import Path

import jwt
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.api.roles import Principal
from ledger.api.tokens import (
    ISSUER,
    MAX_PERSON_TTL,
    KeyRing,
    TokenError,
    parse_ttl,
    unverified_claims,
)
from ledger.domain.errors import InvalidCommand

WHO = Principal("inspector", "all", "inspector-1")


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    keys = KeyRing(tmp_path / "tokens")
    keys.generate()
    return keys


def _private(ring: KeyRing) -> tuple[str, Ed25519PrivateKey]:
    kid = ring.active_kid()
    assert kid
    key = serialization.load_pem_private_key((ring.directory / f"{kid}.key").read_bytes(), None)
    assert isinstance(key, Ed25519PrivateKey)
    return kid, key


def _signed(ring: KeyRing, lifetime: int, **extra: object) -> str:
    kid, key = _private(ring)
    now = int(time.time())
    claims: dict[str, object] = {"iss": ISSUER, "sub": "x", "role": "inspector", "scope": "all", "iat": now}
    claims |= {"exp": now + lifetime, "jti": uuid.uuid4().hex, **extra}
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_token_of_the_previous_release_still_verifies(ring: KeyRing) -> None:
    """The hand-made JWS of the earlier release (same key files) is accepted by PyJWT."""
    kid, key = _private(ring)
    now = int(time.time())
    header = {"alg": "EdDSA", "typ": "JWT", "kid": kid}
    claims: dict[str, object] = {"iss": ISSUER, "sub": "old-1", "role": "inspector", "scope": "all"}
    claims |= {"iat": now, "exp": now + 3600, "jti": uuid.uuid4().hex}
    signing = f"{_b64(orjson.dumps(header))}.{_b64(orjson.dumps(claims))}"
    token = f"{signing}.{_b64(key.sign(signing.encode()))}"
    assert ring.verify(token).subject == "old-1"


def test_every_token_has_a_jti_and_the_header_names_its_key(ring: KeyRing) -> None:
    """Two tokens for one principal differ by jti; the header says EdDSA and the kid."""
    first, second = ring.issue(WHO, 600), ring.issue(WHO, 600)
    a, b = unverified_claims(first), unverified_claims(second)
    assert a["jti"] != b["jti"] and len(a["jti"]) == 32
    assert jwt.get_unverified_header(first) == {"alg": "EdDSA", "typ": "JWT", "kid": ring.active_kid()}
    assert ring.verify(first) == WHO


def test_people_hours_services_days(ring: KeyRing) -> None:
    """A person's token lasts at most 12 h; --service up to 90 days."""
    assert parse_ttl("12h") == MAX_PERSON_TTL
    for text in ("13h", "7d", "0s"):
        with pytest.raises(InvalidCommand):
            parse_ttl(text)
    assert parse_ttl("7d", service=True) == 7 * 86400
    with pytest.raises(InvalidCommand):
        parse_ttl("91d", service=True)
    with pytest.raises(InvalidCommand):
        ring.issue(WHO, 24 * 3600)
    service = ring.issue(WHO, 30 * 86400, service=True)
    assert unverified_claims(service)["svc"] is True and ring.verify(service) == WHO


def test_lifetime_limit_enforced_on_verification(ring: KeyRing) -> None:
    """A 90-day token without the service claim (earlier release) is refused; with it, accepted."""
    with pytest.raises(TokenError, match="lifetime"):
        ring.verify(_signed(ring, 90 * 86400))
    assert ring.verify(_signed(ring, 90 * 86400, svc=True)).role == "inspector"
    with pytest.raises(TokenError, match="lifetime"):
        ring.verify(_signed(ring, 91 * 86400, svc=True))


def test_refusals(ring: KeyRing) -> None:
    """No jti, another algorithm, an HMAC signed with the public key, expired: all refused."""
    kid, key = _private(ring)
    now = int(time.time())
    base = {"iss": ISSUER, "sub": "x", "role": "inspector", "scope": "all", "iat": now, "exp": now + 60}
    no_jti = jwt.encode(base, key, algorithm="EdDSA", headers={"kid": kid})
    pem = (ring.directory / f"{kid}.pub").read_bytes()
    confused = jwt.encode(
        base | {"jti": "a" * 32}, pem.decode()[:40], algorithm="HS256", headers={"kid": kid}
    )
    expired = _signed(ring, -120)
    wrong_iss = jwt.encode(base | {"iss": "x", "jti": "a" * 32}, key, algorithm="EdDSA", headers={"kid": kid})
    for token in (no_jti, confused, expired, wrong_iss, "a.b.c", "x" * 5000):
        with pytest.raises(TokenError):
            ring.verify(token)
    with pytest.raises(TokenError, match="revoked"):
        ring.verify(ring.issue(WHO, 60), revoked=lambda jti: True)


def test_key_removal_seen_without_reload(ring: KeyRing, tmp_path: Path) -> None:
    """Another process's rotation and removal are seen by an existing ring on its next check."""
    token = ring.issue(WHO, 600)
    other = KeyRing(ring.directory)  # e.g. the CLI
    old = other.active_kid()
    assert old
    other.generate()
    other.remove(old)
    with pytest.raises(TokenError, match="unknown token key"):
        ring.verify(token)
    assert ring.verify(other.issue(WHO, 600)) == WHO
