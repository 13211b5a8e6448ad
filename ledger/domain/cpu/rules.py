"""The CPU rule catalogue: every rule of the regime, named, pure, citing its article.

Written from the text of the Arrêté of 29 August 2018 (consolidated 26 September 2022,
``../shared/seeds/003_*.txt``): each rule cites the article, paragraph and item it enforces.
Rules with ``effect="flags"`` record a duty the text sets without a refusal to hang on it;
the aggregate records the decision and the breach beside it. Which paragraphs are enforced,
recorded or outside the system is the rule table in :mod:`ledger.domain.cpu.table`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, datetime, timedelta

from ledger.domain.cpu import calendar
from ledger.domain.cpu.values import (
    ARRETE,
    RULESET_VERSION,
    Attestation,
    C2DOutcome,
    Route,
)
from ledger.domain.kernel import Body
from ledger.domain.rules import Effect, Outcome, P, Refusal, Rule, Verdict, because, rule

REGIME = "cpu"


def art(ref: str) -> str:
    """The citation of an article of the Arrêté (``art("4 §1 3°")``)."""
    return f"{ARRETE} art. {ref}"


AR84_21TER = "AR-1984-06-29 art. 21ter (the jury de qualification issues the CQ)"
CE6P_BASIS = "AR-1984-06-29 art. 21bis (CE6P by the conseil de classe; unverified)"
DECRET_2012_REMEDIATION = "Décret-2012-07-12 art. 3 §3 (remediation)"
DECRET_MISSIONS_X = "Décret-1997-07-24 ch. X (recours externe)"
FAQ_SPIRAL = "FAQ CPU [S12] (a UAA validated during the test of a later UAA)"
RGPD_17 = "RGPD art. 17 (erased learner)"
LEDGER = "ledger rule"
FIRST_SCHOOL_YEAR = 2018  # Art. 1: organised in 4th from 1 September 2018 (Art. 14)
COUVREUR = "couvreur-etancheur"
YEAR_END_DAYS = 30  # Art. 4 §6 "en fin d'année": the last 30 days of the school year


def _cpu(name: str, article: str, effect: Effect = "refuses") -> Callable[[Callable[P, Outcome]], Rule[P]]:
    return rule(name, article, regime=REGIME, ruleset=RULESET_VERSION, effect=effect)


ADMISSION_BY_CONSEIL = frozenset({Route.A5_ADMISSION_OTHER, Route.A5_ALTERNANCE, Route.A5_FORME3})
ROUTES_BY_YEAR: Mapping[int, frozenset[Route]] = {
    4: frozenset({Route.A4_STANDARD, Route.A4_C2D}),
    5: frozenset(
        {
            Route.A5_SAME_OPTION,
            Route.A5_REPEAT_TRANSFORMED,
            Route.A5_ADMISSION_OTHER,
            Route.A5_ALTERNANCE,
            Route.A5_FORME3,
        }
    ),
    6: frozenset({Route.A6_REPEAT_TRANSFORMED}),
}
P_ONLY_ROUTES = frozenset({Route.A5_ALTERNANCE, Route.A5_FORME3})
REPEAT_ROUTES = frozenset({Route.A5_REPEAT_TRANSFORMED, Route.A6_REPEAT_TRANSFORMED})
PASSED_FOURTH = frozenset({Attestation.AOA, Attestation.AOB})
APPEALABLE = frozenset({Attestation.REORIENTATION, Attestation.C2D})
APPEAL_REPLACEMENTS: Mapping[Attestation, frozenset[Attestation]] = {
    Attestation.REORIENTATION: frozenset({Attestation.AOA, Attestation.AOB, Attestation.C2D}),
    Attestation.C2D: frozenset({Attestation.AOA, Attestation.AOB}),
}

# Which bodies may take which decision (Art. 2 5°-7°, Art. 4, 5, 6, 9; AR 1984; décret Missions).
POWERS: dict[str, tuple[frozenset[Body], str]] = {
    "admit": (frozenset({Body.DIRECTION, Body.CONSEIL_ADMISSION}), art("5 §2")),
    "authorise_test": (frozenset({Body.JURY_QUALIFICATION}), art("4 §6")),
    "record_attempt": (frozenset({Body.JURY_QUALIFICATION, Body.JURY_DELEGATE}), art("2 7°")),
    "validate_unit": (frozenset({Body.JURY_QUALIFICATION, Body.JURY_DELEGATE}), art("2 7°")),
    "recognise_unit": (frozenset({Body.JURY_QUALIFICATION}), art("5 §2")),
    "remediation": (frozenset({Body.PEDAGOGICAL_TEAM, Body.CONSEIL_CLASSE}), DECRET_2012_REMEDIATION),
    "reorientation_support": (frozenset({Body.CONSEIL_CLASSE, Body.PEDAGOGICAL_TEAM}), art("4 §1 3°")),
    "attestation": (frozenset({Body.CONSEIL_CLASSE}), art("4 §1")),
    "c2d_decision": (frozenset({Body.CONSEIL_CLASSE}), art("4 §1 4°")),
    "pssa": (frozenset({Body.CONSEIL_CLASSE, Body.PEDAGOGICAL_TEAM}), art("4 §1 2°, 4°")),
    "promotion": (frozenset({Body.CONSEIL_CLASSE}), art("4 §1")),
    "transfer": (frozenset({Body.DIRECTION, Body.CONSEIL_ADMISSION}), art("9")),
    "competence_report": (frozenset({Body.CONSEIL_CLASSE}), art("9")),
    "formal_notice": (frozenset({Body.ADMINISTRATION}), art("9")),
    "issue_cq": (frozenset({Body.JURY_QUALIFICATION}), art("2 7°")),
    "issue_ce6p": (frozenset({Body.CONSEIL_CLASSE}), CE6P_BASIS),
    "open_option": (frozenset({Body.DIRECTION}), art("6 §1")),
    "erase": (
        frozenset({Body.DIRECTION, Body.ADMINISTRATION}),
        "RGPD art. 17 (erasure of personal data; the decisions stay, the identity goes)",
    ),
    "record_missed_deadline": (
        frozenset({Body.ADMINISTRATION, Body.DIRECTION}),
        f"{LEDGER} (missed deadlines recorded, never hidden)",
    ),
    "lodge_appeal": (
        frozenset({Body.DIRECTION, Body.ADMINISTRATION}),
        f"{art('4 §1 al. final')}; {DECRET_MISSIONS_X}",
    ),
    "decide_appeal": (
        frozenset({Body.ADMINISTRATION}),
        f"{art('4 §1 al. final')}; {DECRET_MISSIONS_X} (conseil de recours)",
    ),
    "record_flags": (frozenset({Body.ADMINISTRATION, Body.DIRECTION, Body.JURY_QUALIFICATION}), art("4 §6")),
    "publish_profile": (frozenset({Body.ADMINISTRATION}), art("3 §1; art. 2 3°")),
    "creation_norm": (frozenset({Body.ADMINISTRATION}), art("6 §3")),
}


# ============================================================================ who, when, where
@_cpu("decision_at_enrolled_school", art("2 5°, 6°, 7°"))
def decision_at_enrolled_school(learner_fase: int | None, deciding_fase: int) -> Outcome:
    """A school's bodies decide only for learners enrolled with it."""
    # never names the school the learner is enrolled at: another tenant's data
    return (
        None
        if learner_fase == deciding_fase
        else because("the learner is not enrolled at FASE {deciding_fase}", deciding_fase=deciding_fase)
    )


@_cpu("decision_not_before_admission", art("5 §1, §2 (a decision concerns an admitted pupil)"))
def decision_not_before_admission(admitted_on: date, effective: date) -> Outcome:
    """No decision about a learner takes effect before the learner's admission."""
    return (
        None
        if effective >= admitted_on
        else because(
            "effective date {effective} is before the admission of {admitted_on}",
            effective=effective,
            admitted_on=admitted_on,
        )
    )


@_cpu("learner_not_erased", RGPD_17)
def learner_not_erased(erased: bool) -> Outcome:
    """No decision is recorded about a learner whose identity was erased."""
    return None if not erased else because("the learner's personal data was erased; no further decision")


# ============================================================================ Art. 1, 6: options
@_cpu("option_listed_in_art1", art("1"))
def option_listed_in_art1(option_code: str, listed: Collection[str]) -> Outcome:
    """Only the 15 options de base groupées of Art. 1 are organised in CPU 4-5-6."""
    return (
        None
        if option_code in listed
        else because("{option_code} is not one of the options of art. 1", option_code=option_code)
    )


@_cpu("option_opened_from_2018", art("1; art. 14"))
def option_opened_from_2018(first_school_year: int) -> Outcome:
    """An option is organised in CPU 4-5-6 from its 4th year on 1 September 2018 at the earliest."""
    return (
        None
        if first_school_year >= FIRST_SCHOOL_YEAR
        else because(
            "first 4th year {first_school_year}-{first_school_year_end} is before the Arrêté "
            "applied (4th year from 1 September 2018)",
            first_school_year=first_school_year,
            first_school_year_end=first_school_year + 1,
        )
    )


@_cpu("option_open_at_school", art("6 §1"))
def option_open_at_school(opened_year: int | None, school_year: int) -> Outcome:
    """The option must be open at the school in that school year (organised from its 4th)."""
    if opened_year is None:
        return because("the option is not opened in CPU 4-5-6 at this school")
    return (
        None
        if school_year >= opened_year
        else because(
            "the option opens in {opened_year}-{opened_year_end}, not yet organised in "
            "{school_year}-{school_year_end}",
            opened_year=opened_year,
            opened_year_end=opened_year + 1,
            school_year=school_year,
            school_year_end=school_year + 1,
        )
    )


@_cpu("year_organised_at_school", art("6 §1; art. 5 §2, §3"))
def year_organised_at_school(year: int, opened_year: int, school_year: int) -> Outcome:
    """The option is organised year by year from 4th: 5th from its 2nd year, 6th from its 3rd."""
    first = opened_year + (year - 4)
    return (
        None
        if school_year >= first
        else because(
            "year {year} of this option is organised at the school from {first}-{first_end}, not "
            "in {school_year}-{school_year_end}",
            year=year,
            first=first,
            first_end=first + 1,
            school_year=school_year,
            school_year_end=school_year + 1,
        )
    )


# ============================================================================ Art. 5: admission
@_cpu("admission_route_for_year", art("5 §1, §2, §3"))
def admission_route_for_year(route: Route, year: int) -> Outcome:
    """Each year is entered only by its own Art. 5 routes."""
    allowed = ROUTES_BY_YEAR.get(year, frozenset())
    names = ", ".join(sorted(r.value for r in allowed))
    if route in allowed:
        return None
    return Refusal(
        because(
            "route {route} does not admit to year {year}; routes: {names}",
            route=route.value,
            year=year,
            names=names,
        ),
        art(f"5 §{year - 3}") if year in ROUTES_BY_YEAR else art("5"),
    )


@_cpu("route_only_in_p", art("5 §2 al. 3, 4"))
def route_only_in_p(route: Route, form: str) -> Outcome:
    """Admission from alternance or from special education form 3 exists only in P."""
    return (
        None
        if (route not in P_ONLY_ROUTES or form == "P")
        else because("route {route} exists only in P", route=route.value)
    )


@_cpu("route_decided_by_conseil_admission", art("5 §2 al. 2, 3, 4"))
def route_decided_by_conseil_admission(route: Route, body: Body) -> Outcome:
    """Admissions from another orientation, alternance or form 3 are the conseil d'admission's."""
    return (
        None
        if (route not in ADMISSION_BY_CONSEIL or body is Body.CONSEIL_ADMISSION)
        else because("route {route} is decided by the conseil d'admission", route=route.value)
    )


@_cpu("c2d_admission_needs_c2d_or_aob", art("5 §1; art. 4 §1 2°, 4°"))
def c2d_admission_needs_c2d_or_aob(route: Route, prior: Attestation | None) -> Outcome:
    """Admission in 4th as C2D follows a C2D attestation, or an AOB re-enrolling in 4th."""
    return (
        None
        if (route is not Route.A4_C2D or prior in {Attestation.C2D, Attestation.AOB})
        else because("C2D admission needs a C2D (or AOB) attestation")
    )


@_cpu("fifth_same_option_needs_passed_fourth", art("5 §2 al. 1"))
def fifth_same_option_needs_passed_fourth(route: Route, prior: Attestation | None) -> Outcome:
    """5th year of the same option is for pupils who passed its 4th (AOA, AOB; C2D completed)."""
    return (
        None
        if (route is not Route.A5_SAME_OPTION or prior in PASSED_FOURTH)
        else because("5th year of the same option needs a passed 4th (AOA/AOB)")
    )


@_cpu("fifth_other_orientation_needs_passed_year", art("5 §2 al. 2"))
def fifth_other_orientation_needs_passed_year(
    route: Route, passed_year: int | None, exempt_formation_commune: bool
) -> Outcome:
    """From another orientation: a passed 4th-7th; exemption only after a passed 5th-7th."""
    if route is not Route.A5_ADMISSION_OTHER:
        return None
    if passed_year not in {4, 5, 6, 7}:
        return because("needs a passed 4th, 5th, 6th or 7th year in another orientation")
    return (
        None
        if not (exempt_formation_commune and passed_year == 4)
        else because("exemption from the formation commune needs a passed 5th, 6th or 7th year")
    )


@_cpu("fifth_from_alternance_needs_attestations", art("5 §2 al. 3"))
def fifth_from_alternance_needs_attestations(route: Route, holds_both: bool) -> Outcome:
    """From alternance: the attestation de réinsertion and the 2nd-degree competence attestation."""
    return (
        None
        if (route is not Route.A5_ALTERNANCE or holds_both)
        else because(
            "needs the attestation de réinsertion and the attestation de compétences "
            "professionnelles du 2e degré"
        )
    )


@_cpu("fifth_from_forme3_needs_cq", art("5 §2 al. 4"))
def fifth_from_forme3_needs_cq(route: Route, holds_cq: bool) -> Outcome:
    """From special education form 3: a certificat de qualification."""
    return (
        None
        if (route is not Route.A5_FORME3 or holds_cq)
        else because("needs a CQ from special education form 3")
    )


@_cpu("repeat_route_needs_transformed_option", art("5 §2 al. 1, §3; art. 4 §3"))
def repeat_route_needs_transformed_option(route: Route, replaces_transformed: bool) -> Outcome:
    """Repeaters of the old 5th/6th enter only an option that replaced (transformed) it."""
    return (
        None
        if (route not in REPEAT_ROUTES or replaces_transformed)
        else because("this option did not replace a transformed option: it has no repeaters to admit")
    )


@_cpu("no_reenrolment_after_reorientation", art("4 §1 3°"))
def no_reenrolment_after_reorientation(reoriented_from: Collection[str], option_code: str) -> Outcome:
    """A learner given a réorientation attestation may not re-enrol in the same orientation."""
    return (
        None
        if option_code not in reoriented_from
        else because(
            "the learner received a réorientation attestation in {option_code}: no re-enrolment in "
            "the same orientation (a transfer included)",
            option_code=option_code,
        )
    )


# ============================================================================ Art. 4 §1: attestations
@_cpu("attestation_only_in_fourth_year", art("4 §1 al. 1"))
def attestation_only_in_fourth_year(year: int) -> Outcome:
    """The Art. 4 §1 attestations close the 4th year."""
    return (
        None
        if year == 4
        else because("the learner is in year {year}, attestations close the 4th year", year=year)
    )


@_cpu("attestation_in_current_school_year", art("4 §1 al. 1"))
def attestation_in_current_school_year(effective: date, school_year: int) -> Outcome:
    """The attestation closes the learner's current school year."""
    return (
        None
        if calendar.school_year_of(effective) == school_year
        else because(
            "effective date {effective} is outside {school_year}-{school_year_end}",
            effective=effective,
            school_year=school_year,
            school_year_end=school_year + 1,
        )
    )


@_cpu("one_attestation_per_year", art("4 §1"))
def one_attestation_per_year(existing: Attestation | None, school_year: int) -> Outcome:
    """One end-of-4th attestation per learner and school year."""
    return (
        None
        if existing is None
        else because(
            "an attestation ({existing}) was already issued for {school_year}-{school_year_end}",
            existing=existing,
            school_year=school_year,
            school_year_end=school_year + 1,
        )
    )


@_cpu("reorientation_includes_advice", art("4 §1 3°"))
def reorientation_includes_advice(kind: Attestation, advice: str | None) -> Outcome:
    """The attestation de réorientation includes a conseil de réorientation."""
    return (
        None
        if (kind is not Attestation.REORIENTATION or bool(advice and advice.strip()))
        else because("the attestation de réorientation must include a conseil de réorientation")
    )


@_cpu("reorientation_support_covers_last_four_months", art("4 §1 3°"))
def reorientation_support_covers_last_four_months(
    support_since: date | None, issued_on: date, school_year: int
) -> Outcome:
    """Réorientation only after support covering the last four months of the current school year."""
    start, end = calendar.last_months_start(school_year), calendar.school_year_end(school_year)
    if support_since is None:
        return because("no réorientation support is traced in the dossier d'apprentissage")
    if support_since > start:
        return because(
            "support traced since {support_since}; it must cover the last four months of the "
            "school year, from {start} to {end}",
            support_since=support_since,
            start=start,
            end=end,
        )
    return (
        None
        if start <= issued_on <= end
        else because(
            "issued on {issued_on}; the attestation follows the support, from {start} to {end}",
            issued_on=issued_on,
            start=start,
            end=end,
        )
    )


@_cpu("promotion_needs_passed_fourth", art("4 §1 1°, 2°; art. 5 §2 al. 1"))
def promotion_needs_passed_fourth(attestation: Attestation | None) -> Outcome:
    """Moving up to 5th needs the 4th year passed (AOA or AOB)."""
    return (
        None
        if attestation in PASSED_FOURTH
        else because("4th year not passed (attestation: {attestation})", attestation=attestation)
    )


@_cpu("restrictions_only_on_aob", art("4 §1 2°"))
def restrictions_only_on_aob(kind: Attestation | None, excluded: Collection[str]) -> Outcome:
    """Only an AOB admits to the upper year with restrictions (excluded orientations)."""
    return (
        None
        if (not excluded or kind is Attestation.AOB)
        else because(
            "excluded orientations {excluded} are the restrictions of an AOB, not of {kind}",
            excluded=", ".join(sorted(excluded)),
            kind=kind,
        )
    )


@_cpu("no_upper_year_in_aob_excluded_orientation", art("4 §1 2°"))
def no_upper_year_in_aob_excluded_orientation(
    excluded: Collection[str], option_code: str, year: int
) -> Outcome:
    """After an AOB, the upper year (5th, 6th) is closed in the orientations it excludes."""
    return (
        None
        if (year < 5 or option_code not in excluded)
        else because(
            "the learner's AOB excludes {option_code} from the upper year (year {year})",
            option_code=option_code,
            year=year,
        )
    )


@_cpu("fourth_year_repeat_only_as_c2d", art("4 §1 2°, 4°"))
def fourth_year_repeat_only_as_c2d(attestation: Attestation | None) -> Outcome:
    """4th is re-done only as C2D: after a C2D attestation, or an AOB assimilated to C2D."""
    return (
        None
        if attestation in {Attestation.C2D, Attestation.AOB}
        else because(
            "re-enrolment in 4th needs a C2D or AOB attestation (has {attestation})", attestation=attestation
        )
    )


@_cpu("c2d_decision_only_for_c2d_pupil", art("4 §1 4°"))
def c2d_decision_only_for_c2d_pupil(is_c2d: bool) -> Outcome:
    """The conseil de classe's January decision concerns a pupil enrolled in C2D."""
    return None if is_c2d else because("the learner is not enrolled in C2D this year")


@_cpu("c2d_decision_before_15_january", art("4 §1 4° al. 2"))
def c2d_decision_before_15_january(decided_on: date, school_year: int) -> Outcome:
    """The conseil de classe decides on a C2D pupil before 15 January."""
    start, deadline = calendar.school_year_start(school_year), date(school_year + 1, 1, 15)
    return (
        None
        if start <= decided_on < deadline
        else because(
            "decision dated {decided_on}; the window is {start} to {deadline} (excluded)",
            decided_on=decided_on,
            start=start,
            deadline=deadline,
        )
    )


@_cpu("one_c2d_decision_per_year", art("4 §1 4° al. 2"))
def one_c2d_decision_per_year(existing: C2DOutcome | None) -> Outcome:
    """The January C2D decision is taken once a year."""
    return (
        None
        if existing is None
        else because("the C2D decision was already taken ({existing})", existing=existing)
    )


@_cpu("c2d_continue_leads_to_aoa", art("4 §1 4° al. 2"))
def c2d_continue_leads_to_aoa(c2d_outcome: C2DOutcome | None, kind: Attestation) -> Outcome:
    """A C2D pupil allowed to continue receives an AOA at year end."""
    return (
        None
        if (c2d_outcome is not C2DOutcome.CONTINUE or kind is Attestation.AOA)
        else because("a C2D pupil allowed to continue receives an AOA at year end")
    )


@_cpu("pssa_for_c2d_pupil", art("4 §1 2°, 4°"))
def pssa_for_c2d_pupil(is_c2d: bool) -> Outcome:
    """A PSSA is written for a pupil enrolled in C2D (or an AOB assimilated to C2D)."""
    return None if is_c2d else because("a PSSA is written for a pupil enrolled in C2D")


@_cpu("one_pssa_per_year", art("4 §1 2°, 4°"))
def one_pssa_per_year(already_written: bool) -> Outcome:
    """One PSSA per C2D year."""
    return None if not already_written else because("the PSSA was already written")


@_cpu("pssa_before_15_october", art("4 §1 2°"), effect="flags")
def pssa_before_15_october(written_on: date, due_by: date | None) -> Outcome:
    """After an AOB, the PSSA is written before 15 October (the text sets no date for C2D)."""
    return (
        None
        if (due_by is None or written_on <= due_by)
        else because("PSSA written on {written_on}, due by {due_by}", written_on=written_on, due_by=due_by)
    )


def pssa_due_by(school_year: int, after_aob: bool) -> date | None:
    """The PSSA deadline: 14 October after an AOB (Art. 4 §1 2°); none for C2D (4°)."""
    return date(school_year, 10, 14) if after_aob else None


# ============================================================================ Art. 4 §1 last al.: appeals
@_cpu("appeal_against_reorientation_or_c2d", f"{art('4 §1 al. final')}; {DECRET_MISSIONS_X}")
def appeal_against_reorientation_or_c2d(target_kind: Attestation | None) -> Outcome:
    """The recours externe lies against the réorientation (3°) and C2D (4°) decisions."""
    if target_kind is None:
        return because("the appeal must target an effective attestation of this learner")
    return (
        None
        if target_kind in APPEALABLE
        else because(
            "an {target_kind} attestation is not open to the recours externe of art. 4 §1",
            target_kind=target_kind.value,
        )
    )


@_cpu("one_open_appeal_per_decision", f"{art('4 §1 al. final')}; {DECRET_MISSIONS_X}")
def one_open_appeal_per_decision(already_lodged: bool) -> Outcome:
    """A decision is appealed once; its appeal is decided before another is lodged."""
    return None if not already_lodged else because("an appeal against this decision was already lodged")


@_cpu("appeal_outcome_needs_lodged_appeal", f"{art('4 §1 al. final')}; {DECRET_MISSIONS_X}")
def appeal_outcome_needs_lodged_appeal(lodged: bool, decided: bool) -> Outcome:
    """The conseil de recours decides an appeal that was lodged and not yet decided."""
    if not lodged:
        return because("no appeal was lodged against that decision")
    return None if not decided else because("that appeal was already decided")


@_cpu("appeal_reform_grants_better_outcome", f"{art('4 §1 al. final')}; {DECRET_MISSIONS_X}")
def appeal_reform_grants_better_outcome(
    target_kind: Attestation, reformed: bool, replacement: Attestation | None
) -> Outcome:
    """A reformed decision is replaced by a more favourable attestation; a confirmed one by none."""
    allowed = APPEAL_REPLACEMENTS.get(target_kind, frozenset())
    if not reformed:
        return None if replacement is None else because("a confirmed decision has no replacement")
    names = ", ".join(sorted(a.value for a in allowed))
    return (
        None
        if replacement in allowed
        else because(
            "a reformed {target_kind} is replaced by one of: {names}",
            target_kind=target_kind.value,
            names=names,
        )
    )


# ============================================================================ Art. 4 §2-§5: no repeating
def _repeat_banned_from(year: int, nth_banned: int, opened_year: int, school_year: int) -> Outcome:
    nth = school_year - opened_year + 1
    return (
        None
        if nth < nth_banned
        else because(
            "the option is in its year {nth} of organisation in 4-5-6"
            " (repeating year {year} is banned from its year {nth_banned})",
            nth=nth,
            year=year,
            nth_banned=nth_banned,
        )
    )


@_cpu("no_repeat_fifth_year", art("4 §2"))
def no_repeat_fifth_year(opened_year: int, school_year: int) -> Outcome:
    """No repeating 5th from the option's 2nd year of organisation in 4-5-6."""
    return _repeat_banned_from(5, 2, opened_year, school_year)


@_cpu("no_repeat_sixth_year", art("4 §4"))
def no_repeat_sixth_year(opened_year: int, school_year: int) -> Outcome:
    """No repeating 6th from the option's 3rd year of organisation in 4-5-6."""
    return _repeat_banned_from(6, 3, opened_year, school_year)


@_cpu("couvreur_sixth_not_repeated_after_2019_20", art("4 §5"))
def couvreur_sixth_not_repeated_after_2019_20(option_code: str, new_school_year: int) -> Outcome:
    """6th-year Couvreur-Etancheur pupils of 2019-2020 do not repeat it (in 2020-2021)."""
    return (
        None
        if not (option_code == COUVREUR and new_school_year == 2020)
        else because("the 6th year of Couvreur-Etancheur of 2019-2020 cannot be repeated")
    )


# ============================================================================ Art. 4 §6: UAA tests
@_cpu("attempt_needs_jury_authorisation", art("4 §6 al. 1"))
def attempt_needs_jury_authorisation(authorised_on: date | None, sat_on: date) -> Outcome:
    """The jury decides when a pupil may sit a UAA test: an attempt needs its authorisation."""
    return (
        None
        if (authorised_on is not None and authorised_on <= sat_on)
        else because("no authorisation of the jury to sit this UAA test on or before that date")
    )


@_cpu("inform_legal_representatives_of_minor", art("4 §6 al. 1"), effect="flags")
def inform_legal_representatives_of_minor(is_minor: bool, informed: bool) -> Outcome:
    """The jury informs the pupil and, for a minor, the legal representatives of the timing."""
    return (
        None
        if (informed or not is_minor)
        else because("the learner is a minor and the legal representatives were not informed")
    )


@_cpu("every_uaa_of_the_year_offered", art("4 §6 al. 2"), effect="flags")
def every_uaa_of_the_year_offered(
    programme: Sequence[str], offered: Collection[str], validated: Collection[str]
) -> Outcome:
    """Every pupil may sit each UAA of the year's programme at least once in the year."""
    never = [u for u in programme if u not in offered and u not in validated]
    return None if not never else because("never offered this school year: {never}", never=", ".join(never))


@_cpu("tests_not_all_at_year_end", art("4 §6 al. 3"), effect="flags")
def tests_not_all_at_year_end(authorised_on: Sequence[date], uaa_count: int, school_year: int) -> Outcome:
    """With several UAA to validate in a year, the tests are not all pushed to its end."""
    end = calendar.school_year_end(school_year)
    window = end - timedelta(days=YEAR_END_DAYS - 1)
    if uaa_count < 2 or not authorised_on:
        return None
    return (
        None
        if any(day < window for day in authorised_on)
        else because(
            "all {n_authorised_on} test authorisations fall in the last {n_days} days of the "
            "school year ({window} to {end})",
            n_authorised_on=len(authorised_on),
            n_days=YEAR_END_DAYS,
            window=window,
            end=end,
        )
    )


@_cpu("year_over_before_flags", art("4 §6 al. 2, 3 (duties measured over the school year)"))
def year_over_before_flags(school_year: int, on: date) -> Outcome:
    """The year's test-timing duties are checked once the school year is over."""
    end = calendar.school_year_end(school_year)
    return (
        None
        if on > end
        else because(
            "the school year {school_year}-{school_year_end} ends on {end}",
            school_year=school_year,
            school_year_end=school_year + 1,
            end=end,
        )
    )


# ============================================================================ validation (Art. 2 7°)
@_cpu("uaa_in_learner_profile", art("2 7°; art. 3 §1"))
def uaa_in_learner_profile(uaa: str, profile_uaa: Collection[str]) -> Outcome:
    """Only a UAA of the learner's certification profile can be tested or validated."""
    return (
        None
        if uaa in profile_uaa
        else because(
            "{uaa} is not in the learner's certification profile ({profile_uaa})",
            uaa=uaa,
            profile_uaa=", ".join(profile_uaa),
        )
    )


@_cpu("uaa_not_already_validated", art("2 7°"))
def uaa_not_already_validated(uaa: str, validated: Collection[str]) -> Outcome:
    """A validated UAA stays validated: it is not validated again."""
    return None if uaa not in validated else because("{uaa} is already validated", uaa=uaa)


@_cpu("validation_by_passed_test", art("2 7°; art. 4 §6"))
def validation_by_passed_test(passed: bool) -> Outcome:
    """A validation by test rests on a passed attempt of that UAA's test."""
    return None if passed else because("no passed attempt of this UAA's test")


@_cpu("spiral_validation_in_later_test", FAQ_SPIRAL)
def spiral_validation_in_later_test(
    uaa: str, later: str | None, passed: Collection[str], order: Sequence[str]
) -> Outcome:
    """A UAA can be validated during the passed test of a later UAA of the profile."""
    ok = (
        later is not None
        and later in passed
        and later in order
        and uaa in order
        and order.index(later) > order.index(uaa)
    )
    return None if ok else because("no passed test of a later UAA to validate it in")


@_cpu("recognition_for_transformed_repeaters", art("4 §3; art. 5 §2 al. 1, §3"))
def recognition_for_transformed_repeaters(route: Route, uaa_year: int, learner_year: int) -> Outcome:
    """The jury recognises mastered UAA only for repeaters of a transformed option, up to their year."""
    if route not in REPEAT_ROUTES:
        return because("jury recognition of mastered UAA is for repeaters of a transformed option")
    return (
        None
        if uaa_year <= learner_year
        else because(
            "a year-{uaa_year} UAA is beyond the learner's year {learner_year}",
            uaa_year=uaa_year,
            learner_year=learner_year,
        )
    )


@_cpu("remediation_was_assigned", DECRET_2012_REMEDIATION)
def remediation_was_assigned(uaa: str, open_remediations: Collection[str]) -> Outcome:
    """Completing remediation needs remediation assigned and not yet completed for that UAA."""
    return None if uaa in open_remediations else because("no open remediation for {uaa}", uaa=uaa)


# ============================================================================ promotion, repeating
@_cpu("move_in_next_school_year", art("4 §1"))
def move_in_next_school_year(effective: date, new_school_year: int) -> Outcome:
    """A promotion or re-enrolment takes effect in the next school year."""
    return (
        None
        if calendar.school_year_of(effective) == new_school_year
        else because(
            "it takes effect in {new_school_year}-{new_school_year_end}, not on {effective}",
            new_school_year=new_school_year,
            new_school_year_end=new_school_year + 1,
            effective=effective,
        )
    )


@_cpu("promotion_below_sixth", art("1 (CPU 4-5-6)"))
def promotion_below_sixth(year: int) -> Outcome:
    """There is no year after 6th in CPU 4-5-6."""
    return None if year < 6 else because("there is no year after 6th in CPU 4-5-6")


# ============================================================================ certificates
@_cpu("cq_needs_all_uaa_or_sovereign_decision", AR84_21TER)
def cq_needs_all_uaa_or_sovereign_decision(
    missing: Collection[str], sovereign: bool, justification: str | None
) -> Outcome:
    """A CQ needs every UAA validated, unless the jury decides sovereignly with a justification."""
    if not missing:
        return None
    if not sovereign:
        return because("UAA not validated: {missing}", missing=", ".join(missing))
    return (
        None
        if bool(justification and len(justification.strip()) >= 20)
        else because("a sovereign decision needs a written justification (20 characters or more)")
    )


@_cpu("certificate_in_sixth_year", art("2 7°"))
def certificate_in_sixth_year(year: int) -> Outcome:
    """Certificates close the 3rd degree: the learner must be in 6th year."""
    return (
        None
        if year == 6
        else because("the learner is in year {year}; CQ and CE6P are issued in 6th", year=year)
    )


@_cpu("ce6p_only_in_p", CE6P_BASIS)
def ce6p_only_in_p(form: str) -> Outcome:
    """The CE6P closes the 6th year of professional (P) education."""
    return None if form == "P" else because("the option is {form}, not P", form=form)


@_cpu("one_active_certificate", art("2 7°"))
def one_active_certificate(active: bool, kind: str) -> Outcome:
    """One active certificate of a kind per learner."""
    return None if not active else because("an active {kind} already exists; revoke it first", kind=kind)


@_cpu("revoke_active_certificate", art("2 7°"))
def revoke_active_certificate(found: bool, certificate: object) -> Outcome:
    """Only an issued, unrevoked certificate of the learner is revoked."""
    return (
        None
        if found
        else because("no active certificate {certificate} for this learner", certificate=certificate)
    )


@_cpu("erasure_has_reason", RGPD_17)
def erasure_has_reason(reason: str | None) -> Outcome:
    """An erasure states its lawful reason."""
    return None if bool(reason and reason.strip()) else because("an erasure needs its lawful reason")


# ============================================================================ Art. 9: change of school
@_cpu("transfer_to_another_school", art("9"))
def transfer_to_another_school(from_fase: int, to_fase: int) -> Outcome:
    """A change of school goes to another school (same option)."""
    return None if to_fase != from_fase else because("the learner is already enrolled at that school")


@_cpu("competence_report_requested", art("9"))
def competence_report_requested(pending_from: int | None, fase: int) -> Outcome:
    """Only the previous school, once asked, sends the rapport de compétences."""
    return (
        None
        if pending_from == fase
        else because("no pending competence report request addressed to FASE {fase}", fase=fase)
    )


@_cpu("competence_report_within_15_working_days", art("9"), effect="flags")
def competence_report_within_15_working_days(sent_on: date, due_by: date) -> Outcome:
    """The rapport de compétences is sent within 15 jours ouvrables of the request."""
    return (
        None
        if sent_on <= due_by
        else because("sent on {sent_on}, due by {due_by}", sent_on=sent_on, due_by=due_by)
    )


@_cpu("formal_notice_after_overdue_report", art("9"))
def formal_notice_after_overdue_report(due_by: date | None, on: date) -> Outcome:
    """The administration gives notice only once the 15 working days passed without the report."""
    return (
        None
        if (due_by is not None and on > due_by)
        else because("no overdue competence report (not requested, already sent, or not yet due)")
    )


@_cpu("transfer_on_family_request", art("9"))
def transfer_on_family_request(presented: bool, matched: bool) -> Outcome:
    """A school reaches another school's learner only on the family's request (Art. 9).

    The receiving school proves the request by presenting the learner's national register
    number, matched against the identity store by a keyed hash; the reason never says whether
    the learner, or a number, exists elsewhere.
    """
    if not presented:
        return because(
            "the change of school needs the family's request: present the learner's national "
            "register number (national_register_number), as known to the ledger"
        )
    return None if matched else because("the national register number presented does not match this learner")


@_cpu(
    "backdated_opening_by_administration",
    art("6 §1"),
)
def opening_not_backdated(
    effective: date, first_school_year: int, recorded_at: datetime, by_administration: bool
) -> Outcome:
    """Schools open options for the current year on; earlier is the administration's (API roles).

    Opening an option decides which admissions and certificates are lawful (Art. 6 §1): a
    back-dated opening reshapes who could act, so only the administration records it.
    Where it applies: the HTTP API's school roles; the local CLI operator is trusted.
    """
    current = calendar.school_year_of(recorded_at.date())
    timely = effective >= calendar.school_year_start(current) - timedelta(days=92)
    return (
        None
        if (by_administration or (timely and first_school_year >= current))
        else because(
            "an option opened before the school year {current}-{current_end} is recorded by the "
            "administration only",
            current=current,
            current_end=current + 1,
        )
    )


def competence_report_due(requested_on: date, extra_holidays: Collection[date] = ()) -> date:
    """The last day to send the rapport de compétences (15 jours ouvrables, Art. 9)."""
    return calendar.add_working_days(requested_on, 15, extra_holidays)


@_cpu("deadline_actually_missed", f"{art('4 §1 2°, 4°; art. 9')}")
def deadline_actually_missed(overdue: bool, kind: str, on: date) -> Outcome:
    """A deadline is recorded as missed only once it passed without its decision."""
    return None if overdue else because("no overdue {kind} deadline on {on}", kind=kind, on=on)


# ============================================================================ Art. 3: profiles
UAA_WEEKS_MIN, UAA_WEEKS_MAX, PROJECT_WEEKS_MAX = 25, 27, 5


@_cpu("profile_uaa_weeks_per_year", art("3 §1 al. 4"))
def profile_uaa_weeks_per_year(weeks_by_year: Mapping[int, int]) -> Outcome:
    """Per school year (4th, 5th, 6th) the UAA weeks add up to 25-27."""
    bad = {
        y: weeks_by_year.get(y, 0)
        for y in (4, 5, 6)
        if not UAA_WEEKS_MIN <= weeks_by_year.get(y, 0) <= UAA_WEEKS_MAX
    }
    detail = tuple(because("year {year}: {weeks}", year=y, weeks=w) for y, w in bad.items())
    return (
        None
        if not bad
        else because(
            "UAA weeks per school year must be {low}-{high} ({detail})",
            low=UAA_WEEKS_MIN,
            high=UAA_WEEKS_MAX,
            detail=detail,
        )
    )


@_cpu("profile_project_weeks_at_most_five", art("3 §1 al. 4"))
def profile_project_weeks_at_most_five(project_weeks: Mapping[int, int]) -> Outcome:
    """At most 5 project weeks per school year on top of the UAA weeks."""
    bad = {y: w for y, w in project_weeks.items() if not 0 <= w <= PROJECT_WEEKS_MAX}
    detail = tuple(because("year {year}: {weeks}", year=y, weeks=w) for y, w in bad.items())
    return (
        None
        if not bad
        else because(
            "at most {high} project weeks per school year ({detail})",
            high=PROJECT_WEEKS_MAX,
            detail=detail,
        )
    )


@_cpu("profile_uaa_by_school_year", art("3 §1 al. 3"))
def profile_uaa_by_school_year(spans: Sequence[tuple[str, int, int]]) -> Outcome:
    """UAA are presented per school year (4th-6th); one may exceptionally straddle two."""
    bad = [
        code for code, first, last in spans if not (4 <= first <= 6 and first <= last <= min(first + 1, 6))
    ]
    return (
        None
        if not bad
        else because("UAA outside the 4th-6th years or over more than two years: {bad}", bad=", ".join(bad))
    )


@_cpu("profile_uaa_have_weeks", art("3 §1 al. 1"))
def profile_uaa_have_weeks(weeks: Mapping[str, int]) -> Outcome:
    """Every UAA of a profile comes with a duration in weeks."""
    bad = [code for code, w in weeks.items() if w < 1]
    return (
        None
        if (bool(weeks) and not bad)
        else because("UAA without a duration in weeks: {value}", value=", ".join(bad) or "—")
    )


def profile_verdicts(
    weeks_by_year: Mapping[int, int],
    project_weeks: Mapping[int, int],
    spans: Sequence[tuple[str, int, int]],
    weeks: Mapping[str, int],
) -> tuple[Verdict, ...]:
    """Every Art. 3 §1 rule over one profile."""
    return (
        profile_uaa_have_weeks(weeks),
        profile_uaa_by_school_year(spans),
        profile_uaa_weeks_per_year(weeks_by_year),
        profile_project_weeks_at_most_five(project_weeks),
    )


# ============================================================================ Art. 6 §3: creation norm
THEMATIQUE_COMMUNE_FROM = 2020  # ACF 2021-09-09, in force 1 September 2020


@_cpu("creation_norm_on_1_october", art("6 §3 2°, 3°, al. final"), effect="flags")
def creation_norm_on_1_october(
    fourth_year_pupils: int, alternance_only: bool, thematique_commune: bool, school_year: int
) -> Outcome:
    """A newly created option counts at least 12 pupils in 4th on 1 October (10 in alternance)."""
    reduced = thematique_commune and school_year >= THEMATIQUE_COMMUNE_FROM
    norm = (10 if alternance_only else 12) - (2 if reduced else 0)
    return (
        None
        if fourth_year_pupils >= norm
        else because(
            "{fourth_year_pupils} pupil(s) in 4th on 1 October; the creation norm is {norm}",
            fourth_year_pupils=fourth_year_pupils,
            norm=norm,
        )
    )
