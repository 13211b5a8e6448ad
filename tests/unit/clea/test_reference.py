"""The CléA referential loader: counts, codes, thresholds, versions by date."""

from __future__ import annotations

import copy
import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ledger.domain.clea.values import CertificateType
from ledger.domain.errors import UnknownEntity
from ledger.reference import clea as ref
from ledger.reference.errors import ReferenceDataError

DATA = Path(ref.__file__).parent / "data" / "clea"


def _raw(name: str = "clea.json") -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return loaded


def test_shipped_counts() -> None:
    """CléA 7/28/106 with the D6113-30 domain names; Numérique 4 domains; Management 3."""
    clea = ref.referential(CertificateType.CLEA)
    assert (len(clea.domains), len(clea.sub_domains()), len(clea.criteria())) == (7, 28, 106)
    assert clea.domains[0].label == "La communication en français"
    assert all(d.confirmed for d in clea.domains)
    assert len(ref.referential(CertificateType.NUMERIQUE).domains) == 4
    assert len(ref.referential(CertificateType.MANAGEMENT).domains) == 3


def test_unconfirmed_items_are_flagged() -> None:
    """Placeholders and the 2018 thresholds are marked unconfirmed."""
    clea = ref.referential(CertificateType.CLEA)
    assert "clea-v2018" in clea.unconfirmed() and "clea-v2015" not in clea.unconfirmed()
    placeholders = [s for s in clea.sub_domains() if s.label.startswith("PLACEHOLDER")]
    assert placeholders and not any(s.confirmed for s in placeholders)
    num = ref.referential(CertificateType.NUMERIQUE)
    assert all(not c.confirmed and c.label.startswith("PLACEHOLDER") for c in num.criteria())


@pytest.mark.parametrize(
    ("on", "version", "threshold"),
    [
        (date(2015, 2, 13), "clea-v2015", 0.75),
        (date(2017, 12, 31), "clea-v2015", 0.75),
        (date(2018, 1, 1), "clea-v2018", 0.5),
        (date(2026, 1, 1), "clea-v2018", 0.5),
    ],
)
def test_version_in_force_by_date(on: date, version: str, threshold: float) -> None:
    """The threshold version in force is the latest effective on the evaluation date."""
    spec = ref.version_in_force(CertificateType.CLEA, on)
    assert spec.version == version
    assert spec.domains[0].sub_domains[0].threshold == threshold


def test_no_version_before_the_decree() -> None:
    """Before 13 February 2015 no CléA referential is in force."""
    with pytest.raises(UnknownEntity):
        ref.version_in_force(CertificateType.CLEA, date(2015, 2, 12))


def _broken(change: str) -> dict[str, Any]:
    raw = copy.deepcopy(_raw())
    subs = raw["domains"][0]["sub_domains"]
    if change == "count":
        subs[0]["criteria"].pop()
    elif change == "duplicate":
        subs[0]["criteria"][1]["code"] = subs[0]["criteria"][0]["code"]
    elif change == "threshold":
        raw["versions"][1]["thresholds"]["D1.1"] = 1.5
    elif change == "nesting":
        subs[0]["criteria"][0]["code"] = "D2.1.9"
    elif change == "mandatory":
        raw["versions"][1]["mandatory"]["D1.1"] = ["D7.1.1"]
    elif change == "order":
        raw["versions"].reverse()
    return raw


@pytest.mark.parametrize("change", ["count", "duplicate", "threshold", "nesting", "mandatory", "order"])
def test_loader_refuses_broken_data(change: str) -> None:
    """Wrong counts, duplicate codes, thresholds outside 0..1, stray codes are refused."""
    with pytest.raises(ReferenceDataError):
        ref.parse_referential(_broken(change), "clea.json")


def test_campaigns() -> None:
    """Certif'Pro campaigns: 2019 board decision 9 July; Management only from 2024."""
    assert ref.campaign("certifpro-2019") is not None
    camp = ref.campaign("certifpro-2019")
    assert camp is not None and camp.decided_on == date(2019, 7, 9)
    mgmt = CertificateType.MANAGEMENT
    assert [c for c, v in ref.campaigns().items() if mgmt in v.certificates] == ["certifpro-2024"]


SHARED_CLEA = Path(__file__).resolve().parents[4] / "shared" / "reference" / "clea"


def test_shipped_labels_and_confidence_follow_the_shared_reference() -> None:
    """Every item carries the confidence of ../shared/reference/clea; only official wording is confirmed."""
    with (SHARED_CLEA / "clea_referential.csv").open(encoding="utf-8") as handle:
        rows = {r["code"]: r for r in csv.DictReader(handle)}
    doc = ref.referential(CertificateType.CLEA)
    items: list[Any] = [*doc.domains, *doc.sub_domains(), *doc.criteria()]
    for item in items:
        row = rows.get(item.code)
        if row is None or item.label.startswith("PLACEHOLDER"):
            assert (item.label_status, item.confirmed) == ("not-found", False), item.code
            continue
        assert item.confidence == row["confidence"], item.code
        assert item.confirmed is row["confidence"].startswith(("official", "statute")), item.code
        if row["label_status"] == "found" and item.code != "D5.2.3":
            assert item.label == row["label"], item.code
    assert {i.code for i in items if i.label_status == "not-found"} == {
        "D4.1",
        "D4.2",
        "D4.3",
        "D4.4",
        "D6.1",
        "D6.2",
        "D6.3",
    }


def test_unconfirmed_labels_are_marked_when_shown() -> None:
    """A user never sees a secondary or missing label presented as official."""
    assert ref.marked_label(CertificateType.CLEA, "D1") == "La communication en français"
    assert "[unconfirmed: not-found" in ref.marked_label(CertificateType.CLEA, "D6.2")
    assert "PARTIAL" in ref.marked_label(CertificateType.NUMERIQUE, "N4")
    assert "EN_ONLY" in ref.marked_label(CertificateType.MANAGEMENT, "M2")
