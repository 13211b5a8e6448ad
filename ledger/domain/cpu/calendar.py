"""The Belgian calendar the CPU rules count in: public holidays, working days, school years.

Public holidays (``jours fériés légaux``): the ten days of the loi du 4 janvier 1974 relative
aux jours fériés and its arrêté royal du 18 avril 1974, art. 1er: 1 January, Easter Monday,
1 May, Ascension (Easter + 39), Whit Monday (Easter + 50), 21 July, 15 August, 1 November,
11 November, 25 December. The Fête de la Fédération Wallonie-Bruxelles (27 September) is a
day off for the Community's services and schools, not a legal public holiday: it is not
counted (a deployment that reads it otherwise passes it in ``extra_holidays``).

Working days (``jours ouvrables``), the convention applied to Art. 9's "15 jours ouvrables":

- from 1 January 2023: every day other than Saturdays, Sundays and legal public holidays —
  Code civil, Livre 1er, art. 1.7, §3 (loi du 28 avril 2022, MB 1 July 2022, in force
  1 January 2023). The loi du 26 décembre 2022 set that definition aside for labour law,
  social security and social assistance only; education administration is not among them.
- before 1 January 2023: every day other than Sundays and legal public holidays (Saturday
  counts), the meaning Belgian law gave the term until the Code civil changed it (CNT avis
  n° 2.325 of 16 November 2022 records it as the settled reading).

A délai in working days starts the day after the event (the request) and ends at the end of
its last day (Code civil, Livre 1er, art. 1.7, §2); a last day that is not a working day under
the 2023 definition (a Saturday before 2023) moves to the next working day.

School years: before 2022-2023 the school year ran from 1 September to 30 June; from
2022-2023 (the reform of the annual school rhythms of the Fédération Wallonie-Bruxelles,
applied from 29 August 2022) it runs from the last Monday of August to the first Friday of
July. Art. 4 §1 3°'s "quatre derniers mois de l'année scolaire en cours" is counted back from
that last day.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

CIVIL_CODE_WORKING_DAYS_FROM = date(2023, 1, 1)
RHYTHMS_REFORM_FROM = 2022  # first school year on the reformed calendar (2022-2023)
_MONDAY, _FRIDAY, _SATURDAY, _SUNDAY = 0, 4, 5, 6


def easter_sunday(year: int) -> date:
    """Easter Sunday of the Gregorian calendar (the anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def public_holidays(year: int) -> dict[date, str]:
    """The ten Belgian legal public holidays of ``year`` (loi du 4 janvier 1974)."""
    easter = easter_sunday(year)
    return {
        date(year, 1, 1): "Nouvel An",
        easter + timedelta(days=1): "Lundi de Pâques",
        date(year, 5, 1): "Fête du Travail",
        easter + timedelta(days=39): "Ascension",
        easter + timedelta(days=50): "Lundi de Pentecôte",
        date(year, 7, 21): "Fête nationale",
        date(year, 8, 15): "Assomption",
        date(year, 11, 1): "Toussaint",
        date(year, 11, 11): "Armistice",
        date(year, 12, 25): "Noël",
    }


def is_public_holiday(day: date, extra_holidays: Collection[date] = ()) -> bool:
    """True on a Belgian legal public holiday (or one of ``extra_holidays``)."""
    return day in public_holidays(day.year) or day in extra_holidays


def is_working_day(day: date, *, saturday_counts: bool, extra_holidays: Collection[date] = ()) -> bool:
    """True on a ``jour ouvrable`` under the given convention."""
    if day.weekday() == _SUNDAY or (day.weekday() == _SATURDAY and not saturday_counts):
        return False
    return not is_public_holiday(day, extra_holidays)


def saturday_counts_on(start: date) -> bool:
    """Whether Saturday is a working day for a délai starting on ``start`` (before 2023)."""
    return start < CIVIL_CODE_WORKING_DAYS_FROM


def add_working_days(start: date, days: int, extra_holidays: Collection[date] = ()) -> date:
    """The last day of a délai of ``days`` working days running from the day after ``start``."""
    saturdays = saturday_counts_on(start)
    current = start
    while days > 0:
        current += timedelta(days=1)
        if is_working_day(current, saturday_counts=saturdays, extra_holidays=extra_holidays):
            days -= 1
    while not is_working_day(current, saturday_counts=False, extra_holidays=extra_holidays):
        current += timedelta(days=1)
    return current


def _last_weekday_of_august(year: int, weekday: int) -> date:
    day = date(year, 8, 31)
    return day - timedelta(days=(day.weekday() - weekday) % 7)


def _first_weekday_of_july(year: int, weekday: int) -> date:
    day = date(year, 7, 1)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def school_year_start(school_year: int) -> date:
    """First day of the school year ``school_year``-``school_year + 1``."""
    if school_year >= RHYTHMS_REFORM_FROM:
        return _last_weekday_of_august(school_year, _MONDAY)
    return date(school_year, 9, 1)


def school_year_end(school_year: int) -> date:
    """Last day of the school year ``school_year``-``school_year + 1``."""
    if school_year >= RHYTHMS_REFORM_FROM:
        return _first_weekday_of_july(school_year + 1, _FRIDAY)
    return date(school_year + 1, 6, 30)


def school_year_of(moment: date) -> int:
    """The school year a date is part of: from its first day to the eve of the next one's."""
    year = moment.year
    return year if moment >= school_year_start(year) else year - 1


def last_months_start(school_year: int, months: int = 4) -> date:
    """First day of the last ``months`` months of the school year (Art. 4 §1 3°)."""
    end = school_year_end(school_year) + timedelta(days=1)
    index = end.month - 1 - months
    return date(end.year + index // 12, index % 12 + 1, end.day)
