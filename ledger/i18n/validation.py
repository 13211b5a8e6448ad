"""Malformed commands and requests in the reader's language.

pydantic writes its validation errors in English (``Field required``, ``Input should be a
valid UUID…``). Each error also has a stable ``type`` and its ``ctx`` (the bound, the allowed
values): :func:`field_message` writes the common ones from the catalogue, and falls back to
pydantic's own text for a type it does not know. Field names stay as they are: they are the
names of the JSON members a person wrote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ledger.i18n import N_, _, current

_BY_TYPE: dict[str, str] = {
    "missing": N_("required field"),
    "extra_forbidden": N_("unknown field"),
    "uuid_parsing": N_("not a valid id (a UUID is expected)"),
    "uuid_type": N_("not a valid id (a UUID is expected)"),
    "uuid_version": N_("not a valid id (a UUID is expected)"),
    "date_parsing": N_("not a valid date (YYYY-MM-DD is expected)"),
    "date_from_datetime_parsing": N_("not a valid date (YYYY-MM-DD is expected)"),
    "date_from_datetime_inexact": N_("not a valid date (YYYY-MM-DD is expected)"),
    "date_type": N_("not a valid date (YYYY-MM-DD is expected)"),
    "datetime_parsing": N_("not a valid date and time (ISO 8601 is expected)"),
    "datetime_from_date_parsing": N_("not a valid date and time (ISO 8601 is expected)"),
    "datetime_type": N_("not a valid date and time (ISO 8601 is expected)"),
    "string_type": N_("a text is expected"),
    "string_too_short": N_("too short: at least {min_length} characters"),
    "string_too_long": N_("too long: at most {max_length} characters"),
    "string_pattern_mismatch": N_("not in the expected form ({pattern})"),
    "int_parsing": N_("a whole number is expected"),
    "int_type": N_("a whole number is expected"),
    "int_from_float": N_("a whole number is expected"),
    "float_parsing": N_("a number is expected"),
    "float_type": N_("a number is expected"),
    "bool_parsing": N_("true or false is expected"),
    "bool_type": N_("true or false is expected"),
    "literal_error": N_("not an allowed value; expected {expected}"),
    "enum": N_("not an allowed value; expected {expected}"),
    "greater_than_equal": N_("must be at least {ge}"),
    "greater_than": N_("must be more than {gt}"),
    "less_than_equal": N_("must be at most {le}"),
    "less_than": N_("must be less than {lt}"),
    "list_type": N_("a list is expected"),
    "tuple_type": N_("a list is expected"),
    "set_type": N_("a list is expected"),
    "frozen_set_type": N_("a list is expected"),
    "too_short": N_("too few items: at least {min_length}"),
    "too_long": N_("too many items: at most {max_length}"),
    "dict_type": N_("a JSON object is expected"),
    "model_type": N_("a JSON object is expected"),
    "model_attributes_type": N_("a JSON object is expected"),
    "json_invalid": N_("malformed JSON"),
}


def field_message(err: Mapping[str, object]) -> str:
    """One validation error's message (without its field) in the current language."""
    kind, ctx = str(err.get("type", "")), err.get("ctx") or {}
    assert isinstance(ctx, Mapping)
    if current() == "en":
        return str(err.get("msg", ""))
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        from ledger.i18n import reason

        return reason(str(ctx["error"]))  # our validators' own messages are catalogue msgids
    template = _BY_TYPE.get(kind)
    if template is None:
        return str(err.get("msg", ""))
    shown = {key: _or(str(value)) for key, value in ctx.items()}
    try:
        return _(template).format(**shown)
    except (KeyError, IndexError, ValueError):
        return str(err.get("msg", ""))


def _or(value: str) -> str:
    """Pydantic's ``'a', 'b' or 'c'`` with the current language's word for *or*."""
    return value.replace("' or '", "' " + _("or") + " '")


def fields_text(errors: Iterable[Mapping[str, object]]) -> str:
    """``field: message; field: message`` for validation errors, in the current language."""
    separator, between = (": ", "; ") if current() == "en" else (" : ", " ; ")
    return between.join(f"{err.get('loc') or '(command)'}{separator}{field_message(err)}" for err in errors)


def invalid_command(exc: BaseException) -> str | None:
    """An :class:`~ledger.domain.errors.InvalidCommand`'s text from its parts (None: none kept).

    A position put before the text (``line 3: ``) is kept, in the current language.
    """
    from ledger.i18n import _where

    fields, command = getattr(exc, "fields", ()), getattr(exc, "command", None)
    template, params = getattr(exc, "template", None), getattr(exc, "params", None) or {}
    if fields and command:
        body = _("{command}: {errors}").format(command=command, errors=fields_text(fields))
    elif isinstance(template, str):
        shown = {k: _param(v) for k, v in params.items()}
        try:
            body = _(template).format(**shown)
        except (KeyError, IndexError, ValueError):
            return None
    else:
        return None
    return _where(str(exc), str(getattr(exc, "message", ""))) + body


def _param(value: object) -> object:
    """A template's argument as read: names joined with *or*, a reason in the current language."""
    from ledger.i18n import reason

    if isinstance(value, tuple):
        return (" " + _("or") + " ").join(str(v) for v in value)
    if isinstance(value, str) and hasattr(value, "template"):
        return reason(value)
    return value


def fields_detail(errors: Iterable[Mapping[str, object]], lang: str) -> str:
    """:func:`fields_text` in ``lang`` (an API problem's ``detail``), whatever the current language."""
    from ledger.i18n import _current, normalise

    token = _current.set(normalise(lang))
    try:
        return fields_text(errors)
    finally:
        _current.reset(token)
