"""Named, pure rules of the CPU regime, each citing its article.

Every function returns a :class:`~ledger.domain.rules.Verdict`; the aggregate calls
:func:`~ledger.domain.rules.require` on it before recording anything.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta

from ledger.domain.cpu.values import (
    ARRETE,
    Attestation,
    C2DOutcome,
    Route,
    ValidationVia,
)
from ledger.domain.kernel import Body
from ledger.domain.rules import Verdict, check

__all__ = ["ART", "POWERS", "Verdict", "check"]

ART = {
    "1": f"{ARRETE} art. 1",
    "2.7": f"{ARRETE} art. 2 7°",
    "4.1": f"{ARRETE} art. 4 §1",
    "4.1.2": f"{ARRETE} art. 4 §1 2°",
    "4.1.3": f"{ARRETE} art. 4 §1 3°",
    "4.1.4": f"{ARRETE} art. 4 §1 4°",
    "4.2": f"{ARRETE} art. 4 §2",
    "4.4": f"{ARRETE} art. 4 §4",
    "4.5": f"{ARRETE} art. 4 §5",
    "4.6": f"{ARRETE} art. 4 §6",
    "5.1": f"{ARRETE} art. 5 §1",
    "5.2": f"{ARRETE} art. 5 §2",
    "5.3": f"{ARRETE} art. 5 §3",
    "6.1": f"{ARRETE} art. 6 §1",
    "9": f"{ARRETE} art. 9",
    "AR84.21ter": "AR-1984-06-29 art. 21ter",
    "D2012.3": "Décret-2012-07-12 art. 3 §3",
    "CE6P": "AR-1984-06-29 art. 21bis (CE6P by the conseil de classe; unverified)",
}

ADMISSION_BY_CONSEIL = {Route.A5_ADMISSION_OTHER, Route.A5_ALTERNANCE, Route.A5_FORME3}
ROUTES_BY_YEAR = {
    4: {Route.A4_STANDARD, Route.A4_C2D},
    5: {Route.A5_SAME_OPTION, Route.A5_REPEAT_TRANSFORMED, Route.A5_ADMISSION_OTHER,
        Route.A5_ALTERNANCE, Route.A5_FORME3},
    6: {Route.A6_REPEAT_TRANSFORMED},
}
P_ONLY_ROUTES = {Route.A5_ALTERNANCE, Route.A5_FORME3}

# Which bodies may take which decision (the powers of Art. 2, 4, 5, 9 and AR 1984).
POWERS: dict[str, tuple[frozenset[Body], str]] = {
    "admit": (frozenset({Body.DIRECTION, Body.CONSEIL_ADMISSION}), ART["5.2"]),
    "authorise_test": (frozenset({Body.JURY_QUALIFICATION}), ART["4.6"]),
    "record_attempt": (frozenset({Body.JURY_QUALIFICATION, Body.JURY_DELEGATE}), ART["2.7"]),
    "validate_unit": (frozenset({Body.JURY_QUALIFICATION, Body.JURY_DELEGATE}), ART["2.7"]),
    "recognise_unit": (frozenset({Body.JURY_QUALIFICATION}), ART["5.2"]),
    "remediation": (frozenset({Body.PEDAGOGICAL_TEAM, Body.CONSEIL_CLASSE}), ART["D2012.3"]),
    "reorientation_support": (frozenset({Body.CONSEIL_CLASSE, Body.PEDAGOGICAL_TEAM}),
                              ART["4.1.3"]),
    "attestation": (frozenset({Body.CONSEIL_CLASSE}), ART["4.1"]),
    "c2d_decision": (frozenset({Body.CONSEIL_CLASSE}), ART["4.1.4"]),
    "pssa": (frozenset({Body.CONSEIL_CLASSE, Body.PEDAGOGICAL_TEAM}), ART["4.1.2"]),
    "promotion": (frozenset({Body.CONSEIL_CLASSE}), ART["4.1"]),
    "transfer": (frozenset({Body.DIRECTION, Body.CONSEIL_ADMISSION}), ART["9"]),
    "competence_report": (frozenset({Body.CONSEIL_CLASSE}), ART["9"]),
    "formal_notice": (frozenset({Body.ADMINISTRATION}), ART["9"]),
    "issue_cq": (frozenset({Body.JURY_QUALIFICATION}), ART["2.7"]),
    "issue_ce6p": (frozenset({Body.CONSEIL_CLASSE}), ART["CE6P"]),
    "open_option": (frozenset({Body.DIRECTION}), ART["6.1"]),
    "erase": (frozenset({Body.DIRECTION, Body.ADMINISTRATION}),
              "RGPD art. 17 (erasure of personal data; the decisions stay, the identity goes)"),
    "record_missed_deadline": (frozenset({Body.ADMINISTRATION, Body.DIRECTION}),
                               "ledger rule (missed deadlines recorded, never hidden)"),
}


def body_has_power(action: str, body: Body) -> Verdict:
    """Only a body holding the power may take a decision."""
    bodies, article = POWERS[action]
    names = ", ".join(sorted(b.value for b in bodies))
    return check("body_has_power", article, body in bodies,
                 f"{body.value} has no power to {action.replace('_', ' ')}; allowed: {names}")


def not_in_future(effective: date, recorded_at: datetime) -> Verdict:
    """A decision cannot take effect after the moment it is recorded."""
    return check("decision_not_in_future", "ledger rule (no anticipated decisions)",
                 effective <= recorded_at.date(),
                 f"effective date {effective} is after the recording date {recorded_at.date()}")


def enrolled_at_school(learner_fase: int | None, deciding_fase: int) -> Verdict:
    """A school decides only for learners enrolled with it."""
    # The reason never names the school the learner is enrolled at (another tenant's data).
    return check("decision_at_enrolled_school", ART["5.1"], learner_fase == deciding_fase,
                 f"the learner is not enrolled at FASE {deciding_fase}")


def transfer_on_family_request(presented: bool, matched: bool) -> Verdict:
    """A school reaches another school's learner only on the family's request (Art. 9).

    The receiving school proves the request by presenting the learner's national register
    number, matched against the identity store by a keyed hash; the reason never says
    whether the learner, or a number, exists elsewhere.
    """
    return check("transfer_on_family_request", ART["9"], presented and matched,
                 "the change of school needs the family's request: present the learner's "
                 "national register number (national_register_number), as known to the ledger"
                 if not presented else
                 "the national register number presented does not match this learner")


def school_year_of(day: date) -> int:
    """The school year (its starting calendar year) a day falls in (1 September to 31 August)."""
    return day.year if day.month >= 9 else day.year - 1


def opening_not_backdated(effective: date, first_school_year: int, recorded_at: datetime,
                          by_administration: bool) -> Verdict:
    """A school opens an option for the current school year or later; earlier is administrative.

    Opening an option decides which admissions and certificates are lawful (Art. 6 §1): a
    back-dated opening reshapes who could act, so only the administration records it.
    """
    current = school_year_of(recorded_at.date())
    return check("backdated_opening_by_administration", ART["6.1"],
                 by_administration or (effective >= date(current, 9, 1) - timedelta(days=92)
                                       and first_school_year >= current),
                 f"an option opened before the school year {current}-{current + 1} is recorded "
                 "by the administration only")


def option_is_open(opened_year: int | None, school_year: int, year: int) -> Verdict:
    """The option must be open at the school; it is organised year by year from 4th."""
    if opened_year is None:
        return Verdict.refuse("option_open_at_school", ART["6.1"],
                              "the option is not opened in CPU 4-5-6 at this school")
    return check("option_open_at_school", ART["6.1"], school_year >= opened_year,
                 f"the option opens in {opened_year}, not yet organised in {school_year}")


def fifth_year_admission(route: Route, year: int, form: str, opened_year: int,
                         school_year: int, body: Body) -> Verdict:
    """Admission in 5th (and 6th) year only by an Art. 5 route, under its conditions."""
    rule = "admission_by_art5_route"
    allowed_routes = ROUTES_BY_YEAR.get(year, set())
    if route not in allowed_routes:
        names = ", ".join(sorted(r.value for r in allowed_routes))
        return Verdict.refuse(rule, ART["5.2"],
                              f"route {route.value} does not admit to year {year}; routes: {names}")
    repeaters = {Route.A5_REPEAT_TRANSFORMED, Route.A6_REPEAT_TRANSFORMED}
    if year >= 5 and route not in repeaters and school_year <= opened_year:
        return Verdict.refuse(rule, ART["5.2"],
                              f"5th year opens from the school year after the 4th ({opened_year})")
    if route in P_ONLY_ROUTES and form != "P":
        return Verdict.refuse(rule, ART["5.2"], f"route {route.value} exists only in P")
    if route in ADMISSION_BY_CONSEIL and body is not Body.CONSEIL_ADMISSION:
        return Verdict.refuse(rule, ART["5.2"],
                              f"route {route.value} is decided by the conseil d'admission")
    return Verdict.ok(rule, ART["5.2"] if year >= 5 else ART["5.1"])


def route_evidence(route: Route, prior_attestation: Attestation | None,
                   prior_passed_year: int | None, alternance_attestations: bool,
                   holds_forme3_cq: bool, exempt_formation_commune: bool) -> Verdict:
    """Each Art. 5 route needs its evidence (prior attestation, passed year, titles held)."""
    rule, art = "admission_route_evidence", ART["5.2"]
    if route is Route.A4_C2D and prior_attestation not in {Attestation.C2D, Attestation.AOB}:
        return Verdict.refuse(rule, ART["5.1"], "C2D admission needs a C2D (or AOB) attestation")
    if route is Route.A5_SAME_OPTION and prior_attestation not in {Attestation.AOA,
                                                                  Attestation.AOB}:
        return Verdict.refuse(rule, art, "5th year of the same option needs a passed 4th (AOA/AOB)")
    if route is Route.A5_ADMISSION_OTHER:
        if prior_passed_year not in {4, 5, 6, 7}:
            return Verdict.refuse(rule, art, "needs a passed 4th, 5th, 6th or 7th year elsewhere")
        if exempt_formation_commune and prior_passed_year == 4:
            return Verdict.refuse(rule, art,
                                  "exemption from the formation commune needs a passed 5th-7th")
    if route is Route.A5_ALTERNANCE and not alternance_attestations:
        return Verdict.refuse(rule, art, "needs the attestation de réinsertion and the attestation"
                              " de compétences professionnelles du 2e degré")
    if route is Route.A5_FORME3 and not holds_forme3_cq:
        return Verdict.refuse(rule, art, "needs a CQ from special education form 3")
    return Verdict.ok(rule, art)


def may_repeat_fifth_year(opened_year: int, school_year: int) -> Verdict:
    """No repeating 5th from the option's 2nd year of organisation in 4-5-6."""
    nth = school_year - opened_year + 1
    return check("no_repeat_fifth_year", ART["4.2"], nth < 2,
                 f"the option is in its year {nth} of organisation in 4-5-6 (repeat banned from 2)")


def may_repeat_sixth_year(opened_year: int, school_year: int, option_code: str) -> Verdict:
    """No repeating 6th from the option's 3rd year (Couvreur-Etancheur: end of 2019-20)."""
    if option_code == "couvreur-etancheur" and school_year >= 2020:
        return Verdict.refuse("no_repeat_sixth_year", ART["4.5"],
                              "6th year of Couvreur-Etancheur cannot be repeated after 2019-20")
    nth = school_year - opened_year + 1
    return check("no_repeat_sixth_year", ART["4.4"], nth < 3,
                 f"the option is in its year {nth} of organisation in 4-5-6 (repeat banned from 3)")


def may_repeat_fourth_year(last_attestation: Attestation | None) -> Verdict:
    """4th is re-done only as C2D (after a C2D attestation, or an AOB assimilated to C2D)."""
    ok = last_attestation in {Attestation.C2D, Attestation.AOB}
    return check("fourth_year_repeat_only_as_c2d", ART["4.1"], ok,
                 f"re-enrolment in 4th needs a C2D or AOB attestation (has {last_attestation})")


def promotion_from_fourth(last_attestation: Attestation | None) -> Verdict:
    """Moving to 5th needs the year passed (AOA, or AOB without restriction on this option)."""
    return check("promotion_needs_passed_fourth", ART["4.1"],
                 last_attestation in {Attestation.AOA, Attestation.AOB},
                 f"4th year not passed (attestation: {last_attestation})")


def reorientation_support_traced(support_since: date | None, decided_on: date) -> Verdict:
    """A réorientation attestation needs ≥ 4 months of traced choice support."""
    rule, art = "reorientation_needs_four_months_support", ART["4.1.3"]
    if support_since is None:
        return Verdict.refuse(rule, art, "no réorientation support is traced in the dossier")
    months = (decided_on.year - support_since.year) * 12 + decided_on.month - support_since.month
    if decided_on.day < support_since.day:
        months -= 1
    return check(rule, art, months >= 4,
                 f"support traced since {support_since}: {months} month(s), at least 4 needed")


def c2d_decision_window(decided_on: date, c2d_school_year: int) -> Verdict:
    """The conseil de classe decides on a C2D pupil before 15 January."""
    deadline = date(c2d_school_year + 1, 1, 15)
    start = date(c2d_school_year, 9, 1)
    return check("c2d_decision_before_15_january", ART["4.1.4"], start <= decided_on < deadline,
                 f"decision dated {decided_on}; the window is {start} to {deadline} (excluded)")


def in_c2d_year(is_c2d: bool) -> Verdict:
    """A C2D decision concerns only a pupil enrolled in C2D."""
    return check("c2d_decision_only_for_c2d_pupil", ART["4.1.4"], is_c2d,
                 "the learner is not enrolled in C2D this year")


def attestation_after_c2d(c2d_outcome: C2DOutcome | None, kind: Attestation) -> Verdict:
    """A C2D pupil allowed to continue receives an AOA at year end."""
    ok = c2d_outcome is not C2DOutcome.CONTINUE or kind is Attestation.AOA
    return check("c2d_continue_leads_to_aoa", ART["4.1.4"], ok,
                 "a C2D pupil allowed to continue receives an AOA at year end")


def one_attestation_per_year(existing: Attestation | None, school_year: int) -> Verdict:
    """One end-of-year attestation per learner and school year."""
    return check("one_attestation_per_year", ART["4.1"], existing is None,
                 f"an attestation ({existing}) was already issued for {school_year}-{school_year + 1}")


def attestation_in_fourth_year(year: int) -> Verdict:
    """The Art. 4 §1 attestations close the 4th year."""
    return check("attestation_only_in_fourth_year", ART["4.1"], year == 4,
                 f"the learner is in year {year}, attestations close the 4th year")


def uaa_in_profile(uaa: str, profile_uaa: Collection[str]) -> Verdict:
    """Only a UAA of the learner's certification profile can be tested or validated."""
    return check("uaa_in_learner_profile", ART["2.7"], uaa in profile_uaa,
                 f"{uaa} is not in the learner's certification profile ({', '.join(profile_uaa)})")


def uaa_not_validated(uaa: str, validated: Collection[str]) -> Verdict:
    """A validated UAA stays validated: it cannot be validated again."""
    return check("uaa_not_already_validated", ART["2.7"], uaa not in validated,
                 f"{uaa} is already validated")


def test_authorised(authorised_on: date | None, sat_on: date) -> Verdict:
    """The jury decides when a pupil may sit a UAA test: an attempt needs an authorisation."""
    return check("attempt_needs_jury_authorisation", ART["4.6"],
                 authorised_on is not None and authorised_on <= sat_on,
                 "no authorisation of the jury to sit this UAA test on or before that date")


def minors_representatives_informed(is_minor: bool, informed: bool) -> Verdict:
    """For a minor, the jury informs the legal representatives of the authorisation."""
    return check("inform_legal_representatives_of_minor", ART["4.6"], informed or not is_minor,
                 "the learner is a minor: the legal representatives must be informed")


def validation_evidence(via: ValidationVia, own_pass: bool, later_pass: bool,
                        recognition_allowed: bool) -> Verdict:
    """A validation rests on a passed test, a passed later test (spiral) or jury recognition."""
    rule, art = "validation_needs_evidence", ART["4.6"]
    if via is ValidationVia.TEST:
        return check(rule, art, own_pass, "no passed attempt of this UAA's test")
    if via is ValidationVia.SPIRAL:
        return check(rule, art, later_pass, "no passed test of a later UAA to validate it in")
    return check(rule, ART["5.2"], recognition_allowed,
                 "jury recognition of mastered UAA is for repeaters of a transformed option")


def cq_requirements(missing: Collection[str], sovereign: bool, justification: str | None) -> Verdict:
    """A CQ needs every UAA validated, unless the jury decides sovereignly with a justification."""
    rule, art = "cq_needs_all_uaa_or_sovereign_decision", ART["AR84.21ter"]
    if not missing:
        return Verdict.ok(rule, art)
    if not sovereign:
        return Verdict.refuse(rule, art, f"UAA not validated: {', '.join(missing)}")
    return check(rule, art, bool(justification and len(justification.strip()) >= 20),
                 "a sovereign decision needs a written justification (20 characters or more)")


def certificate_year(year: int) -> Verdict:
    """Certificates close the 3rd degree: the learner must be in 6th year."""
    return check("certificate_in_sixth_year", ART["2.7"], year == 6,
                 f"the learner is in year {year}; CQ and CE6P are issued in 6th")


def ce6p_form(form: str) -> Verdict:
    """The CE6P closes the 6th year of professional (P) education."""
    return check("ce6p_only_in_p", ART["CE6P"], form == "P", f"the option is {form}, not P")


def no_active_certificate(active: bool, kind: str) -> Verdict:
    """One active certificate of a kind per learner."""
    return check("one_active_certificate", ART["2.7"], not active,
                 f"an active {kind} already exists; revoke it first")


def revocable(target_type: str | None, already_void: bool, revocable_types: Collection[str]) -> Verdict:
    """Only an existing, still effective decision of a revocable kind can be revoked/corrected."""
    rule = "revoke_existing_decision"
    if target_type is None:
        return Verdict.refuse(rule, "ledger rule (corrections point at a decision)",
                              "no decision with that version on this learner")
    if already_void:
        return Verdict.refuse(rule, "ledger rule (corrections point at a decision)",
                              "that decision was already revoked or corrected")
    return check(rule, "ledger rule (corrections point at a decision)",
                 target_type in revocable_types, f"{target_type} cannot be revoked")


def not_erased(erased: bool) -> Verdict:
    """No decision is recorded about a learner whose identity was erased."""
    return check("learner_not_erased", "RGPD art. 17 (erased learner)", not erased,
                 "the learner's personal data was erased; no further decision is recorded")


def add_working_days(start: date, days: int) -> date:
    """``start`` plus ``days`` working days (Mon–Fri; public holidays are not modelled)."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def formal_notice_allowed(due_by: date | None, sent: bool, on: date) -> Verdict:
    """The administration gives notice only once the 15 working days have passed unsent."""
    ok = due_by is not None and not sent and on > due_by
    return check("formal_notice_after_overdue_report", ART["9"], ok,
                 "no overdue competence report (not requested, already sent, or not yet due)")
