"""Reference data: Art. 1 options, Annex II schools, and profiles validated against Art. 3 §1."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ledger.domain.errors import UnknownEntity
from ledger.reference import cpu as ref
from ledger.reference.errors import ReferenceDataError


def profile_doc(**changes: Any) -> dict[str, Any]:
    base = json.loads(
        next((Path(ref.__file__).parent / "data" / "profiles").glob("macon@*.json")).read_text(
            encoding="utf-8"
        )
    )
    base.update(changes)
    return base


def test_art1_options_and_annex2_schools() -> None:
    """The 15 OBG of Art. 1 (3 TQ, 12 P) and the schools of Annex II with their allocations."""
    options = ref.options()
    assert len(options) == 15
    assert sum(o.form == "TQ" for o in options.values()) == 3
    school = ref.school(1204)
    assert school.locality == "MONS"
    assert sorted((f.form, f.ntpp_allocated) for f in school.forms) == [("P", 14), ("TQ", 28)]
    assert ref.school(5438).is_cefa and ref.school(5438).forms[0].ntpp_allocated == 84


def test_shipped_profiles_cover_all_15_options_illustrative_and_valid() -> None:
    """Every Art. 1 option has a profile in force from 2018-09-01, flagged illustrative, passing Art. 3."""
    profiles = ref.profiles()
    assert set(profiles) == set(ref.options())
    for code, versions in profiles.items():
        profile = ref.profile_in_force(code, date(2018, 9, 1))
        assert profile.form == ref.option(code).form
        for profile in versions:
            assert profile.illustrative and "ILLUSTRATIVE" in profile.note
            assert "ILLUSTRATIVE" in profile.source and profile.titles_note().startswith("ILLUSTRATIVE")
            assert all(u.title.startswith("ILLUSTRATIVE - ") for u in profile.uaa)
            assert all(v.allowed for v in ref.profile_verdicts(profile)), profile.version


def test_straddling_uaa_counts_in_both_school_years() -> None:
    """Art. 3 §1 al. 3: a UAA over two school years counts its weeks in each (Couvreur's UAA4)."""
    profile = ref.profile_in_force("couvreur-etancheur", date(2018, 9, 1))
    straddling = [u for u in profile.uaa if u.weeks_next_year]
    assert [(u.code, u.year, u.last_year) for u in straddling] == [("UAA4", 5, 6)]
    assert profile.weeks_by_year() == {4: 26, 5: 26, 6: 26}


@pytest.mark.parametrize(("year", "weeks"), [(4, 24), (5, 28)])
def test_profile_refused_when_year_weeks_out_of_range(year: int, weeks: int) -> None:
    """A PC whose UAA weeks in a year fall outside 25–27 is refused, naming the year and the sum."""
    doc = profile_doc()
    units = [u for u in doc["uaa"] if u["year"] == year]
    units[0]["weeks"] += weeks - sum(u["weeks"] for u in units)
    with pytest.raises(ReferenceDataError) as info:
        ref.parse_profile(doc)
    assert f"year {year}: {weeks}" in str(info.value)
    assert "profile_uaa_weeks_per_year" in str(info.value) and "art. 3 §1" in str(info.value)


def test_profile_refused_when_project_weeks_exceed_five() -> None:
    """More than 5 project weeks in a year is refused (Art. 3 §1, décret Missions art. 54)."""
    with pytest.raises(ReferenceDataError, match="year 6: 6"):
        ref.parse_profile(profile_doc(project_weeks={"4": 1, "5": 1, "6": 6}))


def test_adding_a_profile_is_a_data_change(tmp_path: Path) -> None:
    """A new approval date is a new version; the one in force on a date is selected."""
    newer = profile_doc(approved_on="2021-05-22")
    path = tmp_path / "macon@2021-05-22.json"
    path.write_text(json.dumps(newer), encoding="utf-8")
    old = next((Path(ref.__file__).parent / "data" / "profiles").glob("macon@*.json"))
    loaded = ref.load_profiles([old, path])["macon"]
    assert [p.approved_on for p in loaded] == [date(2018, 6, 29), date(2021, 5, 22)]


def test_unknown_school_and_option() -> None:
    """Unknown FASE or option codes are named in the error."""
    with pytest.raises(UnknownEntity, match="4242"):
        ref.school(4242)
    with pytest.raises(UnknownEntity, match="astronaute"):
        ref.option("astronaute")
