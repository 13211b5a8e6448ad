"""Candidates walked through the CléA journey, read back from the store."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.application.dossiers import clea_dossier
from ledger.domain.clea.aggregates import Candidate
from ledger.domain.clea.values import CertificateType, Issuer
from ledger.domain.errors import RuleViolation

from .conftest import EVAL_A, World, passed_for

CLEA = CertificateType.CLEA
ALL = ["D1", "D2", "D3", "D4", "D5", "D6", "D7"]


def test_registration_to_certificate(world: World) -> None:
    """Préalable, plan, training, final evaluation, jury, certificate, accrochage on time."""
    cand, cert = world.certified()
    world.run(
        world.certifpro(
            "RecordAccrochage", date(2021, 9, 1), candidate_id=str(cand), certificate_id=str(cert)
        )
    )
    c = world.candidate(cand)
    issued = c.active_certificate()
    assert issued is not None and issued.certificate_id == cert
    assert (issued.issuer, issued.accrochage_due_by) == (Issuer.CERTIFPRO, date(2021, 11, 2))
    assert issued.referential_versions == ("clea-v2018",)
    assert c.acquired() == ALL and c.missing() == []
    pre = c.prealable()
    assert pre is not None and pre.decision.ruleset_version == "CLEA-REF-clea-v2018"
    assert pre.missing == ("D6", "D7") and pre.window_ends_on == date(2026, 3, 10)
    dossier = clea_dossier(c, on=date(2021, 9, 2))
    assert dossier["accrochage"] == {"status": "done", "due_by": "2021-11-02", "reported_on": "2021-09-01"}
    assert dossier["plan"]["trainer_id"] == "trainer-1"
    assert [m["side"] for m in dossier["jury"]["members"]] == ["employer", "employee"]


def test_late_accrochage_then_revocation(world: World) -> None:
    """A report after 3 months is recorded late; a revoked certificate stops counting."""
    cand, cert = world.certified()
    world.run(
        world.certifpro(
            "RecordCleaDeadlineMissed",
            date(2021, 11, 3),
            candidate_id=str(cand),
            kind="accrochage",
            certificate_id=str(cert),
        )
    )
    world.run(
        world.certifpro(
            "RecordAccrochage", date(2021, 12, 1), candidate_id=str(cand), certificate_id=str(cert)
        )
    )
    world.run(
        world.certifpro(
            "RevokeCleaCertificate",
            date(2022, 2, 1),
            candidate_id=str(cand),
            certificate_id=str(cert),
            reason="fraude à l'évaluation",
        )
    )
    c = world.candidate(cand)
    done = c.of_type(Candidate.AccrochageRecorded)[-1]
    assert done.late is True
    assert c.active_certificate() is None
    assert clea_dossier(c)["revoked"][0]["reason"] == "fraude à l'évaluation"


def test_partial_portfolio_expires_and_a_new_prealable_reopens(world: World) -> None:
    """Missing domains after 5 years need a new préalable, which opens a new window."""
    cand = world.partial(day=date(2020, 1, 15))
    world.plan(cand, ["D6", "D7"], day=date(2020, 2, 1))
    c = world.candidate(cand)
    assert c.acquired() == ["D1", "D2", "D3", "D4", "D5"]
    assert c.window_end() == date(2025, 1, 15)
    world.run(
        world.certifpro(
            "RecordCleaDeadlineMissed", date(2025, 2, 1), candidate_id=str(cand), kind="validity_window"
        )
    )
    with pytest.raises(RuleViolation) as refused:
        world.train(cand, day=date(2025, 3, 1))
    assert refused.value.rule == "within_five_years_of_prealable"
    world.prealable(
        cand,
        passed_for(CLEA, ["D1", "D2", "D3", "D4", "D5", "D6"]),
        day=date(2025, 3, 10),
        evaluator_id="eval-3",
    )
    c = world.candidate(cand)
    assert c.window_end() == date(2030, 3, 10)
    assert c.missing() == ["D7"] and c.open_plan() is None
    world.plan(cand, ["D7"], day=date(2025, 3, 20))
    world.train(cand, trainer="trainer-2", day=date(2025, 6, 1))
    world.final(cand, ["D7"], passed_for(CLEA, ["D7"]), day=date(2025, 6, 15))
    world.jury(cand, day=date(2025, 6, 30))
    world.issue(cand, day=date(2025, 7, 1))
    dossier = clea_dossier(world.candidate(cand), on=date(2025, 7, 2))
    assert dossier["window"]["prealables"] == 2 and dossier["domains"]["missing"] == []
    assert dossier["deadlines"][-1]["recorded_missed"] is True


def test_numerique_is_certified_independently(world: World) -> None:
    """A CléA Numérique candidacy is its own aggregate, on its own 4-domain referential."""
    cand = world.register("clea_numerique")
    world.prealable(cand, passed_for(CertificateType.NUMERIQUE, ["N1", "N2", "N3", "N4"]))
    world.jury(cand)
    world.issue(cand)
    c = world.candidate(cand)
    assert c.certificate is CertificateType.NUMERIQUE and c.acquired() == ["N1", "N2", "N3", "N4"]
    assert c.active_certificate() is not None


def test_correction_replaces_an_evaluation(world: World) -> None:
    """A corrected évaluation préalable stays in the log but the correction counts."""
    cand = world.partial()
    again = world.evaluator(
        "RecordPriorEvaluation",
        date(2021, 3, 11),
        candidate_id=str(cand),
        evaluator_siret=EVAL_A,
        evaluator_id="eval-1",
        corrects=2,
        reason="grille mal saisie",
        passed=passed_for(CLEA, ALL),
    )
    world.run(again)
    c = world.candidate(cand)
    assert c.missing() == [] and 2 in c.voided and len(c.log) == 3
