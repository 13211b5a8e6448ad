"""School statistics (``ledger stats school FASE``), computed from the ``stats`` facts tables.

What is computed, per option of the school and school year (``sy`` = 1 Sept sy – 31 Aug sy+1):

- **Enrolment at 1 October** of ``sy`` in 4th, 5th and 6th: a learner counts where its last
  placement (admission, promotion, repeat, transfer) effective on or before 1 October belongs
  to school year ``sy``, at this school and option.
- **Creation norm** (AGCF 2018-08-29 art. 6 §3 2°, in the creation year only, for an option
  that does not replace a transformed one): ≥ 12 pupils in 4th at 1 October, ≥ 10 when the
  school organises it only in alternance (a CEFA); 10 and 8 for a *thématique commune*
  (a flag: the bassin's list is not in our data).
- **Maintenance norm** (art. 6 §5 3°): the 5th-year maintenance norm is required in 4th. The
  organic value (AECF 1992-08-31 art. 12 §1) is **not in our sources**: it is configuration,
  with :data:`MAINTENANCE_NORM_DEFAULT` as a clearly labelled assumed default.
- **Remediation periods due** (art. 10 §3, options entering CPU 4-5-6 from 2018): by year of
  implementation (``sy`` − first 4th year + 1): 1 → 0; 2–3 → 0.25 per pupil of 4th and 5th;
  from 4 → 0.25 per pupil of 4th and 5th plus 0.45 per pupil of 6th; pupils counted at the
  previous 15 January (15 January of ``sy``). C3D pupils are excluded (the ledger records no
  C3D). Shown beside the school's Annex II NTPP. The §2 recalculation and the §4 transitional
  rates for transformed options are not computed.
- **UAA pass rates**: at first attempt (first sittings passed / first sittings) and over all
  sittings (sittings passed / sittings), by the school year of the sitting.
- **Median days from authorisation to validation** (first effective authorisation of the UAA
  to its effective validation).
- **End-of-year share** (art. 4 §6 forbids pushing every test to the end of the year): for
  study years whose profile has several UAA, the share of validation tests sat in June (the
  last month of the school year's teaching calendar).
- **Competence reports** owed by this school (art. 9): overdue and unsent at the reading date,
  and sent late.
- **CQ rate per cohort**: learners admitted in 4th at this school in ``sy``, how many reached
  5th and 6th, and how many hold an active CQ.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger.adapters.follower import Db
from ledger.reference import cpu as ref

MAINTENANCE_NORM_DEFAULT = 6
MAINTENANCE_NORM_LABEL = (
    "ASSUMED default (the organic 5th-year maintenance norm of AECF "
    "1992-08-31 art. 12 §1 is not in our sources; set --maintenance-norm)"
)


@dataclass(frozen=True)
class NormConfig:
    """Configuration of the Art. 6 norms."""

    thematique_commune: bool = False
    maintenance_norm: int = MAINTENANCE_NORM_DEFAULT
    maintenance_norm_assumed: bool = True


def creation_norm(is_cefa: bool, thematique_commune: bool) -> int:
    """Art. 6 §3 2°: pupils required in 4th at 1 October of the creation year."""
    base = 10 if is_cefa else 12
    return base - 2 if thematique_commune else base


def remediation_periods(implementation_year: int, pupils_4_5: int, pupils_6: int) -> float:
    """Art. 10 §3: teacher-periods due for remediation in a year of implementation."""
    if implementation_year <= 1:
        return 0.0
    if implementation_year <= 3:
        return round(0.25 * pupils_4_5, 2)
    return round(0.25 * pupils_4_5 + 0.45 * pupils_6, 2)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class _Placements:
    """Every placement of learners who were ever at a school, to count enrolment at a date."""

    def __init__(self, db: Db, fase: int) -> None:
        rows = db.execute(
            "SELECT learner_key, seq, fase, option_code, school_year, year, c2d, from_date "
            "FROM rm_cpu_placement WHERE learner_key IN "
            "(SELECT learner_key FROM rm_cpu_placement WHERE fase = ?) ORDER BY learner_key, seq",
            (fase,),
        ).fetchall()
        self.fase = fase
        self.by_learner: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for r in rows:
            self.by_learner[r[0]].append(tuple(r))

    def count(self, option: str, on: date) -> dict[int, int]:
        """Pupils by study year at this school and option on ``on``."""
        sy = on.year if on.month >= 9 else on.year - 1
        out = {4: 0, 5: 0, 6: 0}
        day = on.isoformat()
        for rows in self.by_learner.values():
            current = [r for r in rows if r[7] <= day]
            if not current:
                continue
            last = current[-1]
            if last[2] == self.fase and last[3] == option and last[4] == sy:
                out[int(last[5])] += 1
        return out

    def school_years(self) -> list[int]:
        """School years with a placement at this school."""
        return sorted({int(r[4]) for rows in self.by_learner.values() for r in rows if r[2] == self.fase})


def school_stats(db: Db, fase: int, today: date, config: NormConfig | None = None) -> dict[str, Any]:
    """Every statistic of one school (see the module docstring)."""
    config = config or NormConfig()
    school = ref.school(fase)
    placements = _Placements(db, fase)
    options = db.execute(
        "SELECT option_code, form, first_school_year, replaces FROM rm_cpu_option "
        "WHERE fase = ? ORDER BY option_code",
        (fase,),
    ).fetchall()
    years = placements.school_years()
    out_options = [
        _option_stats(db, fase, tuple(o), placements, years, school.is_cefa, config) for o in options
    ]
    return {
        "fase": fase,
        "school": school.name,
        "locality": school.locality,
        "alternance_only_cefa": school.is_cefa,
        "annex2_ntpp": {f.form: f.ntpp_allocated for f in school.forms},
        "norms": {
            "thematique_commune": config.thematique_commune,
            "maintenance_norm": config.maintenance_norm,
            "maintenance_norm_source": MAINTENANCE_NORM_LABEL
            if config.maintenance_norm_assumed
            else "configured",
        },
        "options": out_options,
        "remediation_vs_annex2": _remediation_totals(out_options, school),
        "competence_reports": _reports(db, fase, today),
    }


def _option_stats(
    db: Db,
    fase: int,
    opt: tuple[Any, ...],
    placements: _Placements,
    years: list[int],
    is_cefa: bool,
    config: NormConfig,
) -> dict[str, Any]:
    code, form, first, replaces = opt[0], opt[1], int(opt[2]), bool(opt[3])
    # one year past the last placement: its allocation counts pupils at the previous 15 January
    span = range(min([first, *years]), max([first, *years]) + 2)
    attempts = _attempt_stats(db, fase, code)
    medians = _median_days(db, fase, code)
    rows = []
    for sy in span:
        october = placements.count(code, date(sy, 10, 1))
        january = placements.count(code, date(sy, 1, 15))
        impl = sy - first + 1
        rows.append(
            {
                "school_year": sy,
                "implementation_year": impl,
                "enrolment_1_october": {str(k): v for k, v in october.items()},
                "creation_norm": _creation(sy == first and not replaces, october[4], is_cefa, config),
                "maintenance_norm": {
                    "observed_in_year": 4,
                    "required": config.maintenance_norm,
                    "enrolment": october[4],
                    "met": october[4] >= config.maintenance_norm,
                },
                "remediation": {
                    "counted_on": date(sy, 1, 15).isoformat(),
                    "pupils_4_5": january[4] + january[5],
                    "pupils_6": january[6],
                    "periods_due": remediation_periods(impl, january[4] + january[5], january[6]),
                },
                **attempts.get(sy, _empty_attempts()),
                "median_days_authorisation_to_validation": medians.get(sy),
            }
        )
    return {
        "option_code": code,
        "form": form,
        "first_school_year": first,
        "replaces_transformed_option": replaces,
        "years": rows,
        "cohorts": _cohorts(db, fase, code),
    }


def _creation(applies: bool, fourth: int, is_cefa: bool, config: NormConfig) -> dict[str, Any] | None:
    if not applies:
        return None
    required = creation_norm(is_cefa, config.thematique_commune)
    return {"required": required, "enrolment": fourth, "met": fourth >= required}


def _empty_attempts() -> dict[str, Any]:
    return {
        "first_attempts": 0,
        "first_attempt_pass_rate": None,
        "attempts": 0,
        "attempt_pass_rate": None,
        "end_of_year_share": {},
    }


def _attempt_stats(db: Db, fase: int, code: str) -> dict[int, dict[str, Any]]:
    rows = db.execute(
        "SELECT school_year, nth, passed, uaa_year, units_in_year, on_date "
        "FROM rm_cpu_attempt WHERE fase = ? AND option_code = ?",
        (fase, code),
    ).fetchall()
    by_sy: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for r in rows:
        by_sy[int(r[0])].append(tuple(r))
    out = {}
    for sy, items in by_sy.items():
        firsts = [r for r in items if int(r[1]) == 1]
        several: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for r in items:
            if int(r[4]) >= 2:
                several[int(r[3])].append(r)
        june = f"{sy + 1}-06"
        out[sy] = {
            "first_attempts": len(firsts),
            "first_attempt_pass_rate": _rate(sum(int(r[2]) for r in firsts), len(firsts)),
            "attempts": len(items),
            "attempt_pass_rate": _rate(sum(int(r[2]) for r in items), len(items)),
            "end_of_year_share": {
                str(y): _rate(sum(r[5].startswith(june) for r in rs), len(rs))
                for y, rs in sorted(several.items())
            },
        }
    return out


def _median_days(db: Db, fase: int, code: str) -> dict[int, float]:
    rows = db.execute(
        "SELECT school_year, authorised_on, validated_on FROM rm_cpu_validation "
        "WHERE fase = ? AND option_code = ? AND authorised_on IS NOT NULL",
        (fase, code),
    ).fetchall()
    days: dict[int, list[int]] = defaultdict(list)
    for sy, auth, val in rows:
        days[int(sy)].append((date.fromisoformat(val) - date.fromisoformat(auth)).days)
    return {sy: float(statistics.median(v)) for sy, v in days.items()}


def _cohorts(db: Db, fase: int, code: str) -> list[dict[str, Any]]:
    rows = db.execute(
        "SELECT cohort, COUNT(*), SUM(CASE WHEN max_year >= 5 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN max_year >= 6 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN cq_on IS NOT NULL THEN 1 ELSE 0 END) FROM rm_cpu_learner "
        "WHERE fase = ? AND option_code = ? AND entry_year = 4 GROUP BY cohort "
        "ORDER BY cohort",
        (fase, code),
    ).fetchall()
    return [
        {
            "cohort": int(c),
            "entered_4th": int(n),
            "reached_5th": int(r5),
            "reached_6th": int(r6),
            "cq": int(cq),
            "cq_rate": _rate(int(cq), int(n)),
        }
        for c, n, r5, r6, cq in rows
    ]


def _remediation_totals(options: list[dict[str, Any]], school: ref.School) -> list[dict[str, Any]]:
    due: dict[int, float] = defaultdict(float)
    for opt in options:
        for row in opt["years"]:
            due[row["school_year"]] += row["remediation"]["periods_due"]
    allocated = sum(f.ntpp_allocated for f in school.forms)
    return [
        {"school_year": sy, "periods_due": round(v, 2), "annex2_ntpp": allocated}
        for sy, v in sorted(due.items())
    ]


def _reports(db: Db, fase: int, today: date) -> dict[str, int]:
    rows = db.execute(
        "SELECT due_by, sent_on, late FROM rm_cpu_report WHERE from_fase = ?", (fase,)
    ).fetchall()
    day = today.isoformat()
    return {
        "requested": len(rows),
        "overdue_unsent": sum(1 for due, sent, _ in rows if sent is None and day > due),
        "sent_late": sum(1 for _, _, late in rows if int(late)),
        "pending": sum(1 for due, sent, _ in rows if sent is None and day <= due),
    }


def csv_rows(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat row per option and school year (for ``--csv``)."""
    out = []
    for opt in stats["options"]:
        for y in opt["years"]:
            enrol = y["enrolment_1_october"]
            creation = y["creation_norm"] or {}
            out.append(
                {
                    "fase": stats["fase"],
                    "option_code": opt["option_code"],
                    "school_year": y["school_year"],
                    "implementation_year": y["implementation_year"],
                    "enrolled_4": enrol["4"],
                    "enrolled_5": enrol["5"],
                    "enrolled_6": enrol["6"],
                    "creation_norm_required": creation.get("required"),
                    "creation_norm_met": creation.get("met"),
                    "maintenance_norm_required": y["maintenance_norm"]["required"],
                    "maintenance_norm_met": y["maintenance_norm"]["met"],
                    "remediation_periods_due": y["remediation"]["periods_due"],
                    "first_attempt_pass_rate": y["first_attempt_pass_rate"],
                    "attempt_pass_rate": y["attempt_pass_rate"],
                    "median_days_authorisation_to_validation": y["median_days_authorisation_to_validation"],
                }
            )
    return out
