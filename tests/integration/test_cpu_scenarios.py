"""Scenario tests: one per admission route of Art. 5 and one per end-of-4th attestation.

Each walks a learner through legal decisions and checks the resulting state and events,
on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from ledger.application import Ledger
from ledger.application.dossiers import learner_dossier
from ledger.application.queries import certificates
from ledger.domain.cpu.aggregates import Learner
from ledger.domain.cpu.values import Attestation, C2DOutcome, CertificateKind
from tests.builders import (
    FASE,
    FASE_P,
    FASE_TQ2,
    NOW_DATE,
    NRN,
    P_OPTION,
    admit,
    finish_fourth,
    on,
    open_option,
    pass_unit,
    run,
)


def learner(lg: Ledger, ident: UUID) -> Learner:
    agg = lg.store.repository.get(ident)
    assert isinstance(agg, Learner)
    return agg


def test_route_fourth_year_to_cq(ledger: Ledger) -> None:
    """A4 standard: 4th, AOA, 5th, 6th, all UAA validated, CQ issued by the jury."""
    open_option(ledger)
    ident = admit(ledger)
    finish_fourth(ledger, ident)
    run(ledger, on(ident, "PromoteLearner", "conseil_classe", "2020-09-01"))
    pass_unit(ledger, ident, "UAA3", "2020-11-10")
    pass_unit(ledger, ident, "UAA4", "2021-03-10")
    run(ledger, on(ident, "PromoteLearner", "conseil_classe", "2021-09-01"))
    pass_unit(ledger, ident, "UAA5", "2021-11-10")
    pass_unit(ledger, ident, "UAA6", "2022-03-10")
    out = run(ledger, on(ident, "IssueCertificate", "jury_qualification", "2022-06-28", kind="CQ"))
    state = learner(ledger, ident)
    assert state.year == 6 and state.school_year == 2021
    assert set(state.validated()) == {f"UAA{i}" for i in range(1, 7)}
    rows = [r for r in certificates(ledger.store) if r.learner_id == str(ident)]
    assert [(r.kind, r.basis, r.status, r.certificate_id) for r in rows] == [
        ("CQ", "all_validated", "active", str(out.certificate_id))
    ]


def test_route_c2d_admission(ledger: Ledger) -> None:
    """A4 C2D from another school: counted in 4th, as C2D, PSSA then decision before 15 Jan."""
    open_option(ledger)
    ident = admit(ledger, route="A4_C2D", prior_attestation="C2D")
    assert learner(ledger, ident).c2d
    run(ledger, on(ident, "WritePssa", "conseil_classe", "2019-10-05"))
    run(ledger, on(ident, "DecideC2D", "conseil_classe", "2020-01-10", outcome="continue"))
    finish_fourth(ledger, ident, "AOA")
    assert learner(ledger, ident).attestation(2019) is Attestation.AOA


def test_route_fifth_same_option_from_other_school(ledger: Ledger) -> None:
    """A5 same option: a pupil who passed 4th of the option elsewhere (AOA)."""
    open_option(ledger)
    ident = admit(ledger, year=5, route="A5_same_option", sy=2019, prior_attestation="AOA")
    state = learner(ledger, ident)
    assert (state.year, state.route.value) == (5, "A5_same_option")


def test_route_fifth_repeat_transformed_with_recognition(ledger: Ledger) -> None:
    """A5 repeater of the transformed option: the jury recognises 4th-year UAA mastered."""
    open_option(ledger)
    ident = admit(ledger, year=5, route="A5_repeat_transformed")
    run(
        ledger,
        on(ident, "ValidateUnit", "jury_qualification", "2019-09-20", uaa="UAA1", via="jury_recognition"),
    )
    validated = learner(ledger, ident).validated()
    assert validated["UAA1"].via.value == "jury_recognition"
    assert validated["UAA1"].decision.legal_basis.endswith("art. 5 §2")


def test_route_conseil_admission_other_orientation(ledger: Ledger) -> None:
    """A5 by the conseil d'admission: 4th and 5th in one year, exemption from a passed 6th."""
    open_option(ledger)
    ident = admit(
        ledger,
        year=5,
        route="A5_admission_other",
        sy=2019,
        body="conseil_admission",
        prior_passed_year=6,
        exempt_formation_commune=True,
    )
    admitted = learner(ledger, ident).log[1]
    assert isinstance(admitted, Learner.Admitted)
    assert admitted.fourth_and_fifth_in_one_year and admitted.exempt_formation_commune
    pass_unit(ledger, ident, "UAA1", "2019-10-10")
    pass_unit(ledger, ident, "UAA3", "2020-02-10")


def test_route_alternance_in_p(ledger: Ledger) -> None:
    """A5 alternance (P only): both attestations of the 1991 decree."""
    open_option(ledger, fase=FASE_P, option=P_OPTION)
    ident = admit(
        ledger,
        year=5,
        route="A5_alternance",
        fase=FASE_P,
        option=P_OPTION,
        body="conseil_admission",
        alternance_attestations=True,
    )
    assert learner(ledger, ident).form == "P"


def test_route_special_education_form3(ledger: Ledger) -> None:
    """A5 from special education form 3 (P only), holding a CQ."""
    open_option(ledger, fase=FASE_P, option=P_OPTION)
    ident = admit(
        ledger,
        year=5,
        route="A5_forme3",
        fase=FASE_P,
        option=P_OPTION,
        body="conseil_admission",
        holds_forme3_cq=True,
    )
    assert learner(ledger, ident).route.value == "A5_forme3"


def test_route_sixth_repeat_transformed_sovereign_cq(ledger: Ledger) -> None:
    """A6 repeater: recognition of 4th-5th UAA; the jury grants the CQ sovereignly."""
    open_option(ledger)
    ident = admit(ledger, year=6, route="A6_repeat_transformed", sy=2020)
    for uaa in ("UAA1", "UAA2", "UAA3", "UAA4", "UAA5"):
        run(
            ledger,
            on(ident, "ValidateUnit", "jury_qualification", "2020-09-20", uaa=uaa, via="jury_recognition"),
        )
    out = run(
        ledger,
        on(
            ident,
            "IssueCertificate",
            "jury_qualification",
            "2021-06-28",
            kind="CQ",
            sovereign=True,
            justification="Maîtrise démontrée en stage et à l'épreuve intégrée.",
        ),
    )
    issued = learner(ledger, ident).active_certificate(CertificateKind.CQ)
    assert issued is not None and issued.missing_uaa == ("UAA6",)
    assert issued.basis.value == "sovereign" and out.certificate_id == issued.certificate_id


def test_attestation_aoa_and_aob(ledger: Ledger) -> None:
    """AOA and AOB both allow promotion to 5th."""
    open_option(ledger)
    for kind in ("AOA", "AOB"):
        ident = admit(ledger)
        finish_fourth(ledger, ident, kind)
        run(ledger, on(ident, "PromoteLearner", "conseil_classe", "2020-09-01"))
        assert learner(ledger, ident).year == 5


def test_attestation_reorientation_after_support(ledger: Ledger) -> None:
    """Réorientation with 4+ months of traced support ends the path in the option."""
    open_option(ledger)
    ident = admit(ledger)
    run(ledger, on(ident, "StartReorientationSupport", "conseil_classe", "2020-02-01"))
    run(
        ledger,
        on(
            ident,
            "IssueAttestation",
            "conseil_classe",
            "2020-06-25",
            kind="REORIENTATION",
            advice="Vers le secteur tertiaire",
        ),
    )
    assert learner(ledger, ident).attestation(2019) is Attestation.REORIENTATION


def test_attestation_c2d_programme_has_no_october_deadline(ledger: Ledger) -> None:
    """C2D (art. 4 §1 4°): the conseil de classe's programme has no 15 October deadline."""
    open_option(ledger)
    ident = admit(ledger)
    run(ledger, on(ident, "IssueAttestation", "conseil_classe", "2020-06-25", kind="C2D"))
    run(ledger, on(ident, "RepeatYear", "conseil_classe", "2020-09-01"))
    run(ledger, on(ident, "WritePssa", "conseil_classe", "2020-10-20"))
    state = learner(ledger, ident)
    assert not state.of_type(Learner.PssaWritten)
    assert [p.school_year for p in state.of_type(Learner.C2DProgrammeWritten)] == [2020]
    assert state.overdue(date(2020, 11, 1)) == []


def test_attestation_aob_repeater_late_pssa_and_reorient(ledger: Ledger) -> None:
    """AOB re-enrolled in 4th (assimilated C2D): PSSA late after 14 Oct, reoriented before 15 Jan."""
    open_option(ledger)
    ident = admit(ledger)
    run(ledger, on(ident, "IssueAttestation", "conseil_classe", "2020-06-25", kind="AOB"))
    run(ledger, on(ident, "RepeatYear", "conseil_classe", "2020-09-01"))
    run(ledger, on(ident, "WritePssa", "conseil_classe", "2020-10-20"))
    run(
        ledger,
        on(
            ident,
            "DecideC2D",
            "conseil_classe",
            "2021-01-10",
            outcome="reorient",
            advice="Vers le secteur tertiaire",
        ),
    )
    state = learner(ledger, ident)
    pssa = state.of_type(Learner.PssaWritten)[0]
    assert pssa.late and pssa.due_by.isoformat() == "2020-10-14"
    assert state.c2d_outcome(2020) is C2DOutcome.REORIENT
    assert state.attestation(2020) is Attestation.REORIENTATION
    dossier = learner_dossier(ledger.store, ident, NOW_DATE)
    assert {"type": "PssaWritten", "due_by": "2020-10-14"} in dossier["late"]


def test_transfer_report_overdue_then_notice(ledger: Ledger) -> None:
    """Change of school: report due in 15 working days; overdue → formal notice; sent late."""
    open_option(ledger)
    open_option(ledger, fase=FASE_TQ2)
    ident = admit(ledger, year=5, route="A5_repeat_transformed")
    run(
        ledger,
        on(ident, "TransferLearner", "direction", "2019-10-01", FASE_TQ2, national_register_number=NRN),
    )
    dossier = learner_dossier(ledger.store, ident, NOW_DATE)
    assert dossier["pending_deadlines"][0] == {
        "kind": "competence_report",
        "due_by": "2019-10-18",
        "from_fase": FASE,
        "overdue": True,
    }
    run(ledger, on(ident, "GiveFormalNotice", "administration", "2019-10-23", FASE_TQ2))
    run(ledger, on(ident, "SendCompetenceReport", "conseil_classe", "2019-10-30", FASE))
    state = learner(ledger, ident)
    assert state.fase == FASE_TQ2
    assert state.of_type(Learner.CompetenceReportSent)[0].late
    assert state.of_type(Learner.FormalNoticeIssued)[0].defaulting_fase == FASE


def test_revocation_and_correction_keep_history(ledger: Ledger) -> None:
    """A revoked validation stops counting; a correction supersedes; both stay in the log."""
    open_option(ledger)
    ident = admit(ledger)
    pass_unit(ledger, ident, "UAA1", "2019-11-10")
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
    assert "UAA1" not in learner(ledger, ident).validated()
    run(ledger, on(ident, "ValidateUnit", "jury_delegate", "2019-11-21", uaa="UAA1"))
    run(ledger, on(ident, "IssueAttestation", "conseil_classe", "2020-06-25", kind="AOB"))
    run(
        ledger,
        on(
            ident,
            "IssueAttestation",
            "conseil_classe",
            "2020-06-26",
            kind="AOA",
            corrects=7,
            reason="Restriction encodée par erreur",
        ),
    )
    state = learner(ledger, ident)
    assert state.attestation(2019) is Attestation.AOA
    assert state.version == 8 and state.voided == {4, 7}
    assert state.log[8].decision.corrects == 7


def test_certificate_revocation(ledger: Ledger) -> None:
    """A revoked CQ is listed as revoked with its reason; a new CQ can then be issued."""
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
    row = next(r for r in certificates(ledger.store) if r.certificate_id == str(out.certificate_id))
    assert (row.status, row.revocation_reason) == ("revoked", "Fraude constatée")
    assert learner(ledger, ident).active_certificate(CertificateKind.CQ) is None
    again = run(ledger, on(ident, "IssueCertificate", "jury_qualification", "2021-09-20", kind="CQ"))
    assert again.certificate_id != out.certificate_id
