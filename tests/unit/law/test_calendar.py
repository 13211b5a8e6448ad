"""The Belgian calendar of the CPU rules, against oracles we did not write.

Public holidays are checked year by year against the ``holidays`` package (its Belgian
calendar, Sundays dropped) and against dates the SPF Emploi publishes; working days and
school years against hand-counted délais across holidays and the 2022 reform of the school
rhythms.
"""

from __future__ import annotations

from datetime import date

import holidays
import pytest

from ledger.domain.cpu import calendar

SUNDAY_FEASTS = {"Easter Sunday", "Pentecost"}


@pytest.mark.parametrize("year", range(1975, 2101))
def test_public_holidays_match_the_holidays_package(year: int) -> None:
    """The ten legal holidays, Easter-based ones included, for every year 1975-2100."""
    oracle = {
        day for day, name in holidays.country_holidays("BE", years=year).items() if name not in SUNDAY_FEASTS
    }
    assert set(calendar.public_holidays(year)) == oracle


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2019, 4, 22), "Lundi de Pâques"),
        (date(2019, 5, 30), "Ascension"),
        (date(2019, 6, 10), "Lundi de Pentecôte"),
        (date(2024, 4, 1), "Lundi de Pâques"),
        (date(2024, 5, 9), "Ascension"),
        (date(2024, 5, 20), "Lundi de Pentecôte"),
        (date(2038, 4, 26), "Lundi de Pâques"),
    ],
)
def test_known_easter_based_holidays(day: date, name: str) -> None:
    """Published dates (SPF Emploi lists; 2038 has the latest Easter of the century, 25 April)."""
    assert calendar.public_holidays(day.year)[day] == name


@pytest.mark.parametrize(
    ("start", "due", "why"),
    [
        (date(2019, 10, 1), date(2019, 10, 18), "Saturdays count before 2023"),
        (
            date(2019, 10, 28),
            date(2019, 11, 18),
            "1 and 11 November skipped; the 15th day is a Saturday, moved to Monday",
        ),
        (date(2023, 4, 3), date(2023, 4, 25), "Mon-Fri from 2023; Easter Monday skipped"),
        (date(2024, 4, 29), date(2024, 5, 23), "1 May, Ascension and Whit Monday skipped"),
    ],
)
def test_fifteen_working_days(start: date, due: date, why: str) -> None:
    """Art. 9: the last day to send the rapport de compétences, counted from the day after."""
    assert calendar.add_working_days(start, 15) == due, why


def test_holidays_are_not_working_days_under_either_convention() -> None:
    """A public holiday never counts; Saturday counts only before 2023."""
    assert not calendar.is_working_day(date(2024, 5, 1), saturday_counts=True)
    assert calendar.is_working_day(
        date(2019, 10, 5), saturday_counts=calendar.saturday_counts_on(date(2019, 10, 1))
    )
    assert not calendar.is_working_day(
        date(2023, 10, 7), saturday_counts=calendar.saturday_counts_on(date(2023, 10, 2))
    )


@pytest.mark.parametrize(
    ("sy", "start", "end", "four_months"),
    [
        (2019, date(2019, 9, 1), date(2020, 6, 30), date(2020, 3, 1)),
        (2021, date(2021, 9, 1), date(2022, 6, 30), date(2022, 3, 1)),
        (2022, date(2022, 8, 29), date(2023, 7, 7), date(2023, 3, 8)),
        (2024, date(2024, 8, 26), date(2025, 7, 4), date(2025, 3, 5)),
    ],
)
def test_school_years_before_and_after_the_2022_reform(
    sy: int, start: date, end: date, four_months: date
) -> None:
    """1 Sept-30 June until 2021-2022; last Monday of August-first Friday of July from 2022."""
    assert (calendar.school_year_start(sy), calendar.school_year_end(sy)) == (start, end)
    assert calendar.last_months_start(sy) == four_months
    assert calendar.school_year_of(start) == sy
    assert calendar.school_year_of(end) == sy


def test_summer_belongs_to_the_year_that_ended() -> None:
    """The days between two school years count with the one that ended."""
    assert calendar.school_year_of(date(2022, 8, 28)) == 2021
    assert calendar.school_year_of(date(2022, 8, 29)) == 2022
    assert calendar.school_year_of(date(2020, 8, 31)) == 2019
