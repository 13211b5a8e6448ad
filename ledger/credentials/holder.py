"""The holder's identity in a public credential, checkable by an employer, not reversible.

The credential carries an OB 3.0 ``IdentityObject`` whose identifier is a *holder key*:
PBKDF2-HMAC-SHA256 over ``FAMILY|GIVEN|YYYY-MM-DD|NATIONAL-NUMBER`` (names upper-cased,
accents and punctuation folded; the national number's digits, empty when unknown), with the
credential's random salt and :data:`ITERATIONS` rounds. As OB 3.0 defines ``identityHash``,
the value is ``sha256$`` + hex SHA-256 of that key followed by the salt.

Why not a salted hash of the name alone: the salt sits beside the hash, so a list of common
names recovers a name in a few hundred guesses (issue 16). Here the employer types the
holder's name, birth date and (Belgian learners) national number from the identity card;
an attacker with a 10,000-name list must also guess a birth date (≈ 15,000 in forty years)
and a national-number serial (≈ 1,000 per day), each guess costing :data:`ITERATIONS`
PBKDF2 rounds: ≈ 1.5·10¹¹ guesses × 200,000 rounds for one Belgian credential, ≈ 1.5·10⁸ ×
200,000 without a national number (French candidates) — CPU-years either way, and nothing
learned about any other credential (each has its own salt). The page computes the same
key with WebCrypto's PBKDF2 in the browser; nothing typed is sent anywhere.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from datetime import date
from typing import Any

ITERATIONS = 200_000
IDENTITY_TYPE = f"ext:ledgerHolder.pbkdf2-sha256.{ITERATIONS}"
"""``identityType`` of the holder key (OB 3.0 extension value)."""

_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")


def fold(text: str) -> str:
    """Upper-case, accents and punctuation folded to single spaces ("Élodie-Anne " → "ELODIE ANNE")."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()
    return _NOT_ALNUM.sub(" ", bare).strip()


def holder_string(
    given_name: str, family_name: str, birth_date: date | str, national_number: str | None
) -> str:
    """The normalised text the holder key is derived from."""
    day = birth_date.isoformat() if isinstance(birth_date, date) else str(birth_date).strip()
    digits = re.sub(r"[^0-9]", "", national_number or "")
    return f"{fold(family_name)}|{fold(given_name)}|{day}|{digits}"


def holder_key(text: str, salt: str, iterations: int = ITERATIONS) -> str:
    """Hex PBKDF2-HMAC-SHA256 of ``text`` with ``salt`` (32 bytes)."""
    return hashlib.pbkdf2_hmac("sha256", text.encode("utf-8"), salt.encode("utf-8"), iterations).hex()


def identity_hash(key: str, salt: str) -> str:
    """OB 3.0 ``identityHash``: ``sha256$`` + hex SHA-256 of the identifier followed by the salt."""
    return "sha256$" + hashlib.sha256(f"{key}{salt}".encode()).hexdigest()


def identity_object(
    given_name: str,
    family_name: str,
    birth_date: date | str,
    national_number: str | None,
    salt: str | None = None,
    iterations: int = ITERATIONS,
) -> dict[str, Any]:
    """The ``IdentityObject`` of a holder (a fresh random salt unless one is given)."""
    salt = salt or secrets.token_hex(16)
    key = holder_key(holder_string(given_name, family_name, birth_date, national_number), salt, iterations)
    return {
        "type": "IdentityObject",
        "identityHash": identity_hash(key, salt),
        "identityType": f"ext:ledgerHolder.pbkdf2-sha256.{iterations}",
        "hashed": True,
        "salt": salt,
    }


def matches(
    identity: dict[str, Any],
    given_name: str,
    family_name: str,
    birth_date: date | str,
    national_number: str | None,
) -> bool:
    """Whether the typed identity is the credential's holder (what the page does in JavaScript)."""
    kind = str(identity.get("identityType", ""))
    prefix = "ext:ledgerHolder.pbkdf2-sha256."
    if not kind.startswith(prefix) or not kind[len(prefix) :].isdigit():
        return False
    salt = str(identity.get("salt", ""))
    text = holder_string(given_name, family_name, birth_date, national_number)
    key = holder_key(text, salt, int(kind[len(prefix) :]))
    return secrets.compare_digest(identity_hash(key, salt), str(identity.get("identityHash", "")))
