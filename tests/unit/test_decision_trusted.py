"""``Decision.trusted`` (the write path's unvalidated constructor) builds the validated decision."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ledger.domain.kernel import ActorRole, Body, Decision

FIELDS: dict[str, object] = {
    "actor_id": "teacher-1",
    "actor_role": ActorRole.TEACHER,
    "body": Body.JURY_QUALIFICATION,
    "effective_date": date(2025, 6, 30),
    "recorded_at": datetime(2025, 7, 1, 9, 30, tzinfo=UTC),
    "legal_basis": "Arrêté 2018, art. 12",
    "ruleset_version": "cpu-1",
}


@pytest.mark.parametrize(("corrects", "reason"), [(None, None), (3, "erreur d'encodage")])
def test_trusted_equals_validated(corrects: int | None, reason: str | None) -> None:
    """Same fields, same set fields, same stored JSON as a validated Decision."""
    validated = Decision(**FIELDS, corrects=corrects, reason=reason)
    trusted = Decision.trusted(**FIELDS, corrects=corrects, reason=reason)  # type: ignore[arg-type]
    assert trusted == validated
    assert trusted.model_fields_set == set(Decision.model_fields)
    assert trusted.model_dump_json() == validated.model_dump_json()
    assert trusted.model_dump() == validated.model_dump()


def test_trusted_is_frozen() -> None:
    """Like a validated one, a trusted decision cannot be changed after the fact."""
    trusted = Decision.trusted(**FIELDS, corrects=None, reason=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="frozen"):
        trusted.body = Body.JURY_DELEGATE  # type: ignore[misc]
