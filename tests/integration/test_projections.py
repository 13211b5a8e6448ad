"""Read models on both backends: rebuild equals incremental, dossiers equal replay, statistics
match hand-computed values, certificate histories, as-of views."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from ledger.adapters.follower import Follower
from ledger.adapters.store import StoreTarget
from ledger.application import Ledger, parse_command
from ledger.application.asof import as_of_effective, as_recorded_at
from ledger.application.dossiers import learner_dossier
from ledger.demo.cpu import demo_commands, resolve_refs
from projections.dossier import refresh, stored
from projections.history import certificate_history
from projections.registry import catch_up, close, followers
from projections.registry import export as export_all
from projections.stats_clea import clea_stats
from projections.stats_cpu import NormConfig, creation_norm, remediation_periods, school_stats
from tests.builders import FASE, NOW_DATE, OPTION, admit, cmd, finish_fourth, on, open_option, pass_unit, run

TODAY = NOW_DATE


def record_demo_in_chunks(ledger: Ledger, target: StoreTarget, chunks: int) -> list[Follower]:
    raw = list(demo_commands(7, 40, 8, TODAY))
    fols = followers(ledger.store, target, batch_size=37)
    size = len(raw) // chunks + 1
    for start in range(0, len(raw), size):
        parsed = (parse_command(resolve_refs(ledger, r)) for r in raw[start : start + size])
        ledger.execute_all(parsed, batch=50)
        catch_up(fols)
    return fols


def test_rebuild_equals_incremental_and_dossiers_equal_replay(ledger: Ledger, store_location: str) -> None:
    """A demo recorded in chunks with the projections run between them gives exactly the rows
    of a rebuild from zero, and every stored dossier equals replaying its aggregate."""
    target = StoreTarget.parse(store_location)
    fols = record_demo_in_chunks(ledger, target, chunks=4)
    head = ledger.store.recorder.max_notification_id()
    assert all(f.status().lag == 0 for f in fols)
    incremental = export_all(fols)
    assert all(
        incremental[t]
        for t in ("rm_dossier", "rm_cpu_learner", "rm_history_stream", "rm_clea_candidate", "rm_certificate")
    )
    for fol in fols:
        assert fol.rebuild() == head
    assert export_all(fols) == incremental
    dossier_db = fols[0].db
    ids = [UUID(r[0]) for r in dossier_db.execute("SELECT learner_id FROM rm_dossier").fetchall()]
    for ident in ids:
        found = stored(dossier_db, ledger.store, ident)
        assert found is not None
        assert refresh(found[1], TODAY) == learner_dossier(ledger.store, ident, TODAY)
    close(fols)


def small_cohort(ledger: Ledger) -> tuple[UUID, UUID, UUID]:
    """Three learners entering 4th in 2019-20 at FASE 209 (a new option created in 2019)."""
    run(
        ledger,
        cmd(
            "OpenOption",
            "direction",
            "2019-06-01",
            option_code=OPTION,
            first_school_year=2019,
            replaces_transformed_option=False,
        ),
    )
    a, b, c = admit(ledger), admit(ledger), admit(ledger)
    finish_fourth(ledger, a)
    run(ledger, on(a, "PromoteLearner", "conseil_classe", "2020-09-01"))
    pass_unit(ledger, a, "UAA3", "2020-11-10")
    pass_unit(ledger, a, "UAA4", "2021-06-10")
    run(ledger, on(a, "PromoteLearner", "conseil_classe", "2021-09-01"))
    pass_unit(ledger, a, "UAA5", "2021-11-10")
    pass_unit(ledger, a, "UAA6", "2022-03-10")
    run(ledger, on(a, "IssueCertificate", "jury_qualification", "2022-06-28", kind="CQ"))
    run(
        ledger,
        on(b, "AuthoriseTest", "jury_qualification", "2019-11-10", uaa="UAA1", representatives_informed=True),
    )
    run(ledger, on(b, "RecordAttempt", "jury_delegate", "2019-11-10", uaa="UAA1", passed=False))
    run(ledger, on(b, "RecordAttempt", "jury_delegate", "2019-12-10", uaa="UAA1", passed=True))
    run(ledger, on(b, "ValidateUnit", "jury_delegate", "2019-12-10", uaa="UAA1"))
    run(
        ledger,
        on(b, "AuthoriseTest", "jury_qualification", "2020-06-01", uaa="UAA2", representatives_informed=True),
    )
    run(ledger, on(b, "RecordAttempt", "jury_delegate", "2020-06-15", uaa="UAA2", passed=True))
    run(ledger, on(b, "ValidateUnit", "jury_delegate", "2020-06-15", uaa="UAA2"))
    run(ledger, on(b, "IssueAttestation", "conseil_classe", "2020-06-25", kind="AOA"))
    run(ledger, on(b, "PromoteLearner", "conseil_classe", "2020-09-01"))
    run(
        ledger,
        on(c, "AuthoriseTest", "jury_qualification", "2020-06-01", uaa="UAA1", representatives_informed=True),
    )
    run(ledger, on(c, "RecordAttempt", "jury_delegate", "2020-06-05", uaa="UAA1", passed=False))
    return a, b, c


def test_school_statistics_match_hand_computed_values(ledger: Ledger, store_location: str) -> None:
    """Enrolment at 1 October, Art. 6 norms, Art. 10 §3 periods, pass rates, medians, the
    end-of-year share and the CQ rate of a three-learner cohort, computed by hand."""
    small_cohort(ledger)
    fols = followers(ledger.store, StoreTarget.parse(store_location), "stats")
    catch_up(fols)
    stats = school_stats(fols[0].db, FASE, TODAY)
    [opt] = stats["options"]
    years = {y["school_year"]: y for y in opt["years"]}
    assert sorted(years) == [2019, 2020, 2021, 2022]
    assert [years[sy]["enrolment_1_october"] for sy in (2019, 2020, 2021)] == [
        {"4": 3, "5": 0, "6": 0},
        {"4": 0, "5": 2, "6": 0},
        {"4": 0, "5": 0, "6": 1},
    ]
    assert years[2019]["creation_norm"] == {"required": 12, "enrolment": 3, "met": False}
    assert years[2020]["creation_norm"] is None
    assert years[2019]["maintenance_norm"]["met"] is False
    # Art. 10 §3: year 1 → 0; years 2-3 → 0.25 × (4th+5th at 15 Jan); year 4 → + 0.45 × 6th
    assert [years[sy]["remediation"]["periods_due"] for sy in (2019, 2020, 2021, 2022)] == [
        0.0,
        0.75,
        0.5,
        0.45,
    ]
    assert years[2020]["remediation"]["counted_on"] == "2020-01-15"
    assert years[2019]["first_attempts"] == 5 and years[2019]["first_attempt_pass_rate"] == 0.6
    assert years[2019]["attempts"] == 6 and years[2019]["attempt_pass_rate"] == 0.6667
    assert years[2019]["median_days_authorisation_to_validation"] == 7.0
    assert years[2019]["end_of_year_share"] == {"4": 0.3333}
    assert years[2020]["end_of_year_share"] == {"5": 0.5}
    assert opt["cohorts"] == [
        {"cohort": 2019, "entered_4th": 3, "reached_5th": 2, "reached_6th": 1, "cq": 1, "cq_rate": 0.3333}
    ]
    assert stats["annex2_ntpp"] == {"TQ": 14}
    assert stats["remediation_vs_annex2"][1] == {"school_year": 2020, "periods_due": 0.75, "annex2_ntpp": 14}
    commune = school_stats(
        fols[0].db,
        FASE,
        TODAY,
        NormConfig(thematique_commune=True, maintenance_norm=2, maintenance_norm_assumed=False),
    )
    first = commune["options"][0]["years"][0]
    assert first["creation_norm"]["required"] == 10 and first["maintenance_norm"]["met"] is True
    close(fols)


def test_norm_and_period_rules() -> None:
    """Art. 6 §3 creation norms (12/10, reduced to 10/8) and the Art. 10 §3 rates."""
    assert [
        creation_norm(False, False),
        creation_norm(True, False),
        creation_norm(False, True),
        creation_norm(True, True),
    ] == [12, 10, 10, 8]
    assert remediation_periods(1, 40, 10) == 0.0
    assert remediation_periods(3, 40, 10) == 10.0
    assert remediation_periods(4, 40, 10) == 14.5


def test_certificate_history_chain(ledger: Ledger, store_location: str) -> None:
    """The chain of a revoked CQ: admission, validations, issuance, then its revocation, each
    with actor, body, basis and increasing global position."""
    open_option(ledger)
    ident = admit(ledger, year=6, route="A6_repeat_transformed", sy=2020)
    for uaa in ("UAA1", "UAA2", "UAA3", "UAA4", "UAA5", "UAA6"):
        run(
            ledger,
            on(ident, "ValidateUnit", "jury_qualification", "2020-09-20", uaa=uaa, via="jury_recognition"),
        )
    out = run(ledger, on(ident, "IssueCertificate", "jury_qualification", "2021-06-28", kind="CQ"))
    run(
        ledger,
        on(
            ident,
            "RevokeCertificate",
            "jury_qualification",
            "2021-09-15",
            certificate_id=str(out.certificate_id),
            reason="Fraude constatée",
        ),
    )
    fols = followers(ledger.store, StoreTarget.parse(store_location), "history")
    catch_up(fols)
    history = certificate_history(fols[0].db, ledger.store, str(out.certificate_id))
    chain = history["chain"]
    assert history["status"] == "revoked" and history["kind"] == "CQ"
    assert [e["step"] for e in chain] == ["admission"] + ["validation"] * 6 + ["issuance", "revocation"]
    positions = [e["position"] for e in chain]
    assert positions == sorted(positions) and positions[-2] == out.positions[0]
    assert chain[-2]["voided_by_version"] == chain[-1]["version"]
    assert chain[-1]["reason"] == "Fraude constatée" and chain[-1]["body"] == "jury_qualification"
    assert all(e["legal_basis"] and e["actor"] and e["recorded_at"] for e in chain)
    close(fols)


def test_as_of_effective_and_as_recorded(ledger: Ledger) -> None:
    """As of an effective date the validation counts only between its date and its revocation;
    as recorded before the revocation it counts, and the revocation is listed as a later correction."""
    open_option(ledger)
    ident = admit(ledger)
    pass_unit(ledger, ident, "UAA1", "2019-11-10")
    before = ledger.clock.now()  # type: ignore[attr-defined]
    ledger.clock.current = before + timedelta(days=3)  # type: ignore[attr-defined]
    run(
        ledger,
        on(
            ident,
            "RevokeDecision",
            "jury_delegate",
            "2019-11-20",
            target_version=4,
            reason="Encodé sur le mauvais dossier",
        ),
    )

    def status(doc: dict[str, Any]) -> str:
        return str(next(u["status"] for u in doc["units"] if u["uaa"] == "UAA1"))

    assert status(as_of_effective(ledger.store, ident, date(2019, 11, 1))) == "pending"
    assert status(as_of_effective(ledger.store, ident, date(2019, 11, 15))) == "validated"
    assert status(as_of_effective(ledger.store, ident, date(2019, 11, 25))) != "validated"
    then = as_recorded_at(ledger.store, ident, before + timedelta(seconds=1))
    assert status(then) == "validated"
    assert [(c["type"], c["corrects_version"]) for c in then["later_corrections"]] == [
        ("Learner.DecisionRevoked", 4)
    ]
    now = as_recorded_at(ledger.store, ident, datetime.now(before.tzinfo) + timedelta(days=3650))
    assert status(now) != "validated" and now["later_corrections"] == []


def test_clea_statistics_from_demo(ledger: Ledger, store_location: str) -> None:
    """Per organisation, certified never exceeds candidates; the funnel narrows stage by stage."""
    raw = list(demo_commands(3, 0, 20, TODAY))
    ledger.execute_all((parse_command(resolve_refs(ledger, r)) for r in raw), batch=50)
    fols = followers(ledger.store, StoreTarget.parse(store_location), "stats")
    catch_up(fols)
    stats = clea_stats(fols[0].db, TODAY)
    assert sum(o["candidates"] for o in stats["organisations"]) == 20
    assert all(o["certified"] <= o["candidates"] for o in stats["organisations"])
    for stage in stats["funnel_by_region"]:
        assert stage["registered"] >= stage["prealable"] >= stage["certified"]
    close(fols)
