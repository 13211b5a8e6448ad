"""What a person reads, in their language: gettext catalogues, dates, numbers, percentages.

French is the default (the users are school secretaries, directors, inspectors and CléA
evaluators); English on request (``--lang en``, ``LEDGER_LANG=en``, ``Accept-Language``).
Messages in the code are English msgids marked with :func:`_` (or :func:`ngettext`); the French
catalogue is ``ledger/i18n/locale/fr/LC_MESSAGES/ledger.po`` (committed). Its ``.mo`` is
compiled by ``make venv`` / the test command (``pybabel compile``); when it is absent (a source
checkout not built yet) the ``.po`` is compiled in memory with Babel, so the package never
speaks English by accident. Dates, numbers and percentages go through Babel's CLDR data
(``28 juin 2020``, ``1 234,5``, ``78,7 %``).

JSON outputs and stored data never go through this module: they stay language-neutral.
"""

from __future__ import annotations

import gettext as _gettext
import io
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
DOMAIN = "ledger"
LOCALE_DIR = Path(__file__).parent / "locale"

_current: ContextVar[str] = ContextVar("ledger_language", default=DEFAULT_LANGUAGE)


class UnknownLanguage(ValueError):
    """A language the ledger has no catalogue for."""


def normalise(lang: str | None) -> str:
    """``fr``, ``fr-BE``, ``fr_FR.UTF-8`` → ``fr``; ``None`` → the default; unknown → error."""
    if not lang:
        return DEFAULT_LANGUAGE
    short = lang.strip().replace("_", "-").split("-", 1)[0].split(".", 1)[0].lower()
    if short not in LANGUAGES:
        raise UnknownLanguage(f"unsupported language {lang!r}: use one of {', '.join(LANGUAGES)}")
    return short


def use(lang: str | None) -> str:
    """Make ``lang`` the current language (of this thread or task); returns it normalised."""
    chosen = normalise(lang)
    _current.set(chosen)
    return chosen


def current() -> str:
    """The current language (``fr`` unless :func:`use` said otherwise)."""
    return _current.get()


def negotiate(accept_language: str | None) -> str:
    """The language an HTTP ``Accept-Language`` header prefers among ours (default French)."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        try:
            ranked.append((-quality, index, normalise(tag)))
        except UnknownLanguage:
            continue
    ranked = [r for r in ranked if r[0] < 0]
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The catalogue of ``lang`` (English is the msgids themselves)."""
    if lang == "en":
        return _gettext.NullTranslations()
    mo = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    po = mo.with_suffix(".po")
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return _gettext.GNUTranslations(handle)
    return _compile_in_memory(po)


def _compile_in_memory(po: Path) -> _gettext.NullTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def _(message: str) -> str:
    """``message`` (an English msgid) in the current language."""
    return translations(current()).gettext(message)


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark ``message`` for the catalogue without translating it now (see :func:`translate`)."""
    return message


def translate(message: str, lang: str) -> str:
    """``message`` (an English msgid) in ``lang``, whatever the current language."""
    return translations(normalise(lang)).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form of a message for ``count``, in the current language."""
    return translations(current()).ngettext(singular, plural, count)


def _locale() -> str:
    return "fr_BE" if current() == "fr" else "en_GB"


def format_date(value: date | datetime | str | None, style: str = "long") -> str:
    """``28 juin 2020`` (French) or ``28 June 2020``; ISO strings accepted; ``None`` → ``—``."""
    from babel.dates import format_date as babel_date

    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        text = value
        try:
            value = date.fromisoformat(text[:10])
        except ValueError:
            return text
    if isinstance(value, datetime):
        value = value.date()
    return str(babel_date(value, format=style, locale=_locale()))


def format_datetime(value: datetime | str | None) -> str:
    """A moment with its time (``28 juin 2020 à 14:05``)."""
    from babel.dates import format_datetime as babel_datetime

    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        text = value
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            return text
    return str(babel_datetime(value, format="medium", locale=_locale()))


def format_number(value: float | int | None, digits: int | None = None) -> str:
    """``1 234`` or ``12,5`` (French); ``None`` → ``—``."""
    from babel.numbers import format_decimal

    if value is None:
        return "—"
    if digits is not None:
        pattern = "#,##0." + "0" * digits if digits else "#,##0"
        return str(format_decimal(value, format=pattern, locale=_locale()))
    return str(format_decimal(value, locale=_locale()))


def format_percent(ratio: float | None, digits: int = 1) -> str:
    """A ratio (``0.7868``) as a percentage (``78,7 %``); ``None`` → ``—``."""
    from babel.numbers import format_percent as babel_percent

    if ratio is None:
        return "—"
    number = "#,##0." + "0" * digits if digits else "#,##0"
    pattern = number + ("%" if current() == "en" else "\u00a0%")  # French: a no-break space before %
    return str(babel_percent(ratio, format=pattern, locale=_locale()))


def decimal_comma(value: float | int | None) -> str:
    """A number with a decimal comma and no grouping (French spreadsheets' CSV cells)."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return repr(float(value)).replace(".", ",")


def reason(text: str) -> str:
    """A rule's reason in the current language.

    A reason built by ``ledger.domain.rules.because`` keeps its English template (a catalogue
    msgid) and its arguments: the template is translated, then filled (dates written out); a
    plain reason is itself a msgid.
    """
    template = getattr(text, "template", None)
    params = getattr(text, "params", None)
    if current() == "en":
        return str(text)
    if not isinstance(template, str) or not isinstance(params, dict):
        return _(str(text))
    shown = {key: _shown(value) for key, value in params.items()}
    try:
        return _(template).format(**shown)
    except (KeyError, IndexError, ValueError):  # a catalogue entry out of step with its msgid
        return str(text)


def _shown(value: object) -> object:
    """An argument of a reason as a person reads it: dates written out, codes by their label."""
    from ledger.i18n.vocabulary import label

    if isinstance(value, tuple):
        return ", ".join(reason(item) for item in value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, date):
        return _first(format_date(value))
    if isinstance(value, str):
        return ", ".join(label(part) for part in value.split(", "))
    return value


def _first(day: str) -> str:
    """``1 septembre 2019`` → ``1er septembre 2019`` (French writes the first of a month so)."""
    return "1er" + day[1:] if current() == "fr" and day.startswith("1 ") else day


def describe(exc: BaseException) -> str:
    """The one-line message of an error in the current language (a rule refusal from its parts).

    A refusal keeps where it happened (``line 3: ``, ``command 3: ``: a bulk run's position).
    """
    rule, article, why = (getattr(exc, name, None) for name in ("rule", "article", "reason"))
    if isinstance(rule, str) and isinstance(article, str) and isinstance(why, str):
        from ledger.i18n.articles import article as readable
        from ledger.i18n.vocabulary import rule_label

        return _("error: {where}refused by rule {rule} ({article}): {reason}").format(
            where=_where(str(exc), f"refused by rule {rule} ({article}): {why}"),
            rule=rule_label(rule),
            article=readable(article),
            reason=reason(why),
        )
    if getattr(exc, "code", None) == "unknown-entity" and current() != "en":
        return _("error: {error}").format(error=_unknown(exc))
    if getattr(exc, "code", None) == "not-found" and hasattr(exc, "kind") and current() != "en":
        from ledger.i18n.vocabulary import unknown_entity

        kind, ident = getattr(exc, "kind", ""), getattr(exc, "ident", "")
        where = _("{what} within your scope: {ident}")  # unknown, or another tenant's: read alike
        return _("error: {error}").format(error=where.format(what=unknown_entity(str(kind)), ident=ident))
    if getattr(exc, "code", None) == "invalid-command" and current() != "en":
        from ledger.i18n.validation import invalid_command

        text = invalid_command(exc)  # a malformed command, from its parts
        if text is not None:
            return _("error: {error}").format(error=text)
    first = exc.args[0] if len(exc.args) == 1 else None
    if isinstance(first, str) and hasattr(first, "template"):  # a message built with ``because``
        return _("error: {error}").format(error=reason(first))
    return _("error: {error}").format(error=reason(str(exc)))  # a message the catalogue knows is translated


def detail(exc: BaseException, lang: str) -> str:
    """An error's message for an API problem's ``detail`` in ``lang``, without the CLI's prefix.

    English keeps the exception's own text (what integrators have always matched); French reads
    as :func:`describe` does (a refusal with its rule's label and its article written out).
    """
    if normalise(lang) == "en":
        return str(exc)
    token = _current.set(normalise(lang))
    try:
        text = describe(exc)
        prefix = _("error: {error}").format(error="")
    finally:
        _current.reset(token)
    return text[len(prefix) :] if prefix and text.startswith(prefix) else text


def _unknown(exc: BaseException) -> str:
    """``unknown certificate: …`` of an UnknownEntity in the current language (kind by its label)."""
    from ledger.i18n.vocabulary import unknown_entity

    kind, ident = getattr(exc, "kind", ""), getattr(exc, "ident", "")
    shown = reason(ident) if isinstance(getattr(ident, "template", None), str) else str(ident)
    where = _where(str(exc), f"unknown {kind}: {ident}")  # a bulk run's ``command 3: ``
    return where + _("{what}: {ident}").format(what=unknown_entity(str(kind)), ident=shown)


def _where(text: str, refusal: str) -> str:
    """The position a bulk run put before a refusal's text (``line 3: ``), in the current language."""
    import re

    found = re.fullmatch(r"(line|command) (\d+): ", text[: len(text) - len(refusal)])
    if not text.endswith(refusal) or not found:
        return ""
    where = _("line {number}: ") if found[1] == "line" else _("command {number}: ")
    return where.format(number=found[2])
