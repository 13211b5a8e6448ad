"""pydantic's validation errors read in French: every error type the catalogue knows.

Oracle: pydantic itself. Each case below makes pydantic raise a real error of one type, with its
real ``ctx``; the French message must come from the catalogue (not pydantic's English), with every
bound and allowed value filled in, and English must stay pydantic's own text.
"""

from __future__ import annotations

import enum
import re
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import pytest
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from ledger.application.registry import field_error
from ledger.i18n import _current
from ledger.i18n.validation import _BY_TYPE, field_message, fields_detail


class Colour(enum.Enum):
    RED = "rouge"
    BLUE = "bleu"


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    a: int


CASES: list[tuple[Any, Any]] = [
    (Closed, {}),
    (Closed, {"a": 1, "b": 2}),
    (UUID, "not-a-uuid"),
    (UUID, 12),
    (date, "2020-13-45"),
    (date, "2020-01-01T10:00:00"),
    (date, [1]),
    (date, b"2020"),
    (datetime, "yesterday"),
    (datetime, [1]),
    (str, 5),
    (Annotated[str, Field(min_length=3)], "ab"),
    (Annotated[str, Field(max_length=2)], "abc"),
    (Annotated[str, Field(pattern=r"^\d{4}$")], "12a4"),
    (int, "deux"),
    (int, [1]),
    (int, 1.5),
    (float, "x"),
    (float, [1]),
    (bool, "peut-être"),
    (bool, [1]),
    (Literal["AOA", "AOB", "AOC"], "AOD"),
    (Colour, "vert"),
    (Annotated[int, Field(ge=1)], 0),
    (Annotated[int, Field(gt=1)], 1),
    (Annotated[int, Field(le=1)], 2),
    (Annotated[int, Field(lt=1)], 1),
    (list[int], 5),
    (tuple[int, ...], 5),
    (set[int], 5),
    (frozenset[int], 5),
    (Annotated[list[int], Field(min_length=2)], [1]),
    (Annotated[list[int], Field(max_length=1)], [1, 2]),
    (dict[str, int], 5),
    (Closed, 5),
]
NOT_PRODUCED_HERE = {
    "uuid_version",
    "date_parsing",  # pydantic 2 reports a bad date string as date_from_datetime_parsing
    "datetime_parsing",
    "model_attributes_type",
    "json_invalid",
}


def _errors(annotation: Any, value: Any) -> list[Any]:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(annotation).validate_python(value)
    return caught.value.errors()


def _in(lang: str, err: Any) -> str:
    token = _current.set(lang)
    try:
        return field_message(field_error(err))
    finally:
        _current.reset(token)


@pytest.mark.parametrize(("annotation", "value"), CASES)
def test_each_error_reads_in_french_from_the_catalogue_and_in_english_as_pydantic_wrote_it(
    annotation: Any, value: Any
) -> None:
    for err in _errors(annotation, value):
        french, english = _in("fr", err), _in("en", err)
        assert err["type"] in _BY_TYPE, err["type"]
        assert english == err["msg"]
        assert french != err["msg"] and not re.search(r"\{[a-z_]+\}", french), (err["type"], french)
        for bound in ("min_length", "max_length", "ge", "gt", "le", "lt"):
            if bound in (err.get("ctx") or {}):
                assert str(err["ctx"][bound]) in french, (err["type"], french)


def test_the_cases_cover_every_type_the_catalogue_knows() -> None:
    produced = {err["type"] for annotation, value in CASES for err in _errors(annotation, value)}
    assert set(_BY_TYPE) - produced <= NOT_PRODUCED_HERE, set(_BY_TYPE) - produced


def test_allowed_values_are_joined_with_ou_in_french() -> None:
    (err,) = _errors(Literal["AOA", "AOB", "AOC"], "AOD")
    assert _in("fr", err) == "valeur non permise ; attendu : 'AOA', 'AOB' ou 'AOC'"


def test_an_unknown_error_type_keeps_pydantics_text() -> None:
    err = {"loc": "x", "type": "some_future_type", "msg": "Something new", "ctx": {}}
    assert fields_detail([err], "fr") == "x : Something new"
    assert fields_detail([err], "en") == "x: Something new"
