"""Loaders for the CPU reference data: options (OBG), schools (FASE) and profiles (PC).

The profile loader applies the Art. 3 §1 rules of the catalogue
(:func:`ledger.domain.cpu.rules.profile_verdicts`): every UAA has weeks, UAA are presented
per school year (one may exceptionally straddle two), the UAA weeks of each school year add
up to 25–27, and at most 5 project weeks are organised on top. Shipped profiles are
ILLUSTRATIVE where the official PC could not be read: ``illustrative`` and ``source`` say so,
and every output showing a UAA title must say so too.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ledger.domain.cpu import rules
from ledger.domain.errors import UnknownEntity
from ledger.domain.rules import Verdict, because
from ledger.reference.errors import ReferenceDataError

ART_3 = "AGCF-2018-08-29 art. 3 §1"
UAA_WEEKS_MIN, UAA_WEEKS_MAX, PROJECT_WEEKS_MAX = (
    rules.UAA_WEEKS_MIN,
    rules.UAA_WEEKS_MAX,
    rules.PROJECT_WEEKS_MAX,
)


def slugify(text: str) -> str:
    """ASCII lowercase slug used as a stable code (``Maçon`` → ``macon``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


@dataclass(frozen=True, slots=True)
class Option:
    """An option de base groupée organised in CPU 4-5-6 (Art. 1)."""

    code: str
    form: str
    name_masculine: str
    name_feminine: str
    sector: str


@dataclass(frozen=True, slots=True)
class SchoolForm:
    """One row of Annex II: a school, a form (TQ/P) and the NTPP allocated."""

    form: str
    ntpp_allocated: int


@dataclass(frozen=True, slots=True)
class School:
    """A school (établissement) identified by its FASE number."""

    fase: int
    name: str
    postal_code: str
    locality: str
    network: str
    forms: tuple[SchoolForm, ...]

    @property
    def is_cefa(self) -> bool:
        """True for an alternance centre (CEFA)."""
        return self.name.startswith("CEFA")


class UaaSpec(BaseModel):
    """One UAA of a profile."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^UAA[0-9]{1,2}$")
    title: str = Field(min_length=1)
    year: int = Field(ge=4, le=6, description="The school year the UAA is presented in")
    weeks: int = Field(ge=0, le=27, description="Weeks in that school year")
    weeks_next_year: int = Field(
        default=0, ge=0, le=27, description="Weeks in the next school year (Art. 3 §1 al. 3)"
    )
    credit_points: float | None = None

    @property
    def last_year(self) -> int:
        """The last school year the UAA runs in (its year, or the next when it straddles)."""
        return self.year + (1 if self.weeks_next_year else 0)


class Profile(BaseModel):
    """A profil de certification (PC), versioned by its approval date."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    obg: str
    form: str = Field(pattern=r"^(TQ|P)$")
    approved_on: date
    effective_from: date | None = None
    illustrative: bool
    source: str = ""
    note: str = ""
    order_mandatory: bool
    eqf_level: int | None = Field(default=None, ge=1, le=8)
    stage_weeks: dict[int, int]
    project_weeks: dict[int, int]
    uaa: tuple[UaaSpec, ...]

    @field_validator("uaa")
    @classmethod
    def _unique_codes(cls, value: tuple[UaaSpec, ...]) -> tuple[UaaSpec, ...]:
        codes = [u.code for u in value]
        if len(set(codes)) != len(codes):
            raise ValueError("UAA codes must be unique within a profile")
        return value

    @property
    def option_code(self) -> str:
        """The code of the option this profile certifies."""
        return slugify(self.obg)

    @property
    def version(self) -> str:
        """The version string: ``<option>@<approval date>``."""
        return f"{self.option_code}@{self.approved_on.isoformat()}"

    def uaa_codes(self) -> list[str]:
        """The UAA codes in the profile's order (a new list each call, listed once per profile)."""
        return list(self._uaa_codes)

    @cached_property
    def _uaa_codes(self) -> tuple[str, ...]:
        return tuple(u.code for u in self.uaa)

    def uaa_by_code(self, code: str) -> UaaSpec | None:
        """The UAA with that code, if it is in the profile."""
        return next((u for u in self.uaa if u.code == code), None)

    def uaa_of_year(self, year: int) -> list[UaaSpec]:
        """The UAA presented in school year ``year`` (4, 5 or 6)."""
        return [u for u in self.uaa if u.year == year]

    @property
    def in_force_from(self) -> date:
        """The date the profile applies from (its effective date, else its approval date)."""
        return self.effective_from or self.approved_on

    def weeks_by_year(self) -> dict[int, int]:
        """UAA weeks per school year, a straddling UAA counted in both of its years."""
        out = {4: 0, 5: 0, 6: 0}
        for u in self.uaa:
            out[u.year] = out.get(u.year, 0) + u.weeks
            if u.weeks_next_year:
                out[u.year + 1] = out.get(u.year + 1, 0) + u.weeks_next_year
        return out

    def titles_note(self) -> str:
        """What every output showing this profile's UAA titles must say about them."""
        return "ILLUSTRATIVE (not the official PC)" if self.illustrative else "official PC"


def profile_verdicts(profile: Profile) -> tuple[Verdict, ...]:
    """The Art. 3 §1 rules of the catalogue applied to one profile."""
    return rules.profile_verdicts(
        profile.weeks_by_year(),
        profile.project_weeks,
        [(u.code, u.year, u.last_year) for u in profile.uaa],
        {u.code: u.weeks + u.weeks_next_year for u in profile.uaa},
    )


def check_profile_weeks(profile: Profile) -> None:
    """Refuse a profile that breaks Art. 3 §1, naming the rule, its article and the years."""
    for verdict in profile_verdicts(profile):
        if not verdict.allowed:
            raise ReferenceDataError(
                f"profile {profile.version}: refused by rule {verdict.rule}"
                f" ({verdict.article}): {verdict.reason}"
            )


def parse_profile(raw: dict[str, Any], source: str = "<profile>") -> Profile:
    """Validate one profile document (schema and Art. 3 §1)."""
    try:
        profile = Profile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ReferenceDataError(f"{source}: {err['msg']} at {err['loc']}") from exc
    check_profile_weeks(profile)
    return profile


def _data_dir() -> Path:
    return Path(str(resources.files("ledger.reference") / "data"))


def _read_csv(name: str) -> list[dict[str, str]]:
    with (_data_dir() / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def options() -> dict[str, Option]:
    """The 15 OBG of Art. 1, by code."""
    rows = _read_csv("cpu_options_art1.csv")
    return {
        slugify(r["name_masculine"]): Option(
            slugify(r["name_masculine"]),
            r["form"],
            r["name_masculine"],
            r["name_feminine"],
            r["sector"],
        )
        for r in rows
    }


@cache
def schools() -> dict[int, School]:
    """The schools of Annex II, by FASE number."""
    grouped: dict[int, list[dict[str, str]]] = {}
    for row in _read_csv("cpu_schools_annex2.csv"):
        grouped.setdefault(int(row["fase"]), []).append(row)
    return {fase: _school(fase, rows) for fase, rows in grouped.items()}


def _school(fase: int, rows: list[dict[str, str]]) -> School:
    first = rows[0]
    forms = tuple(SchoolForm(r["form"], int(r["ntpp_allocated"])) for r in rows)
    return School(fase, first["name"], first["postal_code"], first["locality"], first["network"], forms)


def load_profiles(paths: Iterable[Path]) -> dict[str, list[Profile]]:
    """Load and validate profile files; versions of one option sorted by approval date."""
    out: dict[str, list[Profile]] = {}
    for path in paths:
        profile = parse_profile(json.loads(path.read_text(encoding="utf-8")), path.name)
        if profile.option_code not in options():
            raise ReferenceDataError(f"{path.name}: option {profile.obg!r} is not an Art. 1 option")
        out.setdefault(profile.option_code, []).append(profile)
    for versions in out.values():
        versions.sort(key=lambda p: (p.in_force_from, p.approved_on))
    return out


@cache
def profiles() -> dict[str, list[Profile]]:
    """Every shipped profile, by option code."""
    return load_profiles(sorted((_data_dir() / "profiles").glob("*.json")))


def option(code: str) -> Option:
    """The option with that code, or :class:`UnknownEntity`."""
    try:
        return options()[code]
    except KeyError:
        raise UnknownEntity("option", code) from None


def school(fase: int) -> School:
    """The school with that FASE number, or :class:`UnknownEntity`."""
    try:
        return schools()[fase]
    except KeyError:
        raise UnknownEntity("school (FASE)", fase) from None


def profile_in_force(option_code: str, on: date) -> Profile:
    """The latest profile of the option in force on ``on`` (effective on or before it)."""
    versions = [p for p in profiles().get(option_code, []) if p.in_force_from <= on]
    if not versions:
        raise UnknownEntity(
            "certification profile in force", because("{option} on {day}", option=option_code, day=on)
        )
    return versions[-1]


@cache
def _profiles_by_version() -> dict[str, Profile]:
    return {p.version: p for versions in profiles().values() for p in versions}


def profile_version(version: str) -> Profile:
    """The profile with an exact version string ``<option>@<date>``."""
    try:
        return _profiles_by_version()[version]
    except KeyError:
        raise UnknownEntity("certification profile", version) from None
