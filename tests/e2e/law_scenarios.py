"""Command scenarios for the CPU rule table's cases (issue 18: every case through the console script).

One builder per refusing rule turns a :class:`~ledger.domain.catalogue.Case` into
``(setup, target)``: the commands putting a fresh learner (its id derived from the case id) or
school in the state the case's arguments describe, and the decision the rule judges. The lawful
cases of every rule run together in one store; each unlawful case runs on its own store, where
the target must be refused by the case's rule, exit 2. :data:`UNREACHABLE` names the cases no
sequence of commands can reach, with why.
"""

from __future__ import annotations

import json
import uuid
import zlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from ledger.domain.catalogue import Case
from ledger.domain.cpu.aggregates import certificate_id
from ledger.domain.cpu.values import Attestation
from tests.builders import FASE, FASE_P, FASE_TQ2, NRN, OPTION, P_OPTION, cmd

Cmd = dict[str, Any]
Scenario = tuple[list[Cmd], Cmd]
OPTION_BY_OPENING = {2018: OPTION, 2019: "estheticien"}
ROUTE_FOR_YEAR = {
    4: ("A4_standard", {}),
    5: ("A5_same_option", {"prior_attestation": "AOA"}),
    6: ("A6_repeat_transformed", {}),
}
PROFILE = Path(__file__).resolve().parents[2] / "ledger/reference/data/profiles" / f"{OPTION}@2018-06-29.json"


def opening(year: int, fase: int = FASE, option: str | None = None, **extra: Any) -> Cmd:
    """Open the option first opened in ``year`` (or ``option``) at ``fase``."""
    return cmd(
        "OpenOption",
        "direction",
        f"{year}-06-01",
        fase,
        option_code=option or OPTION_BY_OPENING[year],
        first_school_year=year,
        **extra,
    )


# Every store starts with these schools' options (lawful cases share one store).
BASE = [opening(2018), opening(2019), opening(2018, FASE_TQ2), opening(2018, FASE_P, P_OPTION)]


def lid(c: Case) -> str:
    """A learner id per case (stable, distinct)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"law-cli:{c.id}"))


class Life:
    """Commands about the learner of one case."""

    def __init__(self, c: Case, fase: int = FASE) -> None:
        self.id = lid(c)
        self.fase = fase

    def __call__(self, name: str, body: str, when: date | str, fase: int | None = None, **f: Any) -> Cmd:
        """A command on this learner."""
        return cmd(name, body, str(when), fase or self.fase, learner_id=self.id, **f)

    def admit(
        self,
        *,
        year: int = 4,
        sy: int = 2019,
        option: str = OPTION,
        route: str | None = None,
        body: str = "direction",
        when: date | str | None = None,
        **extra: Any,
    ) -> Cmd:
        """Admission by the year's usual route (Art. 5), with an identity (a minor in 2019)."""
        default_route, fields = ROUTE_FOR_YEAR[year]
        identity = {
            "given_name": "Test",
            "family_name": "Case",
            "birth_date": "2004-05-01",
            "national_number": NRN,
        }
        return self(
            "AdmitLearner",
            body,
            when or f"{sy}-09-01",
            option_code=option,
            school_year=sy,
            year=year,
            route=route or default_route,
            identity=identity,
            **{**fields, **extra},
        )

    def c2d_pupil(self, sy: int = 2019, when: str | None = None) -> Cmd:
        """Admission in 4th as a C2D pupil (Art. 4 §1 2°, 4°), after a C2D attestation."""
        return self.admit(sy=sy, route="A4_C2D", prior_attestation="C2D", when=when)

    def authorise(self, uaa: str, when: date | str) -> Cmd:
        """The jury authorises a test (representatives informed)."""
        return self("AuthoriseTest", "jury_qualification", when, uaa=uaa, representatives_informed=True)

    def attempt(self, uaa: str, when: date | str, passed: bool = True) -> Cmd:
        """A test sat."""
        return self("RecordAttempt", "jury_qualification", when, uaa=uaa, passed=passed)

    def validate(self, uaa: str, when: date | str, **f: Any) -> Cmd:
        """A UAA validated."""
        return self("ValidateUnit", "jury_qualification", when, uaa=uaa, **f)

    def passes(self, uaa: str, when: str) -> list[Cmd]:
        """Authorise, sit and validate a UAA on one day."""
        return [self.authorise(uaa, when), self.attempt(uaa, when), self.validate(uaa, when)]

    def support(self, when: date | str = "2020-03-01") -> Cmd:
        """Réorientation support starts (Art. 4 §1 3°)."""
        return self("StartReorientationSupport", "conseil_classe", when)

    def attestation(self, kind: str, when: date | str = "2020-06-25", **f: Any) -> Cmd:
        """The conseil de classe's attestation (Art. 4 §1)."""
        if kind == "REORIENTATION":
            f.setdefault("advice", "Vers une option du secteur tertiaire")
        return self("IssueAttestation", "conseil_classe", when, kind=kind, **f)

    def fourth_ending(self, kind: str | None, sy: int = 2019) -> list[Cmd]:
        """A 4th year in ``sy`` ending with attestation ``kind`` (support first for a réorientation)."""
        out = [self.admit(sy=sy)]
        if kind == "REORIENTATION":
            out.append(self.support(f"{sy + 1}-03-01"))
        if kind:
            out.append(self.attestation(kind, f"{sy + 1}-06-25"))
        return out

    def sixth(self, fase: int = FASE, option: str = OPTION) -> Cmd:
        """Admission in 6th in 2020 (repeater of a transformed option)."""
        return self.admit(year=6, sy=2020, fase=fase, option=option)

    def admit_at(self, fase: int, **kw: Any) -> Cmd:
        """Admission at another school."""
        out = self.admit(**kw)
        out["fase"] = fase
        return out


def versions(setup: list[Cmd], learner: str) -> int:
    """The learner's stream version after ``setup`` (one event per learner command)."""
    return sum(1 for s in setup if s.get("learner_id") == learner)


def kind_of(value: Any) -> str | None:
    """An attestation value as the command's string."""
    return None if value is None else Attestation(value).value


# ============================================================================ who, when, where
def decision_at_enrolled_school(c: Case) -> Scenario:
    life = Life(c, c.args["learner_fase"])
    return [life.admit()], life.authorise("UAA1", "2019-10-01") | {"fase": c.args["deciding_fase"]}


def decision_not_before_admission(c: Case) -> Scenario:
    life, admitted = Life(c), c.args["admitted_on"]
    return [life.admit(sy=admitted.year, when=admitted)], life.authorise("UAA1", c.args["effective"])


def transfer_on_family_request(c: Case) -> Scenario:
    life, a = Life(c), c.args
    number = (NRN if a["matched"] else "04050199999") if a["presented"] else None
    return [life.admit()], life(
        "TransferLearner", "direction", "2019-10-01", FASE_TQ2, national_register_number=number
    )


def learner_not_erased(c: Case) -> Scenario:
    life = Life(c)
    setup = [life.admit()]
    if c.args["erased"]:
        setup.append(life("EraseLearner", "direction", "2019-10-01", reason="Demande RGPD art. 17"))
    return setup, life.authorise("UAA1", "2019-10-02")


# ============================================================================ Art. 1, 6
def option_opened_from_2018(c: Case) -> Scenario:
    year = c.args["first_school_year"]
    return [], opening(2018, 2020 if c.allowed else 1415) | {
        "first_school_year": year,
        "effective_date": f"{year}-06-01",
    }


def option_open_at_school(c: Case) -> Scenario:
    opened, sy = c.args["opened_year"], c.args["school_year"]
    option = OPTION_BY_OPENING[opened] if opened else "coiffeur"
    return [], Life(c).admit(sy=sy, option=option)


def year_organised_at_school(c: Case) -> Scenario:
    a = c.args
    return [], Life(c).admit(year=a["year"], sy=a["school_year"], option=OPTION_BY_OPENING[a["opened_year"]])


# ============================================================================ Art. 5
def admission_route_for_year(c: Case) -> Scenario:
    return [], Life(c).admit(year=c.args["year"], sy=2020, route=c.args["route"].value)


def route_only_in_p(c: Case) -> Scenario:
    route, life = c.args["route"].value, Life(c)
    fields: dict[str, Any] = (
        {"alternance_attestations": True} if route == "A5_alternance" else {"holds_forme3_cq": True}
    )
    fields |= {"body": "conseil_admission", "prior_attestation": None}
    if route == "A5_same_option":
        return [], life.admit(year=5, sy=2020)
    if c.args["form"] == "P":
        return [], life.admit_at(FASE_P, year=5, sy=2020, option=P_OPTION, route=route, **fields)
    return [], life.admit(year=5, sy=2020, route=route, **fields)


def route_decided_by_conseil_admission(c: Case) -> Scenario:
    route = c.args["route"].value
    extra: dict[str, Any] = {"prior_passed_year": 4} if route == "A5_admission_other" else {}
    year = 5 if route.startswith("A5") else 4
    return [], Life(c).admit(year=year, sy=2020, route=route, body=c.args["body"].value, **extra)


def c2d_admission_needs_c2d_or_aob(c: Case) -> Scenario:
    return [], Life(c).admit(route="A4_C2D", prior_attestation=kind_of(c.args["prior"]))


def fifth_same_option_needs_passed_fourth(c: Case) -> Scenario:
    return [], Life(c).admit(year=5, sy=2020, prior_attestation=kind_of(c.args["prior"]))


def fifth_other_orientation_needs_passed_year(c: Case) -> Scenario:
    a = c.args
    return [], Life(c).admit(
        year=5,
        sy=2020,
        route="A5_admission_other",
        body="conseil_admission",
        prior_passed_year=a["passed_year"],
        exempt_formation_commune=a["exempt_formation_commune"],
        prior_attestation=None,
    )


def fifth_from_alternance_needs_attestations(c: Case) -> Scenario:
    return [], Life(c).admit_at(
        FASE_P,
        year=5,
        sy=2020,
        option=P_OPTION,
        route="A5_alternance",
        prior_attestation=None,
        body="conseil_admission",
        alternance_attestations=c.args["holds_both"],
    )


def fifth_from_forme3_needs_cq(c: Case) -> Scenario:
    return [], Life(c).admit_at(
        FASE_P,
        year=5,
        sy=2020,
        option=P_OPTION,
        route="A5_forme3",
        prior_attestation=None,
        body="conseil_admission",
        holds_forme3_cq=c.args["holds_cq"],
    )


def repeat_route_needs_transformed_option(c: Case) -> Scenario:
    route = c.args["route"].value
    if c.args["replaces_transformed"]:
        return [], Life(c).admit(year=5, sy=2020, route=route, prior_attestation=None)
    new = opening(2018, FASE_TQ2, "coiffeur", replaces_transformed_option=False)
    return [new], Life(c).admit_at(FASE_TQ2, year=6, sy=2020, option="coiffeur", route=route)


def no_reenrolment_after_reorientation(c: Case) -> Scenario:
    left = tuple(OPTION if o == "macon" else "coiffeur" for o in c.args["reoriented_from"])
    option = OPTION if c.args["option_code"] == "macon" else "estheticien"
    return [], Life(c).admit(sy=2020, option=option, reoriented_from=left)


# ============================================================================ Art. 4 §1
def attestation_only_in_fourth_year(c: Case) -> Scenario:
    life, year = Life(c), c.args["year"]
    return [life.admit(year=year, sy=2019)], life.attestation("AOA", "2020-06-25")


def attestation_in_current_school_year(c: Case) -> Scenario:
    life, sy, on = Life(c), c.args["school_year"], c.args["effective"]
    admitted = date(sy, 8, 1) if sy >= 2022 else date(sy, 9, 1)
    return [life.admit(sy=sy, when=admitted)], life.attestation("AOA", on)


def one_attestation_per_year(c: Case) -> Scenario:
    life = Life(c)
    setup = [life.admit()]
    if c.args["existing"] is not None:
        setup.append(life.attestation(kind_of(c.args["existing"]) or "", "2020-06-20"))
    return setup, life.attestation("AOA", "2020-06-25")


def reorientation_includes_advice(c: Case) -> Scenario:
    life, kind = Life(c), kind_of(c.args["kind"]) or ""
    target = life("IssueAttestation", "conseil_classe", "2020-06-25", kind=kind, advice=c.args["advice"])
    return [life.admit(), life.support()], target


def reorientation_support_covers_last_four_months(c: Case) -> Scenario:
    life, a = Life(c), c.args
    setup = [life.admit(sy=a["school_year"])]
    if a["support_since"]:
        setup.append(life.support(a["support_since"]))
    return setup, life.attestation("REORIENTATION", a["issued_on"])


def promotion_needs_passed_fourth(c: Case) -> Scenario:
    life = Life(c)
    return life.fourth_ending(kind_of(c.args["attestation"])), life(
        "PromoteLearner", "conseil_classe", "2020-09-01"
    )


def _orientation(code: str) -> str:
    return OPTION if code == "macon" else code


def restrictions_only_on_aob(c: Case) -> Scenario:
    life, a = Life(c), c.args
    excluded = [_orientation(o) for o in a["excluded"]]
    return [life.admit(sy=2019)], life.attestation(a["kind"].value, excluded_orientations=excluded)


def no_upper_year_in_aob_excluded_orientation(c: Case) -> Scenario:
    """The AOB's exclusions recorded, then the move up (5th) or the 4th again (C2D)."""
    life, a = Life(c), c.args
    mine = a["option_code"] == "macon"
    excluded = [_orientation(o) if mine else "coiffeur" for o in a["excluded"]]
    setup = [life.admit(sy=2019), life.attestation("AOB", excluded_orientations=excluded)]
    verb = "PromoteLearner" if a["year"] == 5 else "RepeatYear"
    return setup, life(verb, "conseil_classe", "2020-09-01")


def fourth_year_repeat_only_as_c2d(c: Case) -> Scenario:
    life = Life(c)
    return life.fourth_ending(kind_of(c.args["attestation"])), life(
        "RepeatYear", "conseil_classe", "2020-09-01"
    )


def _decide_c2d(life: Life, when: date | str) -> Cmd:
    return life("DecideC2D", "conseil_classe", when, outcome="continue")


def c2d_decision_only_for_c2d_pupil(c: Case) -> Scenario:
    life = Life(c)
    admitted = life.c2d_pupil() if c.args["is_c2d"] else life.admit()
    return [admitted], _decide_c2d(life, "2020-01-10")


def c2d_decision_before_15_january(c: Case) -> Scenario:
    life, sy = Life(c), c.args["school_year"]
    return [life.c2d_pupil(sy=sy, when=f"{sy}-08-15")], _decide_c2d(life, c.args["decided_on"])


def one_c2d_decision_per_year(c: Case) -> Scenario:
    life = Life(c)
    setup = [life.c2d_pupil()]
    if c.args["existing"] is not None:
        setup.append(_decide_c2d(life, "2019-12-01"))
    return setup, _decide_c2d(life, "2020-01-10")


def c2d_continue_leads_to_aoa(c: Case) -> Scenario:
    life = Life(c)
    setup = [life.c2d_pupil()]
    if c.args["c2d_outcome"] is not None:
        setup.append(_decide_c2d(life, "2019-12-01"))
    return setup, life.attestation(kind_of(c.args["kind"]) or "")


def _pssa(life: Life, when: str) -> Cmd:
    return life("WritePssa", "conseil_classe", when)


def pssa_for_c2d_pupil(c: Case) -> Scenario:
    life = Life(c)
    return [life.c2d_pupil() if c.args["is_c2d"] else life.admit()], _pssa(life, "2019-10-01")


def one_pssa_per_year(c: Case) -> Scenario:
    life = Life(c)
    setup = [life.c2d_pupil()] + ([_pssa(life, "2019-10-01")] if c.args["already_written"] else [])
    return setup, _pssa(life, "2019-10-10")


# ============================================================================ appeals
def _appealed(c: Case, kind: Attestation | None) -> tuple[Life, list[Cmd], int]:
    life = Life(c)
    setup = life.fourth_ending(kind_of(kind))
    return life, setup, versions(setup, life.id)


def _lodge(life: Life, target: int) -> Cmd:
    return life("LodgeAppeal", "direction", "2020-07-01", target_version=target)


def appeal_against_reorientation_or_c2d(c: Case) -> Scenario:
    life, setup, target = _appealed(c, c.args["target_kind"])
    return setup, _lodge(life, target)


def one_open_appeal_per_decision(c: Case) -> Scenario:
    life, setup, target = _appealed(c, Attestation.REORIENTATION)
    return setup + ([_lodge(life, target)] if c.args["already_lodged"] else []), _lodge(life, target)


def _decide(life: Life, target: int, outcome: str = "confirmed", replacement: str | None = None) -> Cmd:
    return life(
        "DecideAppeal",
        "administration",
        "2020-08-20",
        target_version=target,
        outcome=outcome,
        replacement=replacement,
    )


def appeal_outcome_needs_lodged_appeal(c: Case) -> Scenario:
    life, setup, target = _appealed(c, Attestation.REORIENTATION)
    if c.args["lodged"]:
        setup.append(_lodge(life, target))
    if c.args["decided"]:
        setup.append(_decide(life, target))
    return setup, _decide(life, target)


def appeal_reform_grants_better_outcome(c: Case) -> Scenario:
    a = c.args
    life, setup, target = _appealed(c, a["target_kind"])
    outcome = "reformed" if a["reformed"] else "confirmed"
    return [*setup, _lodge(life, target)], _decide(life, target, outcome, kind_of(a["replacement"]))


# ============================================================================ Art. 4 §2-§4
def _repeat(c: Case, year: int) -> Scenario:
    life, new_sy = Life(c), c.args["school_year"]
    option = OPTION_BY_OPENING[c.args["opened_year"]]
    return [life.admit(year=year, sy=new_sy - 1, option=option)], life(
        "RepeatYear", "conseil_classe", f"{new_sy}-09-01"
    )


def no_repeat_fifth_year(c: Case) -> Scenario:
    return _repeat(c, 5)


def no_repeat_sixth_year(c: Case) -> Scenario:
    return _repeat(c, 6)


# ============================================================================ Art. 4 §6
def attempt_needs_jury_authorisation(c: Case) -> Scenario:
    life, a = Life(c), c.args
    setup = [life.admit()] + ([life.authorise("UAA1", a["authorised_on"])] if a["authorised_on"] else [])
    return setup, life.attempt("UAA1", a["sat_on"])


def year_over_before_flags(c: Case) -> Scenario:
    life, a = Life(c), c.args
    return [life.admit(sy=a["school_year"])], life(
        "RecordYearFlags", "administration", a["on"], school_year=a["school_year"], study_year=4
    )


# ============================================================================ validation
def uaa_in_learner_profile(c: Case) -> Scenario:
    life = Life(c)
    return [life.admit()], life.authorise(c.args["uaa"], "2019-10-01")


def uaa_not_already_validated(c: Case) -> Scenario:
    life, uaa = Life(c), c.args["uaa"]
    done = [x for u in c.args["validated"] for x in life.passes(u, "2019-10-01")]
    return [life.admit(), *done], life.authorise(uaa, "2019-11-01")


def validation_by_passed_test(c: Case) -> Scenario:
    life = Life(c)
    setup = [
        life.admit(),
        life.authorise("UAA1", "2019-11-10"),
        life.attempt("UAA1", "2019-11-10", c.args["passed"]),
    ]
    return setup, life.validate("UAA1", "2019-11-12")


def spiral_validation_in_later_test(c: Case) -> Scenario:
    life, a = Life(c), c.args
    later = a["later"]
    setup = [life.admit(), life.authorise(later, "2019-11-10"), life.attempt(later, "2019-11-10")]
    return setup, life.validate(a["uaa"], "2019-11-12", via="spiral", during_test_of=later)


def recognition_for_transformed_repeaters(c: Case) -> Scenario:
    life, a = Life(c), c.args
    uaa = {4: "UAA1", 5: "UAA3", 6: "UAA5"}[a["uaa_year"]]
    year = a["learner_year"]
    admitted = life.admit(year=year, sy=2020, route=a["route"].value, prior_attestation=None)
    return [admitted], life.validate(uaa, "2020-10-01", via="jury_recognition")


def remediation_was_assigned(c: Case) -> Scenario:
    life, uaa = Life(c), c.args["uaa"]
    setup = [life.admit()]
    if uaa in c.args["open_remediations"]:
        setup.append(life("AssignRemediation", "pedagogical_team", "2019-11-01", uaa=uaa, plan="Exercices"))
    return setup, life("CompleteRemediation", "pedagogical_team", "2019-12-01", uaa=uaa)


# ============================================================================ promotion
def move_in_next_school_year(c: Case) -> Scenario:
    life, a = Life(c), c.args
    sy = a["new_school_year"] - 1
    setup = [life.admit(sy=sy), life.attestation("AOA", f"{sy + 1}-06-25")]
    return setup, life("PromoteLearner", "conseil_classe", a["effective"])


def promotion_below_sixth(c: Case) -> Scenario:
    life = Life(c)
    return [life.admit(year=c.args["year"], sy=2020)], life("PromoteLearner", "conseil_classe", "2021-09-01")


# ============================================================================ certificates
def _sixth_with(life: Life, missing: tuple[str, ...]) -> list[Cmd]:
    setup = [life.sixth()]
    for uaa in ("UAA1", "UAA2", "UAA3", "UAA4"):
        if uaa not in missing:
            setup.append(life.validate(uaa, "2020-10-01", via="jury_recognition"))
    for uaa, on in (("UAA5", "2020-11-10"), ("UAA6", "2021-03-10")):
        if uaa not in missing:
            setup += life.passes(uaa, on)
    return setup


def _cq(life: Life, **f: Any) -> Cmd:
    return life("IssueCertificate", "jury_qualification", "2021-06-25", kind="CQ", **f)


def cq_needs_all_uaa_or_sovereign_decision(c: Case) -> Scenario:
    life, a = Life(c), c.args
    fields = {"sovereign": a["sovereign"], "justification": a["justification"]}
    return _sixth_with(life, tuple(a["missing"])), _cq(life, **fields)


def certificate_in_sixth_year(c: Case) -> Scenario:
    life, year = Life(c), c.args["year"]
    admitted = life.sixth() if year == 6 else life.admit(year=5, sy=2020)
    return [admitted], _cq(life, sovereign=True, justification="Décision souveraine du jury de qualification")


def ce6p_only_in_p(c: Case) -> Scenario:
    p = c.args["form"] == "P"
    life = Life(c, FASE_P if p else FASE)
    admitted = life.sixth(FASE_P, P_OPTION) if p else life.sixth()
    return [admitted], life("IssueCertificate", "conseil_classe", "2021-06-25", kind="CE6P")


def one_active_certificate(c: Case) -> Scenario:
    life = Life(c)
    fields = {"sovereign": True, "justification": "Décision souveraine du jury de qualification"}
    setup = [life.sixth()] + ([_cq(life, **fields)] if c.args["active"] else [])
    return setup, _cq(life, **fields)


def revoke_active_certificate(c: Case) -> Scenario:
    life = Life(c)
    setup = [life.sixth()]
    fields = {"sovereign": True, "justification": "Décision souveraine du jury de qualification"}
    if c.args["found"]:
        setup.append(_cq(life, **fields))
        cert = certificate_id(uuid.UUID(life.id), "CQ", versions(setup, life.id))
    else:
        cert = uuid.uuid5(uuid.NAMESPACE_URL, f"law-cli:no-such-certificate:{c.id}")
    # an unknown certificate has no kind: the handler checks the CE6P power (conseil de classe)
    body = "jury_qualification" if c.args["found"] else "conseil_classe"
    return setup, life("RevokeCertificate", body, "2021-07-01", certificate_id=str(cert), reason="Erreur")


def erasure_has_reason(c: Case) -> Scenario:
    life = Life(c)
    return [life.admit()], life("EraseLearner", "direction", "2019-10-01", reason=c.args["reason"])


# ============================================================================ Art. 9
def _transfer(life: Life, fase: int = FASE_TQ2) -> Cmd:
    return life("TransferLearner", "direction", "2019-10-01", fase, national_register_number=NRN)


def transfer_to_another_school(c: Case) -> Scenario:
    life = Life(c, c.args["from_fase"])
    return [life.admit()], _transfer(life, c.args["to_fase"])


def competence_report_requested(c: Case) -> Scenario:
    life, a = Life(c), c.args
    setup = [life.admit()] + ([_transfer(life)] if a["pending_from"] else [])
    return setup, life("SendCompetenceReport", "conseil_classe", "2019-10-10", a["fase"])


def formal_notice_after_overdue_report(c: Case) -> Scenario:
    life, a = Life(c), c.args
    setup = [life.admit()] + ([_transfer(life)] if a["due_by"] else [])
    return setup, life("GiveFormalNotice", "administration", a["on"], FASE_TQ2)


def deadline_actually_missed(c: Case) -> Scenario:
    life = Life(c)
    setup = [*life.fourth_ending("AOB"), life("RepeatYear", "conseil_classe", "2020-09-01")]
    return setup, life("RecordMissedDeadline", "administration", c.args["on"], kind=c.args["kind"])


# ============================================================================ Art. 3 (profiles)
def _publish(c: Case, change: Callable[[dict[str, Any]], None]) -> Scenario:
    doc = json.loads(PROFILE.read_text(encoding="utf-8"))
    day = date.fromordinal(date(2024, 1, 2).toordinal() + zlib.crc32(c.id.encode()) % 300)
    doc["approved_on"] = day.isoformat()
    change(doc)
    return [], cmd("PublishProfile", "administration", day.isoformat(), profile=doc)


def _weeks(doc: dict[str, Any], year: int, total: int) -> None:
    """Make the UAA weeks of ``year`` add up to ``total`` (the last UAA of the year absorbs it)."""
    mine = [u for u in doc["uaa"] if u["year"] == year]
    mine[-1]["weeks"] += total - sum(u["weeks"] + 0 for u in mine)


def profile_uaa_weeks_per_year(c: Case) -> Scenario:
    def change(doc: dict[str, Any]) -> None:
        for year, total in c.args["weeks_by_year"].items():
            _weeks(doc, year, total)

    return _publish(c, change)


def profile_project_weeks_at_most_five(c: Case) -> Scenario:
    return _publish(
        c, lambda doc: doc.update(project_weeks={str(k): v for k, v in c.args["project_weeks"].items()})
    )


def profile_uaa_by_school_year(c: Case) -> Scenario:
    def change(doc: dict[str, Any]) -> None:
        for code, first, last in c.args["spans"]:
            spec = next((u for u in doc["uaa"] if u["code"] == code), None)
            if spec is None:
                spec = {"code": code, "title": "ILLUSTRATIVE - extra", "year": first, "weeks": 1}
                doc["uaa"].append(spec)
            spec["year"], spec["weeks_next_year"] = first, last - first

    return _publish(c, change)


def profile_uaa_have_weeks(c: Case) -> Scenario:
    def change(doc: dict[str, Any]) -> None:
        for u in doc["uaa"]:
            if c.args["weeks"].get(u["code"]) == 0:
                doc["uaa"][doc["uaa"].index(u) + 1]["weeks"] += u["weeks"]
                u["weeks"] = 0

    return _publish(c, change)


# ============================================================================ shared rules
def body_has_power(c: Case) -> Scenario:
    life, a = Life(c), c.args
    body = a["body"].value
    if a["action"] == "authorise_test":
        return [life.admit()], life(
            "AuthoriseTest", body, "2019-10-01", uaa="UAA1", representatives_informed=True
        )
    if a["action"] == "issue_cq":
        return [life.sixth()], life(
            "IssueCertificate", body, "2021-06-25", kind="CQ", sovereign=True, justification="x" * 30
        )
    appeal, setup, target = _appealed(c, Attestation.REORIENTATION)
    return [*setup, _lodge(appeal, target)], _decide(appeal, target) | {"body": body}


def decision_not_in_future(c: Case) -> Scenario:
    """The case's boundary (same day as recorded / the day after) against the recording clock."""
    today = date.today()
    when = today if c.allowed else date.fromordinal(today.toordinal() + 2)
    life = Life(c)
    return [life.admit()], life.authorise("UAA1", when)


def _revoke(life: Life, target: int, body: str = "jury_qualification", reason: str | None = "Erreur") -> Cmd:
    return life("RevokeDecision", body, "2019-12-01", target_version=target, reason=reason)


def revoke_existing_decision(c: Case) -> Scenario:
    life, a = Life(c), c.args
    setup = [life.admit(), *life.passes("UAA1", "2019-11-10")]
    target = {None: 99, "Admitted": 1}.get(a["target_type"], len(setup))
    if a["already_void"]:
        setup.append(_revoke(life, target))
    return setup, _revoke(life, target)


def revocation_has_reason(c: Case) -> Scenario:
    life = Life(c)
    setup = [life.admit(), *life.passes("UAA1", "2019-11-10")]
    return setup, _revoke(life, len(setup), reason=c.args["reason"])


def revoked_by_same_body(c: Case) -> Scenario:
    life = Life(c)
    setup = [life.admit(), life.authorise("UAA1", "2019-11-10"), life.attempt("UAA1", "2019-11-10")]
    setup.append(life("ValidateUnit", c.args["original"].value, "2019-11-10", uaa="UAA1"))
    return setup, _revoke(life, len(setup), body=c.args["body"].value)


def deadline_recorded_once(c: Case) -> Scenario:
    life = Life(c)
    setup = [*life.fourth_ending("AOB"), life("RepeatYear", "conseil_classe", "2020-09-01")]
    missed = life("RecordMissedDeadline", "administration", "2020-10-20", kind=c.args["what"])
    return setup + ([missed] if c.args["already_recorded"] else []), missed


_CPU = (
    decision_at_enrolled_school,
    decision_not_before_admission,
    transfer_on_family_request,
    learner_not_erased,
    option_opened_from_2018,
    option_open_at_school,
    year_organised_at_school,
    admission_route_for_year,
    route_only_in_p,
    route_decided_by_conseil_admission,
    c2d_admission_needs_c2d_or_aob,
    fifth_same_option_needs_passed_fourth,
    fifth_other_orientation_needs_passed_year,
    fifth_from_alternance_needs_attestations,
    fifth_from_forme3_needs_cq,
    repeat_route_needs_transformed_option,
    no_reenrolment_after_reorientation,
    attestation_only_in_fourth_year,
    attestation_in_current_school_year,
    one_attestation_per_year,
    reorientation_includes_advice,
    reorientation_support_covers_last_four_months,
    promotion_needs_passed_fourth,
    restrictions_only_on_aob,
    no_upper_year_in_aob_excluded_orientation,
    fourth_year_repeat_only_as_c2d,
    c2d_decision_only_for_c2d_pupil,
    c2d_decision_before_15_january,
    one_c2d_decision_per_year,
    c2d_continue_leads_to_aoa,
    pssa_for_c2d_pupil,
    one_pssa_per_year,
    appeal_against_reorientation_or_c2d,
    one_open_appeal_per_decision,
    appeal_outcome_needs_lodged_appeal,
    appeal_reform_grants_better_outcome,
    no_repeat_fifth_year,
    no_repeat_sixth_year,
    attempt_needs_jury_authorisation,
    year_over_before_flags,
    uaa_in_learner_profile,
    uaa_not_already_validated,
    validation_by_passed_test,
    spiral_validation_in_later_test,
    recognition_for_transformed_repeaters,
    remediation_was_assigned,
    move_in_next_school_year,
    promotion_below_sixth,
    cq_needs_all_uaa_or_sovereign_decision,
    certificate_in_sixth_year,
    ce6p_only_in_p,
    one_active_certificate,
    revoke_active_certificate,
    erasure_has_reason,
    transfer_to_another_school,
    competence_report_requested,
    formal_notice_after_overdue_report,
    deadline_actually_missed,
    profile_uaa_weeks_per_year,
    profile_project_weeks_at_most_five,
    profile_uaa_by_school_year,
    profile_uaa_have_weeks,
)
_SHARED = (
    body_has_power,
    decision_not_in_future,
    revoke_existing_decision,
    revocation_has_reason,
    revoked_by_same_body,
    deadline_recorded_once,
)
BUILDERS: dict[str, Callable[[Case], Scenario]] = {
    **{f"cpu.{f.__name__}": f for f in _CPU},
    **{f"shared.{f.__name__}": f for f in _SHARED},
}

# Cases no sequence of commands can reach (another rule of the same decision refuses first, or
# the rule is not called by any command), with why. Their verdict is still tested on the pure rule.
UNREACHABLE: dict[str, str] = {
    "cpu.fourth_year_repeat_only_as_c2d:after-reorientation": (
        "repeating the 4th year in the orientation left is refused first by "
        "no_reenrolment_after_reorientation (art. 4 §1 3°), the same article's stricter rule"
    ),
    "cpu.profile_uaa_by_school_year:over-three-years": (
        "a published profile cannot express a UAA over three years: its schema has `year` and "
        "`weeks_next_year` only, so the document is refused as invalid before the rule"
    ),
}
_YEAR_NOT_ORGANISED = (
    "the learner would have to be in that year the year before, when the option did not organise "
    "it yet: year_organised_at_school (art. 6 §1; art. 5 §2, §3) refuses that admission first"
)
UNREACHABLE.update(
    {
        "cpu.no_repeat_fifth_year:into-first-year": _YEAR_NOT_ORGANISED,
        "cpu.no_repeat_fifth_year:into-second-year": _YEAR_NOT_ORGANISED,
        "cpu.no_repeat_sixth_year:into-second-year": _YEAR_NOT_ORGANISED,
        "cpu.no_repeat_sixth_year:into-third-year": _YEAR_NOT_ORGANISED,
    }
)
UNREACHABLE_RULES: dict[str, str] = {
    "cpu.option_listed_in_art1": (
        "OpenOption looks the option up in the reference data first: an option not in Art. 1 is "
        "refused as unknown reference data (exit 2) before the rule is asked"
    ),
    "cpu.backdated_opening_by_administration": (
        "no command calls it (catalogued, not yet wired into OpenOption)"
    ),
    "cpu.couvreur_sixth_not_repeated_after_2019_20": (
        "a 6th year of 2019-2020 needs an option opened in 2017-2018, which option_opened_from_2018 "
        "(art. 1; art. 14) refuses: the transitional case predates the ledger's options"
    ),
}
