"""CléA statistics (``ledger stats clea``), computed from ``rm_clea_candidate``.

Per evaluator organisation (SIRET) and region: candidates, certified (an active certificate),
certification rate, median days from the évaluation préalable to the certificate, expired
windows (5-year window ended without a certificate at the reading date, or recorded as
missed) and late accrochage (reported after the 3-month deadline, or unreported past it).
The funnel by region runs from registration to the certificate.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date
from typing import Any

from ledger.adapters.follower import Db

COLUMNS = (
    "candidate_id",
    "certificate_type",
    "evaluator_siret",
    "region",
    "registered_on",
    "prealable_on",
    "window_ends_on",
    "planned",
    "trained",
    "final_evaluated",
    "jury_awarded",
    "certified_on",
    "window_missed",
    "accrochage_due",
    "accrochage_on",
    "accrochage_late",
)
FUNNEL = ("registered", "prealable", "planned", "trained", "final_evaluated", "jury_awarded", "certified")


def _candidates(db: Db) -> list[dict[str, Any]]:
    rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM rm_clea_candidate").fetchall()
    return [dict(zip(COLUMNS, r, strict=True)) for r in rows]


def _expired(c: dict[str, Any], day: str) -> bool:
    ended = c["window_ends_on"] is not None and c["window_ends_on"] < day
    return bool(int(c["window_missed"])) or (ended and c["certified_on"] is None)


def _late_accrochage(c: dict[str, Any], day: str) -> bool:
    unreported = c["accrochage_on"] is None and c["accrochage_due"] is not None and c["accrochage_due"] < day
    return bool(int(c["accrochage_late"])) or unreported


def clea_stats(db: Db, today: date) -> dict[str, Any]:
    """Statistics by evaluator organisation and region, and the funnel by region."""
    day = today.isoformat()
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    funnel: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FUNNEL, 0))
    for c in _candidates(db):
        groups[(c["evaluator_siret"], c["region"])].append(c)
        stage = funnel[c["region"]]
        stage["registered"] += 1
        stage["prealable"] += c["prealable_on"] is not None
        for key in ("planned", "trained", "final_evaluated", "jury_awarded"):
            stage[key] += int(c[key])
        stage["certified"] += c["certified_on"] is not None
    rows = [_group_row(siret, region, cs, day) for (siret, region), cs in sorted(groups.items())]
    return {
        "as_of": day,
        "organisations": rows,
        "funnel_by_region": [{"region": r, **f} for r, f in sorted(funnel.items())],
    }


def _group_row(siret: str, region: str, cs: list[dict[str, Any]], day: str) -> dict[str, Any]:
    certified = [c for c in cs if c["certified_on"] is not None]
    days = [
        (date.fromisoformat(c["certified_on"]) - date.fromisoformat(c["prealable_on"])).days
        for c in certified
        if c["prealable_on"] is not None
    ]
    return {
        "evaluator_siret": siret,
        "region": region,
        "candidates": len(cs),
        "certified": len(certified),
        "rate": round(len(certified) / len(cs), 4) if cs else None,
        "median_days_to_certificate": float(statistics.median(days)) if days else None,
        "expired_windows": sum(_expired(c, day) for c in cs),
        "late_accrochage": sum(_late_accrochage(c, day) for c in cs),
    }
