"""The holder's identity hash: checkable by an employer with the ID card, not by a list of names."""

from __future__ import annotations

import hashlib
import random
from datetime import date

from ledger.credentials import holder

GIVEN = [
    "Lucas",
    "Emma",
    "Noah",
    "Louise",
    "Arthur",
    "Olivia",
    "Jules",
    "Alice",
    "Adam",
    "Mila",
    "Louis",
    "Lina",
    "Liam",
    "Juliette",
    "Nathan",
    "Camille",
    "Victor",
    "Léa",
    "Hugo",
    "Chloé",
]
FAMILY = [
    "Peeters",
    "Janssens",
    "Maes",
    "Jacobs",
    "Mertens",
    "Willems",
    "Claes",
    "Goossens",
    "Wouters",
    "De Smet",
    "Dubois",
    "Lambert",
    "Dupont",
    "Martin",
    "Simon",
    "Laurent",
    "Leroy",
    "Moreau",
    "Bernard",
    "Petit",
    "Durand",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Blanc",
    "Guerin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Perrin",
    "Robin",
    "Clement",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
    "Gautier",
]
NAMES = [
    (g, f"{f}{suffix}")
    for g in GIVEN
    for f in FAMILY
    for suffix in ("", "-Martin", " de Vos", "s", "e", "-Dubois", "t", "x", " Van Damme", "-Roux")
]
HOLDER = ("Léa", "Claes", date(2007, 3, 14), "07031412345")
FAST = 1  # PBKDF2 rounds in the attack test: what a guess matches does not depend on them (the real
# 200,000 only make each guess slower, test_each_guess_costs_the_full_key_derivation)


def test_the_list_has_ten_thousand_names_including_the_holders() -> None:
    """The attacker's list below is 10,000 (given, family) pairs and contains the holder's name."""
    assert len(set(NAMES)) == 10_000 and (HOLDER[0], HOLDER[1]) in NAMES


def test_a_salted_hash_of_the_name_alone_falls_to_the_list() -> None:
    """The first release's scheme (salt beside the hash): the list finds the holder."""
    salt = "a3f1" * 8
    published = hashlib.sha256(f"{HOLDER[0]} {HOLDER[1]}{salt}".encode()).hexdigest()
    found = [n for n in NAMES if hashlib.sha256(f"{n[0]} {n[1]}{salt}".encode()).hexdigest() == published]
    assert found == [(HOLDER[0], HOLDER[1])]


def test_ten_thousand_names_do_not_recover_the_holder_key() -> None:
    """The list, even with the birth year right, matches nothing: birth date and number are needed."""
    identity = holder.identity_object(*HOLDER, iterations=FAST)
    assert identity["identityHash"].startswith("sha256$") and HOLDER[1] not in str(identity)
    guesses = [(g, f, date(2007, 1, 1), None) for g, f in NAMES]
    assert not any(holder.matches(identity, *guess) for guess in guesses)
    assert holder.matches(identity, *HOLDER)  # the employer with the ID card succeeds


def test_each_guess_costs_the_full_key_derivation() -> None:
    """Published credentials use 200,000 PBKDF2 rounds per guess (and say so), with a fresh salt:
    the space left to a name list (≈ 15,000 birth dates × ≈ 1,000 serials) costs CPU-years per
    credential, and nothing carries over to the next one."""
    first, second = holder.identity_object(*HOLDER), holder.identity_object(*HOLDER)
    assert holder.ITERATIONS >= 200_000
    assert first["identityType"] == f"ext:ledgerHolder.pbkdf2-sha256.{holder.ITERATIONS}"
    assert first["salt"] != second["salt"] and first["identityHash"] != second["identityHash"]
    key = holder.holder_key(holder.holder_string(*HOLDER), first["salt"])
    assert holder.identity_hash(key, first["salt"]) == first["identityHash"]


def test_typed_identity_is_folded_like_an_id_card() -> None:
    """Case, accents, hyphens and spaces do not matter; the date and every digit do."""
    identity = holder.identity_object(*HOLDER, iterations=FAST)
    assert holder.matches(identity, "LEA", "claes", "2007-03-14", "07.03.14-123.45")
    assert not holder.matches(identity, "Léa", "Claes", "2007-03-15", "07031412345")
    assert not holder.matches(identity, "Léa", "Claes", "2007-03-14", "07031412346")
    rng = random.Random(3)
    assert holder.fold("  Élodie-Anne  " + "".join(rng.choice(" -") for _ in range(3))) == "ELODIE ANNE"
